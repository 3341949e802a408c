"""Port-forward into sandboxed containers, and the API data volumes (configMap, secret, downward API,
projected) a container sees as files: driven with the real kubectl and the official client."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config, watch
from kubernetes.stream import portforward

from sugarlab.sim.world.images import HOST_PATH
from tests.sim.simcluster import KUBECTL, kubectl_out, needs_kubectl, port_forward

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (`make system-packages`): containers cannot run"
)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="entering a container's network namespace needs root")
PAGE = "<h1>served from a ConfigMap</h1>\n"
HTTP_PORT, CLOSED_PORT = 8000, 8001


@pytest.fixture(scope="module")
def core(kubeconfig: Path) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))


LISTENS = f"import socket; socket.create_connection(('127.0.0.1', {HTTP_PORT}), 1)"


def _running(core: client.CoreV1Api, name: str, ready: bool = False) -> None:
    """Until the pod runs (with `ready`, until it also reads Ready); it must not end meanwhile."""
    for event in watch.Watch().stream(
        core.list_namespaced_pod, "default", field_selector=f"metadata.name={name}", timeout_seconds=90
    ):
        status = event["object"].status
        if status.phase == "Running" and (
            not ready or any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
        ):
            return
        assert status.phase in ("Pending", "Running"), status
    raise AssertionError(f"pod {name} did not start" + (" and become ready" if ready else ""))


@pytest.fixture(scope="module")
def web(core: client.CoreV1Api) -> str:
    """A python pod serving a ConfigMap's page with `python3 -m http.server` on its own loopback."""
    core.create_namespaced_config_map("default", {"metadata": {"name": "site"}, "data": {"index.html": PAGE}})
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "python:3.12-slim",
                        "command": ["python3", "-m", "http.server", str(HTTP_PORT), "--bind", "127.0.0.1"],
                        "args": ["--directory", "/srv"],
                        "volumeMounts": [{"name": "site", "mountPath": "/srv"}],
                        # Ready once the server listens: kubectl port-forward gives up after a refused connection.
                        "readinessProbe": {"exec": {"command": ["python3", "-c", LISTENS]}, "periodSeconds": 1},
                    }
                ],
                "volumes": [{"name": "site", "configMap": {"name": "site"}}],
            },
        },
    )
    _running(core, "web", ready=True)
    return "web"


