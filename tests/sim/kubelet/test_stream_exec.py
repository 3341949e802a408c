"""`kubectl exec` and `kubectl port-forward` against the simulated cluster, and the official client's
`stream` and `portforward`: the streaming subresources over the protocols those clients speak."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward, stream
from kubernetes.stream.ws_client import ERROR_CHANNEL

from sugarlab.payloads.edge_ai.sample_images import synthetic_jpeg
from tests.sim.simcluster import KUBECTL, kubectl, needs_kubectl, port_forward, start, stop

NAMESPACE = "edge-ai"
SERVICE = "vehicle-detector"


@pytest.fixture(scope="module")
def core(kubeconfig: Path) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))


def _running(core: client.CoreV1Api, namespace: str, selector: str, ready: bool = False) -> str:
    """The name of a pod matching `selector` once it runs (and is Ready, if asked)."""
    for event in watch.Watch().stream(core.list_namespaced_pod, namespace, label_selector=selector, timeout_seconds=90):
        pod = event["object"]
        conditions = {c.type: c.status for c in pod.status.conditions or []}
        if pod.status.phase == "Running" and (not ready or conditions.get("Ready") == "True"):
            return str(pod.metadata.name)
    raise AssertionError(f"no pod {selector} in {namespace} became {'ready' if ready else 'running'}")


@pytest.fixture(scope="module")
def python_pod(core: client.CoreV1Api) -> str:
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "py", "labels": {"app": "py"}},
            "spec": {"containers": [{"name": "py", "image": "python:3.11-slim", "command": ["sleep", "infinity"]}]},
        },
    )
    return _running(core, "default", "app=py")


@pytest.fixture(scope="module")
def inference(core: client.CoreV1Api, kubeconfig: Path) -> str:
    """The tutorial's inference Deployment and Service, its pod a real process on this machine."""
    apps = client.AppsV1Api(config.new_client_from_config(str(kubeconfig)))
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    labels = {"app": SERVICE}
    container = {
        "name": "inference",
        "image": "python:3.11-slim",
        "command": ["python", "-m", "sugarlab.payloads.edge_ai"],
        "env": [{"name": "HOST", "value": "0.0.0.0"}, {"name": "PORT", "value": "9000"}],
        "ports": [{"containerPort": 9000}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 9000}},
    }
    apps.create_namespaced_deployment(
        NAMESPACE,
        {
            "metadata": {"name": SERVICE},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        },
    )
    core.create_namespaced_service(
        NAMESPACE,
        {"metadata": {"name": SERVICE}, "spec": {"selector": labels, "ports": [{"port": 9000, "targetPort": 9000}]}},
    )
    return _running(core, NAMESPACE, f"app={SERVICE}", ready=True)


# -- exec ----------------------------------------------------------------------------------------
@needs_kubectl
def test_kubectl_exec_returns_output_and_the_exit_code(kubeconfig: Path, python_pod: str) -> None:
    done = kubectl(
        kubeconfig,
        "exec",
        python_pod,
        "--",
        "python",
        "-c",
        "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)",
    )
    assert done.stdout == "out\n"
    assert done.stderr.startswith("err\n")
    assert "command terminated with exit code 3" in done.stderr
    assert done.returncode == 3


@needs_kubectl
def test_kubectl_exec_passes_stdin_until_it_ends(kubeconfig: Path, python_pod: str) -> None:
    done = kubectl(
        kubeconfig,
        "exec",
        "-i",
        python_pod,
        "--",
        "python",
        "-c",
        "import sys; print(sys.stdin.read().upper(), end='')",
        stdin="first line\nsecond\n",
    )
    assert (done.returncode, done.stdout) == (0, "FIRST LINE\nSECOND\n"), done.stderr


@needs_kubectl
@pytest.mark.skipif(shutil.which("script") is None, reason="util-linux's script (a pseudo-terminal) is not installed")
def test_kubectl_exec_with_a_terminal_sends_resizes_that_are_ignored(kubeconfig: Path, python_pod: str) -> None:
    """`kubectl exec -it` inside a pseudo-terminal: kubectl sends the terminal's size on channel 4."""
    assert KUBECTL is not None
    line = (
        f"{KUBECTL} --kubeconfig {kubeconfig} exec -it {python_pod} -- python -c "
        "'import sys; print(\"on a terminal\"); sys.exit(4)'"
    )
    done = subprocess.run(["script", "-qec", line, "/dev/null"], capture_output=True, text=True, timeout=30)
    assert "on a terminal" in done.stdout
    assert "command terminated with exit code 4" in done.stdout + done.stderr
    assert done.returncode == 4


