"""Smoke tests: the figures carry one bar per node, readable labels and the provenance."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import cast

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sugarlab.kube.top import top_nodes_frame
from sugarlab.views.figures import fio_results_figure, node_usage_figure, pods_per_node_figure

DATA = Path(__file__).parents[1] / "data"


def top() -> pd.DataFrame:
    nodes = json.loads((DATA / "k3s-nodes.json").read_text())["items"]
    metrics = json.loads((DATA / "node-metrics-list-k3s.json").read_text())
    metrics["items"][0]["metadata"]["name"] = "noder"
    return top_nodes_frame(metrics, nodes, "simulated")


def test_node_usage_figure_has_bars_labels_and_provenance() -> None:
    fig = node_usage_figure(top())
    assert isinstance(fig, Figure)
    cpu, memory = fig.axes
    assert len(cpu.patches) == len(memory.patches) == 2
    assert [t.get_text() for t in cpu.get_yticklabels()] == ["noder", "kworker1"]
    labels = [t.get_text() for t in cpu.texts]
    assert "29%" in labels and "unknown" in labels
    assert "simulated" in fig.get_suptitle()
    assert cpu.get_xlabel() == "CPU used, % of allocatable"


def test_pods_per_node_counts() -> None:
    pods = pd.DataFrame({"node": ["pi-a", "pi-a", "pi-b", "<none>"]})
    fig = pods_per_node_figure(pods, "cluster")
    ax = fig.axes[0]
    widths = {
        t.get_text(): cast(Rectangle, p).get_width() for t, p in zip(ax.get_yticklabels(), ax.patches, strict=True)
    }
    assert widths == {"pi-b": 1, "pi-a": 2, "<none>": 1}
    assert "cluster" in ax.get_title()


def fio_rows(latencies_ms: list[float]) -> pd.DataFrame:
    """`fio_output.measured` rows, one per node, whose p50 to p99.9 spread over `latencies_ms`."""
    rows = []
    for i, low in enumerate(latencies_ms):
        clat = {f"clat_{p}_us": low * 1000 * factor for p, factor in (("p50", 1), ("p95", 1.3), ("p99", 1.6))}
        rows.append({"node": f"sugarkube{i}", "workload": "4k random-read", "iops": 3000.0, "provenance": "local"})
        rows[-1] |= clat | {"clat_p99_9_us": low * 2000}
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "latencies_ms",
    [
        [20.0, 22.0, 24.0],  # under a decade: matplotlib labels 2x10^1, 3x10^1, 4x10^1 side by side
        [0.05, 3.0, 40.0],  # four decades
        [0.01, 0.2, 600.0],  # five decades
        [21.0],  # no round value in range
    ],
)
def test_fio_latency_ticks_are_plain_numbers_that_never_overlap(latencies_ms: list[float]) -> None:
    figure = fio_results_figure(fio_rows(latencies_ms))
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # type: ignore[no-untyped-call]
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    latency = figure.axes[1]
    low, high = latency.get_xlim()
    labels = latency.get_xticklabels() + latency.get_xticklabels(minor=True)
    shown = [t for t in labels if t.get_text() and low <= t.get_position()[0] <= high]
    texts = [t.get_text() for t in shown]
    assert texts and all(re.fullmatch(r"[0-9][0-9,]*(\.[0-9]+)?", t) for t in texts), texts  # never 2x10^1
    boxes = sorted((t.get_window_extent(renderer) for t in shown), key=lambda box: box.x0)
    assert all(left.x1 < right.x0 for left, right in itertools.pairwise(boxes)), texts


def test_fio_figure_of_nodes_that_all_failed_says_so() -> None:
    failed = fio_rows([1.0, 1.0]).assign(iops=float("nan"), clat_p50_us=float("nan"), clat_p95_us=float("nan"))
    failed = failed.assign(clat_p99_us=float("nan"), clat_p99_9_us=float("nan"))
    figure = fio_results_figure(failed)
    FigureCanvasAgg(figure).draw()  # type: ignore[no-untyped-call]
    assert [t.get_text() for t in figure.axes[0].texts] == ["no result", "no result"]
