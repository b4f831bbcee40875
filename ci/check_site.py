"""Check the built documentation site loads nothing from the network.

Fails on any page or stylesheet MkDocs built that pulls a script, stylesheet, font, image
or frame from an ``http(s)://`` or protocol-relative URL. Plain links (``<a href>``) to
other sites are fine: they load nothing until clicked. The copied evidence of the latest
run (``site/evidence/``) is not checked: Great Expectations' Data Docs load their own
assets from CDNs, which Hotpass does not control.

Usage: ``python ci/check_site.py [SITE_DIR]`` (default ``site``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REMOTE = r"""(?:https?:)?//"""
PATTERNS = [
    re.compile(
        rf"""<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc\s*=\s*["']?{REMOTE}""", re.I
    ),
    re.compile(rf"""<link\b[^>]*\bhref\s*=\s*["']?{REMOTE}""", re.I),
    re.compile(rf"""@import\s+(?:url\()?\s*["']?{REMOTE}""", re.I),
    re.compile(rf"""url\(\s*["']?{REMOTE}""", re.I),
]


def remote_assets(site: Path) -> list[str]:
    found = []
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if rel.startswith("evidence/") or path.suffix not in {".html", ".css", ".js"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in PATTERNS:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{rel}:{line}: {text[match.start() : match.end() + 60]!r}")
    return found


def main(argv: list[str]) -> int:
    site = Path(argv[0] if argv else "site")
    if not (site / "index.html").is_file():
        print(f"site: no built site at {site} (run `make docs`)", file=sys.stderr)
        return 1
    found = remote_assets(site)
    for line in found:
        print(f"site: loads from the network: {line}", file=sys.stderr)
    if found:
        return 1
    print(f"site: {site} loads no script, stylesheet, font or image from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
