"""Notebook 06's figures and the report's: fio per node, and the cluster's event churn."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sugarlab.views.figures.ticks import label_log_axis

BINS = ("1min", "5min", "15min", "1h", "6h", "1D")  # the first that gives at most MAX_BINS bars
MAX_BINS = 120


def fio_results_figure(measured: pd.DataFrame) -> Figure:
    """IOPS per node, and each node's completion-latency percentiles (log scale), from fio's results one
    row per job and direction (`sugarlab.steps.operations.fio_output.measured`): every `clat_<p>_us`
    column, in their order. A report with more than one workload labels each bar with it."""
    provenance = ", ".join(sorted(set(measured["provenance"].astype(str)))) or "no results"
    percentiles = [c.removeprefix("clat_").removesuffix("_us") for c in measured if c.startswith("clat_")]
    frame = measured.sort_values(["node", "workload"], ascending=False)
    workloads = sorted({w for w in frame["workload"] if w})
    labels = frame["node"] if len(workloads) <= 1 else frame["node"] + " · " + frame["workload"]
    figure = Figure(figsize=(10, 1.6 + 0.5 * max(len(frame), 2)), layout="constrained")
    iops, latency = figure.subplots(1, 2, sharey=True)
    bars = iops.barh(labels, frame["iops"].fillna(0.0), color="tab:blue")
    iops.bar_label(bars, labels=["no result" if pd.isna(v) else f"{v:,.0f}" for v in frame["iops"]], padding=3)
    iops.set_xlabel(f"{workloads[0]} IOPS" if len(workloads) == 1 else "IOPS")
    iops.set_xlim(0, max(float(frame["iops"].fillna(0.0).max()), 1.0) * 1.3)
    for name, marker in zip(percentiles, "o^sD", strict=False):  # markers to spare: a frame may hold fewer percentiles
        latency.plot(frame[f"clat_{name}_us"] / 1000, labels, marker=marker, linestyle="", label=name.replace("_", "."))
    latency.set_xscale("log")
    label_log_axis(latency.xaxis)
    latency.set_xlabel("completion latency, ms (log scale)")
    latency.legend(fontsize="small")
    figure.suptitle(f"fio per node: {', '.join(workloads) or 'no results'} ({provenance})")
    return figure


def event_churn(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Events per time bin (by creation time) and type; the bin is the first of BINS that keeps the
    plot readable (at most MAX_BINS bars). Returns the counts (index: bin start) and the bin."""
    if frame.empty:
        return pd.DataFrame(), BINS[0]
    span = frame["created"].max() - frame["created"].min()
    every = next((b for b in BINS if span / pd.Timedelta(b) <= MAX_BINS), BINS[-1])
    counts = (
        frame.assign(bin=frame["created"].dt.floor(every)).groupby(["bin", "type"]).size().unstack("type", fill_value=0)
    )
    full = pd.date_range(counts.index.min(), counts.index.max(), freq=every)
    return counts.reindex(full, fill_value=0), every


def event_churn_figure(frame: pd.DataFrame, provenance: str) -> Figure:
    """Stacked bars of events per bin, Normal and Warning, over the cluster's event history."""
    counts, every = event_churn(frame)
    figure = Figure(figsize=(10, 3.2), layout="constrained")
    axes = figure.subplots()
    width = pd.Timedelta(every) * 0.9
    bottom = None
    for kind, colour in (("Normal", "tab:blue"), ("Warning", "tab:red")):
        if kind in counts:
            axes.bar(counts.index, counts[kind], width=width, bottom=bottom, color=colour, label=kind, align="edge")
            bottom = counts[kind] if bottom is None else bottom + counts[kind]
    axes.set_ylabel(f"events per {every}")
    axes.set_xlabel("creation time (UTC)")
    if not counts.empty:
        axes.legend()
    figure.suptitle(f"Event churn, all namespaces ({provenance}; {len(frame)} events)")
    return figure
