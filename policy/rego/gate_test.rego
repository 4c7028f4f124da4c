package ferry.builtin.gate_test

import data.ferry.builtin.gate

report(metrics) := {
	"rows": 100,
	"task": "binary-classification",
	"metrics": metrics,
	"edgeCases": {"total": 3, "failed": 0, "failures": []},
	"latency": {"p50Ms": 1, "p95Ms": 2, "p99Ms": 3},
	"memoryMB": 40,
}

base_input := {
	"candidate": report({"auc": 0.71, "logloss": 0.40}),
	"production": report({"auc": 0.72, "logloss": 0.39}),
	"params": {
		"min": {"auc": 0.65},
		"max": {"latencyP99Ms": 5, "memoryMB": 256},
		"tolerance": {"auc": 0.02, "logloss": 0.02},
	},
	"lineage": {},
}

# check(name) is the check called name in the decision on inp.
check(name, inp) := c if {
	some c in gate.checks with input as inp
	c.name == name
}

failed_denies(inp) := {c.name | some c in gate.checks with input as inp; c.severity == "deny"; not c.passed}

test_all_pass if {
	count(failed_denies(base_input)) == 0
	check("min/auc", base_input).message == "auc 0.71 >= minimum 0.65"
	check("tolerance/auc", base_input).passed
	check("edge-cases", base_input).message == "all 3 edge cases pass"
	check("max/latencyP99Ms", base_input).message == "latencyP99Ms 3 <= maximum 5"
}

test_min_fails if {
	inp := json.patch(base_input, [{"op": "replace", "path": "/candidate/metrics/auc", "value": 0.6}])
	failed_denies(inp) == {"min/auc", "tolerance/auc"}
	check("min/auc", inp).message == "auc 0.6 < minimum 0.65"
}

test_min_missing_metric_fails if {
	inp := json.patch(base_input, [{"op": "add", "path": "/params/min/f1", "value": 0.5}])
	not check("min/f1", inp).passed
	contains(check("min/f1", inp).message, "no f1")
}

test_tolerance_drop_beyond if {
	inp := json.patch(base_input, [{"op": "replace", "path": "/candidate/metrics/auc", "value": 0.69}])
	c := check("tolerance/auc", inp)
	not c.passed
	c.message == "auc 0.69 vs production 0.72: drop 0.03 beyond tolerance 0.02"
}

test_tolerance_lower_is_better_flips if {
	# logloss rising by 0.05 is a drop of 0.05.
	worse := json.patch(base_input, [{"op": "replace", "path": "/candidate/metrics/logloss", "value": 0.44}])
	not check("tolerance/logloss", worse).passed

	# logloss falling a lot is a gain, whatever its size.
	better := json.patch(base_input, [{"op": "replace", "path": "/candidate/metrics/logloss", "value": 0.2}])
	check("tolerance/logloss", better).passed
	contains(check("tolerance/logloss", better).message, "gain 0.19")
}

test_tolerance_first_model if {
	inp := json.patch(base_input, [{"op": "replace", "path": "/production", "value": null}])
	c := check("tolerance", inp)
	c.passed
	contains(c.message, "no production version")
	not check("tolerance/auc", inp)
}

test_tolerance_production_lacks_metric_warns if {
	inp := json.patch(base_input, [{"op": "remove", "path": "/production/metrics/logloss"}])
	c := check("tolerance/logloss", inp)
	not c.passed
	c.severity == "warn"
	count(failed_denies(inp)) == 0
}

test_edge_case_failure_denies if {
	inp := json.patch(base_input, [{"op": "replace", "path": "/candidate/edgeCases", "value": {
		"total": 3, "failed": 1,
		"failures": [{"row": 2, "name": "zero distance", "expected": "0", "got": "1", "message": "wrong label"}],
	}}])
	c := check("edge-cases", inp)
	not c.passed
	c.message == "1 of 3 edge cases fail (new since production): zero distance"
}

test_edge_case_known_failure_passes if {
	failing := {
		"total": 3, "failed": 1,
		"failures": [{"row": 2, "expected": "0", "got": "1", "message": "wrong label"}],
	}
	inp := json.patch(base_input, [
		{"op": "replace", "path": "/candidate/edgeCases", "value": failing},
		{"op": "replace", "path": "/production/edgeCases", "value": failing},
	])
	c := check("edge-cases", inp)
	c.passed
	contains(c.message, "no regression")
}

