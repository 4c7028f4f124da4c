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

# values(report) holds a report's metrics and profile values by gate key, so
# checks look each one up once (candidate[key] is undefined when it lacks it).
values(report) := object.union(
	{k: v | some k, v in object.get(report, "metrics", {}); is_number(v); not profile_paths[k]},
	{k: v | some k, path in profile_paths; v := object.get(report, path, null); is_number(v)},
)

candidate := values(input.candidate)

production := values(input.production) if has_production

# drop(key, candidate, production) is how much worse the candidate is.
drop(key, c, p) := c - p if lower_is_better[key]

drop(key, c, p) := p - c if not lower_is_better[key]

# fmt prints a computed number with 6 significant digits, so messages do not
# show floating-point noise like 0.008000000000000007. (Numbers from the input
# print as written with %v; OPA's arbitrary-precision round and divide would
# cost a millisecond a decision.)
fmt(x) := s if {
	s := sprintf("%v", [x])
	not contains(s, ".")
} else := sprintf("%.6g", [x])

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
	"message": sprintf("%s %v %s minimum %v", [key, v, {true: ">=", false: "<"}[passed], bound]),
} if {
	some key, bound in mins
	v := candidate[key]
	passed := v >= bound
}

checks contains {
	"name": sprintf("min/%s", [key]),
	"severity": "deny",
	"passed": false,
	"message": sprintf("candidate report has no %s (gate.min requires at least %v)", [key, bound]),
} if {
	some key, bound in mins
	not candidate[key]
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
	"message": sprintf("%s %v vs production %v: %s %s %s tolerance %v", [
		key, c, p, {true: "drop", false: "gain"}[d > 0], fmt(abs(d)),
		{true: "within", false: "beyond"}[passed], tol,
	]),
} if {
	has_production
	some key, tol in tolerances
	c := candidate[key]
	p := production[key]
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
	not candidate[key]
}

checks contains {
	"name": sprintf("tolerance/%s", [key]),
	"severity": "warn",
	"passed": false,
	"message": sprintf("production report has no %s: cannot compare (candidate %v)", [key, c]),
} if {
	has_production
	some key, _ in tolerances
	c := candidate[key]
	not production[key]
}

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
	count(failure_keys(candidate_edges)) > 0
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
	"message": sprintf("%s %v %s maximum %v", [key, v, {true: "<=", false: ">"}[passed], bound]),
} if {
	some key, bound in maxes
	v := candidate[key]
	passed := v <= bound
}

checks contains {
	"name": sprintf("max/%s", [key]),
	"severity": "deny",
	"passed": false,
	"message": sprintf("candidate report has no %s (gate.max allows at most %v)", [key, bound]),
} if {
	some key, bound in maxes
	not candidate[key]
}

# Segments: a metric with a tolerance that falls beyond it in one segment is a
# warning. Segments are small and noisy, so the default does not deny on them;
# a user rule can (see examples/policies/segments.rego).

segment_regressions contains regression(key, column, val, c, p, d, tol) if {
	some [key, column, val, c, p, tol] in segment_comparisons
	not lower_is_better[key]
	d := p - c
	d > tol
}

segment_regressions contains regression(key, column, val, c, p, d, tol) if {
	some [key, column, val, c, p, tol] in segment_comparisons
	lower_is_better[key]
	d := c - p
	d > tol
}

# segment_comparisons is [metric, column, value, candidate, production,
# tolerance] for every segment metric with a tolerance that both reports have.
segment_comparisons := [[key, column, val, c, p, tol] |
	has_production
	some key, tol in tolerances
	some column, vals in object.get(input.candidate, "segments", {})
	some val, seg in vals
	c := seg.metrics[key]
	p := input.production.segments[column][val].metrics[key]
]

regression(key, column, val, c, p, d, tol) := {
	"column": column,
	"value": val,
	"metric": key,
	"candidate": c,
	"production": p,
	"drop": d,
	"tolerance": tol,
}

checks contains {
	"name": sprintf("segment/%s=%s/%s", [r.column, r.value, r.metric]),
	"severity": "warn",
	"passed": false,
	"message": sprintf("%s segment %s=%s: %v vs production %v, drop %s beyond tolerance %v", [
		r.metric, r.column, r.value, r.candidate, r.production,
		fmt(r.drop), r.tolerance,
	]),
} if some r in segment_regressions

checks contains {
	"name": sprintf("segments/%s", [key]),
	"severity": "warn",
	"passed": true,
	"message": sprintf("%s within tolerance %v in all %d segments compared with production", [key, tol, n]),
} if {
	some key, tol in tolerances
	n := count([1 | some x in segment_comparisons; x[0] == key])
	n > 0
	not regressed_metric(key)
}

regressed_metric(key) if {
	some r in segment_regressions
	r.metric == key
}
