"""Notebook 03's figures: where the stress pods ran, node CPU under the stress Job, and the grown cluster
against the baseline."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

GIB = 1024**3


def baseline_comparison_figure(per_node: pd.DataFrame, provenance: str) -> Figure:
    """CPU and memory each node used at the baseline (idle) and under load after the expansion."""
    figure = Figure(figsize=(9, 3.2))
    cpu, memory = figure.subplots(1, 2)
    positions = range(len(per_node))
    for axes, column, label in ((cpu, "cpu", "CPU used (cores)"), (memory, "memory", "memory used (GiB)")):
        scale = GIB if column == "memory" else 1
        base = per_node[f"baseline_{column}_{'cores' if column == 'cpu' else 'bytes'}"].fillna(0) / scale
        load = per_node[f"load_{column}_{'cores' if column == 'cpu' else 'bytes'}"] / scale
        axes.bar([x - 0.2 for x in positions], base, width=0.4, label="baseline (idle)")
        axes.bar([x + 0.2 for x in positions], load, width=0.4, label="post-expansion, under load")
        axes.set_xticks(list(positions), per_node["node"], rotation=20)
        axes.set_ylabel(label)
    cpu.legend(fontsize="small")
    figure.suptitle(f"Baseline vs post-expansion ({provenance})")
    figure.tight_layout()
    return figure


def stress_placement_figure(placement: pd.DataFrame, provenance: str) -> Figure:
    """Running stress pods per node over the Job's run, stacked."""
    running = placement[placement["phase"] == "Running"].pivot_table(
        index="at", columns="node", values="pods", aggfunc="sum", fill_value=0
    )
    figure = Figure(figsize=(8, 3))
    axes = figure.subplots()
    if not running.empty:
        elapsed = (running.index - running.index[0]).total_seconds()
        axes.stackplot(elapsed, running.T.values, labels=running.columns, step="post")
        axes.legend(loc="upper right", fontsize="small")
    axes.set_xlabel("seconds since the first sample (cluster clock)")
    axes.set_ylabel("running stress pods")
    axes.set_title(f"Where the stress pods ran ({provenance})")
    figure.tight_layout()
    return figure


def stress_usage_figure(node_usage: pd.DataFrame, provenance: str) -> Figure:
    """Each node's CPU, as a share of its allocatable, through the stress Job."""
    figure = Figure(figsize=(8, 3))
    axes = figure.subplots()
    if not node_usage.empty:
        start = node_usage["at"].min()
        for name, group in node_usage.groupby("name"):
            axes.plot((group["at"] - start).dt.total_seconds(), group["cpu_percent"], marker=".", label=name)
        axes.legend(fontsize="small")
    axes.set_ylim(0, 105)
    axes.set_xlabel("seconds since the first sample (cluster clock)")
    axes.set_ylabel("CPU, % of allocatable")
    axes.set_title(f"Node CPU during the stress Job ({provenance})")
    figure.tight_layout()
    return figure
