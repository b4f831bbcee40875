"""The pipeline's parameters (``params/pipeline.yaml``) as one typed, strict model.

Every default is stated here, once: a workspace's file may name only what it changes.
Unknown keys are rejected with a "did you mean" (as profiles are); errors are
:class:`~hotpass_lib.errors.ConfigError`.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Samples(_Strict):
    """The synthetic sample workbooks (``hotpass samples``)."""

    n_orgs: int = Field(default=560, ge=1, description="real organisations (~800 rows)")
    seed: int = 42


class Evidence(_Strict):
    """How the evidence of a run shows personal data and code."""

    mask_pii: bool = True
    show_code: bool = False


class Lineage(_Strict):
    """Where OpenLineage events go: ``url`` (e.g. Marquez), or ``runs/<id>/lineage.jsonl``."""

    url: str | None = None


class Runner(_Strict):
    """How notebooks are executed."""

    kernel: str = "hotpass"
    cell_timeout_s: int = Field(default=600, ge=1)


class Engine(_Strict):
    """Where the match model runs (``resolve:`` in ``params/pipeline.yaml``)."""

    backend: Literal["duckdb", "spark"] = "duckdb"
    threads: int = Field(default=2, ge=1, description="DuckDB threads")
    memory_limit: str = Field(default="2GB", description="DuckDB memory limit")
    spark_master: str = Field(default="local[2]", description="e.g. local[*], yarn, spark://h:7077")
    spark_checkpoint_dir: str | None = Field(
        default=None,
        description="shared folder for Splink's intermediate tables on a cluster; "
        "unset: keep them in Spark's memory (local mode)",
    )
    spark_conf: dict[str, str] = Field(default_factory=dict, description="extra Spark settings")


class PipelineParams(_Strict):
    """``params/pipeline.yaml``. Paths are relative to the workspace root."""

    profile: str = "aviation"
    input_dir: str = "data/samples"
    interim_dir: str = "data/interim"
    refined_dir: str = "data/refined"
    metrics_dir: str = "data/metrics"
    plots_dir: str = "data/plots"
    runs_dir: str = "runs"
    samples: Samples = Samples()
    evidence: Evidence = Evidence()
    lineage: Lineage = Lineage()
    runner: Runner = Runner()
    resolve: Engine = Engine()


SECTIONS: dict[str, type[BaseModel]] = {
    "samples": Samples,
    "evidence": Evidence,
    "lineage": Lineage,
    "runner": Runner,
    "resolve": Engine,
}
"""The nested sections, by key."""


def parse_params(
    data: dict[str, Any] | None, source: str = "pipeline parameters"
) -> PipelineParams:
    """Validate a params mapping; a :class:`ConfigError` names the key and a close one."""
    try:
        return PipelineParams.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(_explain(err) for err in exc.errors())
        raise ConfigError(f"invalid {source}: {problems}") from None


def load_params(path: Path | str | None, **overrides: Any) -> PipelineParams:
    """Read a params file (absent: every default) and apply ``overrides``; a nested
    override (a dict) changes only the keys it names, ``None`` changes nothing."""
    data: dict[str, Any] = {}
    source = "pipeline parameters"
    if path is not None and Path(path).is_file():
        source = str(path)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path}: expected a mapping of parameters, got {type(data).__name__}"
            )
    for key, value in overrides.items():
        if isinstance(value, dict):
            data[key] = {**(data.get(key) or {}), **value}
        elif value is not None:
            data[key] = value
    return parse_params(data, source)


def _explain(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    message = f"{loc}: {err['msg']}"
    if err.get("type") == "extra_forbidden":
        section = SECTIONS.get(str(err["loc"][0])) if len(err["loc"]) > 1 else PipelineParams
        known = sorted((section or PipelineParams).model_fields)
        close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
    return message
