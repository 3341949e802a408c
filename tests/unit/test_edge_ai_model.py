"""Model files, graphs and settings: verified downloads from a local server, batch dimension, outputs."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from sugarlab.payloads.edge_ai.classifier import load_classifier, softmax
from sugarlab.payloads.edge_ai.errors import ChecksumMismatch, ModelError, SettingError
from sugarlab.payloads.edge_ai.model_files import (
    DEFAULT_MODEL_SHA256,
    DEFAULT_MODEL_URL,
    download_model,
    ensure_model,
    offline_model_path,
)
from sugarlab.payloads.edge_ai.model_graph import batch_dim, make_batch_dynamic, outputs_probabilities
from sugarlab.payloads.edge_ai.settings import Settings, settings_from_env
from tests.file_server import serving

PAYLOAD = b"pretend model bytes " * 5000
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture(scope="module")
def file_server() -> Iterator[str]:
    """A local HTTP server on 127.0.0.1: /model.onnx serves PAYLOAD, anything else is 404."""

    with serving({"/model.onnx": PAYLOAD}) as (base, _):
        yield base


def test_download_with_the_right_digest_lands_atomically(file_server: str, tmp_path: Path) -> None:
    dest = tmp_path / "models" / "resnet50.onnx"
    assert download_model(f"{file_server}/model.onnx", dest, PAYLOAD_SHA256.upper()) == dest
    assert dest.read_bytes() == PAYLOAD
    assert list(dest.parent.iterdir()) == [dest]  # no temporary file left beside it


def test_checksum_mismatch_leaves_no_file_and_names_both_digests(file_server: str, tmp_path: Path) -> None:
    dest = tmp_path / "resnet50.onnx"
    with pytest.raises(ChecksumMismatch) as raised:
        download_model(f"{file_server}/model.onnx", dest, "0" * 64)
    assert "0" * 64 in str(raised.value) and PAYLOAD_SHA256 in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_leaves_no_file(file_server: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="404"):
        download_model(f"{file_server}/missing.onnx", tmp_path / "m.onnx", PAYLOAD_SHA256)
    assert list(tmp_path.iterdir()) == []


def test_ensure_model_downloads_once_then_checks_the_file(file_server: str, tmp_path: Path) -> None:
    dest = tmp_path / "m.onnx"
    ensure_model(dest, f"{file_server}/model.onnx", PAYLOAD_SHA256)
    assert ensure_model(dest, None, PAYLOAD_SHA256) == dest  # present: no URL needed
    dest.write_bytes(b"tampered")
    with pytest.raises(ModelError, match="expected"):
        ensure_model(dest, None, PAYLOAD_SHA256)


def test_a_cached_model_is_used_once_its_digest_matches_and_fetched_again_when_it_does_not(
    file_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest, url = tmp_path / "cache" / "m.onnx", f"{file_server}/model.onnx"
    ensure_model(dest, url, PAYLOAD_SHA256)
    assert ensure_model(dest, url, PAYLOAD_SHA256) == dest
    dest.write_bytes(b"a file another tool broke")
    assert ensure_model(dest, url, PAYLOAD_SHA256) == dest and dest.read_bytes() == PAYLOAD
    said = [line.split(": ", 2)[2] for line in capsys.readouterr().err.splitlines()]
    assert said[0] == f"downloading {url}" and said[1] == "cached on this node, SHA-256 verified"
    assert said[2].endswith("downloading it again") and said[3] == f"downloading {url}"
    assert sorted(p.name for p in dest.parent.iterdir()) == [".m.onnx.lock", "m.onnx"]


def test_ensure_model_without_a_source_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="MODEL_URL"):
        ensure_model(tmp_path / "absent.onnx")
    assert ensure_model(None) == offline_model_path()


def test_the_tutorials_url_has_the_zoos_published_digest() -> None:
    assert DEFAULT_MODEL_URL.endswith("resnet50-v2-7.onnx")
    assert len(DEFAULT_MODEL_SHA256) == 64


def test_the_offline_model_is_resnet50_with_a_fixed_batch_that_can_be_freed() -> None:
    model = onnx.load(str(offline_model_path()))
    assert batch_dim(model) == 1
    assert outputs_probabilities(model)
    dynamic = make_batch_dynamic(model)
    assert dynamic is not None and batch_dim(dynamic) == "batch"
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(dynamic.SerializeToString(), options, providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {"gpu_0/data_0": np.zeros((3, 3, 224, 224), np.float32)})
    assert output.shape == (3, 1000)
    np.testing.assert_allclose(output.sum(axis=1), 1.0, rtol=1e-5)


def _logits_model(path: Path, batch: int | str) -> Path:
    """A tiny classifier ending in Gemm (logits), with the given batch dimension."""
    rng = np.random.default_rng(1)
    weight = helper.make_tensor("w", TensorProto.FLOAT, [5, 3], rng.standard_normal(15).astype(np.float32))
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [1 if batch == 1 else 0, 3])
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
            helper.make_node("Reshape", ["pooled", "shape"], ["flat"]),
            helper.make_node("Gemm", ["flat", "w"], ["logits"], transB=1, alpha=10.0),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 5])],
        [weight, shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("batch", [1, "N"])
def test_logits_are_softmaxed_and_batches_are_used(tmp_path: Path, batch: int | str) -> None:
    path = _logits_model(tmp_path / "tiny.onnx", batch)
    classifier = load_classifier(Settings(model_path=path, max_batch=4))
    assert not classifier.outputs_probabilities
    assert classifier.max_batch == 4
    images = np.random.default_rng(2).standard_normal((2, 3, 224, 224)).astype(np.float32)
    probabilities = classifier.probabilities(images)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert probabilities.min() > 0 and probabilities.max() < 1
    top = classifier.top(probabilities[0], 3)
    assert [entry["index"] for entry in top] == list(np.argsort(-probabilities[0])[:3])


def test_labels_must_match_the_classes(tmp_path: Path) -> None:
    path = _logits_model(tmp_path / "tiny.onnx", "N")
    labels = tmp_path / "labels.txt"
    labels.write_text("a\nb\nc\nd\ne\n")
    classifier = load_classifier(Settings(model_path=path, labels_path=labels))
    best = classifier.top(np.array([0.1, 0.5, 0.1, 0.2, 0.1]), 1)
    assert best == [{"index": 1, "probability": 0.5, "label": "b"}]
    labels.write_text("a\nb\n")
    with pytest.raises(ModelError, match="2 labels but the model has 5 classes"):
        load_classifier(Settings(model_path=path, labels_path=labels))


def test_softmax_is_stable_for_large_logits() -> None:
    probabilities = softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(probabilities, [[0.5, 0.5, 0.0]])


def test_a_broken_model_file_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x00 not a protobuf")
    with pytest.raises(ModelError, match="could not load the model"):
        load_classifier(Settings(model_path=broken))


def test_settings_come_from_the_environment() -> None:
    settings = settings_from_env(
        {
            "PORT": "9100",
            "MAX_BATCH": "8",
            "OFFLINE_MODEL": "ResNet50",
            "GRAPH_OPTIMIZATION": "Extended",
            "MODEL_PATH": "/models/r.onnx",
            "MODEL_URL": DEFAULT_MODEL_URL,
        }
    )
    assert (settings.port, settings.max_batch, settings.offline_model) == (9100, 8, "resnet50")
    assert settings.graph_optimization == "extended" and settings.model_path == Path("/models/r.onnx")
    assert settings_from_env({}).host == "127.0.0.1"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"PORT": "http"}, "PORT"),
        ({"MAX_BATCH": "0"}, "MAX_BATCH"),
        ({"OFFLINE_MODEL": "mobilenet"}, "OFFLINE_MODEL"),
        ({"QUEUE_LIMIT": "1.5"}, "QUEUE_LIMIT"),
        ({"GRAPH_OPTIMIZATION": "max"}, "GRAPH_OPTIMIZATION"),
        ({"MAX_UPLOAD_BYTES": "12"}, "MAX_UPLOAD_BYTES"),
        ({"MODEL_SHA256": "abc"}, "MODEL_SHA256"),
        ({"MODEL_URL": DEFAULT_MODEL_URL}, "MODEL_URL"),
        ({"MODEL_PATH": "/m.onnx", "MODEL_URL": "ftp://x/m.onnx"}, "MODEL_URL"),
        ({"LABELS_PATH": "/nonexistent/labels.txt"}, "LABELS_PATH"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingError, match=name) as raised:
        settings_from_env(env)
    assert raised.value.name == name


def test_exports_are_sorted_and_complete() -> None:
    import sugarlab.payloads.edge_ai as edge_ai

    assert edge_ai.__all__ == sorted(edge_ai.__all__)
    public = {
        name
        for name in dir(edge_ai)
        if not name.startswith("_") and not isinstance(getattr(edge_ai, name), type(edge_ai))
    }
    assert public - {"annotations", "import_module", "TYPE_CHECKING", "Any"} == set(edge_ai.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        edge_ai.nothing  # noqa: B018


def test_the_package_loads_its_heavy_modules_only_when_a_name_needs_them() -> None:
    script = (
        "import sys; from sugarlab.payloads.edge_ai import DEFAULT_MODEL_URL, synthetic_jpeg; "
        "print(sorted(m for m in ('fastapi', 'onnx', 'onnxruntime') if m in sys.modules))"
    )
    light = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert light.stdout.strip() == "[]"


def test_the_service_refuses_to_start_on_a_bad_setting() -> None:
    env = {**os.environ, "PORT": "ninety"}
    done = subprocess.run(
        [sys.executable, "-m", "sugarlab.payloads.edge_ai"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "'PORT' = 'ninety' is not allowed" in done.stderr
