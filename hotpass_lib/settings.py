"""The pipeline's settings: typed params (:mod:`hotpass_lib.params`) resolved against a
workspace root, and each stage's inputs and outputs on disk (from :mod:`hotpass_lib.stages`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .params import PipelineParams, load_params
from .resources import profiles_dir
from .stages import PROFILES, Stage, expand, stage


@dataclass(frozen=True)
class Settings:
    """Pipeline parameters (``params/pipeline.yaml``) resolved against a workspace root."""

    root: Path
    profile: str
    input_dir: Path
    interim_dir: Path
    refined_dir: Path
    runs_dir: Path
    metrics_dir: Path
    plots_dir: Path
    mask_pii: bool
    show_code: bool
    kernel: str
    cell_timeout_s: int
    params: dict[str, Any] = field(default_factory=dict)
    """The full params, every default filled in (as recorded in the manifest)."""
    config: PipelineParams = field(default_factory=PipelineParams)

    @classmethod
    def load(
        cls, root: Path | str = ".", params_file: Path | str | None = None, **overrides: Any
    ) -> Settings:
        """Read the params file (default ``<root>/params/pipeline.yaml``; absent: the
        defaults) and apply ``overrides``; a nested override changes only the keys it names."""
        root = Path(root).resolve()
        path = Path(params_file) if params_file else root / "params" / "pipeline.yaml"
        if params_file and not path.is_file():
            from .errors import ConfigError

            raise ConfigError(f"params file {path} does not exist. Fix: check --params.")
        config = load_params(path, **overrides)

        def where(value: str) -> Path:
            return (root / value).resolve()

        return cls(
            root=root,
            profile=_profile_ref(root, config.profile),
            input_dir=where(config.input_dir),
            interim_dir=where(config.interim_dir),
            refined_dir=where(config.refined_dir),
            runs_dir=where(config.runs_dir),
            metrics_dir=where(config.metrics_dir),
            plots_dir=where(config.plots_dir),
            mask_pii=config.evidence.mask_pii,
            show_code=config.evidence.show_code,
            kernel=config.runner.kernel,
            cell_timeout_s=config.runner.cell_timeout_s,
            params=config.model_dump(mode="json"),
            config=config,
        )

    @property
    def tracking_uri(self) -> str:
        """MLflow's SQLite store under ``runs/`` (absolute, as MLflow 3 requires)."""
        return f"sqlite:///{self.runs_dir / 'mlflow.db'}"

    @property
    def profile_path(self) -> Path:
        """The profile file the stages load (the workspace's own, or a bundled one)."""
        path = Path(self.profile)
        return path if path.suffix in {".yaml", ".yml"} else profiles_dir() / f"{path}.yaml"

    def _paths(self) -> dict[str, str]:
        return {
            key: str(getattr(self, key))
            for key in ("input_dir", "interim_dir", "refined_dir", "plots_dir", "metrics_dir")
        }

    def _path(self, declared: str) -> Path:
        if declared == PROFILES:
            return self.profile_path
        return (self.root / expand(declared, self._paths())).resolve()

    def stage_io(self, name: str) -> tuple[list[Path], list[Path]]:
        """The files and folders a stage reads and writes, as the registry declares them."""
        spec: Stage = stage(name)
        inputs = [self.input_dir] if spec.reads_input_dir else []
        inputs += [self.interim_dir / upstream for upstream in spec.reads]
        inputs += [self._path(f) for f in spec.files]
        inputs += [p for p in map(self._path, spec.optional_files) if p.exists()]
        outputs = [self._path(spec.out), *map(self._path, spec.extra_outs)]
        return inputs, outputs

    def lineage_inputs(self, name: str) -> list[Path]:
        """The files a stage reads, as its lineage inputs: the workbooks in the input folder,
        the tables it reads (each the file an earlier stage wrote) and its other files."""
        from .read import spreadsheets

        spec: Stage = stage(name)
        files = (
            spreadsheets(self.input_dir) if spec.reads_input_dir and self.input_dir.is_dir() else []
        )
        files += [
            self.table_dir(upstream) / f"{table}.parquet"
            for upstream, tables in spec.reads.items()
            for table in tables
        ]
        files += [self._path(f) for f in spec.files]
        files += [p for p in map(self._path, spec.optional_files) if p.exists()]
        return files

    def table_dir(self, name: str) -> Path:
        """The folder stage ``name`` writes its tables to."""
        return self._path(stage(name).out)

    def notebook_parameters(self, run_dir: Path) -> dict[str, Any]:
        """Every parameter a stage notebook may declare; each takes those it declares."""
        return {
            "profile": self.profile,
            "input_dir": str(self.input_dir),
            "interim_dir": str(self.interim_dir),
            "refined_dir": str(self.refined_dir),
            "run_dir": str(run_dir),
            "plots_dir": str(self.plots_dir),
            "decisions_file": str(self.root / "params" / "review_decisions.yaml"),
            "mask_pii": self.mask_pii,
            "resolve": self.config.resolve.model_dump(mode="json"),
        }


def _profile_ref(root: Path, name: str) -> str:
    """A workspace's own profile (``params/profiles/<name>.yaml``) wins over a bundled one."""
    own = root / "params" / "profiles" / f"{name}.yaml"
    return str(own) if own.is_file() and own.parent.resolve() != profiles_dir() else name
