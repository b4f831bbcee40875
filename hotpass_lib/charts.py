"""Small, consistent charts for the stage notebooks (matplotlib figures)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def _figure(rows: int) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(7, max(2.0, 0.35 * rows + 1)))
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def share_bars(shares: pd.Series, title: str) -> Figure:
    """Horizontal bars of shares in 0..1 (e.g. completeness per field)."""
    fig, ax = _figure(len(shares))
    ax.barh(shares.index.astype(str), shares.to_numpy(), color="#2F5597")
    ax.set_xlim(0, 1)
    ax.set_title(title)
    for y, v in enumerate(shares.to_numpy()):
        ax.text(min(v + 0.01, 0.93), y, f"{v:.0%}", va="center", fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def count_bars(counts: pd.Series, title: str) -> Figure:
    """Horizontal bars of counts (e.g. rows per sheet, organisations per source)."""
    fig, ax = _figure(len(counts))
    ax.barh(counts.index.astype(str), counts.to_numpy(), color="#548235")
    ax.set_title(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def histogram(values: pd.Series, title: str, bins: int = 10) -> Figure:
    """Histogram of a numeric column (e.g. data-quality score)."""
    fig, ax = _figure(6)
    ax.hist(values.dropna().to_numpy(), bins=bins, color="#C55A11", edgecolor="white")
    ax.set_title(title)
    fig.tight_layout()
    plt.close(fig)
    return fig
