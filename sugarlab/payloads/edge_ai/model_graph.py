"""Reading and adjusting an image classifier's ONNX graph before a session is built."""

from __future__ import annotations

import onnx
from onnx import numpy_helper

BATCH_DIM = "batch"


def image_input(model: onnx.ModelProto) -> onnx.ValueInfoProto:
    """The graph's data input (older exports also list every weight as an input)."""
    weights = {tensor.name for tensor in model.graph.initializer}
    return next(value for value in model.graph.input if value.name not in weights)


def batch_dim(model: onnx.ModelProto) -> int | str:
    """The image input's leading dimension: a fixed size, or the symbol of a dynamic one."""
    dim = image_input(model).type.tensor_type.shape.dim[0]
    return dim.dim_param if dim.HasField("dim_param") else dim.dim_value


def outputs_probabilities(model: onnx.ModelProto) -> bool:
    """Whether the first output comes straight from a Softmax (else it is logits to be softmaxed)."""
    name = model.graph.output[0].name
    return any(node.op_type == "Softmax" and name in node.output for node in model.graph.node)


def make_batch_dynamic(model: onnx.ModelProto) -> onnx.ModelProto | None:
    """A copy of `model` whose batch dimension is symbolic, or None when the graph does not allow it.

    Inputs and outputs get a symbolic leading dimension, stale intermediate shapes are dropped, and a
    Reshape with a constant target shape starting with 1 (ResNet's flatten before the classifier)
    gets 0 there instead, which ONNX defines as "copy the input's dimension": identical at batch 1,
    the batch size otherwise. Whether the result really computes per-image what the original did is
    checked by the caller on real inputs; anything else that pins the batch makes this return None.
    """
    if batch_dim(model) != 1:
        return None
    dynamic = onnx.ModelProto()
    dynamic.CopyFrom(model)
    graph = dynamic.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    for node in graph.node:
        if node.op_type != "Reshape":
            continue
        if any(attr.name == "allowzero" and attr.i for attr in node.attribute):
            return None
        target = initializers.get(node.input[1])
        if target is None:
            return None  # a computed shape could pin the batch in ways not checked here
        shape = numpy_helper.to_array(target).copy()
        if shape.size and shape[0] == 1:
            shape[0] = 0
            target.CopyFrom(numpy_helper.from_array(shape, target.name))
    for value in [image_input(dynamic), *graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].Clear()
            dims[0].dim_param = BATCH_DIM
    del graph.value_info[:]
    return dynamic
