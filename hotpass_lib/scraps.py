"""Thin wrapper over scrapbook: notebooks glue values, the runner reads them back.

Only ``glue`` and ``read_notebook`` are used (scrapbook's DataFrame encoders are broken on
pandas >= 2); values must be JSON-serialisable scalars, lists or dicts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def _plain(value: Any) -> Any:
    """numpy scalars and containers -> plain JSON types."""
    return json.loads(
        json.dumps(value, default=lambda v: v.item() if isinstance(v, np.generic) else str(v))
    )


def glue(name: str, value: Any) -> None:
    """Record ``value`` under ``name`` in the executing notebook (invisible in the output)."""
    import scrapbook as sb

    sb.glue(name, _plain(value), encoder="json")


def glue_many(values: dict[str, Any]) -> None:
    """Glue several values at once."""
    for name, value in values.items():
        glue(name, value)


def read_scraps(notebook: Path | str) -> dict[str, Any]:
    """The values glued in an executed notebook, by name."""
    import scrapbook as sb

    return {name: scrap.data for name, scrap in sb.read_notebook(str(notebook)).scraps.items()}
