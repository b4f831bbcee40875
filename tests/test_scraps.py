"""Glued values come back from the executed notebook, read by scrapbook, as they went in."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpass_lib.scraps import read_scraps, scrap_output

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
).filter(lambda v: v is not None)  # scrapbook has no null scrap; nested nulls are fine


def _notebook_with(values: dict, path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue")
    for name, value in values.items():
        data, metadata = scrap_output(name, value)
        cell.outputs.append(nbformat.v4.new_output("display_data", data=data, metadata=metadata))
    nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), json_values, max_size=5))
def test_any_json_value_round_trips_through_scrapbook(tmp_path_factory, values: dict) -> None:
    path = _notebook_with(values, tmp_path_factory.mktemp("nb") / "glued.ipynb")
    assert read_scraps(path) == values


def test_none_is_refused_as_scrapbook_would() -> None:
    with pytest.raises(ValueError, match="None is not a scrap value"):
        scrap_output("missing", None)


def test_numpy_scalars_are_glued_as_plain_numbers(tmp_path: Path) -> None:
    values = {"rows": np.int64(5029), "share": np.float64(0.25), "ok": np.bool_(True)}
    assert read_scraps(_notebook_with(values, tmp_path / "np.ipynb")) == {
        "rows": 5029,
        "share": 0.25,
        "ok": True,
    }
