"""The ``hotpass`` command.

Exit codes: 0 success; 1 a stage or check failed (the message points at the evidence or
the fix); 2 bad input, configuration or usage, or an output that cannot be written (the
message names what to fix); 75 another run is using the workspace (try again later, or
pass ``--wait``); 130 interrupted (nothing partial is left).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import runner, telemetry
from .errors import HotpassError, UsageError
from .settings import Settings
from .stages import NAMES as STAGE_NAMES

if TYPE_CHECKING:
    from .kernels import KernelZygote

app = typer.Typer(
    help="Hotpass: refine messy workbooks into one governed SSOT.",
    no_args_is_help=True,
    add_completion=False,
)
contracts_app = typer.Typer(
    help="Data contracts: JSON Schema and reference exports.", no_args_is_help=True
)
evidence_app = typer.Typer(
    help="Run evidence: list runs, open one, verify its hashes.", no_args_is_help=True
)
app.add_typer(contracts_app, name="contracts")
app.add_typer(evidence_app, name="evidence")


def _console(stderr: bool = True) -> Console:
    """A console that never hard-wraps when its output is not a terminal (a log keeps
    file names and paths whole) and highlights nothing; user data printed through it is
    escaped (:func:`_q`), so brackets in names or patterns are never taken as markup."""
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(stderr=stderr, soft_wrap=not tty, width=None if tty else 1000, highlight=False)


def _q(value: object) -> str:
    """User data (paths, names, messages) safe to print: markup escaped."""
    return escape(str(value))


console = _console()
STATE = {"debug": False}
BUSY = 75
"""Exit code when another run holds the workspace (``EX_TEMPFAIL``: try again later)."""

ParamsOption = Annotated[
    Path | None, typer.Option(help="params file (default: params/pipeline.yaml)")
]
WaitOption = Annotated[
    bool,
    typer.Option(
        "--wait", help="if another run is using this workspace, wait for it instead of stopping"
    ),
]
RunArgument = Annotated[
    str, typer.Argument(help="a run id (see `hotpass evidence list`) or its folder")
]


class UserError(UsageError):
    """A problem the user can fix; printed as one line, exit code 2."""


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="show Python tracebacks")] = False,
) -> None:
    """Hotpass: refine messy workbooks into one governed SSOT."""
    STATE["debug"] = debug


def _settings(params: Path | None, **overrides: object) -> Settings:
    return Settings.load(Path.cwd(), params, **overrides)


# --- set-up -----------------------------------------------------------------------------


def _workspace_dvc(input_dir: str, workbooks: list[str]) -> str:
    """A dvc.yaml for a workspace, from the stage registry (:mod:`hotpass_lib.dvcfile`);
    workbooks beside it are listed one by one (depending on the workspace folder itself
    would include the pipeline's own outputs)."""
    from .dvcfile import render
    from .params import PipelineParams

    params = PipelineParams(input_dir=input_dir)
    return render(params, Path.cwd(), repo=False, workbooks=workbooks if input_dir == "." else None)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="workspace to create")] = Path("."),
    input_dir: Annotated[Path, typer.Option(help="folder of your workbooks")] = Path("."),
    profile: Annotated[
        str | None, typer.Option(help="a bundled profile; default: draft one")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite existing files")] = False,
    name_column: Annotated[
        str | None,
        typer.Option(help="header of the column naming each organisation (default: inferred)"),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(help="country of the data, e.g. US, GB, ZA (default: inferred from phones)"),
    ] = None,
) -> None:
    """Scaffold a workspace for your workbooks; draft a profile from them if none is given."""
    from .draft import draft_profile
    from .params import PipelineParams
    from .resources import decisions_template, profiles_dir

    bundled = profiles_dir()

    directory = directory.resolve()
    inputs = (directory / input_dir).resolve() if not input_dir.is_absolute() else input_dir
    if not inputs.is_dir():
        raise UserError(f"input folder {inputs} does not exist. Fix: pass --input-dir.")
    name = profile or "draft"
    targets = [
        directory / "params" / "pipeline.yaml",
        directory / "params" / "profiles" / f"{name}.yaml",
        directory / "dvc.yaml",
    ]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise UserError(
            f"{', '.join(str(t) for t in existing)} already exist. Fix: pass --force "
            "to overwrite, or init another directory."
        )
    if profile:
        if not (bundled / f"{profile}.yaml").is_file():
            raise UserError(
                f"no bundled profile {profile!r}; bundled: "
                f"{sorted(p.stem for p in bundled.glob('*.yaml'))}"
            )
        text = (bundled / f"{profile}.yaml").read_text(encoding="utf-8")
        drafts: list[Any] = []
    else:
        if region and (len(region) != 2 or not region.isalpha()):
            raise UserError(f"--region {region!r} is not a two-letter country code, e.g. US.")
        text, drafts = draft_profile(inputs, name, name_column, region)
    try:
        rel_input = os.path.relpath(inputs, directory)
    except ValueError:
        rel_input = str(inputs)
    params = PipelineParams(profile=name, input_dir=rel_input).model_dump(mode="json")
    for folder in ("params/profiles", "data/interim", "data/refined", "data/metrics", "runs"):
        (directory / folder).mkdir(parents=True, exist_ok=True)
    targets[0].write_text(
        "# Hotpass pipeline parameters for this workspace.\n"
        + yaml.safe_dump(params, sort_keys=False),
        encoding="utf-8",
    )
    targets[1].write_text(text, encoding="utf-8")
    decisions = directory / "params" / "review_decisions.yaml"
    if not decisions.is_file():
        shutil.copyfile(decisions_template(), decisions)
    from .dvcfile import write

    write(directory, PipelineParams.model_validate(params))
    if not any((p / ".dvc").is_dir() for p in (directory, *directory.parents)):
        in_git = (
            subprocess.run(
                ["git", "rev-parse"], cwd=directory, capture_output=True, check=False
            ).returncode
            == 0
        )
        subprocess.run(
            [sys.executable, "-m", "dvc", "init", "-q", *([] if in_git else ["--no-scm"])],
            cwd=directory,
            check=True,
            env=runner.offline_env(),
        )
    console.print(f"[bold]Workspace ready[/bold] in {_q(directory)}")
    if drafts:
        table = Table("workbook", "sheet", "kind", "mapped fields")
        for d in drafts:
            table.add_row(
                _q(d.file),
                _q(d.sheet),
                d.kind or f"not read ({_q(d.reason)})",
                ", ".join(sorted(d.columns)) if d.kind else "",
            )
        _console().print(table)
        console.print(f"Drafted profile: {_q(targets[1])} (check the mappings and priorities).")
    console.print("Next: `hotpass doctor`, then `hotpass run`.")


