"""Small, consistent charts for the stage notebooks.

Charts are matplotlib figures wrapped in :class:`Chart`, which renders itself as PNG in
Jupyter whatever the backend (so executed notebooks and their HTML always carry the image),
with a text alternative stating what the chart shows (the ``alt`` of the rendered image).
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure


class Chart:
    """A figure that displays as PNG in notebooks, with ``alt`` text saying what it shows."""

    def __init__(self, figure: Figure, alt: str) -> None:
        self.figure = figure
        self.alt = alt

    def _repr_png_(self) -> tuple[bytes, dict[str, str]]:
        buffer = io.BytesIO()
        self.figure.savefig(
            buffer, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None}
        )
        return buffer.getvalue(), {"alt": self.alt}


def _described(title: str, labels: pd.Index, values: list[str], limit: int = 20) -> str:
    """``Title: a 12, b 7, ...`` (at most ``limit`` bars named)."""
    parts = [f"{label} {value}" for label, value in zip(labels, values, strict=True)]
    more = f", and {len(parts) - limit} more" if len(parts) > limit else ""
    return f"{title}: " + ", ".join(parts[:limit]) + more


def _axes(rows: int) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(7, max(2.0, 0.35 * rows + 1)))
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def share_bars(shares: pd.Series, title: str) -> Chart:
    """Horizontal bars of shares in 0..1 (e.g. completeness per field)."""
    fig, ax = _axes(len(shares))
    ax.barh(shares.index.astype(str), shares.to_numpy(), color="#2F5597")
    ax.set_xlim(0, 1)
    ax.set_title(title)
    for y, v in enumerate(shares.to_numpy()):
        ax.text(min(v + 0.01, 0.93), y, f"{v:.0%}", va="center", fontsize=8)
    fig.tight_layout()
    return Chart(fig, _described(title, shares.index, [f"{v:.0%}" for v in shares.to_numpy()]))


def count_bars(counts: pd.Series, title: str) -> Chart:
    """Horizontal bars of counts (e.g. rows per sheet, organisations per source)."""
    fig, ax = _axes(len(counts))
    ax.barh(counts.index.astype(str), counts.to_numpy(), color="#548235")
    ax.set_title(title)
    for y, v in enumerate(counts.to_numpy()):
        ax.text(v, y, f" {v:,}", va="center", fontsize=8)
    fig.tight_layout()
    return Chart(fig, _described(title, counts.index, [f"{v:,}" for v in counts.to_numpy()]))


def histogram(values: pd.Series, title: str, bins: int = 10) -> Chart:
    """Histogram of a numeric column (e.g. data-quality score)."""
    fig, ax = _axes(6)
    data = values.dropna()
    ax.hist(data.to_numpy(), bins=bins, color="#C55A11", edgecolor="white")
    ax.set_title(title)
    fig.tight_layout()
    alt = f"{title}: histogram of {len(data):,} values" + (
        f" from {data.min():.2f} to {data.max():.2f}, median {data.median():.2f}"
        if len(data)
        else ""
    )
    return Chart(fig, alt)


def headline_table(values: dict[str, object]) -> pd.DataFrame:
    """Headline numbers as a one-column table (integers stay integers)."""
    return pd.Series(values, name="value", dtype=object).to_frame()
