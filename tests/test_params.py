"""Typed pipeline params: defaults stated once, unknown keys refused with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotpass_lib.errors import ConfigError, HotpassError
from hotpass_lib.params import PipelineParams, load_params, set_params
from hotpass_lib.profile import ProfileError
from hotpass_lib.read import InputError
from hotpass_lib.resolve import BackendUnavailable
from hotpass_lib.runner import PROJECT_DIR, StageFailed
from hotpass_lib.validate import GateError
from tests.helpers import hotpass


def test_an_absent_file_means_every_default() -> None:
    params = load_params(None)
    assert params.samples.n_orgs == 560 and params.samples.seed == 42
    assert params.evidence.mask_pii and params.resolve.backend == "duckdb"


def test_the_repository_params_validate() -> None:
    assert load_params(PROJECT_DIR / "params" / "pipeline.yaml").profile == "aviation"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"evidence": {"mask_pi": False}}, "evidence.mask_pi.*did you mean 'mask_pii'"),
        ({"resolve": {"backnd": "spark"}}, "resolve.backnd.*did you mean 'backend'"),
        ({"profil": "generic"}, "profil.*did you mean 'profile'"),
        ({"resolve": {"backend": "polars"}}, "resolve.backend"),
    ],
)
def test_unknown_or_bad_keys_name_the_fix(tmp_path: Path, data: dict, message: str) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=message):
        load_params(path)


def test_overrides_change_only_the_keys_they_name() -> None:
    params = load_params(None, resolve={"backend": "spark"}, profile=None)
    assert params.resolve.backend == "spark" and params.resolve.threads == 2
    assert params.profile == PipelineParams().profile


def test_every_hotpass_error_shares_one_base() -> None:
    for cls in (ConfigError, ProfileError, InputError, GateError, StageFailed, BackendUnavailable):
        assert issubclass(cls, HotpassError), cls
    assert issubclass(ProfileError, ValueError)  # what callers caught before still works


def test_cli_reports_a_bad_param_in_one_line_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "pipeline.yaml").write_text("runner:\n  kernell: x\n")
    done = hotpass("doctor", cwd=tmp_path)
    assert done.returncode == 2
    assert "runner.kernell" in done.stderr and "did you mean 'kernel'" in done.stderr


def test_set_params_writes_an_override_as_dvc_exp_run_does(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "profile: aviation  # the profile\nlineage:\n  url: null  # none\nresolve:\n  threads: 2\n"
    )
    changed = set_params(path, {"resolve.threads": 1, "samples": {"n_orgs": 40}})
    assert changed == {"resolve.threads": 1, "samples.n_orgs": 40}
    text = path.read_text()
    assert "# the profile" in text and "url: null  # none" in text  # comments and nulls kept
    assert load_params(path).resolve.threads == 1 and load_params(path).samples.n_orgs == 40
    assert set_params(path, {"resolve": {"threads": 1}}) == {}  # nothing new: not rewritten


def test_set_params_rejects_an_unknown_key_and_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("resolve:\n  threads: 2\n")
    with pytest.raises(ConfigError, match="did you mean 'threads'"):
        set_params(path, {"resolve.thread": 1})
    with pytest.raises(ConfigError, match=r"runner\.cell_timeout_s"):
        set_params(path, {"runner.cell_timeout_s": "soon"})
    assert path.read_text() == "resolve:\n  threads: 2\n"
