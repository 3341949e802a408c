"""Starting, reusing, persisting and stopping the simulated cluster of a workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from sugarlab.core.errors import MetricsUnavailable, SimulatorError
from sugarlab.kube.inventory import list_nodes_frame, list_pods_frame
from sugarlab.sim import lifecycle
from sugarlab.kube.top import top_nodes

INVENTORY = ["name", "status", "roles", "age", "version", "internal_ip", "os_image", "kernel_version",
             "container_runtime"]


def _inventory(cluster) -> tuple[list, list]:
    nodes = list_nodes_frame(cluster)[INVENTORY].values.tolist()
    pods = list_pods_frame(cluster)[["namespace", "name", "status", "ip", "node"]].values.tolist()
    return nodes, pods


def test_same_seed_same_cluster_other_seed_another(start_sim) -> None:
    first, again, other = start_sim(seed=11), start_sim(seed=11), start_sim(seed=12)
    assert _inventory(first) == _inventory(again)
    assert _inventory(first) != _inventory(other)
    nodes, pods = _inventory(other)
    assert nodes[0][:3] == ["sugarkube0", "Ready", "control-plane,master"]
    assert {p[2] for p in pods} == {"Running", "Completed"}


def test_one_server_per_workspace_is_reused(start_sim, tmp_path: Path) -> None:
    start_sim(workspace=str(tmp_path))
    pid = lifecycle.status(tmp_path)["pid"]
    start_sim(workspace=str(tmp_path))
    assert lifecycle.status(tmp_path)["pid"] == pid


def test_cluster_outlives_its_server(start_sim, tmp_path: Path) -> None:
    cluster = start_sim(workspace=str(tmp_path))
    cluster.core.create_namespace({"metadata": {"name": "kept"}})
    uid = cluster.core.read_namespace("kept").metadata.uid
    assert lifecycle.stop(tmp_path) is True
    assert lifecycle.status(tmp_path) is None
    restarted = start_sim(workspace=str(tmp_path))
    assert restarted.core.read_namespace("kept").metadata.uid == uid


def test_workspace_refuses_a_cluster_of_another_spec(start_sim, tmp_path: Path) -> None:
    start_sim(workspace=str(tmp_path), seed=1)
    with pytest.raises(SimulatorError, match=r"seed=1 \(asked 2\)"):
        start_sim(workspace=str(tmp_path), seed=2)
    lifecycle.stop(tmp_path)
    with pytest.raises(SimulatorError, match="--reset"):
        start_sim(workspace=str(tmp_path), seed=2)
    lifecycle.stop(tmp_path, reset=True)
    assert start_sim(workspace=str(tmp_path), seed=2).core.read_node("sugarkube0")


def test_new_speed_restarts_the_server_and_keeps_the_cluster(start_sim, tmp_path: Path) -> None:
    cluster = start_sim(workspace=str(tmp_path), speed=60)
    uid = cluster.core.read_node("sugarkube0").metadata.uid
    faster = start_sim(workspace=str(tmp_path), speed=300)
    assert lifecycle.status(tmp_path)["speed"] == 300
    assert faster.core.read_node("sugarkube0").metadata.uid == uid


def test_workers_follow_their_profile(start_sim) -> None:
    cluster = start_sim(sim_workers=2, worker_profile="pi4-8gb")
    nodes = list_nodes_frame(cluster).set_index("name")
    assert list(nodes.index) == ["sugarkube0", "sugarkube1", "sugarkube2"]
    assert nodes.loc["sugarkube1", "roles"] == "<none>"
    assert nodes.loc["sugarkube1", "taints"] == "sugarkube.io/role=worker:NoSchedule"
    assert nodes.loc["sugarkube1", "kernel_version"].endswith("rpi-v8")  # Pi 4 kernel
    assert nodes.loc["sugarkube0", "kernel_version"].endswith("rpi-2712")  # Pi 5 kernel


def test_cluster_without_metrics_server_gives_the_tutorials_hint(start_sim) -> None:
    cluster = start_sim(metrics_server=False)
    with pytest.raises(MetricsUnavailable, match="components.yaml"):
        top_nodes(cluster)
