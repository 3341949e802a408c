"""The inference service deployed: manifests, rollout on the simulator, the service proxy, the study's verdict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import skimage.data
import yaml
from PIL import Image

from sugarlab.lab.session import Lab
from sugarlab.payloads.edge_ai.sample_images import encode
from sugarlab.steps import edge_ai


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
