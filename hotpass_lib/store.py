"""Stage tables on disk: deterministic Parquet, folders written all-or-nothing, read back
with real lists; a stage's inputs as the stage registry declares them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import atomic_dir
from .stages import stage as stage_spec
from .telemetry import traced


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Deterministic Parquet: no index, fixed compression, no timestamps in metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


@traced("hotpass.store.save_tables")
def save_tables(
    tables: dict[str, pd.DataFrame], out_dir: Path | str, texts: dict[str, str] | None = None
) -> list[Path]:
    """Write each frame to ``out_dir/<name>.parquet`` (and each text to ``out_dir/<name>``),
    replacing the folder atomically."""
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        for name, frame in tables.items():
            write_parquet(frame, tmp / f"{name}.parquet")
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return [out_dir / f"{name}.parquet" for name in tables] + [out_dir / n for n in texts or {}]


def load_table(path: Path | str) -> pd.DataFrame:
    """Read a Parquet file; list columns come back as Python lists (not arrays)."""
    table = pq.read_table(path)
    lists = [
        f.name for f in table.schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)
    ]
    frame = table.drop_columns(lists).to_pandas()  # lists straight to Python, not via NumPy
    for name in lists:
        column = table.column(name)
        values = column.to_pylist()
        if column.null_count:
            values = [v if v is not None else [] for v in values]
        frame[name] = np.fromiter(values, dtype=object, count=len(values))
    return frame[table.column_names] if lists else frame


def load_tables(folder: Path | str, names: list[str]) -> dict[str, pd.DataFrame]:
    """Read ``folder/<name>.parquet`` for each name, naming the missing file if absent."""
    folder = Path(folder)
    missing = [n for n in names if not (folder / f"{n}.parquet").is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder}: missing {missing}. Fix: run the earlier stage first (dvc repro)."
        )
    return {n: load_table(folder / f"{n}.parquet") for n in names}


@traced("hotpass.store.load_inputs")
def load_inputs(stage: str, interim_dir: Path | str) -> dict[str, dict[str, pd.DataFrame]]:
    """The tables ``stage`` reads, by the stage that wrote them, as the stage registry
    (:mod:`hotpass_lib.stages`) declares them: ``load_inputs("publish", interim_dir)
    ["refine"]["organisations"]``."""
    reads = stage_spec(stage).reads
    return {
        upstream: load_tables(Path(interim_dir) / upstream, list(names))
        for upstream, names in reads.items()
    }
