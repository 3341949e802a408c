"""Static INT8 quantisation on a small convolutional model, calibrated on synthetic images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from sugarlab.payloads.edge_ai.images import decode_image, preprocess
from sugarlab.payloads.edge_ai.quantization import compare_int8, quantize_int8
from sugarlab.payloads.edge_ai.sample_images import synthetic_jpeg


def _small_cnn(path: Path) -> Path:
    """Conv -> Relu -> Conv -> GlobalAveragePool -> Flatten -> Gemm, opset 9 like old zoo exports."""
    rng = np.random.default_rng(3)

    def tensor(name: str, shape: list[int]) -> onnx.TensorProto:
        values = rng.standard_normal(shape).astype(np.float32).ravel() * 0.1
        return helper.make_tensor(name, TensorProto.FLOAT, shape, values)

    conv: dict[str, Any] = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], **conv),
            helper.make_node("Relu", ["c1"], ["r1"]),
            helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], **conv),
            helper.make_node("GlobalAveragePool", ["c2"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("Gemm", ["flat", "w3", "b3"], ["logits"], transB=1),
        ],
        "small_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [
            tensor("w1", [16, 3, 3, 3]),
            tensor("b1", [16]),
            tensor("w2", [32, 16, 3, 3]),
            tensor("b2", [32]),
            tensor("w3", [10, 32]),
            tensor("b3", [10]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)])
    model.ir_version = 4
    onnx.save(model, str(path))
    return path


def test_int8_model_is_smaller_runs_and_is_compared_by_measurement(tmp_path: Path) -> None:
    images = [preprocess(decode_image(synthetic_jpeg(320, 240, seed=seed), 10**7)) for seed in range(4)]
    fp32, int8 = quantize_int8(_small_cnn(tmp_path / "cnn.onnx"), tmp_path / "out", images)
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == ["cnn-fp32-prepared.onnx", "cnn-int8-qdq.onnx"]  # nothing temporary left
    ops = {node.op_type for node in onnx.load(str(int8)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    comparison = compare_int8(fp32, int8, images, repeats=1)
    assert comparison.int8_bytes < comparison.fp32_bytes
    assert comparison.fp32_ms_p50 > 0 and comparison.int8_ms_p50 > 0
    assert 0.0 <= comparison.top1_agreement <= 1.0
    assert comparison.recommended == (comparison.speedup >= 1.05)
