"""The inference service deployed: manifests, rollout on the simulator, the service proxy, the study's verdict."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import skimage.data
import yaml
from PIL import Image

from sugarlab.kube.wait import Pending, wait_for
from sugarlab.lab.session import Lab
from sugarlab.payloads.edge_ai.model_files import offline_model_path
from sugarlab.payloads.edge_ai.sample_images import encode
from sugarlab.sim.world.workloads import MODULE
from sugarlab.steps import edge_ai
from tests.file_server import serving


def test_service_rolls_out_and_answers_through_the_proxy(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=1, worker_profile="pi4-8gb", edge_replicas=1)
    configmap = edge_ai.source_configmap()
    docs = edge_ai.deployment_manifests(lab.params, edge_ai.Tuning(replicas=1))
    edge_ai.write_manifests(lab, configmap, docs)
    edge_ai.apply(lab, [configmap, *docs])
    deployment = edge_ai.wait_rollout(lab, progress=False)
    assert deployment["status"]["availableReplicas"] == 1
    pods = lab.cluster.core.list_namespaced_pod("edge-ai").items
    assert [p.spec.node_name for p in pods] == ["sugarkube1"]  # the toleration lets it onto the worker
    image, what = edge_ai.sample_image(lab)
    with edge_ai.service_client(lab) as http:
        answer = edge_ai.infer(http, image)
        assert len(answer["top"]) == 5 and answer["model"].startswith("efficientnet-lite0")
        cat = edge_ai.infer(http, encode(Image.fromarray(skimage.data.chelsea())))  # type: ignore[no-untyped-call]
        assert cat["class_index"] in range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
        edge_ai.log_inference(lab, answer, what)
        result, usage = edge_ai.load_with_usage(lab, http, image, concurrency=4, requests=12)
    assert result.errors == 0 and len(result.latencies_ms) == 12
    assert set(usage["provenance"]) == {"local"} and (usage["memory_bytes"] > 50e6).all()
    assert yaml.safe_load(lab.workspace.read_text(edge_ai.INFERENCE_LOG))["provenance"] == "local"
    assert len(list(yaml.safe_load_all(lab.workspace.read_text(edge_ai.DEPLOYMENT)))) == 2


def test_missing_sample_image_names_the_parameter(shared_lab: Callable[..., Lab], tmp_path: Path) -> None:
    from sugarlab.lab.errors import ParameterError

    lab = shared_lab(edge_sample_image=str(tmp_path / "nope.jpg"))
    with pytest.raises(ParameterError, match="'edge_sample_image'"):
        edge_ai.sample_image(lab)


@pytest.fixture
def model_server() -> Iterator[tuple[str, list[str]]]:
    """The offline model over HTTP on 127.0.0.1, and the paths of the GETs it answered (its access log).
    The simulator runs the inference pods as local processes, which reach 127.0.0.1."""
    with serving({"/resnet50.onnx": offline_model_path().read_bytes()}) as (base, served):
        yield f"{base}/resnet50.onnx", served


def test_the_model_is_downloaded_once_per_node_and_pods_after_it_use_the_nodes_copy(
    open_sim_lab: Callable[..., Lab], model_server: tuple[str, list[str]]
) -> None:
    url, served = model_server
    lab = open_sim_lab(sim_workers=1, worker_profile="pi4-8gb", edge_model_url=url, edge_rollout_timeout=7200)

    def on_one_node(tuning: edge_ai.Tuning) -> list[dict[str, Any]]:
        docs = edge_ai.deployment_manifests(lab.params, tuning)
        docs[0]["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/hostname": "sugarkube1"}
        return docs

    edge_ai.apply(lab, [edge_ai.source_configmap(), *on_one_node(edge_ai.Tuning(replicas=2))])
    edge_ai.wait_rollout(lab, progress=False)
    core = lab.cluster.core

    def model_lines() -> dict[str, str]:
        """Each pod's line about the model, by pod name."""
        pods = core.list_namespaced_pod("edge-ai").items
        assert {p.spec.node_name for p in pods} == {"sugarkube1"}  # one node, whose cache the replicas share
        logs = {p.metadata.name: core.read_namespaced_pod_log(p.metadata.name, "edge-ai") for p in pods}
        return {name: next(x for x in log.splitlines() if "edge-ai: model" in x) for name, log in logs.items()}

    first = model_lines()
    assert served == ["/resnet50.onnx"]  # two pods started together; one fetched, the other waited for it
    assert sum("cached on this node" in line for line in first.values()) == 1
    core.delete_namespaced_pod(next(iter(first)), "edge-ai")  # a restart: its replacement starts afresh
    edge_ai.apply(lab, on_one_node(edge_ai.Tuning(replicas=2, max_batch=2)))
    edge_ai.wait_rollout(lab, progress=False)  # ... and a redeploy of the sweep
    now = model_lines()
    assert set(now).isdisjoint(first) and all("cached on this node" in line for line in now.values())
    assert served == ["/resnet50.onnx"]
    cached = Path(lab.params.workspace) / ".sugarlab/sim/nodes/sugarkube1/var/lib/sugarlab/models"
    assert [p.name for p in cached.glob("*.onnx")] == [edge_ai.cached_model_name(url)]


def test_a_service_slow_to_stop_holds_only_its_own_pod(open_sim_lab: Callable[..., Lab]) -> None:
    """The kubelet asks the container to stop and removes the pod once it has exited; the cluster goes on
    meanwhile. The service is paused (SIGSTOP), so SIGTERM waits until it is let go (SIGCONT)."""
    lab = open_sim_lab(sim_workers=1, worker_profile="pi4-8gb", edge_replicas=1)
    edge_ai.apply(
        lab, [edge_ai.source_configmap(), *edge_ai.deployment_manifests(lab.params, edge_ai.Tuning(replicas=1))]
    )
    edge_ai.wait_rollout(lab, progress=False)
    core = lab.cluster.core
    (pod,) = core.list_namespaced_pod("edge-ai").items
    (service,) = [p for p in psutil.process_iter() if _serves_from(p, lab.workspace.root)]
    service.suspend()
    try:
        core.delete_namespaced_pod(pod.metadata.name, "edge-ai")
        began = time.monotonic()
        core.read_namespace("edge-ai")  # the API server answers while the service has not stopped
        assert time.monotonic() - began < 1.0
        time.sleep(0.5)
        assert core.read_namespaced_pod(pod.metadata.name, "edge-ai").metadata.deletion_timestamp is not None
        events = core.list_namespaced_event("edge-ai", field_selector=f"involvedObject.name={pod.metadata.name}")
        assert "Killing" in [e.reason for e in events.items]  # told when the stop began, not when it ended
        edge_ai.wait_rollout(lab, progress=False)  # the replacement is ready: requests go to it alone
        with edge_ai.service_client(lab) as http:
            assert [http.get("/readyz", timeout=10).status_code for _ in range(4)] == [200] * 4
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):  # killed already, TERM_WAIT_S after SIGTERM, on a slow machine
            service.resume()
    service.wait(timeout=10)

    def gone() -> bool | Pending:
        names = [p.metadata.name for p in core.list_namespaced_pod("edge-ai").items]
        return True if pod.metadata.name not in names else Pending(seen="still there")

    wait_for(gone, "the deleted pod removed", 600, speed=lab.cluster.speed, real_floor=10)


def _serves_from(process: psutil.Process, workspace: Path) -> bool:
    """Whether `process` is an inference service run by the simulator of `workspace` (it logs there)."""
    try:
        return MODULE in process.cmdline() and any(f.path.startswith(str(workspace)) for f in process.open_files())
    except psutil.Error:
        return False
