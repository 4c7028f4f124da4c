// Package eval holds the evaluation report — the shape of `ferry eval --json`, of the
// gate's candidate and production inputs, and of what the registry stores for each
// version — and the metrics that fill it. It is pure Go: inference happens in
// runners/onnx, which produces predictions that this package scores.
package eval