@pytest.fixture(scope="module")
def files(core: client.CoreV1Api) -> str:
    """A busybox pod with a configMap volume (items, paths, modes), a secret one and a projected one."""
    core.create_namespaced_config_map(
        "default", {"metadata": {"name": "settings"}, "data": {"a": "alpha", "b": "beta"}}
    )
    core.create_namespaced_secret(
        "default", {"metadata": {"name": "keys"}, "data": {"token": base64.b64encode(b"s3cret").decode()}}
    )
    projected = {
        "sources": [
            {"configMap": {"name": "settings", "items": [{"key": "b", "path": "b.txt"}]}},
            {"downwardAPI": {"items": [{"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}},
        ]
    }
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "files"},
            "spec": {
                "containers": [
                    {
                        "name": "files",
                        "image": "busybox:1.36",
                        "command": ["sleep", "3600"],
                        "volumeMounts": [
                            {"name": "settings", "mountPath": "/etc/settings"},
                            {"name": "keys", "mountPath": "/etc/keys"},
                            {"name": "all", "mountPath": "/etc/all"},
                        ],
                    }
                ],
                "volumes": [
                    {
                        "name": "settings",
                        "configMap": {"name": "settings", "items": [{"key": "a", "path": "sub/alpha", "mode": 0o400}]},
                    },
                    {"name": "keys", "secret": {"secretName": "keys", "defaultMode": 0o440}},
                    {"name": "all", "projected": projected},
                ],
            },
        },
    )
    _running(core, "files")
    return "files"


@pytest.fixture
def forwarding(kubeconfig: Path, web: str) -> Iterator[int]:
    """`kubectl port-forward pod/web LOCAL:8000`, once it says it forwards; the local port."""
    with port_forward(kubeconfig, f"pod/{web}", HTTP_PORT) as (local, _):
        yield local


def _get(url: str) -> tuple[int, str]:
    """GET `url`, retrying while the server in the pod is still starting (its port refused)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@needs_root
@needs_kubectl
def test_kubectl_port_forward_reaches_a_server_inside_the_container(forwarding: int) -> None:
    """The server listens on the container's own 127.0.0.1, unreachable from this machine but through the forward."""
    assert _get(f"http://127.0.0.1:{forwarding}/index.html") == (200, PAGE)
    with socket.socket() as direct, pytest.raises(OSError):
        direct.settimeout(2)
        direct.connect(("127.0.0.1", HTTP_PORT))  # not this machine's loopback: the container's own


@needs_root
@needs_kubectl
def test_kubectl_port_forward_to_a_port_nothing_listens_on_gets_containerds_error(kubeconfig: Path, web: str) -> None:
    with port_forward(kubeconfig, f"pod/{web}", CLOSED_PORT) as (local, process):
        with socket.create_connection(("127.0.0.1", local), timeout=10) as conn:
            conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
            conn.settimeout(10)
            assert conn.recv(100) == b""
        _, err = process.communicate(timeout=15)  # kubectl stops forwarding after the pod's error
    assert f"error forwarding port {CLOSED_PORT} to pod" in err
    assert f"failed to connect to localhost:{CLOSED_PORT} inside namespace" in err
    assert f"IPv4: dial tcp4 127.0.0.1:{CLOSED_PORT}: connect: connection refused" in err


@needs_root
def test_client_portforward_carries_http_into_the_container(core: client.CoreV1Api, web: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        forwarded = portforward(core.connect_get_namespaced_pod_portforward, web, "default", ports=str(HTTP_PORT))
        answer = b""
        conn = forwarded.socket(HTTP_PORT)
        with contextlib.closing(conn), contextlib.suppress(OSError):  # closed at once while it starts
            conn.settimeout(10)
            conn.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
            while chunk := conn.recv(4096):
                answer += chunk
        if answer or time.monotonic() > deadline:
            break
        time.sleep(0.5)  # the server was not listening yet
    assert answer.startswith(b"HTTP/1.0 200 OK")
    assert answer.endswith(PAGE.encode())


def _exec(kubeconfig: Path, pod: str, *command: str) -> str:
    return kubectl_out(kubeconfig, "exec", pod, "--", *command)


@needs_kubectl
def test_configmap_items_are_files_at_their_paths_with_their_modes(kubeconfig: Path, files: str) -> None:
    assert _exec(kubeconfig, files, "cat", "/etc/settings/sub/alpha") == "alpha"
    assert _exec(kubeconfig, files, "ls", "/etc/settings").split() == ["sub"]  # only the listed key
    assert _exec(kubeconfig, files, "stat", "-L", "-c", "%a", "/etc/settings/sub/alpha").strip() == "400"


@needs_kubectl
def test_secret_keys_are_decoded_files_with_the_default_mode(kubeconfig: Path, files: str) -> None:
    assert _exec(kubeconfig, files, "cat", "/etc/keys/token") == "s3cret"
    assert _exec(kubeconfig, files, "stat", "-L", "-c", "%a", "/etc/keys/token").strip() == "440"


@needs_kubectl
def test_projected_volume_joins_a_configmap_key_and_the_pods_name(kubeconfig: Path, files: str) -> None:
    assert _exec(kubeconfig, files, "cat", "/etc/all/b.txt") == "beta"
    assert _exec(kubeconfig, files, "cat", "/etc/all/name") == "files"


@needs_kubectl
def test_api_data_volumes_are_read_only(kubeconfig: Path, files: str) -> None:
    assert KUBECTL is not None
    done = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "exec", files, "--", "touch", "/etc/settings/new"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Read-only file system" in done.stderr


@needs_root
@pytest.mark.skipif(shutil.which("nginx", path=HOST_PATH) is None, reason="nginx is not installed: make sim-packages")
def test_nginx_serves_its_welcome_page_through_port_forward_and_logs_the_request(
    core: client.CoreV1Api, kubeconfig: Path
) -> None:
    """The image's own command, configuration and page, as the official client's e2e `test_portforward_http`."""
    core.create_namespaced_pod(
        "default", {"metadata": {"name": "nginx"}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}
    )
    _running(core, "nginx")
    deadline = time.monotonic() + 30
    while True:
        forwarded = portforward(core.connect_get_namespaced_pod_portforward, "nginx", "default", ports="80")
        answer = b""
        conn = forwarded.socket(80)
        with contextlib.closing(conn), contextlib.suppress(OSError):  # closed at once while nginx starts
            conn.settimeout(10)
            conn.sendall(b"GET / HTTP/1.0\r\nUser-Agent: pf-test\r\n\r\n")
            while chunk := conn.recv(4096):
                answer += chunk
        if answer or time.monotonic() > deadline:
            break
        time.sleep(0.5)  # nginx was not listening yet
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b"<h1>Welcome to nginx!</h1>" in answer
    assert b"\r\nServer: nginx/" in answer
    # the access log is the container's stdout, as the image links it
    log = core.read_namespaced_pod_log("nginx", "default")
    assert '"GET / HTTP/1.0" 200' in log and '"pf-test"' in log


def test_a_pod_whose_configmap_is_missing_waits_with_failed_mount_then_starts(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "waiting"},
            "spec": {
                "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"]}],
                "volumes": [{"name": "later", "configMap": {"name": "later"}}],
            },
        },
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = core.list_namespaced_event("default", field_selector="involvedObject.name=waiting").items
        failed = [e for e in events if e.reason == "FailedMount"]
        if failed:
            break
        time.sleep(0.5)
    assert failed[0].type == "Warning"
    assert failed[0].message == 'MountVolume.SetUp failed for volume "later" : configmap "later" not found'
    pod = core.read_namespaced_pod("waiting", "default")
    assert pod.status.phase == "Pending"
    assert pod.status.container_statuses[0].state.waiting.reason == "ContainerCreating"
    core.create_namespaced_config_map("default", {"metadata": {"name": "later"}, "data": {"k": "v"}})
    _running(core, "waiting")


