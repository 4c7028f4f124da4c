package ferry.gate_test

import data.ferry.gate

report(auc, rows) := {"segments": {"origin": {"ORD": {"rows": rows, "metrics": {"auc": auc}}}}}

test_large_airport_regression_denies if {
	msgs := gate.deny with input as {"candidate": report(0.60, 1500), "production": report(0.65, 1500)}
	msgs == {"origin ORD: AUC fell by 0.050, from 0.650 to 0.600 on 1500 rows (at most 0.02 allowed)"}
}

test_small_drop_passes if {
	count(gate.deny) == 0 with input as {"candidate": report(0.64, 1500), "production": report(0.65, 1500)}
}

test_small_airport_is_left_to_warnings if {
	count(gate.deny) == 0 with input as {"candidate": report(0.50, 200), "production": report(0.65, 200)}
}

test_first_model_passes if {
	count(gate.deny) == 0 with input as {"candidate": report(0.50, 1500), "production": null}
}
