"""Pairwise precision/recall/F1 of a clustering against ground truth."""

from __future__ import annotations

import pandas as pd
import pytest

from hotpass_lib.evaluate import pairwise_scores


def test_perfect_clustering_scores_one() -> None:
    ids = ["a", "b", "c", "d"]
    pred = pd.Series([1, 1, 2, 2], index=ids)
    truth = pd.Series(["x", "x", "y", "y"], index=ids)
    assert pairwise_scores(pred, truth) | {} == pytest.approx(
        {
            "precision": 1.0,
            "recall": 1.0,
            "f1": 1.0,
            "true_pairs": 2,
            "predicted_pairs": 2,
            "records": 4,
        }
    )


def test_false_merge_lowers_precision_and_split_lowers_recall() -> None:
    ids = ["a", "b", "c", "d"]
    merged = pairwise_scores(
        pd.Series([1, 1, 1, 1], index=ids), pd.Series(["x", "x", "y", "y"], index=ids)
    )
    assert merged["precision"] == pytest.approx(2 / 6) and merged["recall"] == 1.0
    split = pairwise_scores(
        pd.Series([1, 2, 3, 4], index=ids), pd.Series(["x", "x", "y", "y"], index=ids)
    )
    assert split["recall"] == 0.0 and split["precision"] == 1.0 and split["f1"] == 0.0
