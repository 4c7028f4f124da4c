// Package eval holds the evaluation report — the shape of `ferry eval --json`, of the
// gate's candidate and production inputs, and of what the registry stores for each
// version — and the metrics that fill it. It is pure Go: inference happens in
// runners/onnx, which produces predictions that this package scores.
//
// # Metrics
//
// Binary, Multiclass and Regression compute each task's metrics as scikit-learn
// does (checked against it in testdata/metrics.json, made by make_metrics.py):
// AUC with ties counted half, average precision, log loss with eps clipping, and
// labels predicted at Threshold. BinaryRows ranks rows once to score many
// subsets. A metric that is undefined on the data is left out of Metrics and
// explained in the notes, so reports always encode as JSON (Report.Clean drops any
// non-finite value that slipped through).
//
// # Segments and edge cases
//
// TopGroups splits rows by the values of a column (the K largest plus "other").
// CheckEdgeCases compares expected outputs with the model's, within a tolerance
// for numbers, and lists each failure by its 1-based row.
//
// # Rendering
//
// Report is data; WriteText renders it as tables for people and encoding/json
// renders it for machines.
package eval
