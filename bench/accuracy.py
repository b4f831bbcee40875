"""Accuracy of refine on both sample generators: ``python -m bench.accuracy``.

Writes each generator's samples into a temporary folder, runs ``ingest`` and ``refine`` with
the ``aviation`` profile and reports, per generator: pairwise precision/recall/F1 of the SSOT
organisations against ``ground_truth.csv``; contact-sheet rows attached, quarantined as
``unlinked_contact`` (or otherwise), and attached to their true organisation; the hard
negatives (messy generator) merged; and the misses (split true organisations and false
merges, with the names of their rows). Results go to ``bench/results/accuracy-<date>.md``
and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from rapidfuzz.distance import Levenshtein

from hotpass_lib.evaluate import organisation_scores
from hotpass_lib.ingest import ingest
from hotpass_lib.profile import Profile, load_profile
from hotpass_lib.refine import refine
from hotpass_lib.samples import write_samples
from hotpass_lib.samples_messy import write_messy_samples

RESULTS = Path(__file__).resolve().parent / "results"
GENERATORS: dict[str, tuple[Callable, int, int]] = {
    "samples": (write_samples, 560, 42),
    "samples_messy": (write_messy_samples, 700, 1313),
}
EXAMPLES = 40
_MARKER = re.compile(r"(?:\bt\s*/\s*a|\btrading\s+as\b|\btrd?a?i?ng\b|\bta\b)", re.IGNORECASE)
_SUFFIX = re.compile(
    r"\(?\b(?:pty|ltd|limited|c\.?c|npc|rf|inc)\b\.?\)?\.?|[()\-.,]", re.IGNORECASE
)
_ABBREVIATIONS = {
    "aeronautical": "aero", "intl": "international", "int'l": "international", "&": "and",
    "acad": "academy", "ctr": "centre", "center": "centre", "svcs": "services",
    "service": "services", "maint": "maintenance", "heli": "helicopter", "eng": "engineering",
    "engineers": "engineering", "org": "organisation", "organization": "organisation",
}  # fmt: skip
_NUMBERS = {"four": "4", "seven": "7", "nine": "9", "twelve": "12", "twenty one": "21"}
_CITIES = re.compile(
    r"\b(?:george|polokwane|nelspruit|durban|bloemfontein|kimberley|gqeberha|rustenburg|"
    r"lanseria)\b(?:\s+branch)?",
    re.IGNORECASE,
)


def _sheet(record_ids: pd.Series) -> pd.Series:
    return record_ids.str.extract(r"#(.*)!\d+$")[0]


def contact_scores(
    truth: pd.DataFrame, quarantine: pd.DataFrame, ssot: pd.DataFrame, contacts: pd.DataFrame,
    profile: Profile,
) -> dict[str, float]:  # fmt: skip
    """Contact-sheet rows expected to merge: attached, quarantined (by reason) and attached
    to the SSOT organisation whose rows are mostly of the contact's true organisation."""
    sheets = {s.sheet for src in profile.sources for s in src.sheets if s.kind == "contacts"}
    rows = truth[(truth["expected"] == "merged") & _sheet(truth["source_record_id"]).isin(sheets)]
    rows = rows.set_index("source_record_id")["true_org_id"]
    member = ssot[["organisation_id", "source_record_ids"]].explode("source_record_ids")
    member["true"] = member["source_record_ids"].map(
        truth.set_index("source_record_id")["true_org_id"]
    )
    majority = (
        member.dropna(subset=["true"])
        .groupby("organisation_id")["true"]
        .agg(lambda s: s.value_counts().sort_index().idxmax())
    )
    people = contacts[["organisation_id", "source_record_ids"]].explode("source_record_ids")
    org_of = people.drop_duplicates("source_record_ids").set_index("source_record_ids")
    attached = org_of["organisation_id"].reindex(rows.index)
    q = quarantine.set_index("source_record_id")["reason_code"].reindex(rows.index)
    correct = attached.map(majority) == rows
    n = len(rows)
    return {
        "contact_rows": n,
        "attached": int(attached.notna().sum()),
        "unlinked_contact": int((q == "unlinked_contact").sum()),
        "quarantined_other": int((q.notna() & (q != "unlinked_contact")).sum()),
        "attached_to_true_org": int(correct.sum()),
        "attached_share": round(attached.notna().sum() / n, 4) if n else 1.0,
        "true_org_share": round(correct.sum() / n, 4) if n else 1.0,
    }


