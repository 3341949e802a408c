"""The simulator's kubeconfig (server URL, its CA, its token), and a probe that reaches the server with it."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from sugarlab.sim.credentials import Credentials
from sugarlab.sim.world.spec import CONTEXT


def kubeconfig(url: str, credentials: Credentials) -> dict[str, Any]:
    cluster = {"server": url, "certificate-authority-data": base64.b64encode(credentials.ca_pem).decode()}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": [{"name": CONTEXT, "user": {"token": credentials.token}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": "default"}}],
        "current-context": CONTEXT,
    }


def access(path: Path) -> tuple[str, ssl.SSLContext, dict[str, str]]:
    """The server URL, a TLS context trusting only the simulator's CA, and the auth header, from `path`."""
    try:
        config = yaml.safe_load(path.read_text())
        cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
        ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
        return cluster["server"], ssl.create_default_context(cadata=ca), {"Authorization": f"Bearer {user['token']}"}
    except (yaml.YAMLError, KeyError, IndexError, TypeError, ssl.SSLError) as exc:
        raise ValueError(f"{path} is not a kubeconfig of the simulator: {exc}") from None


def version(path: Path, timeout: float = 2.0) -> dict[str, Any]:
    """GET /version over TLS with the kubeconfig's CA and token; raises OSError when it cannot."""
    url, context, headers = access(path)
    request = urllib.request.Request(url + "/version", headers=headers)
    with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
        answer: dict[str, Any] = json.load(response)
        return answer
