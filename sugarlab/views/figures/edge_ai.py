"""Notebook 05's figures and the report's: inference latency across the tuning sweep."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure


def latency_distribution_figure(distributions: dict[str, list[float]], provenance: str) -> Figure:
    """Each setting's and concurrency's request latencies as a box plot (notebook 05)."""
    shown = {k: v for k, v in distributions.items() if v}
    figure = Figure(figsize=(9, 0.8 + 0.4 * len(shown)))
    axes = figure.subplots()
    axes.boxplot(list(shown.values()), vert=False, tick_labels=list(shown), showfliers=True)
    axes.set_xlabel("latency through the service proxy (ms)")
    axes.set_title(f"Latency distribution per setting and concurrency ({provenance})")
    figure.tight_layout()
    return figure


def p95_figure(study: pd.DataFrame, defaults: Mapping[str, object], provenance: str) -> Figure:
    """p95 against batch size and against threads, each varied while the other knobs keep their `defaults`."""
    figure = Figure(figsize=(9, 3))
    by_batch, by_threads = figure.subplots(1, 2, sharey=True)
    for axes, knob in ((by_batch, "max_batch"), (by_threads, "intra_op_threads")):
        others = [k for k in ("max_batch", "intra_op_threads", "replicas", "cpu_limit") if k != knob]
        varied = study[(study[others] == pd.Series({k: defaults[k] for k in others})).all(axis=1)]
        for concurrency, group in varied.groupby("concurrency"):
            group = group.sort_values(knob)
            axes.plot(group[knob], group["p95_ms"], marker="o", label=f"concurrency {concurrency}")
        axes.set_xlabel(knob.replace("_", " "))
    by_batch.set_ylabel("p95 latency (ms)")
    by_batch.legend(fontsize="small")
    figure.suptitle(f"p95 against batch size and threads ({provenance})")
    figure.tight_layout()
    return figure


def tuning_latency_figure(study: pd.DataFrame, provenance: str) -> Figure:
    """p50 and p95 of every setting of the tuning sweep at its highest concurrency; the chosen one marked (report)."""
    top = study[study["concurrency"] == study["concurrency"].max()].reset_index(drop=True)
    labels = [
        ("* " if r.chosen else "") + f"batch {r.max_batch:.0f}, {r.intra_op_threads:.0f} thr, "
        f"{r.replicas:.0f} rep, cpu {r.cpu_limit}"
        for r in top.itertuples()
    ]
    figure = Figure(figsize=(9, 1 + 0.45 * max(len(top), 2)))
    axes = figure.subplots()
    positions = range(len(top))
    axes.barh([y - 0.2 for y in positions], top["p50_ms"], height=0.4, label="p50")
    axes.barh([y + 0.2 for y in positions], top["p95_ms"], height=0.4, label="p95")
    axes.set_yticks(list(positions), labels)
    axes.set_xlabel(f"latency at concurrency {top['concurrency'].max():.0f} (ms)")
    axes.legend(fontsize="small")
    axes.set_title(f"Inference latency per setting, * chosen ({provenance})")
    figure.tight_layout()
    return figure
