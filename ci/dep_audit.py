"""Gate: audit the locked dependencies for known vulnerabilities, and never pass falsely.

``pip-audit`` without ``--strict`` prints "No known vulnerabilities found" and exits 0 when
it could not reach any advisory source and so audited nothing (every package "skipped").
This wrapper reads pip-audit's JSON report and decides from what was *actually* audited:

========================================  ======  =========================================
situation                                 exit    prints
========================================  ======  =========================================
every locked package audited, none        0       ``audit passed: N packages audited ...``
vulnerable
any known vulnerability                   1       ``audit FAILED: ...`` one line per finding
some packages audited, some skipped       1       ``audit FAILED: incomplete ...`` (strict)
no advisory source reachable (nothing     0, or   ``audit skipped: no advisory source
audited by any service)                   2 with  reachable``
                                          --require
========================================  ======  =========================================

Sources are tried in order: PyPI's JSON API (``-s pypi``), then OSV (``-s osv``); the first
that audits anything decides. ``--require`` (or ``HOTPASS_AUDIT_REQUIRED=1``) is for machines
that do reach an advisory source (a GitHub mirror): there a skipped audit is a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess  # nosec B404 # runs pip-audit with fixed arguments
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("pypi", "osv")
SKIPPED = "audit skipped: no advisory source reachable"


HOSTS = {"pypi": "pypi.org", "osv": "api.osv.dev"}


def resolvable(host: str) -> bool:
    """Whether ``host`` has an address: pip-audit retries an unresolvable one for a while."""
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def run_pip_audit(lock: Path, service: str, pip_audit: str) -> dict | None:
    """pip-audit's JSON report for ``lock`` against ``service``; None if it produced none
    (a network error, which pip-audit raises as a traceback)."""
    if service in HOSTS and not resolvable(HOSTS[service]):
        print(f"dep-audit: {service}: {HOSTS[service]} cannot be resolved", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [
            pip_audit,
            "--requirement",
            str(lock),
            "--no-deps",  # the lock is complete and pinned: nothing to resolve
            "--disable-pip",
            "--vulnerability-service",
            service,
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(out),
            "--timeout",
            "20",
        ]
        done = subprocess.run(  # nosec B603 # fixed command, no shell
            cmd, capture_output=True, text=True, timeout=900, check=False
        )
        if not out.is_file():
            tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            print(f"dep-audit: {service}: no report ({tail[:200]})", file=sys.stderr)
            return None
        return json.loads(out.read_text(encoding="utf-8"))


def classify(report: dict) -> tuple[int, int, list[str], list[str]]:
    """(audited, skipped, findings, skipped names) of one pip-audit JSON report."""
    audited, skipped, findings, skipped_names = 0, 0, [], []
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped += 1
            skipped_names.append(f"{dep['name']}: {dep['skip_reason']}")
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            findings.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    return audited, skipped, findings, skipped_names


def decide(reports: list[tuple[str, dict | None]], require: bool) -> tuple[int, list[str]]:
    """Exit code and message lines from the reports of the services tried, in order."""
    for service, report in reports:
        if report is None:
            continue
        audited, skipped, findings, skipped_names = classify(report)
        if audited == 0:
            continue  # this source answered nothing: try the next
        if findings:
            return 1, [
                f"audit FAILED: {len(findings)} known vulnerabilities ({service})",
                *findings,
            ]
        if skipped:
            return 1, [
                f"audit FAILED: incomplete: {audited} audited, {skipped} skipped ({service})",
                *skipped_names,
            ]
        return 0, [f"audit passed: {audited} packages audited against {service}, none vulnerable"]
    tried = ", ".join(service for service, _ in reports)
    return (2 if require else 0), [
        f"{SKIPPED} (tried {tried}); nothing was audited"
        + ("; --require: failing" if require else "; policy: not a failure here, see docs")
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument(
        "--require",
        action="store_true",
        default=os.environ.get("HOTPASS_AUDIT_REQUIRED") == "1",
        help="exit 2 when no advisory source is reachable",
    )
    parser.add_argument(
        "--pip-audit", default=str(Path(sys.executable).with_name("pip-audit")), help="binary"
    )
    args = parser.parse_args(argv)
    reports: list[tuple[str, dict | None]] = []
    for service in SERVICES:
        report = run_pip_audit(args.lock, service, args.pip_audit)
        reports.append((service, report))
        if report is not None and classify(report)[0] > 0:
            break
    code, lines = decide(reports, args.require)
    stream = sys.stdout if code == 0 else sys.stderr
    for line in lines:
        print(f"dep-audit: {line}", file=stream)
    return code


if __name__ == "__main__":
    sys.exit(main())
