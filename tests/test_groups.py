"""group_lists gives what groupby(...).agg(list) gives, without a call per group."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from hotpass_lib.groups import group_lists

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
