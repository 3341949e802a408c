"""Smoke tests: the figures carry one bar per node, readable labels and the provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sugarlab.kube.top import top_nodes_frame
from sugarlab.views.figures import node_usage_figure, pods_per_node_figure

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
