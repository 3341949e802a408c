"""An ONNX Runtime session wrapped as an image classifier that answers probabilities."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from sugarlab.payloads.edge_ai.efficientnet_lite import load_efficientnet_lite0
from sugarlab.payloads.edge_ai.errors import ModelError
from sugarlab.payloads.edge_ai.images import CROP_SIZE
from sugarlab.payloads.edge_ai.model_files import OFFLINE_MODEL_NOTE, ensure_model, offline_model_path
from sugarlab.payloads.edge_ai.model_graph import batch_dim, image_input, make_batch_dynamic, outputs_probabilities
from sugarlab.payloads.edge_ai.settings import Settings

_LEVELS = {
    "disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


@dataclass(frozen=True)
class Classifier:
    """A loaded model. `max_batch` is 1 when its batch dimension is fixed and could not be freed."""

    session: ort.InferenceSession
    name: str
    input_name: str
    outputs_probabilities: bool
    max_batch: int
    batching: str  # how the batch dimension was found, for /readyz
    labels: tuple[str, ...] | None = None
    note: str | None = None

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (N, classes), for a float32 batch of shape (N, 3, 224, 224)."""
        scores = self.session.run(None, {self.input_name: batch})[0].reshape(len(batch), -1)
        return scores if self.outputs_probabilities else softmax(scores)

    def top(self, probabilities: np.ndarray, k: int) -> list[dict[str, object]]:
        """The `k` most probable classes of one image, best first, labelled when labels are known."""
        best = np.argsort(-probabilities, kind="stable")[:k]
        return [
            {"index": int(i), "probability": float(probabilities[i])}
            | ({"label": self.labels[i]} if self.labels else {})
            for i in best
        ]


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum so large logits do not overflow."""
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return probabilities


def session_options(settings: Settings) -> ort.SessionOptions:
    """ONNX Runtime options from the tuning settings (0 threads lets ONNX Runtime choose)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = settings.intra_op_threads
    options.inter_op_num_threads = settings.inter_op_threads
    options.graph_optimization_level = _LEVELS[settings.graph_optimization]
    options.log_severity_level = 3  # warnings about unused initializers in old exports are noise here
    return options


def read_labels(path: Path) -> tuple[str, ...]:
    """Class labels from a JSON list or a text file with one label per line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        labels = json.loads(text)
        if not isinstance(labels, list):
            raise ModelError(f"{path} holds {type(labels).__name__}; a JSON list of labels was expected")
        return tuple(str(label) for label in labels)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _batches_agree(session: ort.InferenceSession, input_name: str) -> bool:
    """Whether a batch of two gives each image the answer it gets alone."""
    rng = np.random.default_rng(0)
    images = rng.standard_normal((2, 3, CROP_SIZE, CROP_SIZE)).astype(np.float32)
    together = session.run(None, {input_name: images})[0]
    alone = np.concatenate([session.run(None, {input_name: images[i : i + 1]})[0] for i in range(2)])
    return together.shape == alone.shape and bool(np.allclose(together, alone, rtol=1e-4, atol=1e-5))


def read_model(settings: Settings) -> tuple[onnx.ModelProto, str, str | None]:
    """The configured model's graph, its name and a note on what its answers mean."""
    if settings.model_path is None and settings.offline_model == "efficientnet-lite0":
        return load_efficientnet_lite0(), "efficientnet-lite0 (trained, ImageNet)", None
    path = ensure_model(settings.model_path, settings.model_url, settings.model_sha256)
    try:
        model = onnx.load(str(path))
    except Exception as error:  # onnx raises many types for a bad file
        raise ModelError(f"could not load the model {path}: {error}") from None
    if path == offline_model_path():
        return model, "light_resnet50 (synthetic weights)", OFFLINE_MODEL_NOTE
    return model, path.stem, None


def load_classifier(settings: Settings) -> Classifier:
    """Fetch (if needed), check and load the configured model; any failure is a `ModelError`."""
    model, name, note = read_model(settings)
    try:
        input_name = image_input(model).name
        probabilities = outputs_probabilities(model)
        options = session_options(settings)
        providers = ["CPUExecutionProvider"]
        max_batch, fixed = settings.max_batch, batch_dim(model) == 1
        batching = "dynamic in the model file" if not fixed else "fixed at 1 in the model file: batching off"
        session = None
        if fixed and max_batch > 1 and (dynamic := make_batch_dynamic(model)) is not None:
            session = ort.InferenceSession(dynamic.SerializeToString(), options, providers=providers)
            if _batches_agree(session, input_name):
                batching = "fixed at 1 in the model file, made dynamic (checked against single runs)"
            else:
                session = None
        if session is None:
            session = ort.InferenceSession(model.SerializeToString(), options, providers=providers)
            max_batch = 1 if fixed else max_batch
    except Exception as error:  # onnx and onnxruntime raise many types for a bad file
        raise ModelError(f"could not load the model {name}: {error}") from None
    try:
        labels = read_labels(settings.labels_path) if settings.labels_path else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"could not read the labels {settings.labels_path}: {error}") from None
    classes = session.get_outputs()[0].shape[-1]
    if labels is not None and isinstance(classes, int) and len(labels) != classes:
        raise ModelError(f"{settings.labels_path} has {len(labels)} labels but the model has {classes} classes")
    return Classifier(
        session=session,
        name=name,
        input_name=input_name,
        outputs_probabilities=probabilities,
        max_batch=max_batch,
        batching=batching,
        labels=labels,
        note=note,
    )
