"""Column mapping: a sheet's headers -> canonical fields, by synonym then fuzzy match."""

from __future__ import annotations

import pandas as pd
from rapidfuzz import fuzz, process

from .read import norm_header

FUZZY_MAPPED = 90.0
FUZZY_SUGGESTED = 75.0


def map_columns(headers: list[str], synonyms: dict[str, list[str]]) -> pd.DataFrame:
    """Report one row per header: ``header``, ``field``, ``method``, ``score``.

    ``method`` is ``exact`` (a synonym, ignoring case and punctuation), ``fuzzy`` (score at
    least 90: mapped), ``suggested`` (75-90: shown, not used) or ``unmapped``. Each field
    takes at most one column: exact matches first, then the best fuzzy one.
    """
    choices = {norm_header(s): field for field, names in synonyms.items() for s in names}
    rows: list[tuple[str, str | None, str, float]] = []
    for header in headers:
        key = norm_header(header)
        if key in choices:
            rows.append((header, choices[key], "exact", 100.0))
            continue
        best = process.extractOne(key, list(choices), scorer=fuzz.token_sort_ratio) if key else None
        if best and best[1] >= FUZZY_SUGGESTED:
            method = "fuzzy" if best[1] >= FUZZY_MAPPED else "suggested"
            rows.append((header, choices[best[0]], method, round(float(best[1]), 1)))
        else:
            rows.append((header, None, "unmapped", round(float(best[1]), 1) if best else 0.0))
    report = pd.DataFrame(rows, columns=["header", "field", "method", "score"])
    rank = report["method"].map({"exact": 0, "fuzzy": 1}).fillna(9)
    used = report.assign(rank=rank).sort_values(
        ["rank", "score"], ascending=[True, False], kind="stable"
    )
    taken = used[used["rank"] < 9].drop_duplicates("field")
    losers = used.index[(used["rank"] < 9) & ~used.index.isin(taken.index)]
    report.loc[losers, "method"] = "duplicate"
    return report


def mapped_fields(report: pd.DataFrame) -> dict[str, str]:
    """Field -> header for the columns the report maps (exact or fuzzy)."""
    used = report[report["method"].isin(["exact", "fuzzy"])]
    return dict(zip(used["field"], used["header"], strict=True))