@needs_kubectl
def test_kubectl_exec_of_a_program_the_image_lacks_is_exit_code_126(kubeconfig: Path, python_pod: str) -> None:
    done = kubectl(kubeconfig, "exec", python_pod, "--", "apk", "add", "sqlite")
    assert done.returncode == 126
    assert 'exec: "apk": executable file not found in $PATH' in done.stderr


@needs_kubectl
def test_kubectl_exec_into_a_missing_pod_is_not_found(kubeconfig: Path, python_pod: str) -> None:
    done = kubectl(kubeconfig, "exec", "no-such-pod", "--", "python", "-c", "print(1)")
    assert done.returncode == 1
    assert 'pods "no-such-pod" not found' in done.stderr


EXIT_5 = ["python", "-c", "import sys; data = sys.stdin.read(); print(len(data)); sys.exit(5)"]


def test_the_client_stream_over_v5_writes_stdin_closes_it_and_reads_the_status(
    core: client.CoreV1Api, python_pod: str
) -> None:
    session = stream(
        core.connect_get_namespaced_pod_exec,
        python_pod,
        "default",
        command=EXIT_5,
        stdin=True,
        stdout=True,
        stderr=True,
        tty=False,
        _preload_content=False,
        _request_timeout=30,
    )
    assert session.subprotocol == "v5.channel.k8s.io"  # the first the client offers
    session.write_channel(4, json.dumps({"Width": 80, "Height": 24}))  # a resize: read and ignored
    session.write_stdin("12345")
    session.close_channel(0)  # v5: stdin ends, and the command sees its end
    session.run_forever(timeout=20)
    assert session.read_stdout().strip() == "5"
    status = json.loads(session.read_channel(ERROR_CHANNEL))
    assert status == {
        "metadata": {},
        "status": "Failure",
        "reason": "NonZeroExitCode",
        "message": "command terminated with non-zero exit code: error executing command "
        f"[{' '.join(EXIT_5)}], exit code 5",
        "details": {"causes": [{"reason": "ExitCode", "message": "5"}]},
    }


def test_the_client_stream_over_v4_reads_output_and_the_exit_code(core: client.CoreV1Api, python_pod: str) -> None:
    session = stream(
        core.connect_get_namespaced_pod_exec,
        python_pod,
        "default",
        command=EXIT_5,
        stdin=False,
        stdout=True,
        stderr=True,
        tty=False,
        _preload_content=False,
        _request_timeout=30,
        _headers={"sec-websocket-protocol": "v4.channel.k8s.io"},
    )
    assert session.subprotocol == "v4.channel.k8s.io"
    session.run_forever(timeout=20)
    assert session.read_stdout().strip() == "0"  # no stdin: the command reads an empty one
    assert session.returncode == 5


def test_the_client_stream_reads_a_successful_status(core: client.CoreV1Api, python_pod: str) -> None:
    output = stream(
        core.connect_get_namespaced_pod_exec,
        python_pod,
        "default",
        command=["python", "-c", "print(42)"],
        stdin=False,
        stdout=True,
        stderr=True,
        tty=False,
        _request_timeout=30,
    )
    assert output == "42\n"


def test_exec_with_no_protocol_in_common_is_refused_before_the_upgrade(core: client.CoreV1Api, python_pod: str) -> None:
    with pytest.raises(ApiException) as refused:
        stream(
            core.connect_get_namespaced_pod_exec,
            python_pod,
            "default",
            command=["python", "-c", "print(1)"],
            stdout=True,
            _request_timeout=10,
            _headers={"sec-websocket-protocol": "v9.channel.k8s.io"},
        )
    # The client reports a refused handshake as its status line and the body, a `Status`.
    assert "Handshake status 400" in str(refused.value.reason)
    assert "requested protocol(s) are not supported: [v9.channel.k8s.io]" in str(refused.value.reason)


def test_exec_without_a_command_is_refused(core: client.CoreV1Api, python_pod: str) -> None:
    with pytest.raises(ApiException) as refused:
        stream(
            core.connect_get_namespaced_pod_exec, python_pod, "default", command=[], stdout=True, _request_timeout=10
        )
    assert "Handshake status 400" in str(refused.value.reason)
    assert "you must specify at least 1 command" in str(refused.value.reason)


def test_exec_as_a_plain_request_needs_an_upgrade(core: client.CoreV1Api, python_pod: str) -> None:
    with pytest.raises(ApiException) as refused:
        core.connect_post_namespaced_pod_exec(python_pod, "default", command=["python"])
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["message"] == "Upgrade request required"


