// Package local runs a plan's actions on this machine with ferry's own
// runners: builtin trainers (runners/train), exec trainers (runners/exec),
// evaluation through onnxruntime (runners/onnx) and the OPA gate (policy). It adapts them to reconcile's
// Trainer, Evaluator and Gater interfaces and caches what they share: a
// dataset is read and split once per apply, a model's gate is compiled once.
package local
