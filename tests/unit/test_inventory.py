"""Inventory frames follow kubectl's printers on real k3s objects (tests/data, see README there)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from kubernetes.client import ApiClient, V1NodeList, V1PodList

from sugarlab.common.kubectl import human_duration
from sugarlab.kube.inventory import (
    NODE_COLUMNS,
    POD_COLUMNS,
    list_nodes_frame,
    list_pods_frame,
    nodes_frame,
    pods_frame,
    server_now,
)
from sugarlab.lab.cluster import Cluster

DATA = Path(__file__).parents[1] / "data"
NOW = datetime(2026, 4, 18, 18, 24, 5, tzinfo=UTC)  # the Date header of the noder capture


def load(name: str) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads((DATA / name).read_text()))


def k3s_nodes() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = load("k3s-nodes.json")["items"]
    return items


def completed_pod() -> dict[str, Any]:
    return load("k3s-pod-helm-install-completed.json")


def to_model(obj: dict[str, Any], kind: str) -> Any:
    return ApiClient()._ApiClient__deserialize(obj, kind)


# The cases of k8s.io/apimachinery pkg/util/duration/duration_test.go TestHumanDuration.
@pytest.mark.parametrize(
    ("delta", "want"),
    [
        (timedelta(seconds=-2), "<invalid>"),
        (timedelta(seconds=-2, microseconds=1), "0s"),
        (timedelta(0), "0s"),
        (timedelta(seconds=1) - timedelta(milliseconds=1), "0s"),
        (timedelta(minutes=2) - timedelta(milliseconds=1), "119s"),
        (timedelta(minutes=2), "2m"),
        (timedelta(minutes=2, seconds=1), "2m1s"),
        (timedelta(minutes=10) - timedelta(milliseconds=1), "9m59s"),
        (timedelta(minutes=10, seconds=1), "10m"),
        (timedelta(hours=3) - timedelta(milliseconds=1), "179m"),
        (timedelta(hours=3, minutes=1), "3h1m"),
        (timedelta(hours=8) - timedelta(milliseconds=1), "7h59m"),
        (timedelta(hours=8, minutes=59), "8h"),
        (timedelta(days=2) - timedelta(milliseconds=1), "47h"),
        (timedelta(days=2, hours=1), "2d1h"),
        (timedelta(days=8) - timedelta(milliseconds=1), "7d23h"),
        (timedelta(days=8, hours=23), "8d"),
        (timedelta(days=730) - timedelta(milliseconds=1), "729d"),
        (timedelta(days=730, hours=23, minutes=59), "2y"),
        (timedelta(days=731), "2y1d"),
        (timedelta(days=8 * 365) - timedelta(milliseconds=1), "7y364d"),
        (timedelta(days=8 * 365 + 364), "8y"),
    ],
)
def test_human_duration_matches_apimachinery(delta: timedelta, want: str) -> None:
    assert human_duration(delta) == want


def test_real_k3s_server_node_reads_like_kubectl() -> None:
    frame = nodes_frame(k3s_nodes(), NOW)
    assert list(frame.columns[: len(NODE_COLUMNS)]) == NODE_COLUMNS
    server = frame.iloc[0]
    assert server["name"] == "noder"
    assert server["status"] == "Ready"
    assert server["roles"] == "control-plane,master"
    assert server["version"] == "v1.31.5+k3s1"
    assert server["internal_ip"] == "172.30.0.2"
    assert server["external_ip"] == "<none>"
    assert server["os_image"] == "K3s v1.31.5+k3s1"
    assert server["container_runtime"] == "containerd://1.7.23-k3s2"
    assert server["age"] == "173d"
    assert server["cpu_allocatable"] == 1.0
    assert server["memory_allocatable"] == 1011268 * 1024
    assert server["pods_allocatable"] == 110
    assert server["arch"] == "amd64"
    assert not server["unschedulable"]
    assert server["taints"] == "<none>"


def test_real_k3s_agent_has_no_role() -> None:
    agent = nodes_frame(k3s_nodes(), NOW).iloc[1]
    assert (agent["name"], agent["roles"], agent["status"]) == ("kworker1", "<none>", "Ready")
    assert agent["cpu_allocatable"] == 2.0


def pi_node() -> dict[str, Any]:
    """The real k3s server node re-dressed as a Raspberry Pi (arm64 values from tests/data/kubectl-get-nodes-wide.txt)."""
    node = copy.deepcopy(k3s_nodes()[0])
    node["metadata"]["labels"].update({"kubernetes.io/arch": "arm64", "beta.kubernetes.io/arch": "arm64"})
    node["status"]["nodeInfo"].update(architecture="arm64", kernelVersion="6.6.62-v8+")
    return node


def test_arm64_node_reports_its_arch() -> None:
    assert nodes_frame([pi_node()], NOW).iloc[0]["arch"] == "arm64"


def test_cordoned_node_is_scheduling_disabled() -> None:
    node = pi_node()
    node["spec"]["unschedulable"] = True
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    row = nodes_frame([node], NOW).iloc[0]
    assert row["status"] == "Ready,SchedulingDisabled"
    assert row["unschedulable"]
    assert row["taints"] == "node.kubernetes.io/unschedulable:NoSchedule"


@pytest.mark.parametrize(("ready", "want"), [("False", "NotReady"), ("Unknown", "NotReady"), (None, "Unknown")])
def test_node_status_without_ready_true(ready: str | None, want: str) -> None:
    node = pi_node()
    conditions = [c for c in node["status"]["conditions"] if c["type"] != "Ready"]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready})
    node["status"]["conditions"] = conditions
    assert nodes_frame([node], NOW).iloc[0]["status"] == want


def test_models_and_dicts_give_the_same_rows() -> None:
    from_dicts = nodes_frame(k3s_nodes(), NOW)
    from_models = nodes_frame([to_model(n, "V1Node") for n in k3s_nodes()], NOW)
    assert from_models.equals(from_dicts)
    pod = completed_pod()
    assert pods_frame([to_model(pod, "V1Pod")], NOW).equals(pods_frame([pod], NOW))


def test_real_completed_k3s_pod_shows_completed() -> None:
    row = pods_frame([completed_pod()], NOW).iloc[0]
    assert list(row.index[: len(POD_COLUMNS)]) == POD_COLUMNS
    assert row["namespace"] == "kube-system"
    assert row["status"] == "Completed"
    assert row["phase"] == "Succeeded"
    assert row["ready"] == "0/1"
    assert row["restarts"] == "0"
    assert row["ip"] == "10.42.0.4"
    assert row["node"] == "kmaster"
    assert row["nominated_node"] == "<none>"
    assert row["readiness_gates"] == "<none>"
    assert row["owner_kind"] == "Job"
    assert row["cpu_request"] == 0.0


# Hand-made pods for states the real fixture does not cover; shapes follow the Pod API.
def pod(name: str, status: dict[str, Any], spec: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "lab-scale", "creationTimestamp": "2026-04-18T18:00:00Z", **meta},
        "spec": spec or {"containers": [{"name": "main"}], "nodeName": "worker-a"},
        "status": status,
    }


def test_running_pod_with_requests() -> None:
    spec = {
        "nodeName": "worker-a",
        "containers": [
            {"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "70Mi"}}},
            {"name": "sidecar", "resources": {"requests": {"cpu": "0.25", "memory": "1Gi"}}},
        ],
    }
    running = {"running": {"startedAt": "2026-04-18T18:00:05Z"}}
    row = pods_frame(
        [
            pod(
                "web",
                {
                    "phase": "Running",
                    "podIP": "10.42.1.7",
                    "containerStatuses": [
                        {"name": "app", "ready": True, "restartCount": 0, "state": running},
                        {"name": "sidecar", "ready": True, "restartCount": 0, "state": running},
                    ],
                },
                spec,
            )
        ],
        NOW,
    ).iloc[0]
    assert (row["status"], row["ready"], row["age"]) == ("Running", "2/2", "24m")
    assert row["cpu_request"] == pytest.approx(0.35)
    assert row["memory_request"] == 70 * 2**20 + 2**30


def test_crash_looping_pod_shows_reason_and_last_restart() -> None:
    row = pods_frame(
        [
            pod(
                "stress",
                {
                    "phase": "Running",
                    "containerStatuses": [
                        {
                            "name": "main",
                            "ready": False,
                            "restartCount": 5,
                            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                            "lastState": {
                                "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-04-18T18:22:00Z"}
                            },
                        }
                    ],
                },
            )
        ],
        NOW,
    ).iloc[0]
    assert (row["status"], row["restarts"], row["restart_count"]) == ("CrashLoopBackOff", "5 (2m5s ago)", 5)


def test_waiting_and_pending_pods() -> None:
    creating = pod(
        "pvc-user",
        {
            "phase": "Pending",
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                }
            ],
        },
    )
    unscheduled = pod("big", {"phase": "Pending"}, {"containers": [{"name": "main"}]})
    frame = pods_frame([creating, unscheduled], NOW).set_index("name")
    assert frame.loc["pvc-user", "status"] == "ContainerCreating"
    assert (frame.loc["big", "status"], frame.loc["big", "node"], frame.loc["big", "ready"]) == (
        "Pending",
        "<none>",
        "0/1",
    )


def test_deleted_running_pod_is_terminating() -> None:
    running = pod(
        "old",
        {
            "phase": "Running",
            "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0, "state": {"running": {}}}],
        },
        deletionTimestamp="2026-04-18T18:24:00Z",
    )
    assert pods_frame([running], NOW).iloc[0]["status"] == "Terminating"


def test_init_container_progress() -> None:
    spec = {"nodeName": "worker-a", "initContainers": [{"name": "wait-nfs"}], "containers": [{"name": "main"}]}
    waiting = pod(
        "db",
        {
            "phase": "Pending",
            "initContainerStatuses": [
                {"name": "wait-nfs", "ready": False, "restartCount": 0, "state": {"running": {}}}
            ],
        },
        spec,
    )
    assert pods_frame([waiting], NOW).iloc[0]["status"] == "Init:0/1"


def test_server_clock_from_date_header() -> None:
    assert server_now({"date": "Sat, 18 Apr 2026 18:24:05 GMT"}) == NOW
    assert server_now({}).tzinfo is not None


def fake_cluster() -> Cluster:
    nodes = to_model({"items": k3s_nodes()}, "V1NodeList")
    pods = to_model({"items": [completed_pod()]}, "V1PodList")
    headers = {"Date": "Sat, 18 Apr 2026 18:24:05 GMT"}
    core = SimpleNamespace(
        list_node_with_http_info=lambda: (nodes, 200, headers),
        list_pod_for_all_namespaces_with_http_info=lambda: (pods, 200, headers),
        list_namespaced_pod_with_http_info=lambda ns: (V1PodList(items=[]), 200, headers),
    )
    return cast(Cluster, SimpleNamespace(core=core))  # the one client the fetchers use


def test_fetchers_age_by_the_server_clock() -> None:
    cluster = fake_cluster()
    assert isinstance(cluster.core.list_node_with_http_info()[0], V1NodeList)
    assert list_nodes_frame(cluster)["age"].tolist() == ["173d", "704d"]
    assert list_pods_frame(cluster)["status"].tolist() == ["Completed"]
    assert list_pods_frame(cluster, "lab-scale").empty
