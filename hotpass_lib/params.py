"""The pipeline's parameters (``params/pipeline.yaml``) as one typed, strict model.

Every default is stated here, once: a workspace's file may name only what it changes.
Unknown keys are rejected with a "did you mean" (as profiles are); errors are
:class:`~hotpass_lib.errors.ConfigError`.
"""

from __future__ import annotations

import difflib
import io
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
    """Where OpenLineage events go: always ``runs/<id>/lineage.jsonl``, and also ``url`` (e.g.
    Marquez) when set, each event within ``timeout_s`` (the first failure stops sending)."""

    url: str | None = None
    timeout_s: float = Field(default=3.0, gt=0, le=60, description="seconds per HTTP event")


class Telemetry(_Strict):
    """OpenTelemetry traces (:mod:`hotpass_lib.telemetry`): ``off``; ``file``, OTLP/JSON in
    ``runs/<id>/trace.otlp.jsonl``; ``otlp``, to ``OTEL_EXPORTER_OTLP_ENDPOINT``.
    ``HOTPASS_TELEMETRY`` in the environment wins."""

    exporter: Literal["off", "file", "otlp"] = "off"

    @field_validator("exporter", mode="before")
    @classmethod
    def _yaml_off(cls, value: object) -> object:
        return "off" if value is False else value  # YAML 1.1 reads a bare `off` as false


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
    telemetry: Telemetry = Telemetry()
    resolve: Engine = Engine()


SECTIONS: dict[str, type[BaseModel]] = {
    "samples": Samples,
    "evidence": Evidence,
    "lineage": Lineage,
    "runner": Runner,
    "telemetry": Telemetry,
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


def _nested(overrides: dict[str, Any]) -> dict[str, Any]:
    """``{"resolve.threads": 1}`` and ``{"resolve": {"threads": 1}}`` alike, as nested dicts."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        *parents, leaf = str(key).split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        if isinstance(value, dict):
            node.setdefault(leaf, {}).update(_nested(value))
        else:
            node[leaf] = value
    return out


def set_params(path: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """Write ``overrides`` into the params file, as ``dvc exp run --set-param`` does, so DVC
    sees the change, re-runs the stages that read it and records it in ``dvc.lock``.

    Keys may be dotted (``resolve.threads``) or nested. The result is validated before
    anything is written (a :class:`ConfigError` leaves the file as it was); comments and
    key order are kept. Returns the changed keys with their new values, dotted."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    from .atomic import write_text

    changes = _nested(overrides)
    rt = YAML()
    rt.preserve_quotes = True
    rt.representer.add_representer(  # keep `null` written as such, not as an empty value
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    document = (rt.load(text) if text.strip() else None) or CommentedMap()
    changed: dict[str, Any] = {}

    def merge(node: Any, update: dict[str, Any], prefix: str) -> None:
        for key, value in update.items():
            if isinstance(value, dict):
                if not isinstance(node.get(key), dict):
                    node[key] = CommentedMap()
                merge(node[key], value, f"{prefix}{key}.")
            elif node.get(key) != value:
                node[key] = value
                changed[f"{prefix}{key}"] = value

    merge(document, changes, "")
    stream = io.StringIO()
    rt.dump(document, stream)
    parse_params(
        yaml.safe_load(stream.getvalue()) or {}, f"{path} with {', '.join(_dotted(changes))}"
    )
    if changed:
        write_text(path, stream.getvalue())
    return changed


def _dotted(tree: dict[str, Any], prefix: str = "") -> list[str]:
    return [
        k
        for key, value in tree.items()
        for k in (
            _dotted(value, f"{prefix}{key}.") if isinstance(value, dict) else [f"{prefix}{key}"]
        )
    ]
