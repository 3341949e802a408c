"""The tutorial's edge-AI service (section 5), applied as written, on a simulated cluster with its own internet.

Its pods install their packages from the simulated PyPI and download the model from the simulated GitHub,
so they fail where a real Pi's would, one fix at a time:
- the app declares an `UploadFile` form field, which FastAPI refuses without `python-multipart`, and the
  tutorial's `pip install` line does not name it;
- the model's URL answers 404 since the ONNX model zoo moved its models under `validated/` (onnx/models#636).
With both fixed, the service answers `/infer` through `kubectl port-forward`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
import matplotlib

from tests.sim.simcluster import kubectl, kubectl_out, needs_kubectl, port_forward, wait_for

pytestmark = needs_kubectl
TUTORIAL = Path(__file__).resolve().parents[2] / "data" / "tutorial"
PHOTO = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
INSTALL_S = 300  # two pods, each installing about 27 wheels (onnxruntime, numpy ...) on 2 cores


def _pods(kubeconfig: Path) -> list[dict[str, Any]]:
    listed = kubectl_out(kubeconfig, "get", "pods", "-n", "edge-ai", "-l", "app=vehicle-detector", "-o", "json")
    pods: list[dict[str, Any]] = json.loads(listed)["items"]
    return pods


def _crashed_log(kubeconfig: Path, error: str) -> str | None:
    for pod in _pods(kubeconfig):
        name = pod["metadata"]["name"]
        for run in (["--previous"], []):
            done = kubectl(kubeconfig, "logs", "-n", "edge-ai", name, *run)
            if error in done.stdout:
                return done.stdout
    return None


def test_the_tutorials_service_fails_as_on_a_pi_and_answers_once_fixed(
    kubeconfig: Path,
) -> None:
    kubectl_out(kubeconfig, "create", "namespace", "edge-ai")
    app = (TUTORIAL / "inference-app.py").read_text()
    kubectl_out(kubeconfig, "apply", "-f", "-", stdin=_code(kubeconfig, app))
    manifest = (TUTORIAL / "edge-ai-deployment.yaml").read_text()
    kubectl_out(kubeconfig, "apply", "-f", "-", stdin=manifest)

    multipart = 'Form data requires "python-multipart" to be installed'
    log = wait_for("FastAPI to refuse the form", lambda: _crashed_log(kubeconfig, multipart), timeout=INSTALL_S)
    assert "Successfully installed" in log and "onnxruntime" in log  # from the simulated PyPI

    one = manifest.replace("replicas: 2", "replicas: 1")
    installed = one.replace("onnxruntime numpy\n", "onnxruntime numpy python-multipart\n")
    assert installed != one != manifest
    kubectl_out(kubeconfig, "apply", "-f", "-", stdin=installed)
    log = wait_for("the model's download", lambda: _crashed_log(kubeconfig, "HTTP Error 404"), timeout=INSTALL_S)
    assert "urllib.error.HTTPError" in log

    moved = app.replace("onnx/models/raw/main/vision/", "onnx/models/raw/main/validated/vision/")
    assert moved != app
    kubectl_out(kubeconfig, "apply", "-f", "-", stdin=_code(kubeconfig, moved))
    kubectl_out(kubeconfig, "rollout", "restart", "deployment/vehicle-detector", "-n", "edge-ai")
    done = kubectl(
        kubeconfig, "rollout", "status", "deployment/vehicle-detector", "-n", "edge-ai", f"--timeout={INSTALL_S}s"
    )
    assert done.returncode == 0, done.stderr
    # Ready is no sign of serving: the tutorial gives no readiness probe, so its pods are Ready while pip installs
    wait_for("uvicorn to listen", lambda: _serving(kubeconfig), timeout=INSTALL_S)

    with port_forward(kubeconfig, "svc/vehicle-detector", 9000, namespace="edge-ai") as (port, _):
        answer = httpx.post(
            f"http://127.0.0.1:{port}/infer", files={"image": ("photo.jpg", PHOTO.read_bytes())}, timeout=60
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert 0 <= body["class_index"] < 1000 and 0 < body["confidence"] <= 1


def _serving(kubeconfig: Path) -> bool:
    pods = _pods(kubeconfig)
    names = [p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")]
    logs = [kubectl(kubeconfig, "logs", "-n", "edge-ai", name).stdout for name in names]
    return bool(logs) and all("Uvicorn running on http://0.0.0.0:9000" in log for log in logs)


def _code(kubeconfig: Path, app: str) -> str:
    """The tutorial's ConfigMap of the app, as its `kubectl create configmap ... --dry-run=client` renders it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inference-app.py"
        path.write_text(app)
        return kubectl_out(
            kubeconfig,
            "create",
            "configmap",
            "vehicle-detector-code",
            "-n",
            "edge-ai",
            f"--from-file=inference-app.py={path}",
            "--dry-run=client",
            "-o",
            "yaml",
        )
