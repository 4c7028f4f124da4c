# The default gate: the four checks every promotion needs, plus per-segment
# regressions. Every check is an object {name, passed, severity, message} in the
# set `checks`, passing checks included, so a decision explains itself.
#
# User rules do not live here: they go in package ferry.gate (deny/warn sets)
# and may read this package, e.g. data.ferry.builtin.gate.segment_regressions.
package ferry.builtin.gate

# Metrics where a lower value is better: for them a "drop" is an increase.
lower_is_better := {
	"logloss", "brier", "rmse", "mae", "mape",
	"latencyP50Ms", "latencyP95Ms", "latencyP99Ms", "memoryMB",
}

# Profile keys of gate.min/max/tolerance and where the report holds them; every
# other key is a metric in report.metrics.
profile_paths := {
	"latencyP50Ms": ["latency", "p50Ms"],
	"latencyP95Ms": ["latency", "p95Ms"],
	"latencyP99Ms": ["latency", "p99Ms"],
	"memoryMB": ["memoryMB"],
}

mins := object.get(input.params, "min", {})

maxes := object.get(input.params, "max", {})

tolerances := object.get(input.params, "tolerance", {})

edge_cases_file := object.get(input.params, "edgeCases", "")

has_production if input.production != null

# value(report, key) is a metric or profile value of a report; undefined when the
# report lacks it.
value(report, key) := v if {
	path := profile_paths[key]
	v := object.get(report, path, null)
	is_number(v)
}

value(report, key) := v if {
	not profile_paths[key]
	v := object.get(report, ["metrics", key], null)
	is_number(v)
}

# drop(key, candidate, production) is how much worse the candidate is.
drop(key, c, p) := c - p if lower_is_better[key]

drop(key, c, p) := p - c if not lower_is_better[key]

# fmt prints a number with at most 4 decimals, so messages do not show
# floating-point noise like 0.008000000000000007.
fmt(x) := sprintf("%v", [round(x * 10000) / 10000])

# 1. Minimum performance: every gate.min floor.

checks contains {
	"name": "min",
	"severity": "deny",
	"passed": true,
	"message": "no floors set (gate.min)",
} if count(mins) == 0

checks contains {
	"name": sprintf("min/%s", [key]),
	"severity": "deny",
	"passed": passed,
	"message": sprintf("%s %s %s minimum %s", [key, fmt(v), word(passed, ">=", "<"), fmt(bound)]),
} if {
	some key, bound in mins
	v := value(input.candidate, key)
	passed := v >= bound
}

checks contains {
	"name": sprintf("min/%s", [key]),
	"severity": "deny",
	"passed": false,
	"message": sprintf("candidate report has no %s (gate.min requires at least %s)", [key, fmt(bound)]),
} if {
	some key, bound in mins
	not value(input.candidate, key)
}

# 2. No worse than production beyond gate.tolerance.

checks contains {
	"name": "tolerance",
	"severity": "deny",
	"passed": true,
	"message": "no tolerances set (gate.tolerance)",
} if count(tolerances) == 0

checks contains {
	"name": "tolerance",
	"severity": "deny",
	"passed": true,
	"message": "no production version: first model, nothing to compare against",
} if {
	count(tolerances) > 0
	not has_production
}

checks contains {
	"name": sprintf("tolerance/%s", [key]),
	"severity": "deny",
	"passed": passed,
	"message": sprintf("%s %s vs production %s: %s %s %s tolerance %s", [
		key, fmt(c), fmt(p), change_word(d), fmt(abs(d)),
		word(passed, "within", "beyond"), fmt(tol),
	]),
} if {
	has_production
	some key, tol in tolerances
	c := value(input.candidate, key)
	p := value(input.production, key)
	d := drop(key, c, p)
	passed := d <= tol
}

checks contains {
	"name": sprintf("tolerance/%s", [key]),
	"severity": "deny",
	"passed": false,
	"message": sprintf("candidate report has no %s to compare with production", [key]),
} if {
	has_production
	some key, _ in tolerances
	not value(input.candidate, key)
}

checks contains {
	"name": sprintf("tolerance/%s", [key]),
	"severity": "warn",
	"passed": false,
	"message": sprintf("production report has no %s: cannot compare (candidate %s)", [key, fmt(c)]),
} if {
	has_production
	some key, _ in tolerances
	c := value(input.candidate, key)
	not value(input.production, key)
}

change_word(d) := "drop" if d > 0

change_word(d) := "gain" if d <= 0

# 3. No edge-case regression.

candidate_edges := object.get(input.candidate, "edgeCases", null)

production_edges := object.get(input.production, "edgeCases", null) if has_production

failure_key(f) := name if {
	name := object.get(f, "name", "")
	name != ""
} else := sprintf("row %d", [object.get(f, "row", 0)])

