// Package policy is ferry's evaluation gate: Rego policies, evaluated with OPA,
// decide whether a candidate model version may be promoted.
//
// # Input
//
// The gate sees one document (see Input and schema/input.schema.json):
// input.candidate and input.production are evaluation reports in the
// `ferry eval --json` shape (production is null for a first model),
// input.params is the Model's gate block (spec.Gate) and input.lineage says
// where the candidate came from.
//
// # Policies
//
// An embedded default policy (rego/gate.rego, package ferry.builtin.gate)
// produces the four checks every promotion needs — minimum performance
// (gate.min), no worse than production beyond gate.tolerance, no edge-case
// regression, latency and memory within gate.max — and warns about segments
// whose metric fell beyond its tolerance. Segment regressions are warnings,
// not denials, because segments are small and noisy; a user rule can deny on
// data.ferry.builtin.gate.segment_regressions (examples/policies does).
//
// User rules live in package ferry.gate or below it (ferry.gate.latency, ...)
// and add messages to the deny and warn sets, as in conftest. A message is a
// string or an object with a "msg" field. Each deny message becomes a failed
// check of severity deny named after its package, each warn message a failed
// warn check. Packages under ferry.builtin are reserved.
//
// # Decisions
//
// New compiles every module once (rego.PrepareForEval); Decide evaluates one
// Input. A Decision allows when no deny check failed. It carries its full
// input, the sha256 of every module and the OPA version, so Replay can
// evaluate it again under other policies (ferry policy diff).
//
// # Cost
//
// One decision with the default policy and two user rules takes about 0.6 ms on
// one core (BenchmarkDecide); running `opa eval` as a process per decision
// takes about 90 ms. OPA computes with arbitrary-precision numbers:
// arithmetic and comparisons on full float64 digits go through math/big, so the
// segment comparisons (one subtraction and one comparison per segment and
// metric with a tolerance) dominate on reports with many segments
// (BenchmarkDecideManySegments). Compiling happens once, in New.
//
// # Failing closed
//
// User policies come from pull requests and are untrusted. They are compiled
// with Capabilities (no network, no runtime, no clock or randomness) and
// evaluated with a time limit and an input size limit. A compile error in a
// user policy, an evaluation error (such as two values for one complete rule,
// or a built-in error under strict built-in errors), an undefined result, a
// timeout or an input over the limit all give a Decision that denies, with a
// failed check named "gate" that says why and Decision.Error set. New fails
// only on what is not a policy verdict: a policy path that cannot be read.
// Decide returns an error only when its context is canceled by the caller.
//
// `ferry gate` follows the same line: a user policy that does not compile is a
// denied decision (exit 2, the compile errors in the "gate" check), while an
// unreadable report or policy path is an error (exit 1).
//
// # Capabilities
//
// RemovedBuiltins lists what user policies may not call and why: http.send and
// net.* (network), opa.runtime (the process's environment), time.now_ns,
// rand.intn, uuid.rfc4122, io.jwt.* and certificate verification (the clock
// and randomness: a decision must replay to the same verdict),
// providers.aws.sign_req, and numbers.range (memory the time limit does not
// bound). Built-in errors are errors (rego.StrictBuiltinErrors), so a policy
// that divides by zero denies instead of silently skipping a rule.
package policy
