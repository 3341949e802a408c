"""Notebook 04's figure: the SQLite writer's rows across the failures it survived."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import pandas as pd
from matplotlib.dates import date2num
from matplotlib.figure import Figure


class FailureMark(NamedTuple):
    """A failure as the plot marks it: when it was injected and when the writer was Ready again, if it was."""

    name: str
    started: datetime
    ready: datetime | None


def failover_rows_figure(history: pd.DataFrame, failures: list[FailureMark], provenance: str) -> Figure:
    """Rows in the database over time, by the node that wrote them, with each failure and recovery marked."""
    figure = Figure(figsize=(9, 4))
    ax = figure.subplots()
    for node, rows in history.groupby("node"):
        ax.plot(rows["ts"], rows["id"], ".", markersize=3, label=f"written on {node}")
    for failure in failures:
        ax.axvline(date2num(failure.started), color="tab:red", linestyle="--", linewidth=1)
        ax.annotate(
            failure.name,
            (failure.started, ax.get_ylim()[1]),
            rotation=90,
            va="top",
            ha="right",
            fontsize=8,
            color="tab:red",
        )
        if failure.ready is not None:
            ax.axvspan(date2num(failure.started), date2num(failure.ready), color="tab:red", alpha=0.12)
    ax.set_xlabel("cluster time (UTC)")
    ax.set_ylabel("row id")
    ax.set_title(f"SQLite rows on the shared claim across failures ({provenance})")
    ax.legend(loc="lower right", fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure
