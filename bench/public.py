"""Accuracy on a public, labelled dataset Hotpass was never tuned on (``python -m bench.public``).

The Fodor's/Zagat's restaurant guides (533 + 331 listings, 112 labelled matches) ship in
the ``py-entitymatching`` source distribution on PyPI; this script fetches it from the
package registry (``pip download``), writes the two guides as a stranger's folder would
hold them (``Fodors.xlsx`` with headers ``Restaurant, Address, City, Phone, Cuisine``;
``zagat.csv`` as published), drafts a profile with :func:`hotpass_lib.draft.draft_profile`,
runs ingest and refine, and scores pairwise precision, recall and F1. The reference is
what a typical user's plain Splink model gets on the same records (Jaro-Winkler on name,
address and city, exact phone after stripping punctuation, EM-trained, threshold 0.9).

Results go to ``bench/results/public-<date>.{md,json}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd
import xlsxwriter

from hotpass_lib.draft import draft_profile
from hotpass_lib.evaluate import organisation_scores, pairwise_scores
from hotpass_lib.ingest import ingest
from hotpass_lib.profile import Profile
from hotpass_lib.refine import refine

PACKAGE = "py-entitymatching==0.4.2"
MEMBER = "py_entitymatching/datasets/end-to-end/restaurants/"
RESULTS = Path(__file__).parent / "results"


def fetch(cache: Path) -> Path:
    """The restaurants folder of the py-entitymatching sdist, downloaded from PyPI once."""
    out = cache / "restaurants"
    if (out / "matches_fodors_zagats.csv").is_file():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps",
         "-d", str(cache), "-q"],
        check=True,
    )  # fmt: skip
    archive = next(cache.glob("py-entitymatching-*.tar.gz"))
    out.mkdir(exist_ok=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if MEMBER in member.name and member.name.endswith(".csv"):
                member.name = Path(member.name).name
                tar.extract(member, out, filter="data")
    return out


def write_folder(source: Path, folder: Path) -> pd.DataFrame:
    """The two guides as a user's folder, and the ground truth of their rows."""
    folder.mkdir(parents=True, exist_ok=True)
    fodors = pd.read_csv(source / "fodors.csv", dtype=str)
    zagat = pd.read_csv(source / "zagats.csv", dtype=str)
    matches = pd.read_csv(source / "matches_fodors_zagats.csv", dtype=str)
    book = xlsxwriter.Workbook(str(folder / "Fodors.xlsx"), {"strings_to_numbers": False})
    sheet = book.add_worksheet("Guide")
    sheet.write_row(0, 0, ["Restaurant", "Address", "City", "Phone", "Cuisine"])
    for r, row in enumerate(
        fodors[["name", "addr", "city", "phone", "type"]].itertuples(index=False), 1
    ):
        sheet.write_row(r, 0, [("" if pd.isna(v) else str(v)) for v in row])
    book.close()
    zagat[["name", "addr", "city", "phone", "type"]].to_csv(
        folder / "zagat.csv", index=False, lineterminator="\n"
    )
    entity = {f"f{f}": f"m{f}" for f in matches["fodors_id"]}
    entity |= {
        f"z{z}": f"m{f}" for f, z in zip(matches["fodors_id"], matches["zagats_id"], strict=True)
    }
    truth = pd.concat(
        [
            pd.DataFrame(
                {
                    "source_record_id": [f"Fodors.xlsx#Guide!{i + 2}" for i in range(len(fodors))],
                    "true_org_id": [entity.get(f"f{x}", f"f{x}") for x in fodors["id"]],
                }
            ),
            pd.DataFrame(
                {
                    "source_record_id": [f"zagat.csv#zagat!{i + 2}" for i in range(len(zagat))],
                    "true_org_id": [entity.get(f"z{x}", f"z{x}") for x in zagat["id"]],
                }
            ),
        ],
        ignore_index=True,
    )
    return truth


def hotpass_scores(folder: Path, truth: pd.DataFrame) -> dict:
    """Pairwise scores of Hotpass on the folder, with a drafted profile (no hand edits)."""
    import yaml

    text, _ = draft_profile(folder, "public")
    profile = Profile.model_validate(yaml.safe_load(text))
    result = ingest(folder, profile)
    refined = refine(result.organisations, result.contacts, result.addresses, profile)
    scores = organisation_scores(refined.organisations, truth)
    return scores | {
        "country": profile.country,
        "review_pairs": len(refined.review_queue),
        "model": refined.resolution.model.note if refined.resolution.model else "",
    }


def splink_baseline(source: Path, truth: pd.DataFrame) -> dict:
    """What a typical user's Splink model gets: the documented quick-start recipe."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    frames = []
    for name, file in (("Fodors.xlsx#Guide", "fodors.csv"), ("zagat.csv#zagat", "zagats.csv")):
        frame = pd.read_csv(source / file, dtype=str)
        frame["unique_id"] = [f"{name}!{i + 2}" for i in range(len(frame))]
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    rows["phone"] = rows["phone"].str.replace(r"\D", "", regex=True)
    rows = rows[["unique_id", "name", "addr", "city", "phone", "type"]]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("addr", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("city", [0.9]),
            cl.ExactMatch("phone"),
            cl.ExactMatch("type"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("phone"),
            block_on("substr(name, 1, 3)"),
            block_on("city"),
        ],
    )
    linker = Linker(DuckDBAPI().register(rows, table_name="restaurants"), settings)
    linker.training.estimate_probability_two_random_records_match([block_on("phone")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("city"))
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.9
    ).as_pandas_dataframe()
    predicted = clusters.set_index("unique_id")["cluster_id"]
    return pairwise_scores(predicted, truth.set_index("source_record_id")["true_org_id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "hotpass-public"
    )
    args = parser.parse_args()
    source = fetch(args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        truth = write_folder(source, Path(tmp) / "restaurants")
        ours = hotpass_scores(Path(tmp) / "restaurants", truth)
    reference = splink_baseline(source, truth)
    out = {"dataset": "Fodor's/Zagat's restaurants (py-entitymatching 0.4.2)",
           "hotpass": ours, "plain_splink": reference}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"public-{dt.date.today().isoformat()}"
    stem.with_suffix(".json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [
        f"# Accuracy on a public labelled dataset ({dt.date.today().isoformat()})",
        "",
        f"{out['dataset']}: {truth['true_org_id'].nunique()} true restaurants, {len(truth)} rows.",
        "",
        "| method | precision | recall | F1 |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |"
            for name, s in (
                ("Hotpass (drafted profile, defaults)", ours),
                ("plain Splink (typical setup)", reference),
            )
        ),
        "",
        f"Hotpass inferred country {ours['country']}; {ours['review_pairs']} pairs queued for "
        f"review; {ours['model']}.",
    ]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
