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
// probabilities as a [N,C] float tensor or a sequence of maps (skl2onnx's ZipMap,
// read through onnxruntime's sequence and map values, which is slower than
// zipmap=False), a [N]/[N,1] float score, a label tensor, or a [N]/[N,1]
// regression value. Class labels come from the model's metadata "classes", the
// ZipMap keys, or the classlabels_* attribute of the graph's classifier node (read
// by the wire check), in that order, else "0".."C-1". For two classes Score is the
// probability of Classes[1].
//
// # Evaluation
//
// Evaluate predicts over a frame and scores it with package eval: overall and per
// segment metrics, edge cases, a single-row latency profile measured in process
// (DefaultLatencyRuns calls of Predict on one-row frames after a warm-up,
// conversion included, as serving sees it), batched throughput, and the resident
// memory added by loading the model (VmRSS before and after creating the session).
// The binary positive class is EvalOptions.Positive, else Classes[1]; a target
// value that is not one of the model's classes is an error naming it.
//
// Category inputs are handed to onnxruntime through its C API directly
// (strings.go): one C string per level instead of one per row, which the Go
// binding would make.
package onnx
