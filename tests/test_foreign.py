"""Foreign folders (other countries, layouts, formats and scripts) through `hotpass init`
and `hotpass run`, as a new user would: every row accounted for, accuracy scored against
the corpus's own ground truth (tests/corpus/foreign.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hotpass_lib.evaluate import scores_against_folder
from tests.corpus.foreign import FOLDERS
from tests.helpers import hotpass

EXPECTED_COUNTRY = {
    "us_restaurants": "US",
    "uk_practices": "GB",
    "de_schools": "DE",
    "non_latin": None,  # international numbers of several countries
    "childcare_sites": "US",
    "names_only": None,
    "contacts_elsewhere": "AU",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("foreign")
    for name, make in FOLDERS.items():
        make(root / name)
    return root


def _init(corpus: Path, name: str, workspace: Path) -> dict:
    workspace.mkdir()
    done = hotpass("init", "--input-dir", str(corpus / name), cwd=workspace)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load((workspace / "params" / "profiles" / "draft.yaml").read_text())


@pytest.mark.parametrize("name", list(FOLDERS))
def test_init_infers_country_name_column_and_fields(
    name: str, corpus: Path, tmp_path: Path
) -> None:
    draft = _init(corpus, name, tmp_path / "ws")
    assert draft["country"] == EXPECTED_COUNTRY[name]
    assert ("province_aliases" in draft) == (draft["country"] == "ZA")
    for source in draft["sources"]:
        for sheet in source["sheets"]:
            named = sheet["columns"].get("organisation_name") or sheet["columns"]["org_ref_name"]
            assert named
    text = (tmp_path / "ws" / "params" / "profiles" / "draft.yaml").read_text()
    assert "# country:" in text and ("phone numbers" in text or name == "names_only")


def test_init_overrides_name_column_and_region(corpus: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    done = hotpass(
        "init", "--input-dir", str(corpus / "us_restaurants"), "--region", "ca",
        "--name-column", "addr", cwd=workspace,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    draft = yaml.safe_load((workspace / "params" / "profiles" / "draft.yaml").read_text())
    assert draft["country"] == "CA" and draft["default_region"] == "CA"
    by_file = {s["files"]: s["sheets"][0]["columns"] for s in draft["sources"]}
    assert by_file["guide_b.csv"]["organisation_name"] == ["addr"]


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["us_restaurants", "uk_practices", "non_latin", "de_schools"])
def test_init_then_run_accounts_for_every_row(name: str, corpus: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    _init(corpus, name, workspace)
    done = hotpass("run", cwd=workspace, timeout=1200)
    assert done.returncode == 0, done.stdout + done.stderr
    refined = workspace / "data" / "refined"
    orgs = pd.read_parquet(refined / "organisations.parquet")
    quarantine = pd.read_parquet(refined / "quarantine.parquet")
    skipped = pd.read_parquet(refined / "skipped_rows.parquet")
    truth = pd.read_csv(corpus / name / "ground_truth.csv", dtype=str)
    placed = (
        set(orgs["source_record_ids"].explode())
        | set(quarantine["source_record_id"])
        | set(skipped["source_record_id"])
    )
    assert set(truth["source_record_id"]) <= placed
    scores = scores_against_folder(orgs, corpus / name)
    assert scores is not None and scores["precision"] >= 0.95 and scores["recall"] >= 0.9
    assert orgs["organisation_slug"].str.fullmatch(r"[a-z0-9-]+").all()
    manifest = json.loads(next((workspace / "runs").glob("*/manifest.json")).read_text())
    assert manifest["row_accounting"]


def test_a_workbook_of_contacts_only_links_to_the_organisations_of_another(
    corpus: Path, tmp_path: Path
) -> None:
    from hotpass_lib.ingest import ingest
    from hotpass_lib.profile import load_profile

    draft = _init(corpus, "contacts_elsewhere", tmp_path / "ws")
    people = next(s for s in draft["sources"] if s["files"] == "People.xlsx")
    assert people["sheets"][0]["kind"] == "contacts"
    assert people["sheets"][0]["link"] == {"by": "name"}
    profile = load_profile(tmp_path / "ws" / "params" / "profiles" / "draft.yaml")
    result = ingest(corpus / "contacts_elsewhere", profile)
    truth = pd.read_csv(corpus / "contacts_elsewhere" / "ground_truth.csv").set_index(
        "source_record_id"
    )["true_org_id"]
    contacts = result.contacts.set_index("source_record_id")["organisation_source_record_id"]
    assert len(contacts) == truth.index.str.startswith("People").sum()
    assert (contacts.map(truth) == contacts.index.map(truth)).all()
