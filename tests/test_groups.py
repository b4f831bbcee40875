"""group_lists gives what groupby(...).agg(list) gives, without a call per group."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from hotpass_lib.groups import group_lists, pandas_lists

pairs = st.lists(st.tuples(st.sampled_from("abcde"), st.none() | st.text("xyz", max_size=2)))


@given(pairs)
def test_same_lists_as_pandas(rows: list[tuple[str, str | None]]) -> None:
    frame = pd.DataFrame(rows, columns=["k", "v"], dtype=object).dropna()
    expected = frame.groupby("k")["v"].agg(list).to_dict()
    keys, values = zip(*rows, strict=True) if rows else ((), ())
    assert group_lists(list(keys), list(values)).to_dict() == expected


@given(pairs)
def test_distinct_sorted_and_reindexed(rows: list[tuple[str, str | None]]) -> None:
    keys, values = zip(*rows, strict=True) if rows else ((), ())
    out = group_lists(
        list(keys), list(values), distinct=True, sort=True, index=pd.Index(list("abcdef"))
    )
    for key in "abcdef":
        assert out[key] == sorted({v for k, v in rows if k == key and v is not None})


key_kinds = st.sampled_from([st.sampled_from(["b", "a", "é", "ab", "Z", ""]), st.integers(-2, 2)])
value_kinds = st.sampled_from([st.text("xyé ", max_size=2), st.integers(-3, 3)])
keys_and_values = st.tuples(key_kinds, value_kinds).flatmap(
    lambda kinds: st.lists(st.tuples(st.none() | kinds[0], st.none() | kinds[1]))
)


@given(keys_and_values, st.booleans(), st.booleans(), st.booleans())
def test_arrow_lists_equal_the_pandas_reference(
    rows: list[tuple[object, object]], distinct: bool, sort: bool, as_series: bool
) -> None:
    """The Arrow path gives the lists, order and keys of the object-array reference."""
    keys, values = zip(*rows, strict=True) if rows else ((), ())
    k: object = pd.Series(keys, dtype=object) if as_series else list(keys)
    v: object = pd.Series(values, dtype=object) if as_series else list(values)
    got = group_lists(k, v, distinct=distinct, sort=sort)
    expected = pandas_lists(k, v, distinct=distinct, sort=sort)
    assert got.tolist() == expected.tolist()
    assert got.index.tolist() == expected.index.tolist()
    pairs = zip(got.explode().dropna(), expected.explode().dropna(), strict=True)
    assert all(type(a) is type(b) for a, b in pairs)


@given(st.lists(st.tuples(st.integers(0, 5), st.none() | st.sampled_from(["p", "q", "r"]))))
def test_string_dtypes_and_index_give_the_reference_lists(
    rows: list[tuple[int, str | None]],
) -> None:
    keys = pd.Series([f"k{k}" for k, _ in rows], dtype="string[pyarrow]")
    values = pd.Series([v for _, v in rows], dtype="str")
    index = pd.Index([f"k{k}" for k in range(7)])
    got = group_lists(keys, values, distinct=True, sort=True, index=index)
    expected = pandas_lists(keys, values, distinct=True, sort=True).reindex(index)
    assert got.tolist() == [v if isinstance(v, list) else [] for v in expected]