failure_keys(edges) := {failure_key(f) | some f in object.get(edges, "failures", [])}

new_failures := failure_keys(candidate_edges) - failure_keys(production_edges) if {
	production_edges != null
} else := failure_keys(candidate_edges)

checks contains {
	"name": "edge-cases",
	"severity": "deny",
	"passed": true,
	"message": "no edge cases set (gate.edgeCases)",
} if {
	candidate_edges == null
	edge_cases_file == ""
}

checks contains {
	"name": "edge-cases",
	"severity": "deny",
	"passed": false,
	"message": sprintf("gate.edgeCases is %s but the candidate report has no edge-case results", [edge_cases_file]),
} if {
	candidate_edges == null
	edge_cases_file != ""
}

checks contains {
	"name": "edge-cases",
	"severity": "deny",
	"passed": true,
	"message": sprintf("all %d edge cases pass", [candidate_edges.total]),
} if {
	candidate_edges != null
	candidate_edges.failed == 0
}

checks contains {
	"name": "edge-cases",
	"severity": "deny",
	"passed": true,
	"message": sprintf("%d of %d edge cases fail, each failing in production too: no regression", [candidate_edges.failed, candidate_edges.total]),
} if {
	candidate_edges.failed > 0
	production_edges != null
	count(new_failures) == 0
}

checks contains {
	"name": "edge-cases",
	"severity": "deny",
	"passed": false,
	"message": sprintf("%d of %d edge cases fail%s: %s", [
		candidate_edges.failed, candidate_edges.total, since_production,
		concat(", ", sort(new_failures)),
	]),
} if {
	candidate_edges.failed > 0
	count(new_failures) > 0
}

since_production := " (new since production)" if {
	production_edges != null
} else := ""

# A report that counts failures but lists none still fails.
checks contains {
	"name": "edge-cases",
	"severity": "deny",
	"passed": false,
	"message": sprintf("%d of %d edge cases fail", [candidate_edges.failed, candidate_edges.total]),
} if {
	candidate_edges.failed > 0
	count(failure_keys(candidate_edges)) == 0
}

# 4. Latency and memory (and any other ceiling) within gate.max.

checks contains {
	"name": "max",
	"severity": "deny",
	"passed": true,
	"message": "no ceilings set (gate.max)",
} if count(maxes) == 0

checks contains {
	"name": sprintf("max/%s", [key]),
	"severity": "deny",
	"passed": passed,
	"message": sprintf("%s %s %s maximum %s", [key, fmt(v), word(passed, "<=", ">"), fmt(bound)]),
} if {
	some key, bound in maxes
	v := value(input.candidate, key)
	passed := v <= bound
}

checks contains {
	"name": sprintf("max/%s", [key]),
	"severity": "deny",
	"passed": false,
	"message": sprintf("candidate report has no %s (gate.max allows at most %s)", [key, fmt(bound)]),
} if {
	some key, bound in maxes
	not value(input.candidate, key)
}

# Segments: a metric with a tolerance that falls beyond it in one segment is a
# warning. Segments are small and noisy, so the default does not deny on them;
# a user rule can (see examples/policies/segments.rego).

segment_regressions contains {
	"column": column,
	"value": val,
	"metric": key,
	"candidate": c,
	"production": p,
	"drop": d,
	"tolerance": tol,
} if {
	some key, tol in tolerances
	some column, values in object.get(input.candidate, "segments", {})
	some val, seg in values
	c := seg.metrics[key]
	p := input.production.segments[column][val].metrics[key]
	d := drop(key, c, p)
	d > tol
}

compared_segments(key) := {[column, val] |
	some column, values in object.get(input.candidate, "segments", {})
	some val, seg in values
	is_number(seg.metrics[key])
	is_number(input.production.segments[column][val].metrics[key])
}

checks contains {
	"name": sprintf("segment/%s=%s/%s", [r.column, r.value, r.metric]),
	"severity": "warn",
	"passed": false,
	"message": sprintf("%s segment %s=%s: %s vs production %s, drop %s beyond tolerance %s", [
		r.metric, r.column, r.value, fmt(r.candidate), fmt(r.production),
		fmt(r.drop), fmt(r.tolerance),
	]),
} if some r in segment_regressions

checks contains {
	"name": sprintf("segments/%s", [key]),
	"severity": "warn",
	"passed": true,
	"message": sprintf("%s within tolerance %s in all %d segments compared with production", [key, fmt(tol), n]),
} if {
	some key, tol in tolerances
	n := count(compared_segments(key))
	n > 0
	not regressed_metric(key)
}

regressed_metric(key) if {
	some r in segment_regressions
	r.metric == key
}

word(true, yes, _) := yes

word(false, _, no) := no
