"""Tutorial step 1, "Validate the baseline cluster": inventory and utilisation before expansion.

Writes `baseline/cluster-inventory.txt` (`kubectl get nodes -o wide` then `kubectl get pods -A -o
wide`, as the tutorial's two `tee` commands leave it) and `baseline/resource-snapshot.csv` (node
and pod usage as a real CSV, which later notebooks read back to compare with the grown cluster).

A rerun keeps a baseline that later notebooks used (`kept`): it shows that saved baseline, read back from
those two files, with the cluster as it is now beside it, each labelled.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from sugarlab.kube.inventory import list_nodes_frame, list_pods_frame, parse_table
from sugarlab.kube.top import diagnosis_markdown, top_nodes, top_pods, top_text_frame
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.errors import MetricsUnavailable
from sugarlab.lab.session import Lab
from sugarlab.lab.workspace import Workspace
from sugarlab.views.tables import nodes_table, pods_table

INVENTORY = "baseline/cluster-inventory.txt"
SNAPSHOT = "baseline/resource-snapshot.csv"
SNAPSHOT_COLUMNS = [
    "kind",
    "namespace",
    "name",
    "node",
    "cpu_cores",
    "cpu_percent",
    "memory_bytes",
    "memory_percent",
    "cpu_allocatable",
    "memory_allocatable",
    "timestamp",
    "provenance",
]


@dataclass(frozen=True)
class Baseline:
    nodes: pd.DataFrame
    pods: pd.DataFrame
    top_nodes: pd.DataFrame | None  # None when metrics could not be read
    top_pods: pd.DataFrame | None
    diagnosis: str  # markdown; empty when every node reported metrics

    @property
    def has_metrics(self) -> bool:
        return self.top_nodes is not None


def capture(cluster: Cluster) -> Baseline:
    nodes, pods = list_nodes_frame(cluster), list_pods_frame(cluster)
    try:
        nodes_top, pods_top = top_nodes(cluster), top_pods(cluster)
    except MetricsUnavailable as exc:
        return Baseline(nodes, pods, None, None, diagnosis_markdown(error=exc))
    return Baseline(nodes, pods, nodes_top, pods_top, diagnosis_markdown(nodes_top))


def inventory_text(baseline: Baseline) -> str:
    return nodes_table(baseline.nodes) + pods_table(baseline.pods)


def snapshot_frame(baseline: Baseline) -> pd.DataFrame:
    """Node and pod usage in one long frame: one row per node, then one per pod."""
    if baseline.top_nodes is None or baseline.top_pods is None:
        raise MetricsUnavailable("no resource snapshot without metrics; " + baseline.diagnosis)
    nodes = baseline.top_nodes.assign(kind="node", namespace="", node=baseline.top_nodes["name"])
    placement = baseline.pods.set_index(["namespace", "name"])["node"]
    pods = baseline.top_pods.assign(
        kind="pod",
        cpu_percent=float("nan"),
        memory_percent=float("nan"),
        cpu_allocatable=float("nan"),
        memory_allocatable=float("nan"),
        node=[
            placement.get((ns, name), "")
            for ns, name in zip(baseline.top_pods["namespace"], baseline.top_pods["name"], strict=True)
        ],
    )
    frame = pd.concat([nodes, pods], ignore_index=True)[SNAPSHOT_COLUMNS]
    return frame.astype({"memory_bytes": "int64"})


def read_snapshot(text: str) -> pd.DataFrame:
    """`baseline/resource-snapshot.csv` in `SNAPSHOT_COLUMNS`, as notebook 01 writes it (a CSV) or as the
    tutorial's `kubectl top ... | tee` leaves it by hand (kubectl's text tables, figures of the
    user's cluster: provenance `cluster`; the node a pod ran on and allocatable capacity unknown).
    Raises ValueError when the text is neither."""
    if text.lstrip().startswith(("NAME ", "NAMESPACE ")):
        frame = top_text_frame(text, provenance="cluster")
        frame = frame.assign(
            node=frame["name"].where(frame["kind"] == "node", ""),
            cpu_allocatable=float("nan"),
            memory_allocatable=float("nan"),
            timestamp="",
        )
        return frame[SNAPSHOT_COLUMNS]
    try:
        return pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"is neither notebook 01's CSV nor `kubectl top` text ({exc})") from None


def users(lab: Lab) -> list[str]:
    """The later notebooks that ran in this workspace: they read the baseline, or changed the cluster it
    describes (02 joins the workers), so a new baseline would no longer be the "before" they compared."""
    later = {a.notebook for a in lab.workspace.artefacts()} | {s.notebook for s in lab.workspace.steps()}
    return sorted(n for n in later if n and n > lab.workspace.notebook)


@dataclass(frozen=True)
class Kept:
    """The saved baseline a rerun keeps, as read back from its artefacts."""

    baseline: Baseline
    taken: str  # when its inventory was written (ISO 8601, UTC), as the workspace recorded it
    used_by: list[str]

    @property
    def label(self) -> str:
        return f"baseline, taken {datetime.fromisoformat(self.taken):%Y-%m-%d %H:%M UTC}"


def read_saved(workspace: Workspace) -> Baseline:
    """The baseline as its artefacts hold it: the inventory's two kubectl tables (kubectl's text columns,
    `kubectl get nodes -o wide` then `kubectl get pods -A -o wide`) and, when it was written, the snapshot."""
    chunks: list[list[str]] = []
    for line in workspace.read_text(INVENTORY).splitlines():
        if line[:1].isupper():  # a header line (NAME, NAMESPACE) starts the next table
            chunks.append([])
        if chunks and line.strip():
            chunks[-1].append(line)
    if len(chunks) != 2:
        raise ValueError(f"{INVENTORY} holds {len(chunks)} kubectl tables; the nodes' and the pods' were expected")
    nodes, pods = (parse_table("\n".join(chunk)) for chunk in chunks)
    if not workspace.path(SNAPSHOT).is_file():
        return Baseline(
            nodes, pods, None, None, f"The saved baseline has no `{SNAPSHOT}`: it was taken without metrics."
        )
    usage = read_snapshot(workspace.read_text(SNAPSHOT))
    top_nodes = usage[usage["kind"] == "node"].drop(columns=["kind", "namespace", "node"]).reset_index(drop=True)
    top_pods = usage[usage["kind"] == "pod"][
        ["namespace", "name", "cpu_cores", "memory_bytes", "timestamp", "provenance"]
    ]
    return Baseline(nodes, pods, top_nodes, top_pods.reset_index(drop=True), "")


def _keeping(lab: Lab) -> tuple[str, list[str]] | None:
    """When the saved baseline was taken and who used it, if this run keeps it: later notebooks used it and
    `retake_baseline` is off (the report compares the grown cluster with it)."""
    taken = next((a for a in lab.workspace.artefacts() if a.path == INVENTORY), None)
    used_by = users(lab)
    if taken is None or not used_by or lab.params.retake_baseline:
        return None
    return taken.written_at, used_by


def kept(lab: Lab) -> Kept | None:
    """The saved baseline, read back, when this run keeps it; None when this run takes (or retakes) it."""
    keeping = _keeping(lab)
    return Kept(read_saved(lab.workspace), *keeping) if keeping else None


def shown(saved: Kept | None, now: Baseline) -> list[tuple[str, Baseline]]:
    """What notebook 01 displays, each with its label: on a rerun that keeps the baseline, the saved one
    ("baseline, taken ...") then the cluster now ("now"); otherwise the baseline just taken, once, unlabelled."""
    return [(saved.label, saved.baseline), ("now", now)] if saved else [("", now)]


def save(lab: Lab, baseline: Baseline) -> list[str]:
    """Write the step's artefacts and record the step; return the paths written.

    A baseline that later notebooks used is kept, unless `retake_baseline`: the report compares the
    grown cluster with it, and a baseline taken after the expansion would contradict every later figure.
    """
    keeping = _keeping(lab)
    if keeping:
        taken, used_by = keeping
        return [
            f"{INVENTORY} kept: taken {taken} and used since by {', '.join(used_by)}; "
            "set retake_baseline = True to replace it"
        ]
    written = [INVENTORY]
    lab.workspace.write_text(INVENTORY, inventory_text(baseline))
    lab.workspace.record_step("inventory", True, f"{len(baseline.nodes)} nodes, {len(baseline.pods)} pods")
    if baseline.has_metrics:
        lab.workspace.write_text(SNAPSHOT, snapshot_frame(baseline).to_csv(index=False))
        written.append(SNAPSHOT)
    lab.workspace.record_step(
        "resource snapshot", baseline.has_metrics, baseline.diagnosis or f"{len(baseline.top_pods or [])} pods measured"
    )
    return written