# -- port-forward --------------------------------------------------------------------------------
@needs_kubectl
def test_kubectl_port_forward_to_the_service_reaches_the_inference_service(kubeconfig: Path, inference: str) -> None:
    """The tutorial's `kubectl port-forward svc/vehicle-detector 9000:9000`, then an HTTP request through it."""
    with port_forward(kubeconfig, f"svc/{SERVICE}", 9000, NAMESPACE) as (local, _):
        answers = []
        for path in ("/healthz", "/readyz"):
            with urllib.request.urlopen(f"http://127.0.0.1:{local}{path}", timeout=10) as response:
                answers.append((response.status, json.loads(response.read())))
        assert answers[0] == (200, {"status": "alive"})
        assert answers[1][0] == 200 and answers[1][1]["status"] == "ready"
        # The tutorial's `curl -X POST -F "image=@traffic.jpg" http://localhost:9000/infer`: a photo-sized upload.
        photo = synthetic_jpeg()
        boundary = "sugarlab-boundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="traffic.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + photo
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{local}/infer",
            data=body,
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            inferred = json.loads(response.read())
        assert len(photo) > 100_000
        assert inferred["top"] and inferred["timing_ms"]["total"] > 0


@needs_kubectl
def test_kubectl_port_forward_to_a_port_nothing_listens_on_reports_the_pod_error(
    kubeconfig: Path, inference: str
) -> None:
    with port_forward(kubeconfig, f"pod/{inference}", 9100, NAMESPACE) as (local, process):
        with socket.create_connection(("127.0.0.1", local), timeout=10) as conn:
            conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
            conn.settimeout(10)
            assert conn.recv(100) == b""  # closed without an answer
        _, err = process.communicate(timeout=15)  # kubectl gives up on the pod after the error
    assert "error forwarding port 9100 to pod" in err
    assert "dial tcp4 127.0.0.1:9100: connect: connection refused" in err


def test_client_portforward_carries_an_http_request_to_the_pod(core: client.CoreV1Api, inference: str) -> None:
    forwarded = portforward(core.connect_get_namespaced_pod_portforward, inference, NAMESPACE, ports="9000")
    conn = forwarded.socket(9000)
    conn.settimeout(10)
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: vehicle-detector\r\nConnection: close\r\n\r\n")
    answer = b""
    while chunk := conn.recv(4096):
        answer += chunk
    conn.close()
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert answer.endswith(b'{"status":"alive"}')
    assert forwarded.error(9000) is None


def test_client_portforward_to_a_closed_port_gets_the_error_channel(core: client.CoreV1Api, inference: str) -> None:
    forwarded = portforward(core.connect_get_namespaced_pod_portforward, inference, NAMESPACE, ports="9100")
    deadline = time.monotonic() + 10
    while forwarded.error(9100) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "failed to connect to localhost:9100 inside namespace" in str(forwarded.error(9100))


def test_portforward_without_ports_is_refused(core: client.CoreV1Api, inference: str) -> None:
    with pytest.raises(ApiException) as refused:
        stream(
            core.connect_get_namespaced_pod_portforward,
            inference,
            NAMESPACE,
            _request_timeout=10,
            _headers={"sec-websocket-protocol": "v4.channel.k8s.io"},
        )
    assert "Handshake status 400" in str(refused.value.reason)
    assert 'query parameter \\"port\\" is required' in str(refused.value.reason)


def test_discovery_lists_the_streaming_subresources(core: client.CoreV1Api) -> None:
    resources: dict[str, Any] = {r.name: r.verbs for r in core.get_api_resources().resources}
    assert resources["pods/exec"] == ["create", "get"]
    assert resources["pods/portforward"] == ["create", "get"]


# -- last: it restarts the simulator ---------------------------------------------------------------
def test_port_forward_reaches_the_service_again_after_the_simulator_restarts(
    sim_workspace: Path, inference: str
) -> None:
    stop(sim_workspace)
    core = client.CoreV1Api(config.new_client_from_config(str(start(sim_workspace))))
    # The pod's process restarts with the simulator, as a container does when k3s restarts.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pod = core.read_namespaced_pod(inference, NAMESPACE)
        ready = {c.type: c.status for c in pod.status.conditions or []}.get("Ready") == "True"
        if ready and pod.status.container_statuses[0].restart_count == 1:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the inference pod did not become ready again after the restart")
    forwarded = portforward(core.connect_get_namespaced_pod_portforward, inference, NAMESPACE, ports="9000")
    conn = forwarded.socket(9000)
    conn.settimeout(10)
    conn.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    answer = b""
    while chunk := conn.recv(4096):  # read to the end: closing with data unread would reset the pair
        answer += chunk
    conn.close()
    assert answer.startswith(b"HTTP/1.1 200 OK")
