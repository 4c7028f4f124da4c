// Package onnx runs ONNX models through onnxruntime and evaluates them.
//
// # Loading
//
// Init loads the onnxruntime shared library once per process (DefaultLibraryPath
// finds it). Load and LoadFile check the bytes before onnxruntime sees them — the
// file is non-empty, parses as an ONNX ModelProto at the protobuf wire level and has
// an ir_version, an opset_import and a graph with inputs and outputs — so a truncated
// or foreign file is an error and never aborts the process. An expected sha256 digest
// is verified when given. One onnxruntime session is created per Model and is safe
// for concurrent Run and Predict calls.
//
// # Inputs
//
// Predict maps a dataset.Frame onto the model's inputs in one of two shapes:
//
//   - one input per feature column, matched by name: [N,1] or [N] tensors of
//     float, double, int64, int32, bool (from Number columns) or string (from
//     Category columns), as ferry's own trainers emit;
//   - a single float [N,F] tensor, as skl2onnx emits. Its columns are taken in the
//     order listed by the model's metadata "features" (comma-separated or a JSON
//     array) when present; otherwise the frame's Number columns in order, leaving
//     out the target (PredictOptions.Target, else metadata "target").
//
// Every missing or mistyped column is named in one error. NaN and ±Inf in features
// are counted per column; by default they are an error, and PredictOptions.Impute
// replaces them with the column's mean of finite values. Rows run in chunks
// (PredictOptions.ChunkRows, 65536 by default) to bound memory.
//
// # Outputs
//
// Predict finds what a classifier or regressor returns among its outputs:
// probabilities as a [N,C] tensor or a sequence of maps (skl2onnx's ZipMap), a
// [N]/[N,1] float score, a label tensor, or a [N]/[N,1] regression value. Class
// labels come from the model's metadata "classes", the ZipMap keys, or the
// classlabels_* attribute of the graph's classifier node, in that order.
//
// # Evaluation
//
// Evaluate predicts over a frame and scores it with package eval: overall and per
// segment metrics, edge cases, a single-row latency profile measured in process,
// batched throughput, and the resident memory added by loading the model.
package onnx
