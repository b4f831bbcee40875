"""Benchmark entry point: ``python -m bench [--quick] [--sizes N ...] [--repeats R]
[--series realistic generated]``.

Generates (and caches) seeded samples at each size in two series: ``realistic`` (the
distinct-value ratios of a real CRM: every contact their own phone and e-mail, mostly
unique domains, free-text noise) and ``generated`` (the original generator, whose values
repeat). Reports the distinct phones, e-mails and names of each input, times every library step in its own
process (median of repeats, peak RSS), scores refine against ground truth, measures the
raw read rate of python-calamine, times ``hotpass run`` end to end, and writes
``bench/results/<date>.json``, ``.md`` and ``.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from hotpass_lib.evaluate import organisation_scores
from hotpass_lib.params import PipelineParams
from hotpass_lib.samples import write_samples
from hotpass_lib.store import load_table

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
RESULTS = HERE / "results"
ROWS_PER_ORG = {"generated": 9.1, "realistic": 3.7}
"""Source rows read per real organisation in each series' workbooks."""
SERIES = tuple(ROWS_PER_ORG)
STEPS = ("raw_read", "read", "ingest", "validate", "resolve", "refine", "publish")
SEED = 42


def sample(rows: int, series: str = "generated") -> Path:
    """A cached sample of about ``rows`` source rows of a series."""
    n_orgs = max(10, round(rows / ROWS_PER_ORG[series]))
    prefix = "real-" if series == "realistic" else ""
    folder = CACHE / f"{prefix}orgs{n_orgs}-seed{SEED}"
    if not (folder / "ground_truth.csv").is_file():
        write_samples(folder, n_orgs=n_orgs, seed=SEED, realistic=series == "realistic")
    return folder


