"""The ``hotpass`` command.

Exit codes: 0 success; 1 a stage failed (see its HTML in the run folder); 2 bad input or
usage (the message names what to fix).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import runner
from .profile import ProfileError
from .read import InputError

app = typer.Typer(
    help="Hotpass: refine messy workbooks into one governed SSOT.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
ParamsOption = Annotated[
    Path | None, typer.Option(help="params file (default: params/pipeline.yaml)")
]


contracts_app = typer.Typer(
    help="Data contracts: JSON Schema and reference exports.", no_args_is_help=True
)
app.add_typer(contracts_app, name="contracts")


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
        console.print(f"wrote {path}")


evidence_app = typer.Typer(
    help="Run evidence: list runs, open one, verify its hashes.", no_args_is_help=True
)
app.add_typer(evidence_app, name="evidence")
RunArgument = Annotated[
    str, typer.Argument(help="a run id (see `hotpass evidence list`) or its folder")
]


@evidence_app.command("list")
def evidence_list(params: ParamsOption = None) -> None:
    """List runs, newest first, with their headline numbers."""
    from rich.table import Table

    from .evidence import list_runs

    runs = list_runs(_settings(params).runs_dir)
    table = Table("run", "status", "rows read", "organisations", "quarantined", "review pairs")
    for run in runs:
        table.add_row(
            run["run_id"],
            run["status"],
            *(
                str(run[k] if run[k] is not None else "")
                for k in ("rows_read", "organisations_out", "rows_quarantined", "review_pairs")
            ),
        )
    Console().print(table if runs else "no runs yet: `hotpass run` makes one")


@evidence_app.command("open")
def evidence_open(run: RunArgument, params: ParamsOption = None) -> None:
    """Print the path of a run's HTML evidence (and open it in a browser where one exists)."""
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
            console.print(f"[red]{line}[/red]")
        console.print(f"{len(problems)} file(s) differ from run {folder.name}'s manifest.")
        raise typer.Exit(1)
    console.print(f"run {folder.name}: every recorded file matches its sha256")


def _settings(params: Path | None, **overrides: object) -> runner.Settings:
    return runner.Settings.load(Path.cwd(), params, **overrides)


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

    cfg = _settings(params).params.get("samples", {})
    result = write_samples(out_dir, n_orgs or cfg.get("n_orgs", 560), seed or cfg.get("seed", 42))
    console.print(
        f"wrote {len(result.files)} workbooks and {result.ground_truth.name} to {out_dir}"
    )


@app.command()
def stage(
    name: Annotated[str, typer.Argument(help=f"one of {list(runner.STAGES)}")],
    params: ParamsOption = None,
) -> None:
    """Run one stage notebook through the runner (this is what dvc.yaml calls)."""
    settings = _settings(params)
    try:
        record = runner.run_stage(name, settings)
    except runner.StageFailed as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{name}: {record['status']} in {record['duration_s']:.1f}s -> {record['html']}")


@app.command()
def run(
    input_dir: Annotated[Path | None, typer.Option(help="folder of workbooks")] = None,
    profile: Annotated[str | None, typer.Option(help="profile name or YAML path")] = None,
    params: ParamsOption = None,
) -> None:
    """Run the four stages without DVC on a folder of workbooks, in the current directory."""
    settings = _settings(
        params, profile=profile, input_dir=str(input_dir.resolve()) if input_dir else None
    )
    if input_dir is None and not settings.input_dir.exists():
        from .samples import write_samples

        cfg = settings.params.get("samples", {})
        write_samples(settings.input_dir, cfg.get("n_orgs", 560), cfg.get("seed", 42))
        console.print(f"no input folder: wrote the bundled samples to {settings.input_dir}")
    if not settings.input_dir.is_dir():
        console.print(
            f"[red]input folder {settings.input_dir} does not exist.[/red] "
            "Fix: pass --input-dir with a folder of workbooks."
        )
        raise typer.Exit(2)
    run_id = runner.new_run_id()
    try:
        runner.run_pipeline(settings, run_id=run_id)
    except runner.StageFailed as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    _where(settings, run_id)


@app.command()
def pipeline() -> None:
    """Run ``dvc repro`` (stages that changed) under one run id, then say where things are."""
    settings = _settings(None)
    run_id = runner.new_run_id()
    env = {
        **os.environ,
        **runner.OFFLINE_ENV,
        "HOTPASS_RUN_ID": run_id,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    dvc = shutil.which("dvc", path=env["PATH"]) or "dvc"
    code = subprocess.call([dvc, "repro"], env=env, cwd=settings.root)
    if code:
        raise typer.Exit(code)
    if not (settings.runs_dir / run_id).exists():
        runs = sorted(p.parent.name for p in settings.runs_dir.glob("*/manifest.json"))
        console.print("Nothing changed: dvc ran no stage; the latest run's evidence stands.")
        run_id = runs[-1] if runs else run_id
    _where(settings, run_id)


def _where(settings: runner.Settings, run_id: str) -> None:
    run_dir = settings.runs_dir / run_id
    console.print(f"[bold]SSOT:[/bold]      {settings.refined_dir}")
    console.print(f"[bold]Evidence:[/bold]  {run_dir}  (open {settings.runs_dir / 'index.html'})")
    console.print(f"[bold]MLflow:[/bold]    mlflow ui --backend-store-uri {settings.tracking_uri}")


def main() -> None:
    """Entry point with friendly errors for bad input."""
    try:
        app()
    except (InputError, ProfileError, FileNotFoundError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
