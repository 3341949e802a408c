"""The tutorial's edge-AI inference service, done right: an ImageNet classifier over HTTP.

`python -m sugarlab.payloads.edge_ai` serves it (settings from the environment, see `settings`); notebooks and
tests use the names below. Module by module: `settings` (environment), `model_files` (download with
SHA-256, offline model), `model_graph` (batch dimension, output kind), `classifier` (ONNX Runtime
session), `images` (decode and preprocess), `batching` (micro-batches), `app` (HTTP), `quantization`
(static INT8 and its measured comparison), `sample_images` (synthetic test images), `files`
(hashing and atomic writes).
"""

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
