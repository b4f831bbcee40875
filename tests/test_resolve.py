"""Blocking keys: name variants let one-word differences meet without huge blocks."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_value_shared_by_more_rows_than_the_cap_does_not_block() -> None:
    from hotpass_lib.resolve import _training_rules, block_keys

    n = 8
    feats = pd.DataFrame(
        {
            "unique_id": [f"r{i}" for i in range(n)],
            "name_key": [f"org {i}" for i in range(n)],
            "name_squashes": [["acme"], ["acme"], ["acme"], ["acme"], ["zed"], ["zed"], None, None],
            # a region typed into the address of five rows; a real address shared by two
            "address_key": ["gauteng"] * 5 + ["12 main rd", "12 main rd", None],
            "phones": [["+2711"], ["+2711", "+2782"], ["+2782"], None, None, None, None, None],
            "phone": ["+2711", "+2711", "+2782", None, None, None, None, None],
            "postcode": ["2000"] * n,
        }
    )
    used = ["address_key", "phones", "postcode"]
    got = block_keys(feats, used, cap=4).set_index("unique_id")
    assert got["address_key_block"].tolist()[5:] == ["12 main rd", "12 main rd", None]
    assert got["address_key_block"].isna().sum() == 6  # "gauteng" (5 rows > 4) blocks nothing
    assert list(got.loc["r1", "phones_block"]) == ["+2711", "+2782"]
    assert list(got.loc["r0", "name_squashes_block"]) == ["acme"]  # 4 rows: within the cap
    assert got.loc["r5", "postcode_block"] == "2000 12 m"  # postcode with the address start
    assert got.loc["r0", "postcode_block"] is None  # "2000 gaut": 5 rows
    assert got.loc["r7", "postcode_block"] == "2000"  # no address: the postcode alone
    rules = dict(_training_rules(got.reset_index(), used))
    assert rules == {"name_key": 0, "phone": 1, "address_key": 1, "postcode": 1}


def _components_reference(nodes: pd.Series, edges: pd.DataFrame) -> pd.Series:
    """Components as first written: min-label propagation with pandas maps."""
    label = pd.Series(nodes.to_numpy(), index=nodes.to_numpy())
    if edges.empty:
        return label
    swapped = edges.rename(columns={"left": "right", "right": "left"})
    both = pd.concat([edges[["left", "right"]], swapped[["left", "right"]]])
    while True:
        neighbour = both.assign(lab=both["right"].map(label)).groupby("left")["lab"].min()
        new = label.copy()
        new.loc[neighbour.index] = neighbour.where(
            neighbour < label.loc[neighbour.index], label.loc[neighbour.index]
        )
        new = new.map(new)
        if new.equals(label):
            return label
        label = new


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
        )
    )
)
def test_components_equal_the_pandas_reference(graph: tuple[int, list[tuple[int, int]]]) -> None:
    from hotpass_lib.resolve import components

    n, pairs = graph
    nodes = pd.Series([f"src-{i * 7919 % 101:03d}" for i in range(n)], dtype="string")
    edges = pd.DataFrame(
        {"left": [nodes[a] for a, _ in pairs], "right": [nodes[b] for _, b in pairs]},
        dtype="string",
    )
    got = components(nodes, edges)
    expected = _components_reference(nodes, edges)
    assert got.index.tolist() == expected.index.tolist()
    assert got.tolist() == expected.tolist()


def _unrelated_reference(pairs: pd.DataFrame, feats: pd.DataFrame) -> pd.Series:
    """``unrelated_names`` as first written: Python sets and rapidfuzz pair by pair."""
    from rapidfuzz.distance import JaroWinkler

    ids = feats["unique_id"]
    words = dict(zip(ids, feats["name_core"].fillna("").str.split(" "), strict=True))
    forms = dict(zip(ids, feats["name_squashes"], strict=True))
    squash = dict(zip(ids, feats["name_squash"].fillna(""), strict=True))
    out = [
        not (set(words.get(a, [])) & set(words.get(b, [])) - {""})
        and not (set(forms.get(a) or []) & set(forms.get(b) or []))
        and JaroWinkler.normalized_similarity(squash.get(a, ""), squash.get(b, "")) < 0.8
        for a, b in zip(pairs["left"], pairs["right"], strict=True)
    ]
    return pd.Series(out, index=pairs.index, dtype=bool)


CORE = st.one_of(st.none(), st.lists(st.sampled_from(["aero", "sky", "air", "ab", "ba"]),
                                     min_size=1, max_size=3).map(" ".join))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            CORE,
            st.one_of(
                st.none(), st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=2)
            ),
        ),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=12),
)
def test_unrelated_names_equal_the_python_reference(rows: list, links: list) -> None:
    from hotpass_lib.resolve import unrelated_names

    feats = pd.DataFrame(
        {
            "unique_id": [f"u{i}" for i in range(len(rows))],
            "name_core": pd.Series([c for c, _ in rows], dtype="string"),
            "name_squashes": [s for _, s in rows],
            "name_squash": pd.Series(
                [c.replace(" ", "") if c else None for c, _ in rows], dtype="string"
            ),
        }
    )
    pairs = pd.DataFrame(  # ids past the rows are unknown to feats
        {"left": [f"u{a}" for a, _ in links], "right": [f"u{b}" for _, b in links]},
        index=[3 * i for i in range(len(links))],
        dtype="string",
    )
    got = unrelated_names(pairs, feats)
    assert got.index.equals(pairs.index)
    assert got.tolist() == _unrelated_reference(pairs, feats).tolist()


def _honour_apart_reference(label: pd.Series, edges: pd.DataFrame, apart: set) -> pd.Series:
    """``_honour_apart`` as first written: every member pair checked at each union."""
    bad = {
        label[a] for a, b in apart if a in label.index and b in label.index and label[a] == label[b]
    }
    if not bad:
        return label
    rank = {"reviewer: same": 0, "same name key": 1, "same name form": 2, "one typo": 3,
            "match model": 4}  # fmt: skip
    inside = edges[edges["left"].map(label).isin(bad)].assign(rank=edges["reason"].map(rank))
    inside = inside.sort_values(["rank", "left", "right"], kind="stable")
    parent = {node: node for node in label.index[label.isin(bad)]}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    members = {node: {node} for node in parent}
    for left, right in zip(inside["left"], inside["right"], strict=True):
        a, b = root(left), root(right)
        if a == b or any((min(x, y), max(x, y)) in apart for x in members[a] for y in members[b]):
            continue
        parent[b] = a
        members[a] |= members.pop(b)
    out = label.copy()
    for group in members.values():
        out.loc[list(group)] = min(group)
    return out


REASONS = st.sampled_from(["reviewer: same", "same name key", "one typo", "match model"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), REASONS), max_size=25),
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=6),
)
def test_honour_apart_equals_the_pairwise_reference(links: list, kept: list) -> None:
    from hotpass_lib.resolve import _honour_apart, components

    nodes = pd.Series([f"n{i:02d}" for i in range(12)], dtype="string")
    edges = pd.DataFrame(
        {
            "left": [f"n{min(a, b):02d}" for a, b, _ in links],
            "right": [f"n{max(a, b):02d}" for a, b, _ in links],
            "reason": [r for _, _, r in links],
        }
    )
    edges = edges[edges["left"] != edges["right"]]
    apart = {(f"n{min(a, b):02d}", f"n{max(a, b):02d}") for a, b in kept if a != b}
    label = components(nodes, edges)
    got = _honour_apart(label, edges, apart)
    assert got.tolist() == _honour_apart_reference(label, edges, apart).tolist()
    assert all(got[a] != got[b] for a, b in apart)  # what a reviewer kept apart stays apart
