// Package records defines what ferry writes back to git under the project's
// records folder, and reads it again. Records are ferry's observed state, the
// model registry and the audit trail:
//
//	records/runs/<experiment>/<run-id>.yaml     a training run: inputs hash, params,
//	                                            dataset digest, code, artifact, metrics,
//	                                            evaluation, gate decision, timings
//	records/models/<model>/v<N>.yaml            a registered version (the registry):
//	                                            lineage, evaluation, gate input and decision
//	records/deployments/<deployment>.yaml       live versions and weights, canary state,
//	                                            history
//
// Every record carries "schema: 1". Records are encoded deterministically:
// keys sorted at every level, lists in a stable order, numbers in their
// shortest form. Two fields are inherently not reproducible and are kept
// anyway because people need them: timings (startedAt, finishedAt, seconds)
// and the registration/rollout times. Everything else is the same bytes for
// the same inputs.
package records
