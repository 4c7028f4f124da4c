// Package exec runs trainers written in any language under ferry's exec contract.
//
// An Experiment with `trainer: {exec: {command: [...], dir: ..., timeout: ...,
// env: [...]}}` is trained by running its command. The contract:
//
// # What ferry provides
//
// ferry writes the train and eval splits as CSV files with a header row (nulls are
// empty fields; the feature columns and the target column, nothing else) and
// runs the command with these environment variables:
//
//	FERRY_TRAIN       path of the train split (CSV)
//	FERRY_EVAL        path of the eval split (CSV)
//	FERRY_PARAMS      path of a JSON object: the trainer's params from the spec ({} when none)
//	FERRY_OUTPUT      an empty folder for the trainer's outputs
//	FERRY_TARGET      the label column
//	FERRY_FEATURES    the feature columns, comma-separated, in input order
//	FERRY_CATEGORIES  the feature columns that are categories (strings), comma-separated
//	FERRY_TASK        binary-classification, multiclass-classification or regression
//	FERRY_SEED        the experiment's seed (decimal)
//	FERRY_RUN_ID      the run id
//
// All paths are absolute. The environment is otherwise minimal: PATH, HOME and
// LANG (and LC_ALL when set) from ferry's own environment, plus exactly the
// variables the spec lists under `env:`. Nothing else is inherited — in
// particular no tokens — unless listed.
//
// The command runs in `dir` (relative to the repository root, default the root),
// in its own process group, with stdin closed. Its stdout and stderr go to a log
// file (Options.LogFile, default trainer.log beside the splits) and, line by line,
// to the slog logger.
//
// # What the trainer provides
//
// On success the command exits 0 having written $FERRY_OUTPUT/model.onnx: an ONNX
// model that takes one input per feature column by name (numbers as float [N,1],
// categories as string [N,1]), as ferry's builtin models do, and outputs "label"
// and "probabilities" [N,C] (classifiers) or "value" [N,1] (regression).
// Optionally it writes $FERRY_OUTPUT/metrics.json, a JSON object of metric name to
// number measured on the eval split; ferry evaluates the model itself either way.
//
// # Failures
//
// A non-zero exit is an error that quotes the last lines of stderr. When the
// timeout (spec `timeout`, default 30m) passes, or the context ends, the whole
// process group is killed and the error says so. Exiting 0 without model.onnx,
// with an empty one, or with a metrics.json that is not an object of numbers, is an
// error naming the file.
//
// See examples/trainers/sklearn for a trainer in Python.
package exec
