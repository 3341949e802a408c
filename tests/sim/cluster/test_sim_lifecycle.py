"""Starting, reusing, persisting and stopping the simulated cluster of a workspace; the launcher's
start failures as data, and a simulator that loads nothing of the workbook."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from sugarlab.kube import simulator
from sugarlab.kube.inventory import list_nodes_frame, list_pods_frame
from sugarlab.kube.top import top_nodes
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.errors import MetricsUnavailable, SimulatorError
from sugarlab.sim import lifecycle
from sugarlab.sim.world.spec import ClusterSpec, SpecError

INVENTORY = [
    "name",
    "status",
    "roles",
    "age",
    "version",
    "internal_ip",
    "os_image",
    "kernel_version",
    "container_runtime",
]


def _inventory(cluster: Cluster) -> tuple[list[list[Any]], list[list[Any]]]:
    nodes = list_nodes_frame(cluster)[INVENTORY].values.tolist()
    pods = list_pods_frame(cluster)[["namespace", "name", "status", "ip", "node"]].values.tolist()
    return nodes, pods


def test_same_seed_same_cluster_other_seed_another(start_sim: Callable[..., Cluster]) -> None:
    first, again, other = start_sim(seed=11), start_sim(seed=11), start_sim(seed=12)
    assert _inventory(first) == _inventory(again)
    assert _inventory(first) != _inventory(other)
    nodes, pods = _inventory(other)
    assert nodes[0][:3] == ["sugarkube0", "Ready", "control-plane,master"]
    assert {p[2] for p in pods} == {"Running", "Completed"}


def test_one_server_per_workspace_is_reused(start_sim: Callable[..., Cluster], tmp_path: Path) -> None:
    start_sim(workspace=str(tmp_path))
    pid = (simulator.status(tmp_path) or {})["pid"]
    start_sim(workspace=str(tmp_path))
    assert (simulator.status(tmp_path) or {})["pid"] == pid


def test_cluster_outlives_its_server(start_sim: Callable[..., Cluster], tmp_path: Path) -> None:
    cluster = start_sim(workspace=str(tmp_path))
    cluster.core.create_namespace({"metadata": {"name": "kept"}})
    uid = cluster.core.read_namespace("kept").metadata.uid
    pid = (simulator.status(tmp_path) or {})["pid"]
    assert simulator.stop(tmp_path) is True
    assert simulator.status(tmp_path) is None
    assert not psutil.pid_exists(pid), "the stopped server, a child of this process, was left a zombie"
    restarted = start_sim(workspace=str(tmp_path))
    assert restarted.core.read_namespace("kept").metadata.uid == uid


def test_workspace_refuses_a_cluster_of_another_spec(start_sim: Callable[..., Cluster], tmp_path: Path) -> None:
    start_sim(workspace=str(tmp_path), seed=1)
    with pytest.raises(SimulatorError, match=r"seed=1 \(asked 2\)"):
        start_sim(workspace=str(tmp_path), seed=2)
    simulator.stop(tmp_path)
    with pytest.raises(SimulatorError, match="--reset"):
        start_sim(workspace=str(tmp_path), seed=2)
    simulator.stop(tmp_path, reset=True)
    assert start_sim(workspace=str(tmp_path), seed=2).core.read_node("sugarkube0")


def test_new_speed_restarts_the_server_and_keeps_the_cluster(start_sim: Callable[..., Cluster], tmp_path: Path) -> None:
    cluster = start_sim(workspace=str(tmp_path), speed=60)
    uid = cluster.core.read_node("sugarkube0").metadata.uid
    faster = start_sim(workspace=str(tmp_path), speed=300)
    assert (simulator.status(tmp_path) or {})["speed"] == 300
    assert faster.core.read_node("sugarkube0").metadata.uid == uid


def test_workers_follow_their_profile(start_sim: Callable[..., Cluster]) -> None:
    cluster = start_sim(sim_workers=2, worker_profile="pi4-8gb")
    nodes = list_nodes_frame(cluster).set_index("name")
    assert list(nodes.index) == ["sugarkube0", "sugarkube1", "sugarkube2"]
    assert nodes.loc["sugarkube1", "roles"] == "<none>"
    assert nodes.loc["sugarkube1", "taints"] == "sugarkube.io/role=worker:NoSchedule"
    assert nodes.loc["sugarkube1", "kernel_version"].endswith("rpi-v8")  # Pi 4 kernel
    assert nodes.loc["sugarkube0", "kernel_version"].endswith("rpi-2712")  # Pi 5 kernel


def test_cluster_without_metrics_server_gives_the_tutorials_hint(start_sim: Callable[..., Cluster]) -> None:
    cluster = start_sim(sim_addons=["csi-driver-nfs"])
    with pytest.raises(MetricsUnavailable, match=r"components\.yaml"):
        top_nodes(cluster)


def test_a_state_directory_of_another_spec_fails_with_both_specs(tmp_path: Path) -> None:
    lifecycle.ensure_running(tmp_path, ClusterSpec(seed=1), 120)
    lifecycle.stop(tmp_path)
    with pytest.raises(lifecycle.SimulatorStartFailed) as failed:  # refused by the child, which says why in JSON
        lifecycle.ensure_running(tmp_path, ClusterSpec(seed=2), 120)
    assert failed.value.reason == "spec-mismatch"
    assert (failed.value.stored or {})["seed"] == 1 and (failed.value.wanted or {})["seed"] == 2
    assert json.loads((tmp_path / lifecycle.START_FAILURE).read_text())["stored"]["seed"] == 1


def test_a_taken_port_fails_naming_the_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(lifecycle.SimulatorStartFailed) as failed:
            lifecycle.ensure_running(tmp_path, ClusterSpec(), 120, port=port)
    assert (failed.value.reason, failed.value.port) == ("port-in-use", port)
    assert lifecycle.status(tmp_path) is None


def test_a_dying_simulator_fails_with_its_exit_code_and_log(tmp_path: Path) -> None:
    (tmp_path / "cluster.db").mkdir()  # no database can be opened here
    with pytest.raises(lifecycle.SimulatorStartFailed) as failed:
        lifecycle.ensure_running(tmp_path, ClusterSpec(), 120)
    assert failed.value.reason == "exited" and failed.value.exit_code not in (None, 0)
    assert failed.value.log == tmp_path / "server.log" and failed.value.log.read_text()


def test_the_spec_checks_its_own_catalogues() -> None:
    with pytest.raises(SpecError, match=r"allowed profiles: .*pi4-4gb"):
        ClusterSpec(worker_profile="pi3")
    with pytest.raises(SpecError, match="nfs_provisioner"):
        ClusterSpec(nfs_provisioner="nfs-ganesha")


def test_the_simulator_server_loads_no_pandas_and_no_workbook_module() -> None:
    probe = (
        "import sys, json, sugarlab.sim.server, sugarlab.sim.__main__; "
        "print(json.dumps(sorted(m for m in sys.modules if m == 'pandas' or m.startswith('sugarlab.'))))"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    )
    assert "pandas" not in loaded
    # sugarlab.common holds the rules both sides share and imports nothing else of sugarlab.
    assert [m for m in loaded if not m.startswith(("sugarlab.sim", "sugarlab.common"))] == []


def test_stopping_returns_once_the_simulator_exits_though_nobody_has_reaped_it(tmp_path: Path) -> None:
    """A simulator that a notebook's kernel started outlives the kernel and is then init's to reap, which on some
    machines happens only every second or so: the stop waits for the exit, not for the reaping."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    began = time.monotonic()
    lifecycle._stop(tmp_path, {"pid": child.pid})  # not a child the lifecycle started: it never reaps it
    took = time.monotonic() - began
    assert child.wait(timeout=5) == -signal.SIGTERM
    assert took < lifecycle.STOP_TIMEOUT_S / 2, f"the stop took {took:.1f} s, the whole timeout"
