// Package serve is ferry's local serving runtime: an HTTP server that answers the
// Open Inference Protocol v2 and MLflow's /invocations scoring format from ONNX
// models, splits traffic between the versions of a deployment, hot-swaps versions
// through an admin API, logs predictions off the request path and exports
// Prometheus metrics.
//
// # Pieces
//
// A [Predictor] is one loaded model version (an onnxruntime session in
// production, see [ONNXLoader]). The [Manager] owns the deployments: it resolves
// artifacts, loads and warms new versions, and publishes an immutable routing
// table through an atomic pointer, so the request path never takes a lock. Each
// version is reference counted; a version that leaves the table is closed once the
// last in-flight request using it has finished.
//
// Requests are decoded without maps on the hot path: the envelope goes through
// encoding/json into typed structs and each tensor's data is scanned straight
// into the Go slice type the model input wants (see [DecodeInfer]). Responses are
// appended by hand.
//
// The [Server] wires the Manager, the HTTP handlers, the metrics and a
// prediction log writer (package store) together, and shuts down in order: stop
// accepting, finish in-flight requests, flush the log.
package serve
