"""``dvc.yaml`` generated from the stage registry (:mod:`hotpass_lib.stages`).

Two forms: the repository's (a ``samples`` stage first; each stage depends on its
notebook and on the library modules it imports, found by following the imports) and a
workspace's, written by ``hotpass init`` (the notebooks and library are the installed
package's, so only the workspace's own files are deps). ``hotpass pipeline --write``
regenerates the file; ``hotpass pipeline --check`` (run in CI) fails when it is stale.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

from .params import PipelineParams
from .resources import CHECKOUT, in_checkout
from .stages import EXPECTATIONS, STAGES, Stage
from .stages import expand as _expand

PACKAGE = "hotpass_lib"
SHIPPED = (EXPECTATIONS,)
"""Declared files a workspace does not hold (they are installed with the package)."""
REPO_HEADER = """\
# The Hotpass pipeline, generated from the stage registry (hotpass_lib/stages.py) by
# `hotpass pipeline --write`; CI fails when it is stale (`hotpass pipeline --check`).
# Each stage runs one notebook through the runner (hotpass stage NAME); `make run` wraps
# `dvc repro` so all stages of one repro share a run folder under runs/.
"""
WORKSPACE_HEADER = """\
# Hotpass pipeline for this workspace: `dvc repro` runs the stages that changed.
# Generated from Hotpass's stage registry; refresh with `hotpass pipeline --write`.
"""


def _imports(tree: ast.AST, module: str) -> set[str]:
    """``hotpass_lib`` modules that ``tree`` (the source of ``module``) imports, anywhere."""
    found: set[str] = set()
    package = module.rpartition(".")[0] if module else PACKAGE
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PACKAGE + ".")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([package, *([base] if base else [])])
            if base != PACKAGE and not base.startswith(PACKAGE + "."):
                continue
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def _source(module: str, root: Path) -> Path | None:
    path = root / (module.replace(".", "/") + ".py")
    return path if path.is_file() and path.name != "__init__.py" else None


def library_modules(code: list[str], root: Path = CHECKOUT) -> list[str]:
    """The library files (``hotpass_lib/<module>.py``) that ``code`` imports, directly or
    through other library modules, sorted."""
    todo = set().union(*(_imports(ast.parse(c), "") for c in code)) if code else set()
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        path = _source(module, root)
        if module in seen or path is None:
            continue
        seen.add(module)
        todo |= _imports(ast.parse(path.read_text(encoding="utf-8")), module) - seen
    return sorted(str(_source(m, root).relative_to(root)) for m in seen)  # type: ignore[union-attr]


def notebook_code(path: Path) -> list[str]:
    """The code cells of a notebook that parse as Python (magics skipped)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            try:
                ast.parse(source)
            except SyntaxError:
                continue
            code.append(source)
    return code


def expand(path: str, values: dict[str, str]) -> str:
    """A declared path with the params' values in, normalised (``./x`` is ``x``)."""
    return os.path.normpath(_expand(path, values))


def _values(params: PipelineParams) -> dict[str, str]:
    return {
        key: str(Path(getattr(params, key)))
        for key in ("input_dir", "interim_dir", "refined_dir", "metrics_dir", "plots_dir")
    }


def _list(items: list[str], indent: int = 6) -> str:
    return "".join(f"{' ' * indent}- {item}\n" for item in items)


def _params(keys: tuple[str, ...]) -> str:
    return "    params:\n      - params/pipeline.yaml:\n" + _list(list(keys), 10)


def _stage(
    spec: Stage, params: PipelineParams, root: Path, repo: bool, workbooks: list[str] | None
) -> str:
    values = _values(params)
    deps: list[str] = []
    if repo:
        notebook = f"notebooks/{spec.notebook}"
        deps += [notebook, *library_modules(notebook_code(root / notebook), root)]
    deps += [f for f in spec.files if repo or f not in SHIPPED]
    if spec.reads_input_dir:
        deps += workbooks if workbooks is not None else [values["input_dir"]]
    deps += [expand(f"{{interim_dir}}/{upstream}", values) for upstream in spec.reads]
    for optional in spec.optional_files:
        path = expand(optional, values)
        if repo or (root / path).exists():
            deps.append(path)
    text = f"  {spec.name}:\n    cmd: hotpass stage {spec.name}\n    deps:\n" + _list(deps)
    text += _params(spec.params)
    # persist: DVC keeps the last outputs in place while the stage runs (by default it
    # deletes them first); the stage swaps its new folder in atomically when it succeeds,
    # so a failed or killed stage leaves the previous outputs (the last SSOT) intact
    text += f"    outs:\n      - {expand(spec.out, values)}:\n          persist: true\n"
    metrics = f"{values['metrics_dir']}/{spec.name}.json"
    text += f"    metrics:\n      - {metrics}:\n          cache: false\n"
    if spec.plots:
        text += "    plots:\n"
        for path, props in spec.plots.items():
            text += f"      - {expand(path, values)}:\n          cache: false\n"
            text += "".join(f"          {k}: {v}\n" for k, v in props.items())
    return text


