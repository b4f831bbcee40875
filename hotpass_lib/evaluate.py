"""Scoring entity resolution against ground truth: pairwise precision, recall and F1."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Pairwise scores of a clustering.

    ``predicted`` and ``truth`` map the same record ids (their index) to a cluster id and a
    true entity id. A pair of records is predicted when both share a cluster, true when both
    share an entity. Records missing from either side are ignored.
    """
    both = pd.DataFrame({"pred": predicted, "true": truth}).dropna()
    true_pos = _pairs(both.groupby(["pred", "true"]).size())
    predicted_pairs = _pairs(both.groupby("pred").size())
    true_pairs = _pairs(both.groupby("true").size())
    precision = true_pos / predicted_pairs if predicted_pairs else 1.0
    recall = true_pos / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(f1, 6),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "records": len(both),
    }


def organisation_scores(
    organisations: pd.DataFrame, ground_truth: pd.DataFrame
) -> dict[str, float]:
    """Scores of SSOT organisations (their ``source_record_ids``) against a ground-truth
    table (``source_record_id``, ``true_org_id``) such as the sample generator writes."""
    members = organisations[["organisation_id", "source_record_ids"]].explode("source_record_ids")
    predicted = members.set_index("source_record_ids")["organisation_id"]
    truth = ground_truth.set_index("source_record_id")["true_org_id"]
    truth = truth[truth.astype(str) != ""]
    return pairwise_scores(predicted, truth.reindex(predicted.index))


def scores_against_folder(
    organisations: pd.DataFrame, folder: Path | str
) -> dict[str, float] | None:
    """Scores against ``<folder>/ground_truth.csv`` when the input folder carries one
    (the bundled samples do); None otherwise."""
    truth = Path(folder) / "ground_truth.csv"
    if not truth.is_file():
        return None
    return organisation_scores(organisations, pd.read_csv(truth, dtype=str, keep_default_na=False))
