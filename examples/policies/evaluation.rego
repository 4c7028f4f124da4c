# Metrics from a small evaluation set are noise: deny below a floor of rows, and
# warn when the candidate was evaluated on far fewer rows than production.
package ferry.gate.evaluation

min_rows := 1000

deny contains sprintf("evaluated on %d rows, fewer than %d", [input.candidate.rows, min_rows]) if {
	input.candidate.rows < min_rows
}

warn contains msg if {
	input.production != null
	input.candidate.rows * 2 < input.production.rows
	msg := sprintf("evaluated on %d rows, less than half of production's %d", [input.candidate.rows, input.production.rows])
}
