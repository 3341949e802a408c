"""The simulator over TLS with its own CA and a bearer token: real clients need only its kubeconfig."""

from __future__ import annotations

import base64
import ssl
import stat
import subprocess
from pathlib import Path

import httpx
import pytest
import websocket
import yaml
from kubernetes import client, config

from tests.sim.simcluster import KUBECTL, needs_kubectl

UNAUTHORIZED = (
    b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized",'
    b'"reason":"Unauthorized","code":401}\n'
)


def _cluster(path: Path) -> dict[str, str]:
    cluster: dict[str, str] = yaml.safe_load(path.read_text())["clusters"][0]["cluster"]
    return cluster


def _trusting(path: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=base64.b64decode(_cluster(path)["certificate-authority-data"]).decode())


def test_kubeconfig_names_https_its_ca_and_a_token_readable_only_by_its_owner(kubeconfig: Path) -> None:
    document = yaml.safe_load(kubeconfig.read_text())
    assert _cluster(kubeconfig)["server"].startswith("https://127.0.0.1:")
    assert b"BEGIN CERTIFICATE" in base64.b64decode(_cluster(kubeconfig)["certificate-authority-data"])
    assert len(document["users"][0]["user"]["token"]) >= 32
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600


def test_official_client_reaches_it_with_only_the_kubeconfig(kubeconfig: Path) -> None:
    api = config.new_client_from_config(config_file=str(kubeconfig))
    nodes = client.CoreV1Api(api).list_node().items
    assert [n.metadata.name for n in nodes] == ["sugarkube0", "sugarkube1", "sugarkube2"]


@needs_kubectl
def test_kubectl_reaches_it_with_only_the_kubeconfig(kubeconfig: Path) -> None:
    shown = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(kubeconfig), "get", "nodes", "-o", "name"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["node/sugarkube0", "node/sugarkube1", "node/sugarkube2"]


@pytest.mark.parametrize("path", ["/api/v1/nodes", "/version", "/healthz", "/sugarlab/v1/machines"])
def test_anonymous_request_gets_kube_apiservers_401(kubeconfig: Path, path: str) -> None:
    answer = httpx.get(_cluster(kubeconfig)["server"] + path, verify=_trusting(kubeconfig))
    assert (answer.status_code, answer.headers["content-type"], answer.content) == (
        401,
        "application/json",
        UNAUTHORIZED,
    )


def test_a_wrong_token_gets_401(kubeconfig: Path) -> None:
    answer = httpx.get(
        _cluster(kubeconfig)["server"] + "/api/v1/namespaces",
        verify=_trusting(kubeconfig),
        headers={"Authorization": "Bearer not-the-token"},
    )
    assert (answer.status_code, answer.content) == (401, UNAUTHORIZED)


def test_plain_http_and_an_untrusted_ca_get_nowhere(kubeconfig: Path) -> None:
    server = _cluster(kubeconfig)["server"]
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.replace("https://", "http://") + "/version", timeout=5)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(server + "/version", timeout=5)  # the system's CAs do not vouch for the simulator


@needs_kubectl
def test_kubectl_with_another_token_is_refused(kubeconfig: Path, tmp_path: Path) -> None:
    document = yaml.safe_load(kubeconfig.read_text())
    document["users"][0]["user"] = {"token": "guessed"}
    anonymous = tmp_path / "guessed.yaml"
    anonymous.write_text(yaml.safe_dump(document))
    shown = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(anonymous), "get", "nodes"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert shown.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in shown.stderr


def test_anonymous_exec_is_refused_before_the_upgrade(kubeconfig: Path) -> None:
    """exec runs real commands for Python images: nobody without the token may open it."""
    server = _cluster(kubeconfig)["server"].replace("https://", "wss://")
    url = f"{server}/api/v1/namespaces/kube-system/pods/anything/exec?command=id&stdout=1"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            url, subprotocols=["v4.channel.k8s.io"], sslopt={"context": _trusting(kubeconfig)}, timeout=10
        )
    assert refused.value.status_code == 401
    assert refused.value.resp_body == UNAUTHORIZED