@needs_root
def test_a_startup_probe_holds_readiness_until_the_port_listens_inside_the_container(core: client.CoreV1Api) -> None:
    """Two cluster minutes pass before the server listens: the pod runs, unready, its probe failing, then is ready.
    The kubelet dials the pod's IP, so the server listens on every address, not only the loopback."""
    server = "import socket, time; time.sleep(120); s = socket.socket(); s.bind(('0.0.0.0', 7000)); s.listen(); time.sleep(3600)"
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "late"},
            "spec": {
                "containers": [
                    {
                        "name": "late",
                        "image": "python:3.12-slim",
                        "command": ["python3", "-c", server],
                        "startupProbe": {"tcpSocket": {"port": 7000}, "periodSeconds": 1, "failureThreshold": 1000},
                    }
                ],
            },
        },
    )
    _running(core, "late")
    pod = core.read_namespaced_pod("late", "default")
    assert pod.status.container_statuses[0].started is False
    assert pod.status.container_statuses[0].ready is False
    deadline = time.monotonic() + 60
    while not pod.status.container_statuses[0].ready and time.monotonic() < deadline:
        time.sleep(0.2)
        pod = core.read_namespaced_pod("late", "default")
    assert pod.status.container_statuses[0].started is True
    assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"
    events = core.list_namespaced_event("default", field_selector="involvedObject.name=late").items
    unhealthy = [e.message for e in events if e.reason == "Unhealthy"]
    assert len(unhealthy) == 1, unhealthy  # the same failure every second, reported once: 2 minutes < 5
    assert unhealthy[0] == f"Startup probe failed: dial tcp {pod.status.pod_ip}:7000: connect: connection refused"


@needs_root
@pytest.mark.skipif(shutil.which("nginx", path=HOST_PATH) is None, reason="nginx is not installed: make sim-packages")
def test_http_readiness_probes_pass_on_a_page_and_fail_on_a_missing_one(core: client.CoreV1Api) -> None:
    def nginx(name: str, path: str) -> None:
        probe = {"httpGet": {"path": path, "port": 80}, "periodSeconds": 1}
        container = {"name": "web", "image": "nginx:1.27", "readinessProbe": probe}
        core.create_namespaced_pod("default", {"metadata": {"name": name}, "spec": {"containers": [container]}})

    nginx("ready-page", "/index.html")
    nginx("missing-page", "/missing")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = core.read_namespaced_pod("ready-page", "default").status.container_statuses
        events = core.list_namespaced_event("default", field_selector="involvedObject.name=missing-page").items
        unhealthy = [e.message for e in events if e.reason == "Unhealthy" and "statuscode" in e.message]
        if ready and ready[0].ready and unhealthy:
            break
        time.sleep(0.2)
    assert ready[0].ready is True
    assert unhealthy[0] == "Readiness probe failed: HTTP probe failed with statuscode: 404"
    assert core.read_namespaced_pod("missing-page", "default").status.container_statuses[0].ready is False
