"""Optional static INT8 quantisation (QDQ) and a measured comparison with the float model.

INT8 is not assumed to be faster: it depends on the CPU (x86 VNNI, Arm dot-product instructions)
and on the model, so `compare_int8` measures both models on the same images and threads and only
recommends INT8 when it measured faster. Calibration uses sample images through the service's own
preprocessing; with the offline model (synthetic weights) the ranges are as synthetic as the model.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from sugarlab.payloads.edge_ai.classifier import session_options
from sugarlab.payloads.edge_ai.model_graph import image_input
from sugarlab.payloads.edge_ai.settings import Settings

PER_CHANNEL_OPSET = 13  # DequantizeLinear takes a per-channel axis from opset 13


class _Images(CalibrationDataReader):  # type: ignore[misc]  # onnxruntime ships no type hints
    def __init__(self, input_name: str, images: Sequence[np.ndarray]) -> None:
        self._feeds: Iterator[dict[str, np.ndarray]] = iter([{input_name: image[None]} for image in images])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def _opset(model: onnx.ModelProto) -> int:
    return next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))


def _fold_and_infer_shapes(model: onnx.ModelProto, dest: Path) -> None:
    """What quantisation wants first: constants folded and batch norms fused (by ONNX Runtime's basic
    optimisations, saved to `dest`), then every tensor's shape inferred."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(dest)
    options.log_severity_level = 3
    ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    onnx.shape_inference.infer_shapes_path(str(dest), str(dest))


def _temporary_beside(path: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def quantize_int8(source: Path, out_dir: Path, images: Sequence[np.ndarray]) -> tuple[Path, Path]:
    """Quantise `source` statically to INT8 (QDQ, U8 activations, per-channel S8 weights).

    Preparation is `quant_pre_process` without its symbolic shape pass (which needs sympy, and
    fixed-size image classifiers do not need): the opset is raised to 13 for per-channel weights.

    `images` are preprocessed (3, 224, 224) calibration tensors. Returns the float model as prepared
    for quantisation (shapes inferred, constants folded: the fair size to compare) and the INT8
    model, both written atomically into `out_dir`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    prepared = out_dir / f"{source.stem}-fp32-prepared.onnx"
    quantized = out_dir / f"{source.stem}-int8-qdq.onnx"
    model = onnx.load(str(source))
    input_name = image_input(model).name
    weights = {tensor.name for tensor in model.graph.initializer}
    kept = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)  # old exports list weights as inputs; calibration would demand them
    model.ir_version = max(model.ir_version, 4)  # the first IR version where weights need not be inputs
    if _opset(model) < PER_CHANNEL_OPSET:
        model = version_converter.convert_version(model, PER_CHANNEL_OPSET)
    for target, build in (
        (prepared, lambda tmp: _fold_and_infer_shapes(model, tmp)),
        (
            quantized,
            lambda tmp: quantize_static(
                str(prepared),
                str(tmp),
                _Images(input_name, images),
                quant_format=QuantFormat.QDQ,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                per_channel=True,
            ),
        ),
    ):
        tmp = _temporary_beside(target)
        try:
            build(tmp)
            tmp.chmod(0o644)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return prepared, quantized


@dataclass(frozen=True)
class QuantizationComparison:
    """Size and batch-1 latency of a float model and its INT8 version, measured side by side."""

    fp32_bytes: int
    int8_bytes: int
    fp32_ms_p50: float
    int8_ms_p50: float
    top1_agreement: float  # fraction of images whose best class is the same
    recommended: bool  # INT8 measured at least `min_speedup` times faster

    @property
    def speedup(self) -> float:
        return self.fp32_ms_p50 / self.int8_ms_p50


def _median_ms(session: ort.InferenceSession, feeds: list[dict[str, np.ndarray]], repeats: int) -> float:
    session.run(None, feeds[0])  # first run allocates
    times = []
    for _ in range(repeats):
        for feed in feeds:
            started = time.perf_counter()
            session.run(None, feed)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def compare_int8(
    fp32: Path,
    int8: Path,
    images: Sequence[np.ndarray],
    settings: Settings | None = None,
    repeats: int = 3,
    min_speedup: float = 1.05,
) -> QuantizationComparison:
    """Measure both models on `images` with the service's session options; recommend only on speed."""
    options = session_options(settings or Settings())
    providers = ["CPUExecutionProvider"]
    sessions = [ort.InferenceSession(str(path), options, providers=providers) for path in (fp32, int8)]
    name = sessions[0].get_inputs()[0].name
    feeds = [{name: image[None]} for image in images]
    fp32_ms, int8_ms = (_median_ms(session, feeds, repeats) for session in sessions)
    best = [[int(np.argmax(s.run(None, feed)[0])) for feed in feeds] for s in sessions]
    agreement = sum(a == b for a, b in zip(*best, strict=True)) / len(feeds)
    return QuantizationComparison(
        fp32_bytes=fp32.stat().st_size,
        int8_bytes=int8.stat().st_size,
        fp32_ms_p50=fp32_ms,
        int8_ms_p50=int8_ms,
        top1_agreement=agreement,
        recommended=fp32_ms / int8_ms >= min_speedup,
    )
