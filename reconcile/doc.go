// Package reconcile is ferry's control loop: observe what exists, diff it
// against the specs into a Plan, and apply the plan.
//
// # Observe
//
// Observe reads the records (runs, the registry, deployment records) at a git
// revision, the current datasets' digests, the exec trainers' code (as git tree
// hashes) and what the serving runtime reports. The result is an Observed
// value; test fixtures write one as JSON.
//
// # Plan
//
// Diff is a pure function of (desired *spec.Set, observed *Observed). It
// returns a Plan: typed Actions (Train, Evaluate, Gate, Register, Rollout,
// AdvanceCanary, Rollback, Retire, ComputeDrift, Alert), each with the object
// it touches, the reason (which input changed), what it will write, and an
// idempotency key hashed from its inputs. Rendering lives in package render.
//
// Destructive actions never follow from missing input: Diff refuses a nil
// spec set, and an empty one retires nothing.
//
// # Apply
//
// Apply executes a plan in order through small interfaces (Trainer,
// Evaluator, Gater, Runtime), journals every finished action under
// .ferry/journal so a crash at any point converges on the next run without
// repeating work, builds the records, and publishes them through gitops: the
// records commit is built on the current remote head and re-built there when
// another writer pushed first, so version numbers stay unique. One apply runs
// per repository at a time (.ferry/apply.lock).
package reconcile