def step(name: str, folder: Path, work: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.stage", name, str(folder), str(work)],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"bench step {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def library(folder: Path, repeats: int) -> dict:
    """Median time and max peak RSS of each step, in fresh processes."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        out = {}
        for name in STEPS:
            runs = [step(name, folder, work) for _ in range(repeats)]
            out[name] = {
                **runs[-1],
                "seconds": statistics.median(r["seconds"] for r in runs),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            }
        orgs = load_table(work / "refine" / "organisations.parquet")
        truth = pd.read_csv(folder / "ground_truth.csv", dtype=str, keep_default_na=False)
        out["accuracy"] = organisation_scores(orgs, truth)
    return out


def _children_cpu() -> float:
    """CPU seconds (user and system) of this process's ended children and theirs."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def end_to_end(folder: Path, repeats: int = 1) -> dict:
    """``hotpass run`` as a user runs it, each time in a fresh workspace: the median of
    ``repeats`` runs' wall and CPU seconds (the command, its kernels and every other process
    it started; CPU is steadier than wall time on a shared machine), every run's, and the
    stage durations (from the manifest) of the median run."""
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            ws = Path(tmp)
            shutil.copytree(folder, ws / "data" / "samples")
            began, cpu = time.perf_counter(), _children_cpu()
            done = subprocess.run(
                [sys.executable, "-m", "hotpass_lib.cli", "run"],
                cwd=ws,
                capture_output=True,
                text=True,
                check=False,
            )
            total, cpu = time.perf_counter() - began, _children_cpu() - cpu
            if done.returncode:
                raise SystemExit(f"hotpass run failed:\n{done.stderr[-3000:]}")
            (manifest,) = ws.glob("runs/*/manifest.json")
            stages = json.loads(manifest.read_text())["stages"]
        runs.append(
            {
                "seconds": round(total, 2),
                "cpu_seconds": round(cpu, 2),
                "stages": {k: v["duration_s"] for k, v in stages.items()},
            }
        )
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "stages": middle["stages"],
        "runs": [[r["seconds"], r["cpu_seconds"]] for r in runs],
    }


def bundled() -> Path:
    """The bundled sample: what ``hotpass run`` writes when there is no input folder."""
    cfg = PipelineParams().samples
    folder = CACHE / f"bundled-orgs{cfg.n_orgs}-seed{cfg.seed}"
    if not (folder / "ground_truth.csv").is_file():
        write_samples(folder, n_orgs=cfg.n_orgs, seed=cfg.seed)
    return folder


def e2e_cell(e2e: dict | None) -> str:
    if not e2e:
        return "—"
    cpu = f", {e2e['cpu_seconds']:.1f} s CPU" if "cpu_seconds" in e2e else ""
    return f"{e2e['seconds']:.1f} s{cpu}"


def e2e_table(results: dict) -> str:
    """End to end only (``--e2e-only``): wall and CPU seconds per input."""
    lines = ["| input | end to end (median) | runs (wall, CPU) | stages |", "|---|---|---|---|"]
    rows = [("bundled sample (cold)", results.get("bundled_cold"))]
    rows.append(("bundled sample (warm)", results.get("bundled_end_to_end")))
    rows += [(f"{s['series']} {s['target_rows']:,}", s.get("end_to_end")) for s in results["sizes"]]
    for name, e2e in rows:
        if e2e:
            runs = "; ".join(f"{w:.1f}, {c:.1f}" for w, c in e2e.get("runs", []))
            stages = ", ".join(f"{k} {v:.1f}" for k, v in e2e["stages"].items())
            lines.append(f"| {name} | {e2e_cell(e2e)} | {runs} | {stages} |")
    return "\n".join(lines) + "\n"


def table(results: dict) -> str:
    lines = [
        "| series | source rows | distinct phones | distinct e-mails | distinct names | "
        + " | ".join(STEPS)
        + " | library total | peak RSS | raw read rows/s | ingest rows/s | ingest / raw read | precision | recall | F1 | end to end |",
        "|" + "---|" * (len(STEPS) + 14),
    ]
    for size in results["sizes"]:
        lib = size["library"]
        distinct = lib["ingest"].get("distinct", {})
        cells = [size.get("series", "generated"), f"{size['rows_read']:,}"]
        cells += [f"{distinct.get(k, 0):,}" for k in ("phones", "emails", "names")]
        cells += [f"{lib[s]['seconds']:.2f} s" for s in STEPS]
        cells.append(f"{size['library_total_s']:.1f} s")
        cells.append(f"{max(lib[s]['peak_rss_mb'] for s in STEPS):,.0f} MB")
        cells.append(f"{lib['raw_read']['rows'] / max(lib['raw_read']['seconds'], 1e-3):,.0f}")
        cells.append(f"{size['rows_read'] / max(lib['ingest']['seconds'], 1e-3):,.0f}")
        cells.append(f"{size['ingest_vs_raw']:.2f}")
        acc = lib["accuracy"]
        cells += [f"{acc['precision']:.4f}", f"{acc['recall']:.4f}", f"{acc['f1']:.4f}"]
        cells.append(e2e_cell(size.get("end_to_end")))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(results: dict, target: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    for series, style in zip(SERIES, ("-", "--"), strict=True):
        sizes = [s for s in results["sizes"] if s.get("series", "generated") == series]
        if not sizes:
            continue
        rows = [s["rows_read"] for s in sizes]
        for colour, name in enumerate((*STEPS, "library total")):
            key = "library_total_s"
            values = [
                s[key] if name == "library total" else s["library"][name]["seconds"] for s in sizes
            ]
            ax.plot(
                rows,
                values,
                style,
                marker="o",
                color=f"C{colour}",
                label=f"{name} ({series})" if series == "realistic" else None,
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("source rows")
    ax.set_ylabel("seconds")
    ax.set_title("Hotpass library time by step (solid: realistic, dashed: generated)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(target, dpi=110, metadata={"Software": None})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k rows, one repeat, no e2e")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="repeats for sizes <= 100k")
    parser.add_argument(
        "--e2e-max", type=int, default=100_000, help="largest e2e size (0: no end to end)"
    )
    parser.add_argument(
        "--series", nargs="+", choices=SERIES, help="inputs (default: both; quick: realistic)"
    )
    parser.add_argument(
        "--e2e-repeats", type=int, default=3, help="runs per end-to-end measure (median)"
    )
    parser.add_argument(
        "--e2e-only", action="store_true", help="only `hotpass run` end to end, no library steps"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    sizes = [10_000] if args.quick else args.sizes
    series = args.series or (["realistic"] if args.quick else list(SERIES))
    os.environ.update(
        {
            "GX_ANALYTICS_ENABLED": "false",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1",
            "DVC_NO_ANALYTICS": "1",
        }
    )
    results = {
        "date": dt.date.today().isoformat(),
        "quick": args.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "sizes": [],
    }
    if not args.quick and args.e2e_max > 0:
        results["bundled_cold"] = end_to_end(bundled())  # the first run after a while
        results["bundled_end_to_end"] = end_to_end(bundled(), args.e2e_repeats)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / (results["date"] + ("-quick" if args.quick else ""))
    if args.e2e_only:
        stem = stem.with_name(stem.name + "-e2e")
        for name, rows in ((n, r) for n in series for r in sizes if r <= args.e2e_max):
            results["sizes"].append(
                {
                    "series": name,
                    "target_rows": rows,
                    "end_to_end": end_to_end(sample(rows, name), args.e2e_repeats),
                }
            )
        stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
        stem.with_suffix(".md").write_text(e2e_table(results))
        print(e2e_table(results))
        print(f"wrote {stem}.json, .md")
        return
    for name, rows in ((n, r) for n in series for r in sizes):
        folder = sample(rows, name)
        began = time.perf_counter()
        lib = library(folder, 1 if args.quick or rows > 100_000 else args.repeats)
        entry = {
            "series": name,
            "target_rows": rows,
            "rows_read": lib["ingest"]["rows"],
            "library": lib,
            "library_total_s": round(
                sum(lib[s]["seconds"] for s in STEPS if s not in {"raw_read", "read", "resolve"}), 2
            ),
            "ingest_vs_raw": round(lib["raw_read"]["seconds"] / lib["ingest"]["seconds"], 3),
        }
        if not args.quick and rows <= args.e2e_max:
            entry["end_to_end"] = end_to_end(folder, args.e2e_repeats)
        results["sizes"].append(entry)
        write(results, stem)  # after every size, so a long run leaves what it measured
        print(
            f"{name:>9} {rows:>9,} rows: library {entry['library_total_s']:.1f} s "
            f"(bench {time.perf_counter() - began:.0f} s)",
            flush=True,
        )
    print(table(results))
    print(f"wrote {stem}.json, .md, .png")


def write(results: dict, stem: Path) -> None:
    """The JSON, the Markdown table and the log-log plot of the results so far."""
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    stem.with_suffix(".md").write_text(table(results))
    plot(results, stem.with_suffix(".png"))


if __name__ == "__main__":
    main()
