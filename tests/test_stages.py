"""The stage registry: dvc.yaml, the workspace dvc.yaml, kernel warm-up and the tables each
notebook reads all come from it; CI fails when dvc.yaml is stale."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from hotpass_lib import dvcfile, kernels, stages, store
from hotpass_lib.errors import ConfigError
from hotpass_lib.params import PipelineParams, load_params
from hotpass_lib.runner import PROJECT_DIR
from hotpass_lib.settings import Settings
from tests.helpers import hotpass


def test_committed_dvc_yaml_matches_the_registry() -> None:
    done = hotpass("pipeline", "--check", cwd=PROJECT_DIR)
    assert done.returncode == 0, "run `hotpass pipeline --write` and commit dvc.yaml"


def test_changing_a_stages_inputs_changes_dvc_yaml_and_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    params = load_params(PROJECT_DIR / "params" / "pipeline.yaml")
    before = dvcfile.expected(PROJECT_DIR, params)
    refine = stages.BY_NAME["refine"]
    changed = dataclasses.replace(refine, files=(*refine.files, "params/extra.yaml"))
    monkeypatch.setattr(
        stages, "STAGES", tuple(changed if s is refine else s for s in stages.STAGES)
    )
    monkeypatch.setattr(dvcfile, "STAGES", stages.STAGES)
    after = yaml.safe_load(dvcfile.expected(PROJECT_DIR, params))
    assert "params/extra.yaml" in after["stages"]["refine"]["deps"]
    assert dvcfile.drift(PROJECT_DIR, params)
    monkeypatch.undo()
    assert dvcfile.expected(PROJECT_DIR, params) == before


def test_dvc_yaml_declares_the_hidden_inputs_and_only_the_modules_a_stage_imports() -> None:
    pipeline = yaml.safe_load((PROJECT_DIR / "dvc.yaml").read_text())["stages"]
    refine = pipeline["refine"]["deps"]
    assert "data/samples/ground_truth.csv" in refine
    assert "params/review_decisions.yaml" in refine
    assert "params/review_decisions.yaml" in pipeline["ingest"]["deps"]
    assert "hotpass_lib/refine.py" in refine and "hotpass_lib/resolve.py" in refine
    for name in ("ingest", "validate", "refine", "publish"):
        deps = pipeline[name]["deps"]
        assert "hotpass_lib" not in deps  # not the whole library
        assert not {"hotpass_lib/cli.py", "hotpass_lib/runner.py", "hotpass_lib/doctor.py"} & set(
            deps
        ), name
        assert pipeline[name]["params"] == [
            {"params/pipeline.yaml": list(stages.BY_NAME[name].params)}
        ]
        assert "evidence" in stages.BY_NAME[name].params  # every stage renders masked HTML


def test_workspace_dvc_yaml_lists_workbooks_and_declares_ground_truth_when_present(
    tmp_path: Path,
) -> None:
    (tmp_path / "book.xlsx").write_bytes(b"")
    text = dvcfile.render(
        PipelineParams(input_dir="."), tmp_path, repo=False, workbooks=["book.xlsx"]
    )
    deps = yaml.safe_load(text)["stages"]
    assert "book.xlsx" in deps["ingest"]["deps"] and "notebooks/01_ingest.ipynb" not in text
    assert "./ground_truth.csv" not in deps["refine"]["deps"]
    (tmp_path / "ground_truth.csv").write_text("source_record_id,true_org_id\n")
    text = dvcfile.render(
        PipelineParams(input_dir="."), tmp_path, repo=False, workbooks=["book.xlsx"]
    )
    assert "ground_truth.csv" in yaml.safe_load(text)["stages"]["refine"]["deps"]


def test_warm_imports_and_stage_io_come_from_the_registry(tmp_path: Path) -> None:
    assert kernels.LAZY_IMPORTS["refine"] == stages.BY_NAME["refine"].warm_imports
    settings = Settings.load(tmp_path)
    (tmp_path / "data" / "samples").mkdir(parents=True)
    (tmp_path / "data" / "samples" / "ground_truth.csv").write_text("x\n")
    inputs, outputs = settings.stage_io("refine")
    assert settings.input_dir / "ground_truth.csv" in inputs
    assert settings.root / "params" / "review_decisions.yaml" in inputs
    assert outputs == [settings.interim_dir / "refine"]


def test_load_inputs_reads_the_declared_tables_by_stage(tmp_path: Path) -> None:
    import pandas as pd

    for upstream, names in stages.BY_NAME["publish"].reads.items():
        store.save_tables({n: pd.DataFrame({"x": [1]}) for n in names}, tmp_path / upstream)
    inputs = store.load_inputs("publish", tmp_path)
    assert set(inputs) == {"refine", "ingest"}
    assert set(inputs["ingest"]) == {"quarantine", "skipped", "accounting"}
    with pytest.raises(FileNotFoundError, match="run the earlier stage"):
        store.load_inputs("refine", tmp_path)


def test_the_cli_and_stage_libraries_never_import_prefect(tmp_path: Path) -> None:
    """Prefect takes seconds to import: only hotpass_lib.flow may load it."""
    import subprocess
    import sys

    from hotpass_lib.kernels import LAZY_IMPORTS

    library = sorted(
        f"hotpass_lib.{p.stem}"
        for p in (PROJECT_DIR / "hotpass_lib").glob("*.py")
        if p.stem not in {"flow", "__main__"}
    )
    warm = {m for ms in LAZY_IMPORTS.values() for m in ms}
    script = tmp_path / "imports.py"  # a script: pyspark exits under `python -c` (doctest mode)
    script.write_text(
        "import sys\n"
        + "".join(f"import {m}\n" for m in sorted(warm) + library)
        + "print('prefect' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_stage_order_follows_the_outputs_each_stage_reads(tmp_path: Path) -> None:
    assert dvcfile.stage_order(PROJECT_DIR) == ["samples", *stages.NAMES]
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n"
        "  b:\n    cmd: x\n    deps: [data/a/out.csv]\n    outs: [data/b]\n"
        "  a:\n    cmd: x\n    deps: [in]\n    outs: [data/a]\n"
    )
    assert dvcfile.stage_order(tmp_path) == ["a", "b"]
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n  a:\n    cmd: x\n    deps: [b]\n    outs: [a]\n"
        "  b:\n    cmd: x\n    deps: [a]\n    outs: [b]\n"
    )
    with pytest.raises(ConfigError, match="depend on each other"):
        dvcfile.stage_order(tmp_path)
