"""SBOM and provenance: the committed CycloneDX SBOM is valid, complete and reproducible;
each run references it; the provenance statement is a valid in-toto/SLSA v1 statement."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from hotpass_lib import evidence, runner, sbom
from hotpass_lib import record as record_module

ROOT = Path(__file__).resolve().parent.parent
SBOM = ROOT / "sbom" / "hotpass.cdx.json"
sys.path.insert(0, str(ROOT / "ci"))

import sbom as ci_sbom  # noqa: E402


def _validate_cyclonedx(text: str) -> Any:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    # the schemas ship inside cyclonedx-python-lib: no network
    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)


def _locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.lock").read_text(), re.M)
    return {name.lower(): version for name, version in pins}


def test_the_sbom_validates_offline_against_the_cyclonedx_schema() -> None:
    assert _validate_cyclonedx(SBOM.read_text()) is None
    broken = json.loads(SBOM.read_text())
    broken["components"][0]["type"] = "spreadsheet"
    assert _validate_cyclonedx(json.dumps(broken)) is not None


def test_the_sbom_lists_every_locked_package_with_a_pypi_purl() -> None:
    components = json.loads(SBOM.read_text())["components"]
    purls = {c["name"].lower(): c["purl"] for c in components}
    locked = _locked()
    assert len(locked) > 250
    assert set(purls) == set(locked)
    for name, version in locked.items():
        assert purls[name].lower() == f"pkg:pypi/{name}@{version}".lower()


@pytest.fixture(scope="module")
def regenerated() -> bytes:
    return ci_sbom.generate()


def test_the_sbom_is_reproducible_and_drift_is_caught(regenerated: bytes, tmp_path: Path) -> None:
    assert regenerated == SBOM.read_bytes()  # byte-identical: committed == regenerated
    assert ci_sbom.drift(regenerated, SBOM) == []
    stale = tmp_path / "hotpass.cdx.json"
    stale.write_text(SBOM.read_text().replace('"version": "', '"version": "0', 1))
    assert ci_sbom.drift(regenerated, stale)


# --- run evidence -----------------------------------------------------------------------


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A run's manifest and provenance written by the runner's own code, with a copy of
    the SBOM (so tampering with it leaves the committed one alone)."""
    install = tmp_path / "install"
    (install / "sbom").mkdir(parents=True)
    shutil.copy(SBOM, install / sbom.SBOM_RELPATH)
    monkeypatch.setattr(sbom, "INSTALL_ROOT", install)
    monkeypatch.setattr(sbom, "_git_head", lambda root: "a" * 40)
    monkeypatch.setattr(record_module, "git_commit", lambda root: "a" * 40)
    ws = tmp_path / "ws"
    (ws / "data" / "samples").mkdir(parents=True)
    (ws / "data" / "samples" / "book.xlsx").write_bytes(b"not really a workbook")
    settings = runner.Settings.load(ws, runs_dir=str(ws / "runs"))
    record = {
        "status": "completed",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:05Z",
        "scraps": {},
        "html": "01_ingest.html",
    }
    path = record_module.update_manifest(settings, "20260101T000000Z-abcdef", "ingest", record)
    return path.parent


def test_each_run_records_the_sbom_digest_in_manifest_and_provenance(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    digest = evidence.sha256(SBOM)
    assert manifest["sbom"]["sha256"] == digest
    statement = json.loads((run_dir / "provenance.json").read_text())
    deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
    (entry,) = [d for d in deps if d.get("name") == "sbom/hotpass.cdx.json"]
    assert entry["digest"] == {"sha256": digest}
    assert entry["mediaType"] == "application/vnd.cyclonedx+json"
    assert evidence.verify(run_dir) == []


def test_evidence_verify_detects_a_changed_sbom(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    Path(manifest["sbom"]["path"]).write_text(SBOM.read_text().replace("pandas", "pandaz"))
    assert evidence.verify(run_dir) == [
        "modified: sbom/hotpass.cdx.json (sha256 differs from the run's manifest)"
    ]
    Path(manifest["sbom"]["path"]).unlink()
    assert evidence.verify(run_dir)[0].startswith("missing: sbom/hotpass.cdx.json")


def test_evidence_verify_detects_provenance_naming_another_sbom(run_dir: Path) -> None:
    path = run_dir / "provenance.json"
    path.write_text(path.read_text().replace(evidence.sha256(SBOM), "0" * 64))
    assert evidence.verify(run_dir) == [
        "modified: provenance.json does not reference the manifest's SBOM"
    ]


def _validate_statement(statement: dict[str, Any]) -> None:
    """in-toto Statement v1 with an SLSA provenance v1 predicate, checked with the
    in-toto-attestation package's protobuf definitions (unknown fields are errors) and
    validators, plus the fields SLSA v1 requires."""
    from google.protobuf import json_format
    from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
    from in_toto_attestation.v1.statement import Statement

    pb = json_format.ParseDict(statement, statement_pb2.Statement())
    Statement.copy_from_pb(pb).validate()
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    prov = json_format.ParseDict(statement["predicate"], provenance_pb2.Provenance())
    assert prov.build_definition.build_type, "buildDefinition.buildType is required"
    assert prov.build_definition.HasField("external_parameters")
    assert prov.run_details.builder.id, "runDetails.builder.id is required"
    for rd in prov.build_definition.resolved_dependencies:
        ResourceDescriptor.copy_from_pb(rd).validate()
        for algorithm, value in rd.digest.items():
            assert re.fullmatch(r"[0-9a-f]+", value), (algorithm, value)


def test_the_provenance_statement_is_valid_in_toto_slsa_v1(run_dir: Path) -> None:
    statement = json.loads((run_dir / "provenance.json").read_text())
    statement["subject"] = [{"name": "out.parquet", "digest": {"sha256": "ab" * 32}}]
    _validate_statement(statement)
    broken = {**statement, "predicate": {**statement["predicate"], "buildDefinitoin": {}}}
    with pytest.raises(json_format_error()):
        _validate_statement(broken)


def json_format_error() -> type[Exception]:
    from google.protobuf.json_format import ParseError

    return ParseError


def test_the_git_dependency_is_a_real_uri(run_dir: Path) -> None:
    statement = json.loads((run_dir / "provenance.json").read_text())
    deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
    (git,) = [d for d in deps if "gitCommit" in d.get("digest", {})]
    assert re.fullmatch(r"git\+file:///\S+@a{40}", git["uri"]), git["uri"]
    assert sbom.git_uri(ROOT, "b" * 40) == f"git+file://{ROOT.as_posix()}@{'b' * 40}"
