"""Blocking keys: name variants let one-word differences meet without huge blocks."""

from __future__ import annotations

import pandas as pd

from hotpass_lib.resolve import name_variants


def test_spellings_differing_in_one_word_share_a_variant() -> None:
    names = pd.Series(["zenith rand flight training", "zenith rand flight traiinng", "acme"])
    found = name_variants(pd.Series(["a", "b", "c"]), names)
    assert set(found["a"]) & set(found["b"]) == {"zenith rand flight"}
    assert "c" not in found.index  # a one-word name has no variant to share


def test_a_variant_shared_by_too_many_rows_is_dropped() -> None:
    names = pd.Series([f"aviation {word}" for word in ("alpha", "bravo", "charlie", "delta")])
    found = name_variants(pd.Series(list("abcd")), names, cap=3)
    assert all("aviation" not in v for v in found)  # shared by 4 rows > cap
    assert found["a"] == ["alpha"]
