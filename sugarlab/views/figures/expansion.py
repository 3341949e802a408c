"""Notebook 02's figures: the power budget of the grown cluster, and how long each new worker took to join."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure


def power_budget_figure(devices: pd.DataFrame, rating_w: float, limit: float) -> Figure:
    """Each device's worst-case draw stacked against the supply's rating and the share of it allowed (`limit`)."""
    figure = Figure(figsize=(8, 1.8 + 0.3 * len(devices)))
    axes = figure.subplots()
    left = 0.0
    for device, watts in zip(devices["device"], devices["watts"], strict=True):
        axes.barh(["draw"], [watts], left=left, label=device)
        left += watts
    axes.axvline(rating_w * limit, color="tab:orange", linestyle="--", label=f"{limit:.0%} of rating")
    axes.axvline(rating_w, color="tab:red", label="rating")
    axes.set_xlabel("watts (worst case)")
    axes.set_title(f"Power budget: {left / rating_w:.0%} of the supply's rating")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=3, fontsize="small")
    figure.tight_layout()
    return figure


def join_latency_figure(joined: pd.DataFrame, provenance: str) -> Figure:
    """Seconds from each worker's install request to its node being Ready; workers that did not join are left out."""
    done = joined[joined["latency_s"].notna()]
    figure = Figure(figsize=(7, 0.9 + 0.45 * len(done)))
    axes = figure.subplots()
    bars = axes.barh(done["worker"], done["latency_s"])
    axes.bar_label(bars, fmt="%.0f s", padding=3)
    axes.invert_yaxis()
    axes.set_xlabel("seconds from install request to Ready (cluster clock)")
    axes.set_title(f"Join latency per node ({provenance})")
    figure.tight_layout()
    return figure
