"""The pod network as k3s has it: pods reach each other by IP across nodes, Services by ClusterIP and name
through kube-proxy and CoreDNS, and the containers of a pod share localhost. Driven with the real kubectl
against a simulator with two workers."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.sim.simcluster import apply, kubectl, kubectl_out, needs_kubectl

pytestmark = [
    needs_kubectl,
    pytest.mark.skipif(
        shutil.which("bwrap") is None or shutil.which("busybox") is None or shutil.which("nginx") is None,
        reason="bubblewrap, busybox and nginx are not installed (`make system-packages`)",
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="the pod network's namespaces need root"),
]
BUSYBOX = "docker.io/library/busybox:1.36"
WELCOME = "<title>Welcome to nginx!</title>"


def _pod(name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": containers, **spec},
    }


def _sleeper(name: str = "bb") -> dict[str, Any]:
    return {"name": name, "image": BUSYBOX, "command": ["sleep", "3600"]}


def _service(name: str, selector: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": selector}, "ports": [{"port": 80, "targetPort": 80}], **spec},
    }


def _ready(kubeconfig: Path, *names: str) -> None:
    done = kubectl(kubeconfig, "wait", "--for=condition=Ready", *(f"pod/{n}" for n in names), "--timeout=90s")
    assert done.returncode == 0, done.stderr


def _get(kubeconfig: Path, kind: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(kubectl_out(kubeconfig, "get", kind, name, "-o", "json"))
    return found


def _in(kubeconfig: Path, pod: str, *command: str, container: str | None = None) -> tuple[int, str]:
    """`kubectl exec` of a command: its exit code and its output (stdout and stderr)."""
    done = kubectl(kubeconfig, "exec", pod, *(["-c", container] if container else []), "--", *command, timeout=60)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def cluster(kubeconfig: Path) -> Path:
    """nginx behind the Service `web` on one worker, a busybox client on the other."""
    workers = sorted(
        n["metadata"]["name"]
        for n in json.loads(kubectl_out(kubeconfig, "get", "nodes", "-o", "json"))["items"]
        if "node-role.kubernetes.io/control-plane" not in n["metadata"].get("labels", {})
    )
    assert len(workers) >= 2, workers
    apply(kubeconfig, _pod("web", [{"name": "nginx", "image": "nginx"}], nodeName=workers[0]))
    apply(kubeconfig, _pod("client", [_sleeper()], nodeName=workers[1]))
    apply(kubeconfig, _service("web", "web"))
    _ready(kubeconfig, "web", "client")
    return kubeconfig


def test_a_pod_reaches_a_pod_on_another_node_by_its_ip(cluster: Path) -> None:
    web, client = _get(cluster, "pod", "web"), _get(cluster, "pod", "client")
    assert web["spec"]["nodeName"] != client["spec"]["nodeName"]
    code, out = _in(cluster, "client", "wget", "-qO-", f"http://{web['status']['podIP']}/")
    assert code == 0, out
    assert WELCOME in out


def test_the_pod_has_its_ip_on_eth0(cluster: Path) -> None:
    client = _get(cluster, "pod", "client")
    code, out = _in(cluster, "client", "cat", "/proc/net/fib_trie")
    assert code == 0, out
    assert client["status"]["podIP"] in out


def test_a_service_is_reached_by_its_cluster_ip(cluster: Path) -> None:
    cluster_ip = _get(cluster, "service", "web")["spec"]["clusterIP"]
    code, out = _in(cluster, "client", "wget", "-qO-", f"http://{cluster_ip}/")
    assert code == 0, out
    assert WELCOME in out


def test_a_service_is_reached_by_its_name(cluster: Path) -> None:
    code, out = _in(cluster, "client", "wget", "-qO-", "http://web.default.svc.cluster.local/")
    assert code == 0, out
    assert WELCOME in out
    code, out = _in(cluster, "client", "wget", "-qO-", "http://web/")  # through the search path
    assert WELCOME in out, out


def test_nslookup_finds_the_kubernetes_service(cluster: Path) -> None:
    # busybox's own resolver (nslookup since 1.28.4) ignores the search path, kubernetes/kubernetes#66924: the
    # short name `kubernetes.default` is asked as it is, so nslookup is given the full one
    code, out = _in(cluster, "client", "nslookup", "kubernetes.default.svc.cluster.local")
    assert code == 0, out
    assert out.split("Name:", 1)[-1].split() == ["kubernetes.default.svc.cluster.local", "Address:", "10.43.0.1"]


def test_the_kubelet_writes_resolv_conf_for_the_cluster_dns(cluster: Path) -> None:
    assert _in(cluster, "client", "cat", "/etc/resolv.conf") == (
        0,
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n",
    )


def test_a_name_outside_the_cluster_fails_without_an_upstream(cluster: Path) -> None:
    code, out = _in(cluster, "client", "nslookup", "example.com")
    assert code != 0
    assert "SERVFAIL" in out, out


def test_an_unknown_cluster_name_does_not_exist(cluster: Path) -> None:
    code, out = _in(cluster, "client", "nslookup", "nothing.default.svc.cluster.local")
    assert code != 0
    assert "NXDOMAIN" in out, out


def test_a_service_without_a_ready_endpoint_refuses(cluster: Path) -> None:
    apply(cluster, _service("nobody", "nobody"))
    cluster_ip = _get(cluster, "service", "nobody")["spec"]["clusterIP"]
    code, out = _in(cluster, "client", "wget", "-qO-", f"http://{cluster_ip}/")
    assert code != 0
    assert "Connection refused" in out, out


def test_the_containers_of_a_pod_share_localhost(cluster: Path) -> None:
    server = {"name": "server", "image": BUSYBOX, "command": ["sh", "-c", "echo hello | nc -lp 7000"]}
    apply(cluster, _pod("pair", [server, _sleeper("other")]))
    _ready(cluster, "pair")
    code, out = _in(cluster, "pair", "nc", "127.0.0.1", "7000", container="other")
    assert out.strip() == "hello", (code, out)
