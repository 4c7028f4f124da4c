package ferry.gate.evaluation_test

import data.ferry.gate.evaluation

test_too_few_rows_denies if {
	evaluation.deny == {"evaluated on 200 rows, fewer than 1000"} with input as {"candidate": {"rows": 200}, "production": null}
}

test_enough_rows_passes if {
	count(evaluation.deny) == 0 with input as {"candidate": {"rows": 5000}, "production": null}
	count(evaluation.warn) == 0 with input as {"candidate": {"rows": 5000}, "production": null}
}

test_shrunk_eval_set_warns if {
	evaluation.warn == {"evaluated on 2000 rows, less than half of production's 5000"} with input as {
		"candidate": {"rows": 2000},
		"production": {"rows": 5000},
	}
}