def misses(truth: pd.DataFrame, ssot: pd.DataFrame, names: pd.Series) -> dict[str, list]:
    """True organisations split over SSOT records and SSOT records merging several true
    organisations, each with the names of its rows per fragment."""
    member = ssot[["organisation_id", "source_record_ids"]].explode("source_record_ids")
    member = member.rename(columns={"source_record_ids": "rid"})
    member["true"] = member["rid"].map(truth.set_index("source_record_id")["true_org_id"])
    member = member[member["true"].fillna("") != ""]
    member["name"] = member["rid"].map(names).fillna("(address row)")
    fragments = member.groupby(["true", "organisation_id"])["name"].agg(lambda s: sorted(set(s)))
    split = fragments.groupby(level=0).size() > 1
    splits = []
    for t in split.index[split.to_numpy()]:
        parts = [f for f in fragments.loc[t].tolist() if f != ["(address row)"]]
        pair = _closest(parts) if len(parts) > 1 else ("(address row)", "")
        kinds = split_kinds(*pair) if len(parts) > 1 else ["address row unlinked"]
        splits.append({"true_org_id": t, "fragments": parts, "closest": pair, "kinds": kinds})
    parts = member.groupby(["organisation_id", "true"])["name"].agg(lambda s: sorted(set(s)))
    merged = parts.groupby(level=0).size() > 1
    merges = [
        {"organisation_id": o, "true_orgs": {t: v for t, v in parts.loc[o].items()}}
        for o in merged.index[merged.to_numpy()]
    ]
    return {"splits": splits, "merges": merges}


def _plain(name: str, abbreviations: bool = True) -> list[str]:
    text = re.sub(r"\([^)]*\)", " ", name.lower())
    text = _SUFFIX.sub(" ", text)
    text = re.sub(r"^\s*the\s+", "", text)
    for word, digits in _NUMBERS.items():
        text = re.sub(rf"\b{word}\b", digits, text)
    words = text.split()
    return [_ABBREVIATIONS.get(w, w) for w in words] if abbreviations else words


def split_kinds(a: str, b: str) -> list[str]:
    """What differs between two spellings of one organisation that refine kept apart
    (heuristic labels, for the report)."""
    kinds = []
    if bool(_MARKER.search(a)) or bool(_MARKER.search(b)):
        kinds.append("trading-as")
    if bool(_CITIES.search(a)) != bool(_CITIES.search(b)):
        kinds.append("branch city in one name only")
    if "(" in a + b and re.search(r"\((?!pty|rf|npc|t/a|trading)[^)]*\)", (a + b).lower()):
        kinds.append("parenthesised qualifier")
    if a.lower().lstrip().startswith("the ") != b.lower().lstrip().startswith("the "):
        kinds.append("'The' prefix")
    if any(w in (a + " " + b).lower().split() for w in _NUMBERS):
        kinds.append("number as word")
    ra, rb = _plain(a, False), _plain(b, False)
    pa, pb = _plain(a), _plain(b)
    if len(set(pa) ^ set(pb)) < len(set(ra) ^ set(rb)):
        kinds.append("abbreviation")
    sa, sb = set(pa), set(pb)
    if (sa < sb or sb < sa) and len(sa ^ sb) == 1:
        kinds.append("dropped word")
    squash_a, squash_b = "".join(pa), "".join(pb)
    if pa != pb and squash_a == squash_b:
        kinds.append("split/merged token")
    elif 0 < Levenshtein.distance(squash_a, squash_b) <= 2:
        kinds.append("typo")
    if not kinds:
        kinds.append("legal suffix/case/punctuation only" if pa == pb else "other")
    return kinds


def _closest(fragments: list[list[str]]) -> tuple[str, str]:
    pairs = [(a, b) for a in fragments[0] for b in fragments[1]]
    return min(pairs, key=lambda p: Levenshtein.normalized_distance(p[0].lower(), p[1].lower()))


def hard_negatives_merged(pairs: pd.DataFrame, truth: pd.DataFrame, ssot: pd.DataFrame) -> dict:
    """Hard-negative pairs of true organisations that share an SSOT record."""
    if pairs.empty:
        return {}
    member = ssot[["organisation_id", "source_record_ids"]].explode("source_record_ids")
    member["true"] = member["source_record_ids"].map(
        truth.set_index("source_record_id")["true_org_id"]
    )
    orgs_of = member.dropna(subset=["true"]).groupby("true")["organisation_id"].agg(set)
    together = [
        bool(set(orgs_of.get(a, ())) & set(orgs_of.get(b, ())))
        for a, b in zip(pairs["left"], pairs["right"], strict=True)
    ]
    out = pairs.assign(merged=together)
    summary = out.groupby("kind")["merged"].agg(["sum", "size"])
    return {
        "by_kind": {
            k: {"merged": int(r["sum"]), "pairs": int(r["size"])} for k, r in summary.iterrows()
        },
        "merged_examples": out[out["merged"]][["kind", "left_name", "right_name"]].to_dict(
            "records"
        ),
    }


