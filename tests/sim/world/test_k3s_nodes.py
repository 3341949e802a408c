"""Nodes of the simulated cluster as k3s keeps them: heartbeats, leases, pod IPs, and a clock kubectl can
compute ages against."""

from __future__ import annotations

import ipaddress
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.sim.simcluster import kubectl, needs_kubectl

pytestmark = needs_kubectl


def get(kubeconfig: Path, *args: str) -> Any:
    done = kubectl(kubeconfig, "get", *args, "-o", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cluster_now(kubeconfig: Path) -> datetime:
    """The cluster's now: the creation time of an object made this moment."""
    name = f"now-{time.monotonic_ns()}"
    done = kubectl(
        kubeconfig,
        "apply",
        "--validate=false",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}),
    )
    assert done.returncode == 0, done.stderr
    stamp = get(kubeconfig, "configmap", name)["metadata"]["creationTimestamp"]
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_the_clusters_clock_never_runs_ahead_of_this_machines(kubeconfig: Path) -> None:
    first = cluster_now(kubeconfig)
    time.sleep(2)
    second = cluster_now(kubeconfig)
    assert second - first >= timedelta(seconds=30)  # it runs fast: 60 cluster seconds a second
    assert second <= datetime.now(UTC)


def test_kubelet_heartbeats_and_node_leases_are_renewed_on_the_clusters_clock(kubeconfig: Path) -> None:
    time.sleep(6)  # more than five cluster minutes: every kubelet has posted its status since
    now = cluster_now(kubeconfig)
    for node in get(kubeconfig, "nodes")["items"]:
        name = node["metadata"]["name"]
        beats = {
            datetime.fromisoformat(c["lastHeartbeatTime"].replace("Z", "+00:00")) for c in node["status"]["conditions"]
        }
        assert all(now - beat <= timedelta(minutes=6) for beat in beats), (name, beats)
        lease = get(kubeconfig, "lease", name, "-n", "kube-node-lease")
        renewed = datetime.fromisoformat(lease["spec"]["renewTime"].replace("Z", "+00:00"))
        assert now - renewed <= timedelta(seconds=60)
        described = kubectl(kubeconfig, "describe", "node", name).stdout
        assert re.search(rf"Lease:\s+HolderIdentity:\s+{name}", described)
        assert "<invalid>" not in described


def test_pods_started_together_get_distinct_ips_within_their_nodes_cidr(kubeconfig: Path) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "spread"},
        "spec": {
            "replicas": 8,
            "selector": {"matchLabels": {"app": "spread"}},
            "template": {
                "metadata": {"labels": {"app": "spread"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }
    done = kubectl(kubeconfig, "apply", "--validate=false", "-f", "-", stdin=json.dumps(deployment))
    assert done.returncode == 0, done.stderr
    assert kubectl(kubeconfig, "rollout", "status", "deployment/spread", "--timeout=60s").returncode == 0
    running = [
        p
        for p in get(kubeconfig, "pods", "-A")["items"]
        if p["status"].get("phase") == "Running" and not p["spec"].get("hostNetwork")
    ]
    ips = [p["status"]["podIP"] for p in running]
    assert len(ips) == len(set(ips)), sorted(ips)
    cidrs = {n["metadata"]["name"]: n["spec"]["podCIDR"] for n in get(kubeconfig, "nodes")["items"]}
    for pod in running:
        assert ipaddress.ip_address(pod["status"]["podIP"]) in ipaddress.ip_network(cidrs[pod["spec"]["nodeName"]])


def test_no_age_kubectl_computes_itself_is_invalid(kubeconfig: Path) -> None:
    described = kubectl(kubeconfig, "describe", "pods", "-l", "app=spread")
    assert described.returncode == 0, described.stderr
    assert "Events:" in described.stdout
    assert "<invalid>" not in described.stdout
    watched = kubectl(
        kubeconfig, "get", "pods", "-l", "app=spread", "--watch", "--request-timeout=2s", "--output-watch-events"
    )
    assert "<invalid>" not in watched.stdout


def _daemon_pods(kubeconfig: Path, name: str) -> dict[str, str]:
    """node -> pod IP of the DaemonSet's live pods."""
    pods = get(kubeconfig, "pods", "-n", "kube-system", "-l", f"app={name}")["items"]
    return {
        p["spec"]["nodeName"]: p["status"].get("podIP", "") for p in pods if "deletionTimestamp" not in p["metadata"]
    }


def test_the_csi_nfs_node_plugin_runs_on_every_node_and_daemonsets_follow_node_labels(kubeconfig: Path) -> None:
    # csi-driver-nfs v4.11.0's deploy/csi-nfs-node.yaml, reduced to what placement reads.
    node_plugin = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "csi-nfs-node", "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": {"app": "csi-nfs-node"}},
            "template": {
                "metadata": {"labels": {"app": "csi-nfs-node"}},
                "spec": {
                    "hostNetwork": True,
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [
                        {
                            "name": "nfs",
                            "image": "registry.k8s.io/sig-storage/nfsplugin:v4.11.0",
                            "args": ["--v=5", "--nodeid=$(NODE_ID)"],
                        }
                    ],
                },
            },
        },
    }
    done = kubectl(kubeconfig, "apply", "--validate=false", "-f", "-", stdin=json.dumps(node_plugin))
    assert done.returncode == 0, done.stderr
    nodes = get(kubeconfig, "nodes")["items"]
    addresses = {n["metadata"]["name"]: n["status"]["addresses"][0]["address"] for n in nodes}
    deadline = time.monotonic() + 60
    while _daemon_pods(kubeconfig, "csi-nfs-node") != addresses and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _daemon_pods(kubeconfig, "csi-nfs-node") == addresses  # one per node, on the host's network
    rollout = kubectl(kubeconfig, "rollout", "status", "daemonset/csi-nfs-node", "-n", "kube-system", "--timeout=60s")
    assert rollout.returncode == 0, rollout.stderr

    picky = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "picky", "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": {"app": "picky"}},
            "template": {
                "metadata": {"labels": {"app": "picky"}},
                "spec": {
                    "nodeSelector": {"lab/picked": "yes"},
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [{"name": "idle", "image": "busybox:1.36"}],
                },
            },
        },
    }
    done = kubectl(kubeconfig, "apply", "--validate=false", "-f", "-", stdin=json.dumps(picky))
    assert done.returncode == 0, done.stderr
    chosen = sorted(addresses)[-1]
    assert kubectl(kubeconfig, "label", "node", chosen, "lab/picked=yes").returncode == 0
    deadline = time.monotonic() + 30
    while set(_daemon_pods(kubeconfig, "picky")) != {chosen} and time.monotonic() < deadline:
        time.sleep(0.5)
    assert set(_daemon_pods(kubeconfig, "picky")) == {chosen}
    assert kubectl(kubeconfig, "label", "node", chosen, "lab/picked-").returncode == 0
    deadline = time.monotonic() + 30
    while _daemon_pods(kubeconfig, "picky") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _daemon_pods(kubeconfig, "picky") == {}
