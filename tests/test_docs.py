"""The documentation: README links resolve; the site's navigation covers every page."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

import check_site  # noqa: E402

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_every_relative_link_in_the_readme_resolves() -> None:
    links = LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    relative = [link for link in links if not re.match(r"^[a-z]+:|^#", link)]
    assert len(relative) > 10
    missing = [link for link in relative if not (ROOT / link.split("#")[0]).exists()]
    assert missing == []


def _nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [p for item in node for p in _nav_pages(item)]
    if isinstance(node, dict):
        return [p for value in node.values() for p in _nav_pages(value)]
    return []


def test_every_page_under_docs_is_in_the_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = set(_nav_pages(config["nav"]))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages - nav == set()
    assert config["strict"] is True and config["theme"]["highlightjs"] is False


def test_the_landing_page_links_governance_on_its_first_screen() -> None:
    first_screen = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")[:3500]
    for target in (
        "contracts/reference.md",
        "contracts/organisations.schema.json",
        "data_docs/local_site/index.html",
        "evidence/index.html",
        "lineage.jsonl",
        "how-to/lineage-marquez.md",
        "provenance.json",
        "sbom/hotpass.cdx.json",
        "governance/verify-a-run.md",
    ):
        assert f"]({target}" in first_screen or f"/{target})" in first_screen, target


def test_a_page_loading_a_remote_font_or_script_fails_the_site_check(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html><a href='https://example.org'>ok</a></html>")
    assert check_site.main([str(tmp_path)]) == 0
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Lato">'
    )
    (tmp_path / "x.css").write_text("@font-face { src: url(//cdn.example/f.woff2) }")
    assert check_site.main([str(tmp_path)]) == 1
    assert len(check_site.remote_assets(tmp_path)) == 2


def test_a_broken_link_or_a_page_outside_the_nav_fails_the_strict_build(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\nSee [the guide](guide.md).\n")
    (tmp_path / "docs" / "orphan.md").write_text("# Not in the nav\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nstrict: true\nnav:\n  - index.md\n"
        "validation:\n  nav:\n    omitted_files: warn\n"
    )
    done = subprocess.run(
        [Path(sys.executable).with_name("mkdocs"), "build", "--strict", "-d", tmp_path / "s"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "guide.md" in done.stderr and "orphan.md" in done.stderr
