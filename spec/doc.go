// Package spec holds ferry's spec kinds (Project, Dataset, Model, Experiment,
// Deployment, Monitor) and loads them from a tree.
//
// # Loading
//
// [Load] walks an [fs.FS] — a working directory through [LoadDir], or a git tree at
// any revision — and decodes every YAML document whose apiVersion is ferry.dev/v1.
// Other YAML is ignored, so specs can sit beside workflows and Kubernetes manifests:
// a file that is not valid YAML or not UTF-8 is reported only when it mentions
// ferry.dev/ (a Helm template is not ferry's business). Load does not enter .git,
// .ferry, node_modules or the project's records folder (ferry's own output, which
// grows with every run), does not follow symlinked YAML files, and refuses YAML
// files over MaxFileSize. Files are parsed in parallel; the fs.FS is only ever
// used from the calling goroutine.
//
// Decoding is strict and walks yaml.v3 nodes by reflection over the Go types, so
// every problem carries its path:line:col: unknown fields (with the allowed ones),
// wrong types, bad enum values (with the allowed ones), invalid names, duplicates,
// dangling references, paths that leave the repository, bad canary steps, cron
// schedules, durations and thresholds. All problems of a tree are collected in one
// pass and returned as an [ErrorList] sorted by file, line and column; a problem in
// one field does not hide the others, nor does it cause follow-on errors.
//
// # Defaults
//
// Load applies defaults in one place (applyDefaults) after decoding and before the
// checks, so every consumer sees the same filled-in values: the project's artifact
// store, prediction log, records folder, git and runtime settings, a dataset's format
// from its extension, an experiment's dataset from its model, a deployment's runtime,
// strategy and version, and a monitor's default feature test.
//
// # Positions
//
// Every object keeps its [Source]. [Set.Pos] gives the position of any field of a
// loaded object ("spec.trainer.builtin", "spec.features[2].min"), so later stages
// (the reconciler, the gate) can report problems at the line that caused them.
package spec
