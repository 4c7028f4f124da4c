# Our own gate rule: no large airport may lose more than its tolerance of AUC, even
# when the overall AUC holds. The default policy reports every segment regression
# as a warning (data.ferry.builtin.gate.segment_regressions); this rule makes the
# ones with enough evaluation rows a denial.
package ferry.gate

min_segment_rows := 300

deny contains msg if {
	some r in data.ferry.builtin.gate.segment_regressions
	rows := input.candidate.segments[r.column][r.value].rows
	rows >= min_segment_rows
	msg := sprintf("%s segment %s fell from %.3f to %.3f (%d rows; tolerance %v)", [
		r.value, r.metric, r.production, r.candidate, rows, r.tolerance,
	])
}