@app.command()
def doctor(
    params: ParamsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Check that this workspace can run, and say how to fix what cannot."""
    from .doctor import diagnose

    checks = diagnose(_settings(params))
    if as_json:
        print(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        table = Table("", "check", "found", "fix")
        for c in checks:
            table.add_row(
                "[green]ok[/green]" if c.ok else "[red]FAIL[/red]",
                _q(c.name),
                _q(c.detail),
                _q(c.fix),
            )
        _console(stderr=False).print(table)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


# --- running ----------------------------------------------------------------------------


def _preflight(settings: Settings) -> None:
    """Fail fast, before starting a kernel, on what a person can fix."""
    from .kernels import ensure_kernel
    from .profile import load_profile
    from .resolve import backend_problem

    if not settings.input_dir.is_dir():
        raise UserError(
            f"input folder {settings.input_dir} does not exist. "
            "Fix: pass --input-dir with a folder of workbooks."
        )
    from .ingest import find_sources

    profile = load_profile(settings.profile)
    if not find_sources(settings.input_dir, profile)[0]:
        raise UserError(
            f"no workbook in {settings.input_dir} matches profile {profile.name!r} "
            f"(patterns: {[s.files for s in profile.sources]}), by name or by its sheets "
            "and headers. Fix: check --input-dir and --profile, or draft one with "
            "`hotpass init`."
        )
    from .atomic import ensure_writable

    for name in STAGE_NAMES:
        for out in settings.stage_io(name)[1]:
            ensure_writable(out)
    ensure_writable(settings.runs_dir)
    problem = backend_problem(settings.config.resolve)
    if problem:
        raise UserError(problem)
    if not ensure_kernel(settings.kernel):
        raise UserError(
            f"Jupyter kernel {settings.kernel!r} is not registered. "
            "Fix: run `hotpass doctor` (or `make setup`)."
        )


def _lock(settings: Settings, run_id: str, command: str, wait: bool) -> Any:
    """The workspace lock for a command (:mod:`hotpass_lib.workspace`)."""
    from .workspace import workspace_lock

    def waiting(holder: str) -> None:
        console.print(f"[yellow]waiting:[/yellow] this workspace is in use by {_q(holder)}")

    return workspace_lock(settings, run_id, command, wait, waiting)


def _interrupted() -> typer.Exit:
    """Say what Ctrl-C left behind (nothing partial) and how to go on; exit code 130."""
    console.print(
        "[yellow]interrupted:[/yellow] outputs are renamed into place only when "
        "complete, so nothing partial was left. Run the same command again to resume."
    )
    return typer.Exit(130)


def _summary(settings: Settings, run_id: str) -> None:
    from .evidence import list_runs

    run = next((r for r in list_runs(settings.runs_dir) if r["run_id"] == run_id), None)
    counts = ("rows_read", "organisations_out", "rows_quarantined", "review_pairs")
    if run and all(run[k] is not None for k in counts):  # a one-stage run lacks some
        console.print(
            f"[bold]{run['rows_read']:,}[/bold] rows read → "
            f"[bold]{run['organisations_out']:,}[/bold] organisations; "
            f"{run['rows_quarantined']} quarantined; {run['review_pairs']} queued for review"
        )
    console.print(f"[bold]SSOT:[/bold]      {_q(settings.refined_dir)}")
    console.print(
        f"[bold]Evidence:[/bold]  {_q(settings.runs_dir / run_id)}  "
        f"(open {_q(settings.runs_dir / 'index.html')})"
    )
    console.print(
        f"[bold]MLflow:[/bold]    mlflow ui --backend-store-uri {_q(settings.tracking_uri)}"
    )


@app.command()
def run(
    input_dir: Annotated[Path | None, typer.Option(help="folder of workbooks")] = None,
    profile: Annotated[str | None, typer.Option(help="profile name or YAML path")] = None,
    params: ParamsOption = None,
    stage: Annotated[str | None, typer.Option(help=f"run one stage: {list(STAGE_NAMES)}")] = None,
    backend: Annotated[
        str | None,
        typer.Option(help="where entity resolution runs: duckdb or spark (resolve.backend)"),
    ] = None,
    wait: WaitOption = False,
) -> None:
    """Run the pipeline (the runner `dvc repro` uses) on a folder of workbooks, here."""
    settings = _settings(
        params,
        profile=profile,
        input_dir=str(input_dir.resolve()) if input_dir else None,
        resolve={"backend": backend} if backend else None,
    )
    if input_dir is None and not settings.input_dir.exists() and settings.profile == "aviation":
        from .samples import write_samples

        cfg = settings.config.samples
        write_samples(settings.input_dir, cfg.n_orgs, cfg.seed)
        console.print(f"no input folder: wrote the bundled samples to {_q(settings.input_dir)}")
    if stage is not None and stage not in STAGE_NAMES:
        raise UserError(f"unknown stage {stage!r}. Fix: use one of {list(STAGE_NAMES)}.")
    stages = [stage] if stage else list(STAGE_NAMES)
    # Kernels are forked from a zygote that imports every stage's libraries once (it starts
    # importing while the checks run); the next stage's kernel starts while the current
    # stage runs; MLflow logs in the background.
    zygote = runner.start_zygote(stages, settings)
    try:
        _preflight(settings)
    except BaseException:
        if zygote:
            zygote.shutdown()
        raise
    run_id = runner.new_run_id()
    try:
        with _lock(settings, run_id, "hotpass run" + (f" --stage {stage}" if stage else ""), wait):
            _run_stages(settings, stages, run_id, zygote)
    finally:
        if zygote:
            runner.wait_for_kernels()  # stopped before the zygote, which collects them
            zygote.shutdown()
    _summary(settings, run_id)


def _run_stages(
    settings: Settings, stages: list[str], run_id: str, zygote: KernelZygote | None
) -> None:
    """Run ``stages`` in order under one run id, with a progress bar per stage."""
    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cells"),
        TimeElapsedColumn(),
    )
    # The run's span opens before the kernels start: they inherit the trace context.
    with telemetry.run(settings, run_id, {"hotpass.stages": ",".join(stages)}):
        warm = runner.warm_kernel(stages[0], settings, zygote)
        runner.track_in_background()
        try:
            with Progress(*columns, console=console, transient=False) as bar:
                tasks = {s: bar.add_task(s, total=None, start=False) for s in stages}

                def report(name: str, done: int, total: int) -> None:
                    bar.start_task(tasks[name])
                    bar.update(tasks[name], completed=done, total=total)

                for i, name in enumerate(stages):
                    current = warm
                    following = stages[i + 1] if i + 1 < len(stages) else None
                    warm = runner.warm_kernel(following, settings, zygote) if following else None
                    try:
                        record = runner.run_stage(name, settings, run_id, report, kernel=current)
                    except runner.StageFailed as exc:
                        bar.stop()
                        console.print(f"[red]{_q(exc)}[/red]")
                        raise typer.Exit(1) from None
                    except KeyboardInterrupt:
                        bar.stop()
                        raise _interrupted() from None
                    total = bar.tasks[tasks[name]].total or 1
                    bar.update(
                        tasks[name],
                        completed=total,
                        total=total,
                        description=f"{name} ✓ {record['duration_s']:.0f}s",
                    )
        finally:
            if warm:
                warm.shutdown(wait=False)
            runner.finish_background()


@app.command()
def stage(
    name: Annotated[str, typer.Argument(help=f"one of {list(STAGE_NAMES)}")],
    params: ParamsOption = None,
    wait: WaitOption = False,
) -> None:
    """Run one stage notebook through the runner (this is what dvc.yaml calls)."""
    from .kernels import ensure_kernel

    settings = _settings(params)
    ensure_kernel(settings.kernel)
    run_id = runner.current_run_id(settings)
    runner.track_in_background()  # MLflow imports while the notebook runs
    try:
        with _lock(settings, run_id, f"hotpass stage {name}", wait):
            record = runner.run_stage(name, settings, run_id)
    except runner.StageFailed as exc:
        console.print(f"[red]{_q(exc)}[/red]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise _interrupted() from None
    finally:
        runner.finish_background()
    console.print(
        f"{name}: {record['status']} in {record['duration_s']:.1f}s -> {_q(record['html'])}"
    )


def _assignment(text: str) -> tuple[str, object]:
    """``resolve.threads=1`` as a key and a YAML value (``1``, ``true``, ``null``, text)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"--set {text!r}: expected KEY=VALUE. Fix: e.g. --set resolve.threads=1")
    return key.strip(), yaml.safe_load(value) if value.strip() else None


