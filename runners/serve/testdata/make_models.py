#!/usr/bin/python3
"""Builds types.onnx, the datatype round-trip model of runners/serve's tests.

Run from this folder: /usr/bin/python3 make_models.py

  types.onnx  inputs f64 double[N,1], i32 int32[N,1], flag bool[N,1], word string[N];
              outputs the same tensors through Identity (f64_out, i32_out,
              flag_out, word_out) and not_flag = Not(flag), so every OIP datatype
              goes into onnxruntime and comes back.

percolumn.onnx and regression.onnx are copies of runners/onnx/testdata's models
(see make_models.py there).
"""
import onnx
from onnx import TensorProto, helper

ins = [
    helper.make_tensor_value_info("f64", TensorProto.DOUBLE, ["N", 1]),
    helper.make_tensor_value_info("i32", TensorProto.INT32, ["N", 1]),
    helper.make_tensor_value_info("flag", TensorProto.BOOL, ["N", 1]),
    helper.make_tensor_value_info("word", TensorProto.STRING, ["N"]),
]
outs = [
    helper.make_tensor_value_info("f64_out", TensorProto.DOUBLE, ["N", 1]),
    helper.make_tensor_value_info("i32_out", TensorProto.INT32, ["N", 1]),
    helper.make_tensor_value_info("flag_out", TensorProto.BOOL, ["N", 1]),
    helper.make_tensor_value_info("word_out", TensorProto.STRING, ["N"]),
    helper.make_tensor_value_info("not_flag", TensorProto.BOOL, ["N", 1]),
]
nodes = [
    helper.make_node("Identity", ["f64"], ["f64_out"]),
    helper.make_node("Identity", ["i32"], ["i32_out"]),
    helper.make_node("Identity", ["flag"], ["flag_out"]),
    helper.make_node("Identity", ["word"], ["word_out"]),
    helper.make_node("Not", ["flag"], ["not_flag"]),
]
model = helper.make_model(helper.make_graph(nodes, "types", ins, outs),
                          opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
model.producer_name = "ferry-testdata"
onnx.checker.check_model(model)
onnx.save(model, "types.onnx")
