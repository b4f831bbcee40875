"""Thin wrapper over scrapbook: notebooks glue values, the runner reads them back.

Values are written in scrapbook's glue format (a ``display_data`` output of media type
``application/scrapbook.scrap.json+json``, payload version 1) and read back with
``scrapbook.read_notebook``. Glueing does not import scrapbook: in a kernel its import
(papermill, nbformat, jsonschema) costs seconds per stage for four lines of output.
Only JSON values are glued (scrapbook's DataFrame encoders are broken on pandas >= 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

SCRAP_MEDIA_TYPE = "application/scrapbook.scrap.json+json"
SCRAP_VERSION = 1


def _plain(value: Any) -> Any:
    """numpy scalars and containers -> plain JSON types."""
    return json.loads(
        json.dumps(value, default=lambda v: v.item() if isinstance(v, np.generic) else str(v))
    )


def scrap_output(name: str, value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The display data and metadata ``scrapbook.glue(name, value, encoder="json")`` emits."""
    data = _plain(value)
    if data is None:  # scrapbook's payload schema has no null
        raise ValueError(f"cannot glue {name!r}: None is not a scrap value")
    payload = {"name": name, "data": data, "encoder": "json", "version": SCRAP_VERSION}
    return {SCRAP_MEDIA_TYPE: payload}, {
        "scrapbook": {"name": name, "data": True, "display": False}
    }


def glue(name: str, value: Any) -> None:
    """Record ``value`` under ``name`` in the executing notebook (invisible in the output)."""
    from IPython.display import display

    data, metadata = scrap_output(name, value)
    display(data, metadata=metadata, raw=True)


def glue_many(values: dict[str, Any]) -> None:
    """Glue several values at once."""
    for name, value in values.items():
        glue(name, value)


def read_scraps(notebook: Path | str) -> dict[str, Any]:
    """The values glued in an executed notebook, by name."""
    import scrapbook as sb

    return {name: scrap.data for name, scrap in sb.read_notebook(str(notebook)).scraps.items()}
