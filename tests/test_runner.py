"""Runner helpers: privacy masking, run ids shared across DVC stages, settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotpass_lib import evidence, runner, runs, tracking


def test_mask_pii_hides_emails_and_phones_but_keeps_numbers_readable() -> None:
    text = "Mail jane.doe@aero.co.za or call +27823723529 / 27 82 372 3529; 1956 rows, 0.534"
    masked = runner.mask_pii(text)
    assert "jane.doe@" not in masked and "j***@aero.co.za" in masked
    assert "+27823723529" not in masked and "+*********29" in masked
    assert "372 3529" not in masked
    assert "1956 rows, 0.534" in masked


def test_run_id_from_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = runner.Settings.load(tmp_path, runs_dir=str(tmp_path / "runs"))
    monkeypatch.setenv("HOTPASS_RUN_ID", "20260101T000000Z-abcdef")
    assert runner.current_run_id(settings) == "20260101T000000Z-abcdef"


def test_stages_under_one_dvc_process_share_a_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = runner.Settings.load(tmp_path, runs_dir=str(tmp_path / "runs"))
    monkeypatch.delenv("HOTPASS_RUN_ID", raising=False)
    monkeypatch.setattr(runs, "_dvc_ancestor", lambda: "4242:99")
    first = runner.current_run_id(settings)
    assert runner.current_run_id(settings) == first
    monkeypatch.setattr(runs, "_dvc_ancestor", lambda: "4243:100")  # a new `dvc repro`
    assert runner.current_run_id(settings) != first
    monkeypatch.setattr(runs, "_dvc_ancestor", lambda: None)  # not under DVC: always new
    assert runner.current_run_id(settings) != runner.current_run_id(settings)


def test_settings_resolve_paths_against_the_workspace(tmp_path: Path) -> None:
    settings = runner.Settings.load(tmp_path, profile="generic")
    assert settings.profile == "generic"
    assert settings.input_dir == tmp_path / "data" / "samples"
    assert settings.tracking_uri == f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}"


def test_runs_index_lists_newest_first(tmp_path: Path) -> None:
    for run_id in ("20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"):
        (tmp_path / run_id).mkdir()
        (tmp_path / run_id / "manifest.json").write_text(
            json.dumps({"run_id": run_id, "status": "completed", "stages": {}})
        )
    page = evidence.write_runs_index(tmp_path).read_text()
    assert page.index("20260102") < page.index("20260101")


def test_match_model_becomes_champion_only_when_f1_is_not_worse(tmp_path: Path) -> None:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.create_experiment("hotpass", artifact_location=(tmp_path / "art").as_uri())
    mlflow.set_experiment("hotpass")
    model = tmp_path / "match_model.json"
    model.write_text('{"comparisons": []}')
    for f1 in (0.90, 0.80, 0.95):
        with mlflow.start_run():
            tracking.register_match_model(model, f1)
    champion = MlflowClient().get_model_version_by_alias(tracking.MODEL_NAME, "champion")
    assert int(champion.version) == 3 and champion.tags["f1"] == "0.95"
    versions = MlflowClient().search_model_versions(f"name='{tracking.MODEL_NAME}'")
    assert len(versions) == 3


def test_offline_env_keeps_a_users_warnings_filter(monkeypatch) -> None:
    from hotpass_lib.runner import OFFLINE_ENV, offline_env

    monkeypatch.setenv("PYTHONWARNINGS", "error::DeprecationWarning")
    env = offline_env()
    assert env["PYTHONWARNINGS"] == f"error::DeprecationWarning,{OFFLINE_ENV['PYTHONWARNINGS']}"
    assert env["GX_ANALYTICS_ENABLED"] == "false" and env["DO_NOT_TRACK"] == "1"
    monkeypatch.delenv("PYTHONWARNINGS")
    assert offline_env()["PYTHONWARNINGS"] == OFFLINE_ENV["PYTHONWARNINGS"]