def evaluate(folder: Path, hard: pd.DataFrame | None = None) -> dict:
    """Ingest and refine ``folder``; scores, contact attachment and misses."""
    profile = load_profile("aviation")
    ingested = ingest(folder, profile)
    result = refine(ingested.organisations, ingested.contacts, ingested.addresses, profile)
    truth = pd.read_csv(folder / "ground_truth.csv", dtype=str, keep_default_na=False)
    names = ingested.organisations.set_index("source_record_id")["organisation_name"]
    out: dict = {
        "organisation_rows": len(ingested.organisations),
        "true_organisations": int(truth.loc[truth["true_org_id"] != "", "true_org_id"].nunique()),
        "ssot_organisations": len(result.organisations),
        "review_pairs": len(result.review_queue),
        "scores": organisation_scores(result.organisations, truth),
        "contacts": contact_scores(
            truth, ingested.quarantine, result.organisations, result.contacts, profile
        ),
        "unlinked_address": int((ingested.quarantine["reason_code"] == "unlinked_address").sum()),
    }
    if hard is not None:
        out["hard_negatives"] = hard_negatives_merged(hard, truth, result.organisations)
    out["misses"] = misses(truth, result.organisations, names)
    unlinked = ingested.quarantine[ingested.quarantine["reason_code"] == "unlinked_contact"]
    out["unlinked_contact_names"] = sorted(set(unlinked["reason"].str.extract(
        r"^names organisation (.*), which matches")[0].dropna()))  # fmt: skip
    return out


def _cell(names: list[str]) -> str:
    return " / ".join(f"`{n.strip()}`" for n in names[:3]) + (" …" if len(names) > 3 else "")


def markdown(results: dict[str, dict], today: str) -> str:
    lines = [
        f"# Refine accuracy on both sample generators ({today})",
        "",
        "Pairwise scores of SSOT organisations against each generator's ground truth; contact",
        "rows are the rows of the contact sheets (`Contact Info`, `Company_Contacts`).",
        "",
        "| generator | true orgs | org rows | SSOT orgs | precision | recall | F1 | splits | "
        "false merges | contact rows | attached | unlinked_contact | attached to true org |",
        "|---|" + "---:|" * 12,
    ]
    for gen, r in results.items():
        s, c, m = r["scores"], r["contacts"], r["misses"]
        lines.append(
            f"| {gen} | {r['true_organisations']} | {r['organisation_rows']} | "
            f"{r['ssot_organisations']} | {s['precision']:.3f} | {s['recall']:.3f} | "
            f"{s['f1']:.3f} | {len(m['splits'])} | {len(m['merges'])} | {c['contact_rows']} | "
            f"{c['attached']} ({c['attached_share']:.1%}) | {c['unlinked_contact']} | "
            f"{c['attached_to_true_org']} ({c['true_org_share']:.1%}) |"
        )
    for gen, r in results.items():
        if r.get("hard_negatives"):
            kinds = ", ".join(
                f"{k}: {v['merged']} of {v['pairs']} merged"
                for k, v in r["hard_negatives"]["by_kind"].items()
            )
            lines += ["", f"Hard negatives ({gen}): {kinds}."]
        m = r["misses"]
        kinds = pd.Series([k for x in m["splits"] for k in x["kinds"]], dtype="string")
        if len(kinds):
            lines += ["", f"## {gen}: what differs in split organisations (closest pair)", ""]
            lines += ["| difference (heuristic) | splits |", "|---|---:|"]
            lines += [f"| {k} | {n} |" for k, n in kinds.value_counts().items()]
        lines += ["", f"## {gen}: split true organisations (first {EXAMPLES})", ""]
        lines += [
            "- " + "  ‖  ".join(_cell(f) for f in x["fragments"]) + f" — {', '.join(x['kinds'])}"
            for x in m["splits"][:EXAMPLES]
        ]
        lines += ["", f"## {gen}: false merges (first {EXAMPLES})", ""]
        lines += [
            "- " + "  ‖  ".join(_cell(v) for v in x["true_orgs"].values())
            for x in m["merges"][:EXAMPLES]
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply default n_orgs")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="hotpass-accuracy-") as tmp:
        for gen, (write, n_orgs, seed) in GENERATORS.items():
            folder = Path(tmp) / gen
            written = write(folder, n_orgs=max(10, round(n_orgs * args.scale)), seed=seed)
            hard = getattr(written, "hard_negatives", None)
            results[gen] = evaluate(folder, hard) | {"n_orgs": written.n_orgs, "seed": seed}
    today = dt.date.today().isoformat()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"accuracy-{today}.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / f"accuracy-{today}.md").write_text(markdown(results, today))
    for gen, r in results.items():
        s, c = r["scores"], r["contacts"]
        print(
            f"{gen}: P={s['precision']:.3f} R={s['recall']:.3f} F1={s['f1']:.3f} "
            f"contacts attached {c['attached']}/{c['contact_rows']} "
            f"(true org {c['attached_to_true_org']}), unlinked {c['unlinked_contact']}"
        )
    return results


if __name__ == "__main__":
    main()
