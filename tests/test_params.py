"""Typed pipeline params: defaults stated once, unknown keys refused with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotpass_lib.errors import ConfigError, HotpassError
from hotpass_lib.params import PipelineParams, load_params
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
