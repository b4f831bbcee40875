"""Per-group lists, vectorised: ``groupby(...).agg(list)`` without a Python call per group.

pandas runs a lambda (or ``list``) once per group; at a million rows that is most of the
refine stage. Here keys and values go to Arrow, are ranked once (dictionary-encoded, the
distinct values sorted), ordered by integer ranks in NumPy and cut into lists by Arrow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_UNTYPED = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


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
    try:
        out = _arrow_lists(_arrow(keys), _arrow(values), distinct, sort)
    except _UNTYPED:  # keys or values of mixed kinds: no Arrow type holds them
        out = pandas_lists(keys, values, distinct=distinct, sort=sort)
    if index is None:
        return out
    return empty_lists(out.reindex(index))


def _arrow(values: Any) -> pa.Array:
    """``values`` as one Arrow array, missing values (None, NaN, NA) as nulls."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _ranks(values: pa.Array) -> np.ndarray:
    """Each value's rank among the distinct values (equal values, equal ranks)."""
    encoded = pc.dictionary_encode(values)
    order = pc.rank(encoded.dictionary, sort_keys="ascending", tiebreaker="first")
    return np.asarray(order).astype(np.int64)[np.asarray(encoded.indices)]


def _arrow_lists(keys: pa.Array, values: pa.Array, distinct: bool, sort: bool) -> pd.Series:
    """:func:`group_lists` without ``index``, on Arrow arrays of one type each."""
    if len(keys) != len(values):
        raise ValueError(f"{len(keys)} keys but {len(values)} values")
    valid = pc.and_(pc.is_valid(keys), pc.is_valid(values))
    if valid.false_count:
        keys, values = keys.filter(valid), values.filter(valid)
    if not len(keys):
        return pd.Series([], dtype=object)
    k = _ranks(keys)
    if sort or distinct:
        pair = k * len(values) + _ranks(values)  # one integer per (key, value): < len**2
        order = np.argsort(pair, kind="stable")  # equal pairs stay in row order
        if distinct:
            ps = pair[order]
            order = order[np.r_[True, ps[1:] != ps[:-1]]]
            if not sort:  # first occurrences, back in row order within each key
                order.sort()
                order = order[np.argsort(k[order], kind="stable")]
    else:
        order = np.argsort(k, kind="stable")
    ks = k[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    offsets = pa.array(np.r_[starts, len(ks)], type=pa.int64())
    taken = pa.array(order)
    lists = pa.LargeListArray.from_arrays(offsets, values.take(taken))
    labels = keys.take(taken.take(pa.array(starts))).to_numpy(zero_copy_only=False)
    return pd.Series(lists.to_pylist(), index=pd.Index(labels), dtype=object)


def pandas_lists(keys: Any, values: Any, *, distinct: bool, sort: bool) -> pd.Series:
    """:func:`group_lists` without ``index``, on object arrays (any mix of value kinds)."""
    frame = pd.DataFrame(
        {"k": np.asarray(keys, dtype=object), "v": np.asarray(values, dtype=object)}
    )
    frame = frame[frame["v"].notna() & frame["k"].notna()]
    if distinct:
        frame = frame.drop_duplicates()
    frame = frame.sort_values(["k", "v"] if sort else "k", kind="stable")
    k = frame["k"].to_numpy()
    if not len(k):
        return pd.Series([], dtype=object)
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    offsets = pa.array(np.r_[starts, len(k)], type=pa.int64())
    lists = pa.LargeListArray.from_arrays(offsets, pa.array(frame["v"].to_numpy()))
    return pd.Series(lists.to_pylist(), index=pd.Index(k[starts]), dtype=object)


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
