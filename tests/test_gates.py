"""Each CI gate fails on a planted defect (ci/*.sh, docs/reference/ci.md)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "ci"))

import check_secrets  # noqa: E402
import check_workflows  # noqa: E402
import dep_audit  # noqa: E402


def _run(
    *cmd: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


# --- ruff, mypy, bandit -----------------------------------------------------------------


def test_ruff_fails_on_an_unused_import_and_on_unformatted_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    assert _run(BIN / "ruff", "check", "--config", ROOT / "pyproject.toml", bad).returncode == 1
    ugly = tmp_path / "ugly.py"
    ugly.write_text("x = {  'a':1 }\n")
    done = _run(BIN / "ruff", "format", "--check", "--config", ROOT / "pyproject.toml", ugly)
    assert done.returncode == 1


def test_mypy_fails_on_an_untyped_function(tmp_path: Path) -> None:
    bad = tmp_path / "untyped.py"
    bad.write_text("def f(x):\n    return x\n")
    done = _run(BIN / "mypy", "--config-file", ROOT / "pyproject.toml", bad)
    assert done.returncode == 1 and "no-untyped-def" in done.stdout, done.stdout


def test_bandit_fails_on_a_medium_severity_finding(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(
        "import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n"  # B506, medium
    )
    cmd = ["-c", ROOT / "pyproject.toml", "-r", "pkg", "--severity-level", "medium", "-q"]
    done = _run(BIN / "bandit", *cmd, cwd=tmp_path)
    assert done.returncode == 1 and "B506" in done.stdout, done.stdout


def test_coverage_floor_is_configured_for_subprocesses_and_kernels() -> None:
    cov = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]
    assert cov["report"]["fail_under"] >= 85
    assert cov["run"]["parallel"] is True
    assert "subprocess" in cov["run"]["patch"]
    assert cov["run"]["source_pkgs"] == ["hotpass_lib"]


def test_code_under_the_floor_fails_the_coverage_report(tmp_path: Path) -> None:
    """The project's floor applied to a module whose tests run half of it."""
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]["report"]
    (tmp_path / "half.py").write_text(
        "def used():\n    return 1\n\n\ndef unused():\n    a = 1\n    b = 2\n    return a + b\n"
    )
    (tmp_path / "run.py").write_text("import half\n\nhalf.used()\n")
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.coverage.run]\nsource = ['half']\n"
        f"[tool.coverage.report]\nfail_under = {floor['fail_under']}\n"
    )
    # not the suite's own measurement (ci/coverage.sh sets COVERAGE_FILE and friends)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    assert _run(BIN / "coverage", "run", "run.py", cwd=tmp_path, env=env).returncode == 0
    done = _run(BIN / "coverage", "report", cwd=tmp_path, env=env)
    assert done.returncode == 2 and "fail-under" in done.stdout + done.stderr


# --- detect-secrets ---------------------------------------------------------------------


def _repo_with(tmp_path: Path, name: str, text: str) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".secrets.baseline").write_bytes((ROOT / ".secrets.baseline").read_bytes())
    (tmp_path / name).write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    return tmp_path


def test_a_planted_key_fails_the_secrets_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "AKIA" + "Z7QK3NDJ4WPLX2MB"  # built at run time: this file itself stays clean
    repo = _repo_with(tmp_path, "settings.py", f'AWS_ACCESS_KEY_ID = "{key}"\n')
    assert check_secrets.main(["--root", str(repo)]) == 1
    assert "settings.py:1 (AWS Access Key)" in capsys.readouterr().err


def test_generated_hashes_are_not_scanned_and_clean_files_pass(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"a generated hash").hexdigest()  # as in dvc.lock
    repo = _repo_with(tmp_path, "dvc.lock", f"md5: {digest}\nsecret_key: {digest}\n")
    (repo / "notes.md").write_text("Nothing secret here.\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    assert check_secrets.main(["--root", str(repo)]) == 0


def test_the_committed_baseline_is_audited() -> None:
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    assert all(
        item.get("is_secret") is False for items in baseline["results"].values() for item in items
    )
    excluded = json.dumps(baseline["filters_used"])
    assert "dvc\\\\.lock" in excluded and "requirements\\\\.lock" in excluded


# --- dependency audit -------------------------------------------------------------------


def _report(*deps: dict) -> dict:
    return {"dependencies": list(deps), "fixes": []}


SKIP = {"name": "six", "skip_reason": "Dependency not found on PyPI and could not be audited"}
OK = {"name": "six", "version": "1.17.0", "vulns": []}
VULN = {
    "name": "jinja2",
    "version": "3.1.0",
    "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.1.6"]}],
}


def test_audit_that_audited_nothing_says_skipped_never_passed() -> None:
    code, lines = dep_audit.decide([("pypi", _report(SKIP, SKIP)), ("osv", None)], require=False)
    assert code == 0 and lines[0].startswith("audit skipped: no advisory source reachable")
    assert "passed" not in " ".join(lines) and "no known" not in " ".join(lines).lower()
    code, _ = dep_audit.decide([("pypi", _report(SKIP)), ("osv", None)], require=True)
    assert code == 2


def test_audit_fails_on_a_vulnerability_or_an_incomplete_audit() -> None:
    code, lines = dep_audit.decide([("pypi", _report(OK, VULN))], require=False)
    assert code == 1 and "GHSA-xxxx" in lines[1]
    code, lines = dep_audit.decide([("pypi", _report(OK, SKIP))], require=False)
    assert code == 1 and "incomplete" in lines[0]
    code, lines = dep_audit.decide([("pypi", _report(SKIP)), ("osv", _report(OK))], False)
    assert code == 0 and "osv" in lines[0]


def test_audit_reads_what_pip_audit_really_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stand-in pip-audit that, like the real one here, skips everything and exits 0."""
    fake = tmp_path / "pip-audit"
    report = json.dumps(_report(SKIP))
    fake.write_text(
        "#!/bin/sh\n"
        'while [ "$1" != "--output" ]; do shift; done\n'
        f"echo '{report}' > \"$2\"\necho 'No known vulnerabilities found'\n"
    )
    fake.chmod(0o755)
    lock = tmp_path / "requirements.lock"
    lock.write_text("six==1.17.0\n")
    assert dep_audit.main(["--lock", str(lock), "--pip-audit", str(fake)]) == 0
    out = capsys.readouterr().out
    assert "audit skipped: no advisory source reachable" in out
    env_required = {**os.environ, "HOTPASS_AUDIT_REQUIRED": "1"}
    done = subprocess.run(
        [sys.executable, ROOT / "ci" / "dep_audit.py", "--lock", lock, "--pip-audit", fake],
        capture_output=True,
        text=True,
        env=env_required,
        check=False,
    )
    assert done.returncode == 2 and "audit skipped" in done.stderr


# --- workflows --------------------------------------------------------------------------


def test_the_codeql_workflow_is_valid_and_pinned() -> None:
    assert check_workflows.main([]) == 0


def test_an_unpinned_or_invalid_workflow_fails(tmp_path: Path) -> None:
    text = (ROOT / ".github" / "workflows" / "codeql.yml").read_text()
    unpinned = tmp_path / "unpinned.yml"
    unpinned.write_text(text.replace("@11bd71901bbe5b1630ceea73d27597364c9af683", "@v4"))
    assert check_workflows.check(unpinned) == [
        "unpinned.yml: action not pinned by full commit SHA: actions/checkout@v4"
    ]
    invalid = tmp_path / "invalid.yml"
    invalid.write_text(text.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"))
    assert any("schema" in p for p in check_workflows.check(invalid))
