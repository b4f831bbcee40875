"""The `hotpass` command through its real entry point: exit codes and messages a person
can act on."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xlsxwriter
import yaml

from hotpass_lib.profile import load_profile
from hotpass_lib.read import Workbook
from hotpass_lib.samples import CONTACT_DB_FILE, REACHOUT_FILE, SACAA_FILE, write_samples

from .helpers import hotpass


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr + done.stdout
    return " ".join(done.stderr.split())


def _shuffled_copy(src: Path, dst: Path, seed: int) -> None:
    """The workbook's cached values with every sheet's columns in another order."""
    rng = random.Random(seed)
    book = Workbook(src)
    out = xlsxwriter.Workbook(str(dst))
    for sheet in book.sheet_names:
        rows = book.rows(sheet)
        ws = out.add_worksheet(sheet)
        order = list(range(max((len(r) for r in rows), default=0)))
        rng.shuffle(order)
        for r, row in enumerate(rows):
            for c, pos in enumerate(order):
                if pos < len(row) and row[pos] not in ("", None):
                    ws.write(r, c, row[pos])
    out.close()


def test_init_drafts_the_mappings_then_doctor_and_run_pass(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    write_samples(samples, n_orgs=40, seed=9)
    ws = tmp_path / "ws"
    ws.mkdir()
    renamed = {
        SACAA_FILE: "regulator list.xlsx",
        REACHOUT_FILE: "crm export.xlsx",
        CONTACT_DB_FILE: "accounts.xlsx",
    }
    for i, (src, dst) in enumerate(renamed.items()):
        _shuffled_copy(samples / src, ws / dst, seed=i)

    done = hotpass("init", "--input-dir", ".", cwd=ws)
    assert done.returncode == 0, done.stderr
    draft = yaml.safe_load((ws / "params" / "profiles" / "draft.yaml").read_text())
    drafted = {
        (s["files"], sheet["sheet"]): sheet for s in draft["sources"] for sheet in s["sheets"]
    }
    aviation = load_profile("aviation")
    files = {
        "sacaa": "regulator list.xlsx",
        "reachout": "crm export.xlsx",
        "contact_db": "accounts.xlsx",
    }
    for source in aviation.sources:
        for spec in source.sheets:
            got = drafted[(files[source.name], spec.sheet)]
            assert got["kind"] == spec.kind, spec.sheet
            for field, headers in spec.columns.items():
                assert got["columns"].get(field, [None])[0] in headers, (spec.sheet, field)
            if spec.link:
                assert got["link"]["sheet"] == spec.link.sheet
            if spec.address_column:  # found by content, in its new position
                assert got["address_column"]

    stages = yaml.safe_load((ws / "dvc.yaml").read_text())["stages"]
    assert stages["refine"]["params"] == [
        {"params/pipeline.yaml": ["profile", "resolve", "evidence"]}
    ]
    assert "params/review_decisions.yaml" in stages["refine"]["deps"]
    assert hotpass("pipeline", "--check", cwd=ws).returncode == 0

    again = hotpass("init", "--input-dir", ".", cwd=ws)
    assert again.returncode == 2 and "--force" in _one_line_error(again)

    doctor = hotpass("doctor", "--json", cwd=ws)
    assert doctor.returncode == 0, doctor.stdout
    run = hotpass("run", cwd=ws)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (
        "organisations" in run.stderr and (ws / "data" / "refined" / "organisations.xlsx").is_file()
    )
    one = hotpass("run", "--stage", "refine", cwd=ws)
    assert one.returncode == 0, one.stderr[-3000:]
    assert "refine ✓" in one.stderr and "Evidence:" in one.stderr


def test_missing_input_dir_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = hotpass("run", "--input-dir", "does-not-exist", cwd=tmp_path)
    assert done.returncode == 2
    assert "does-not-exist does not exist" in _one_line_error(done)


def test_spark_without_java_stops_before_any_stage(tmp_path: Path) -> None:
    write_samples(tmp_path / "in", n_orgs=10, seed=1)
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"} | {"PATH": "/nonexistent"}
    done = hotpass("run", "--input-dir", "in", "--backend", "spark", cwd=tmp_path, env=env)
    assert done.returncode == 2
    message = _one_line_error(done)
    assert "no Java runtime" in message and "resolve.backend: duckdb" in message
    assert not (tmp_path / "runs").exists()


def test_unknown_backend_names_the_parameter(tmp_path: Path) -> None:
    write_samples(tmp_path / "in", n_orgs=10, seed=1)
    done = hotpass("run", "--input-dir", "in", "--backend", "sparkk", cwd=tmp_path)
    assert done.returncode == 2
    message = _one_line_error(done)
    assert "resolve.backend" in message and "'duckdb' or 'spark'" in message


def test_no_workbooks_found(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    done = hotpass("run", "--input-dir", "in", cwd=tmp_path)
    assert done.returncode == 2
    assert "no workbook" in _one_line_error(done) and "hotpass init" in done.stderr


def test_unreadable_workbook_fails_the_stage_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / SACAA_FILE).write_bytes(b"PK\x03\x04 not really a workbook")
    done = hotpass("run", "--input-dir", "in", cwd=tmp_path)
    assert done.returncode == 1
    message = _one_line_error(done)
    assert "corrupt or truncated" in message and "01_ingest.html" in message


def test_invalid_profile_key_suggests_the_valid_one(tmp_path: Path) -> None:
    data = yaml.safe_load(load_profile("aviation").model_dump_json())
    data["thresholds"]["match_probabilty"] = 0.8
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(data))
    write_samples(tmp_path / "in", n_orgs=10, seed=1)
    done = hotpass("run", "--input-dir", "in", "--profile", "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "did you mean 'match_probability'" in _one_line_error(done)


def test_missing_kernel_points_to_doctor(tmp_path: Path) -> None:
    write_samples(tmp_path / "in", n_orgs=10, seed=1)
    params = yaml.safe_load(
        Path(__file__).parents[1].joinpath("params", "pipeline.yaml").read_text()
    )
    params["runner"]["kernel"] = "no-such-kernel"
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "pipeline.yaml").write_text(yaml.safe_dump(params))
    done = hotpass("run", "--input-dir", "in", cwd=tmp_path)
    assert done.returncode == 2
    assert "no-such-kernel" in done.stderr and "hotpass doctor" in _one_line_error(done)
    doctor = hotpass("doctor", cwd=tmp_path)
    assert doctor.returncode == 1 and "no-such-kernel" in doctor.stdout


def test_ctrl_c_leaves_nothing_partial_and_says_how_to_resume(tmp_path: Path) -> None:
    write_samples(tmp_path / "in", n_orgs=10, seed=1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotpass_lib.cli", "run", "--input-dir", "in"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not list(tmp_path.glob("runs/*/01_ingest.ipynb")) and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted" in err and "again to resume" in " ".join(err.split())
    leftovers = (
        [p for p in (tmp_path / "data").rglob("*") if p.name.startswith(".")]
        if (tmp_path / "data").exists()
        else []
    )
    assert not leftovers
    assert not (tmp_path / "data" / "refined").exists()


@pytest.mark.parametrize(
    "command", [[], ["run"], ["init"], ["doctor"], ["evidence"], ["contracts"]]
)
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    done = hotpass(*command, "--help", cwd=tmp_path)
    assert done.returncode == 0 and "Usage" in done.stdout


def test_pipeline_set_validates_before_writing(tmp_path: Path) -> None:
    params = tmp_path / "params" / "pipeline.yaml"
    params.parent.mkdir()
    params.write_text("resolve:\n  threads: 2\n")
    typo = hotpass("pipeline", "--set", "resolve.thread=1", cwd=tmp_path)
    assert typo.returncode == 2 and "did you mean 'threads'" in typo.stderr
    shape = hotpass("pipeline", "--set", "resolve", cwd=tmp_path)
    assert shape.returncode == 2 and "KEY=VALUE" in shape.stderr
    assert params.read_text() == "resolve:\n  threads: 2\n"
