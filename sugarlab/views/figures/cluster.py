"""The cluster at a glance (notebook 01): node CPU and memory use, pods per node; and any figure as PNG."""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure


def _source(frame: pd.DataFrame, provenance: str | None) -> str:
    if provenance:
        return provenance
    if "provenance" in frame and not frame.empty:
        return ", ".join(sorted(set(frame["provenance"].astype(str))))
    return "unknown source"


def node_usage_figure(top_nodes: pd.DataFrame, provenance: str | None = None) -> Figure:
    """Horizontal bars of each node's CPU and memory use as % of allocatable (from `usage.top_nodes_frame`).

    Labels truncate like `kubectl top` (29.9% reads 29%). Nodes without metrics (`<unknown>`) keep
    their row with no bar and an "unknown" label.
    """
    frame = top_nodes.sort_values("name", ascending=False)
    fig = Figure(figsize=(9, 1.2 + 0.45 * max(len(frame), 1)), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, column, label in ((axes[0], "cpu_percent", "CPU"), (axes[1], "memory_percent", "Memory")):
        values = frame[column].astype(float)
        bars = ax.barh(frame["name"], values.fillna(0.0), color="tab:blue" if label == "CPU" else "tab:orange")
        ax.bar_label(bars, labels=["unknown" if pd.isna(v) else f"{int(v)}%" for v in values], padding=3)
        ax.set_xlim(0, max(100.0, float(values.max(skipna=True) or 0) * 1.15))
        ax.set_xlabel(f"{label} used, % of allocatable")
        ax.set_title(label)
    fig.suptitle(f"Node resource use ({_source(top_nodes, provenance)})")
    return fig


def pods_per_node_figure(pods: pd.DataFrame, provenance: str | None = None) -> Figure:
    """Horizontal bars counting pods on each node (from `inventory.pods_frame`); unscheduled pods show as `<none>`."""
    counts = pods.groupby("node").size().sort_index(ascending=False)
    fig = Figure(figsize=(7, 1.2 + 0.45 * max(len(counts), 1)), layout="constrained")
    ax = fig.subplots()
    bars = ax.barh(counts.index.astype(str), counts.to_numpy())
    ax.bar_label(bars, padding=3)
    ax.set_xlabel("pods")
    ax.set_title(f"Pods per node ({provenance or 'unknown source'})")
    return fig


def png_bytes(figure: Figure, dpi: int = 110) -> bytes:
    """A figure as a PNG file, for artefacts and pages that embed it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