@app.command()
def pipeline(
    check: Annotated[
        bool, typer.Option(help="only check dvc.yaml matches the stage registry (exit 1 if not)")
    ] = False,
    write: Annotated[
        bool, typer.Option(help="regenerate dvc.yaml from the stage registry")
    ] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE written into params/pipeline.yaml first, as `dvc exp run "
            "--set-param` does (e.g. resolve.threads=1); repeatable",
        ),
    ] = None,
    params: ParamsOption = None,
    wait: WaitOption = False,
) -> None:
    """Run `dvc repro` (the stages that changed) under one run id, then say where things are.

    With --write, regenerate dvc.yaml from the stage registry; with --check, fail if it is
    stale (CI runs this)."""
    from . import dvcfile

    settings = _settings(params)
    if check or write:
        if write:
            console.print(f"wrote {_q(dvcfile.write(settings.root, settings.config))}")
        elif dvcfile.drift(settings.root, settings.config):
            console.print(
                f"[red]{_q(settings.root / 'dvc.yaml')} is out of date with the stage "
                "registry.[/red] Fix: run `hotpass pipeline --write` and commit dvc.yaml."
            )
            raise typer.Exit(1)
        else:
            console.print("dvc.yaml matches the stage registry")
        return
    if set_:
        from .params import set_params

        path = params or Path.cwd() / "params" / "pipeline.yaml"
        changed = set_params(path, dict(_assignment(a) for a in set_))
        console.print(f"{_q(path)}: {changed or 'unchanged'}")
        settings = _settings(params)
    if dvcfile.drift(settings.root, settings.config):
        console.print(
            "[yellow]warning:[/yellow] dvc.yaml differs from the stage registry; "
            "`hotpass pipeline --write` regenerates it."
        )
    run_id = runner.new_run_id()
    with (
        _lock(settings, run_id, "hotpass pipeline", wait),  # its stages run inside this hold
        telemetry.run(settings, run_id, {"hotpass.command": "dvc repro"}) as current,
    ):
        env = {  # read inside the span: DVC and the stages join the run's trace
            **runner.offline_env(),
            "HOTPASS_RUN_ID": run_id,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        dvc = shutil.which("dvc", path=env["PATH"]) or "dvc"
        code = subprocess.call([dvc, "repro"], env=env, cwd=settings.root)
        if current is not None:
            current.set_attribute("hotpass.exit_code", code)
    if code:
        raise typer.Exit(code)
    if not (settings.runs_dir / run_id / "manifest.json").exists():
        runs = sorted(p.parent.name for p in settings.runs_dir.glob("*/manifest.json"))
        console.print("Nothing changed: dvc ran no stage; the latest run's evidence stands.")
        run_id = runs[-1] if runs else run_id
    _summary(settings, run_id)


@app.command()
def samples(
    out_dir: Annotated[Path, typer.Argument(help="folder for the workbooks")] = Path(
        "data/samples"
    ),
    n_orgs: Annotated[int | None, typer.Option(help="real organisations (default: params)")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default: params)")] = None,
    params: ParamsOption = None,
) -> None:
    """Write the three synthetic sample workbooks and their ground truth."""
    from .samples import write_samples

    cfg = _settings(params).config.samples
    result = write_samples(out_dir, n_orgs or cfg.n_orgs, cfg.seed if seed is None else seed)
    console.print(
        f"wrote {len(result.files)} workbooks and {result.ground_truth.name} to {out_dir}"
    )


# --- contracts and evidence -------------------------------------------------------------


@contracts_app.command("export")
def contracts_export(
    check: Annotated[bool, typer.Option(help="only check the committed files are current")] = False,
) -> None:
    """Write contracts/<table>.schema.json and contracts/reference.md from the models."""
    from . import contracts

    if check:
        stale = contracts.drift()
        if stale:
            console.print(
                f"[red]contract exports out of date:[/red] {stale}. "
                "Fix: run `hotpass contracts export` and commit the files."
            )
            raise typer.Exit(1)
        console.print("contract exports are current")
        return
    for path in contracts.write_exports():
        console.print(f"wrote {_q(path)}")


@evidence_app.command("list")
def evidence_list(params: ParamsOption = None) -> None:
    """List runs, newest first, with their headline numbers."""
    from .evidence import list_runs

    runs = list_runs(_settings(params).runs_dir)
    if not sys.stdout.isatty():  # for pipes and scripts: one tab-separated line per run
        for r in runs:
            print(
                "\t".join(
                    str(r[k] if r[k] is not None else "")
                    for k in (
                        "run_id",
                        "status",
                        "rows_read",
                        "organisations_out",
                        "rows_quarantined",
                        "review_pairs",
                    )
                )
            )
        return
    table = Table("run", "status", "rows read", "organisations", "quarantined", "review pairs")
    for r in runs:
        table.add_row(
            r["run_id"],
            r["status"],
            *(
                str(r[k] if r[k] is not None else "")
                for k in ("rows_read", "organisations_out", "rows_quarantined", "review_pairs")
            ),
        )
    _console(stderr=False).print(table if runs else "no runs yet: `hotpass run` makes one")


@evidence_app.command("open")
def evidence_open(run: RunArgument, params: ParamsOption = None) -> None:
    """Print the paths of a run's HTML evidence (and open it in a browser where one exists)."""
    import webbrowser

    from .evidence import resolve_run

    folder = resolve_run(run, _settings(params).runs_dir)
    pages = sorted(folder.glob("*.html"))
    for page in pages:
        print(page)
    if pages and os.environ.get("DISPLAY"):
        webbrowser.open(pages[-1].as_uri())


@evidence_app.command("verify")
def evidence_verify(run: RunArgument, params: ParamsOption = None) -> None:
    """Re-hash a run's inputs, outputs and evidence; exit 1 on any mismatch."""
    from .evidence import resolve_run, verify

    folder = resolve_run(run, _settings(params).runs_dir)
    problems = verify(folder)
    if problems:
        for line in problems:
            console.print(f"[red]{_q(line)}[/red]")
        console.print(f"{len(problems)} file(s) differ from run {folder.name}'s manifest.")
        raise typer.Exit(1)
    console.print(f"run {folder.name}: every recorded file matches its sha256")


def main() -> None:
    """Entry point: errors a person can act on are one line; tracebacks only with --debug."""
    from .workspace import WorkspaceBusy

    try:
        code = app(standalone_mode=False)  # returns the exit code of typer.Exit
    except WorkspaceBusy as exc:
        console.print(f"[red]busy:[/red] {_q(exc)}")
        sys.exit(BUSY)
    except (HotpassError, FileNotFoundError) as exc:
        if STATE["debug"]:
            raise
        console.print(f"[red]error:[/red] {_q(exc)}")
        exit_now(2)
    except KeyboardInterrupt:
        raise SystemExit(_interrupted().exit_code) from None
    except Exception as exc:  # usage errors (they know how to show themselves) and the unexpected
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            exit_now(exc.exit_code)
        if STATE["debug"]:
            raise
        console.print(
            f"[red]error:[/red] {type(exc).__name__}: {_q(exc)} (run with --debug for details)"
        )
        exit_now(1)
    exit_now(code if isinstance(code, int) else 0)


def exit_now(code: int) -> NoReturn:
    """End the process once its work is done and reported: run the exit handlers (logging,
    temporary files, coverage), flush the console, and skip tearing the interpreter down,
    which takes more than a second after a run has loaded MLflow, nbconvert and pandas
    (freeing every module's objects one by one). Background work has been waited for by
    then (:func:`hotpass_lib.tracking.finish_tracking`)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