def _samples_stage(params: PipelineParams, root: Path) -> str:
    input_dir = _values(params)["input_dir"]
    deps = library_modules([f"import {PACKAGE}.samples"], root)
    return (
        f"  samples:\n    cmd: hotpass samples {input_dir}\n    deps:\n"
        + _list(deps)
        + _params(("samples",))
        + "    outs:\n"
        + _list([input_dir])
    )


def render(
    params: PipelineParams, root: Path, repo: bool, workbooks: list[str] | None = None
) -> str:
    """The text of ``dvc.yaml``: the repository's (``repo``) or a workspace's. A workspace
    whose input folder is itself lists its ``workbooks`` one by one (depending on the
    workspace folder would include the pipeline's own outputs)."""
    parts = [_samples_stage(params, root)] if repo else []
    parts += [_stage(s, params, root, repo, workbooks) for s in STAGES]
    return (REPO_HEADER if repo else WORKSPACE_HEADER) + "stages:\n" + "\n".join(parts)


def is_repository(root: Path) -> bool:
    """Whether ``root`` is the Hotpass source checkout (else: a workspace)."""
    return in_checkout() and root.resolve() == CHECKOUT


def expected(root: Path, params: PipelineParams) -> str:
    """What ``<root>/dvc.yaml`` should hold, from the registry and the workspace's params."""
    from .read import spreadsheets

    repo = is_repository(root)
    workbooks = None
    if not repo and Path(params.input_dir) == Path("."):
        workbooks = [p.name for p in spreadsheets(root)]
    return render(params, root, repo, workbooks)


def drift(root: Path, params: PipelineParams) -> bool:
    """Whether ``<root>/dvc.yaml`` is missing or differs from :func:`expected`."""
    path = root / "dvc.yaml"
    return not path.is_file() or path.read_text(encoding="utf-8") != expected(root, params)


def write(root: Path, params: PipelineParams) -> Path:
    """Write ``<root>/dvc.yaml`` from the registry."""
    from .atomic import write_text

    write_text(root / "dvc.yaml", expected(root, params))
    return root / "dvc.yaml"


def _paths(entries: list[str | dict[str, object]]) -> list[Path]:
    """The paths of a stage's ``deps`` or ``outs`` (an entry may be ``{path: options}``)."""
    return [Path(e if isinstance(e, str) else next(iter(e))) for e in entries]


def stage_order(root: Path) -> list[str]:
    """The stages ``<root>/dvc.yaml`` declares, each after the stages whose outputs it
    reads (file order among independent ones): what an orchestrator runs, read from the
    file DVC runs rather than restated."""
    import yaml

    from .errors import ConfigError

    path = root / "dvc.yaml"
    try:
        stages = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stages") or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"cannot read {path}: {exc}. Fix: run `hotpass pipeline --write`."
        ) from None
    outs = {name: _paths(stage.get("outs", [])) for name, stage in stages.items()}

    def reads(dep: Path, out: Path) -> bool:
        return dep == out or out in dep.parents or dep in out.parents

    waiting = {
        name: {
            other
            for other, made in outs.items()
            if other != name
            and any(reads(d, o) for d in _paths(stage.get("deps", [])) for o in made)
        }
        for name, stage in stages.items()
    }
    order: list[str] = []
    while waiting:
        ready = [name for name, before in waiting.items() if before <= set(order)]
        if not ready:
            raise ConfigError(f"{path}: the stages {sorted(waiting)} depend on each other")
        order.append(ready[0])
        del waiting[ready[0]]
    return order
