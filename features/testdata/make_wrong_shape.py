#!/usr/bin/env python3
"""Writes wrong_shape.onnx: the feature model's input and output names, but a
32x32 input and 7-wide outputs. The extractor must refuse it.
Run with /usr/bin/python3 (Debian's python3-onnx)."""
import onnx
from onnx import helper, TensorProto

inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 32, 32])
f = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 7])
l = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 7])
nodes = [
    helper.make_node("Flatten", ["image"], ["flat"]),
    helper.make_node("Slice", ["flat", "starts", "ends", "axes"], ["features"]),
    helper.make_node("Identity", ["features"], ["logits"]),
]
inits = [helper.make_tensor("starts", TensorProto.INT64, [1], [0]),
         helper.make_tensor("ends", TensorProto.INT64, [1], [7]),
         helper.make_tensor("axes", TensorProto.INT64, [1], [1])]
g = helper.make_graph(nodes, "wrong", [inp], [f, l], initializer=inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(m)
onnx.save(m, "wrong_shape.onnx")
