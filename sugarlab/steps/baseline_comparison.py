"""Baseline against post-expansion: what the grown cluster has and uses, node by node and in total.

The baseline is read back from `baseline/resource-snapshot.csv`, the artefact notebook 01 leaves:
notebooks pass data through artefacts, never through hidden state.
"""

from __future__ import annotations

import pandas as pd

from sugarlab.lab.errors import MissingBaseline
from sugarlab.lab.session import Lab
from sugarlab.steps.baseline import SNAPSHOT, read_snapshot

GIB = 1024**3
COMPARISON = "expansion/baseline-comparison.csv"


def load_baseline(lab: Lab) -> pd.DataFrame:
    path = lab.workspace.path(SNAPSHOT)
    if not path.exists():
        raise MissingBaseline(
            f"{path} does not exist: run notebooks/01-baseline.ipynb first, with the same "
            f"workspace ({lab.workspace.root}), so there is a baseline to compare with"
        )
    return read_snapshot(path.read_text())


def peak_usage(node_usage: pd.DataFrame) -> pd.DataFrame:
    """Each node's usage at the sample where the whole cluster used the most CPU."""
    totals = node_usage.groupby("at")["cpu_cores"].sum()
    return node_usage[node_usage["at"] == totals.idxmax()].set_index("name")


def compare_nodes(
    baseline: pd.DataFrame, nodes_now: pd.DataFrame, pods_now: pd.DataFrame, under_load: pd.DataFrame
) -> pd.DataFrame:
    before = baseline[baseline["kind"] == "node"].set_index("name")
    pods_before = baseline[baseline["kind"] == "pod"].groupby("node").size()
    running_now = pods_now[pods_now["phase"] == "Running"].groupby("node").size()
    frame = pd.DataFrame(index=pd.Index(nodes_now["name"], name="node"))
    frame["new"] = ~frame.index.isin(before.index)
    frame["cpu_allocatable"] = nodes_now.set_index("name")["cpu_allocatable"]
    frame["baseline_cpu_cores"] = before["cpu_cores"]
    frame["load_cpu_cores"] = under_load["cpu_cores"]
    frame["delta_cpu_cores"] = frame["load_cpu_cores"] - frame["baseline_cpu_cores"].fillna(0)
    frame["baseline_cpu_percent"] = before["cpu_percent"]
    frame["load_cpu_percent"] = under_load["cpu_percent"]
    frame["baseline_memory_bytes"] = before["memory_bytes"]
    frame["load_memory_bytes"] = under_load["memory_bytes"]
    frame["baseline_pods"] = pods_before.reindex(frame.index).fillna(0).astype(int)
    frame["pods_now"] = running_now.reindex(frame.index).fillna(0).astype(int)
    return frame.reset_index()


def save_comparison(lab: Lab, per_node: pd.DataFrame) -> None:
    """Write the per-node comparison, with its figures' provenance, for the report (notebook 07)."""
    lab.workspace.write_text(COMPARISON, per_node.assign(provenance=lab.cluster.provenance).to_csv(index=False))


def compare_cluster(baseline: pd.DataFrame, nodes_now: pd.DataFrame, per_node: pd.DataFrame) -> pd.DataFrame:
    before = baseline[baseline["kind"] == "node"]
    rows = {
        "nodes": (len(before), len(nodes_now)),
        "allocatable CPU (cores)": (before["cpu_allocatable"].sum(), nodes_now["cpu_allocatable"].sum()),
        "allocatable memory (GiB)": (
            before["memory_allocatable"].sum() / GIB,
            nodes_now["memory_allocatable"].sum() / GIB,
        ),
        "CPU used (cores)": (before["cpu_cores"].sum(), per_node["load_cpu_cores"].sum()),
        "memory used (GiB)": (before["memory_bytes"].sum() / GIB, per_node["load_memory_bytes"].sum() / GIB),
        "running pods": (int(per_node["baseline_pods"].sum()), int(per_node["pods_now"].sum())),
    }
    frame = pd.DataFrame(rows, index=["baseline", "post_expansion"]).T
    frame["delta"] = frame["post_expansion"] - frame["baseline"]
    return frame.rename_axis("measure").reset_index()