test_edge_case_results_missing_denies if {
	inp := json.patch(base_input, [
		{"op": "remove", "path": "/candidate/edgeCases"},
		{"op": "add", "path": "/params/edgeCases", "value": "data/edge.csv"},
	])
	not check("edge-cases", inp).passed
}

test_max_latency_fails if {
	inp := json.patch(base_input, [{"op": "replace", "path": "/candidate/latency/p99Ms", "value": 7.5}])
	failed_denies(inp) == {"max/latencyP99Ms"}
	check("max/latencyP99Ms", inp).message == "latencyP99Ms 7.5 > maximum 5"
}

test_unset_blocks_pass if {
	inp := json.patch(base_input, [{"op": "replace", "path": "/params", "value": {}}])
	count(failed_denies(inp)) == 0
	check("min", inp).passed
	check("max", inp).passed
	check("tolerance", inp).passed
	check("edge-cases", inp).passed
}

test_segment_regression_warns if {
	inp := json.patch(base_input, [
		{"op": "add", "path": "/candidate/segments", "value": {"origin": {"ORD": {"rows": 10, "metrics": {"auc": 0.6}}}}},
		{"op": "add", "path": "/production/segments", "value": {"origin": {"ORD": {"rows": 10, "metrics": {"auc": 0.7}}}}},
	])
	c := check("segment/origin=ORD/auc", inp)
	not c.passed
	c.severity == "warn"
	count(failed_denies(inp)) == 0
	count(gate.segment_regressions) == 1 with input as inp
}

test_segments_within_tolerance_pass if {
	inp := json.patch(base_input, [
		{"op": "add", "path": "/candidate/segments", "value": {"origin": {"ORD": {"rows": 10, "metrics": {"auc": 0.7}}}}},
		{"op": "add", "path": "/production/segments", "value": {"origin": {"ORD": {"rows": 10, "metrics": {"auc": 0.7}}}}},
	])
	check("segments/auc", inp).passed
	count(gate.segment_regressions) == 0 with input as inp
}

test_tolerance_candidate_lacks_metric_denies if {
	inp := json.patch(base_input, [{"op": "remove", "path": "/candidate/metrics/logloss"}])
	c := check("tolerance/logloss", inp)
	not c.passed
	c.severity == "deny"
}

test_edge_case_failure_first_model if {
	inp := json.patch(base_input, [
		{"op": "replace", "path": "/production", "value": null},
		{"op": "replace", "path": "/candidate/edgeCases", "value": {
			"total": 3, "failed": 1,
			"failures": [{"row": 2, "expected": "0", "got": "1", "message": "wrong label"}],
		}},
	])
	check("edge-cases", inp).message == "1 of 3 edge cases fail: row 2"
}

test_edge_case_count_without_list_denies if {
	inp := json.patch(base_input, [{"op": "replace", "path": "/candidate/edgeCases", "value": {"total": 3, "failed": 2}}])
	check("edge-cases", inp).message == "2 of 3 edge cases fail"
	not check("edge-cases", inp).passed
}

test_max_missing_value_denies if {
	inp := json.patch(base_input, [{"op": "remove", "path": "/candidate/memoryMB"}])
	c := check("max/memoryMB", inp)
	not c.passed
	c.message == "candidate report has no memoryMB (gate.max allows at most 256)"
}

test_segment_lower_is_better_regression if {
	inp := json.patch(base_input, [
		{"op": "replace", "path": "/params/tolerance", "value": {"rmse": 1}},
		{"op": "add", "path": "/candidate/segments", "value": {"month": {"3": {"rows": 10, "metrics": {"rmse": 14}}}}},
		{"op": "add", "path": "/production/segments", "value": {"month": {"3": {"rows": 10, "metrics": {"rmse": 11}}}}},
	])
	c := check("segment/month=3/rmse", inp)
	c.message == "rmse segment month=3: 14 vs production 11, drop 3 beyond tolerance 1"
}

test_no_edge_cases_configured_passes if {
	inp := json.patch(base_input, [{"op": "remove", "path": "/candidate/edgeCases"}])
	c := check("edge-cases", inp)
	c.passed
	c.message == "no edge cases set (gate.edgeCases)"
}
