package ferry.gate_test

import data.ferry.gate

segments(ord_auc, ord_rows) := {"origin": {
	"ORD": {"rows": ord_rows, "metrics": {"auc": ord_auc}},
	"SEA": {"rows": 500, "metrics": {"auc": 0.72}},
}}

inp(ord_auc, ord_rows) := {
	"candidate": {"rows": 900, "task": "binary-classification", "metrics": {"auc": 0.71}, "segments": segments(ord_auc, ord_rows)},
	"production": {"rows": 900, "task": "binary-classification", "metrics": {"auc": 0.71}, "segments": segments(0.69, ord_rows)},
	"params": {"tolerance": {"auc": 0.01}},
	"lineage": {},
}

test_large_segment_regression_denies if {
	gate.deny == {"ORD segment auc fell from 0.690 to 0.640 (400 rows; tolerance 0.01)"} with input as inp(0.64, 400)
}

test_small_segment_regression_only_warns if {
	count(gate.deny) == 0 with input as inp(0.64, 50)
	count(data.ferry.builtin.gate.segment_regressions) == 1 with input as inp(0.64, 50)
}

test_within_tolerance_passes if {
	count(gate.deny) == 0 with input as inp(0.685, 400)
}
