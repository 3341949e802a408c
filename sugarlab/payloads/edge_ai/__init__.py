"""The tutorial's edge-AI inference service, done right: an ImageNet classifier over HTTP.

`python -m sugarlab.payloads.edge_ai` serves it (settings from the environment, see `settings`); notebooks and
tests use the names below. Module by module: `settings` (environment), `model_files` (download with
SHA-256, offline models), `torch_weights` (a PyTorch `.pth` read without PyTorch), `efficientnet_lite`
(the trained EfficientNet-Lite0 built as an ONNX graph), `model_graph` (batch dimension, output kind), `classifier` (ONNX Runtime
session), `images` (decode and preprocess), `batching` (micro-batches), `app` (HTTP), `quantization`
(static INT8 and its measured comparison), `floors` (the model-only and preprocessing floors), `sample_images` (synthetic test images), `files`
(hashing and atomic writes).

Names load on first use (PEP 562): a notebook that only needs the sample image or the model's URL does
not import FastAPI, ONNX Runtime and its quantization tools, and neither does the service's own process.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sugarlab.payloads.edge_ai.app import create_app
    from sugarlab.payloads.edge_ai.classifier import Classifier, load_classifier
    from sugarlab.payloads.edge_ai.errors import (
        ChecksumMismatch,
        EdgeAIError,
        ImageRejected,
        ImageTooLarge,
        ModelError,
        SettingError,
    )
    from sugarlab.payloads.edge_ai.images import decode_image, preprocess
    from sugarlab.payloads.edge_ai.model_files import (
        DEFAULT_MODEL_SHA256,
        DEFAULT_MODEL_URL,
        download_model,
        ensure_model,
        offline_model_path,
    )
    from sugarlab.payloads.edge_ai.quantization import QuantizationComparison, compare_int8, quantize_int8
    from sugarlab.payloads.edge_ai.sample_images import synthetic_image, synthetic_jpeg
    from sugarlab.payloads.edge_ai.settings import Settings, settings_from_env

_HOMES = {
    "create_app": "app",
    "Classifier": "classifier",
    "load_classifier": "classifier",
    "ChecksumMismatch": "errors",
    "EdgeAIError": "errors",
    "ImageRejected": "errors",
    "ImageTooLarge": "errors",
    "ModelError": "errors",
    "SettingError": "errors",
    "decode_image": "images",
    "preprocess": "images",
    "DEFAULT_MODEL_SHA256": "model_files",
    "DEFAULT_MODEL_URL": "model_files",
    "download_model": "model_files",
    "ensure_model": "model_files",
    "offline_model_path": "model_files",
    "QuantizationComparison": "quantization",
    "compare_int8": "quantization",
    "quantize_int8": "quantization",
    "synthetic_image": "sample_images",
    "synthetic_jpeg": "sample_images",
    "Settings": "settings",
    "settings_from_env": "settings",
}

__all__ = [
    "ChecksumMismatch",
    "Classifier",
    "DEFAULT_MODEL_SHA256",
    "DEFAULT_MODEL_URL",
    "EdgeAIError",
    "ImageRejected",
    "ImageTooLarge",
    "ModelError",
    "QuantizationComparison",
    "SettingError",
    "Settings",
    "compare_int8",
    "create_app",
    "decode_image",
    "download_model",
    "ensure_model",
    "load_classifier",
    "offline_model_path",
    "preprocess",
    "quantize_int8",
    "settings_from_env",
    "synthetic_image",
    "synthetic_jpeg",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
