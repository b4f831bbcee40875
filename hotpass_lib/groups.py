"""Per-group lists, vectorised: ``groupby(...).agg(list)`` without a Python call per group.

pandas runs a lambda (or ``list``) once per group; at a million rows that is most of the
refine stage. Here rows are sorted once and cut into lists by Arrow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa


def group_lists(
    keys: Any,
    values: Any,
    *,
    distinct: bool = False,
    sort: bool = False,
    index: pd.Index | None = None,
) -> pd.Series:
    """Per key, the list of its non-null values: in their original order or sorted, with
    duplicates or distinct. Without ``index``: one entry per key that has a value, sorted
    by key; with it: one per ``index`` label, ``[]`` where there is no value."""
    frame = pd.DataFrame(
        {"k": np.asarray(keys, dtype=object), "v": np.asarray(values, dtype=object)}
    )
    frame = frame[frame["v"].notna() & frame["k"].notna()]
    if distinct:
        frame = frame.drop_duplicates()
    frame = frame.sort_values(["k", "v"] if sort else "k", kind="stable")
    k = frame["k"].to_numpy()
    if len(k):
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        offsets = pa.array(np.r_[starts, len(k)], type=pa.int64())
        lists = pa.LargeListArray.from_arrays(offsets, pa.array(frame["v"].to_numpy()))
        out = pd.Series(lists.to_pylist(), index=pd.Index(k[starts]), dtype=object)
    else:
        out = pd.Series([], dtype=object)
    if index is None:
        return out
    return empty_lists(out.reindex(index))


def empty_lists(series: pd.Series) -> pd.Series:
    """``series`` with each missing entry replaced by its own empty list."""
    missing = np.flatnonzero(series.isna().to_numpy())
    if not len(missing):
        return series
    values = series.to_numpy(dtype=object, copy=True)
    fill = np.empty(len(missing), dtype=object)
    fill[:] = [[] for _ in missing]
    values[missing] = fill
    return pd.Series(values, index=series.index, name=series.name, dtype=object)
