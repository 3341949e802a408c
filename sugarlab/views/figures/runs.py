"""`sugarlab compare`'s figure: how each key figure changed from one archived run to another."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure


def run_change_figure(figures: pd.DataFrame, run_a: str, run_b: str) -> Figure:
    """The relative change (`change`, a fraction) of every key figure both runs have, by measure and unit."""
    shared = figures.dropna(subset=["change"])
    figure = Figure(figsize=(9, 1 + 0.35 * max(len(shared), 2)))
    axes = figure.subplots()
    axes.barh(
        [f"{m} ({u})" for m, u in zip(shared["measure"], shared["unit"], strict=True)],
        shared["change"] * 100,
        color=["tab:green" if v >= 0 else "tab:red" for v in shared["change"]],
    )
    axes.axvline(0, color="black", linewidth=0.8)
    axes.invert_yaxis()
    axes.set_xlabel(f"change from run A ({run_a}) to run B ({run_b}), %")
    figure.tight_layout()
    return figure
