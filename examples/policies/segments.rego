# Deny a candidate whose metric falls beyond its tolerance in a segment with
# enough rows to trust. The default policy reports every such segment as a
# warning in data.ferry.builtin.gate.segment_regressions; this rule promotes the
# large ones to denials.
package ferry.gate

# Segments with fewer evaluation rows than this stay warnings.
min_segment_rows := 200

deny contains msg if {
	some r in data.ferry.builtin.gate.segment_regressions
	rows := input.candidate.segments[r.column][r.value].rows
	rows >= min_segment_rows
	msg := sprintf("%s segment %s fell from %.3f to %.3f (%d rows; tolerance %v)", [
		r.value, r.metric, r.production, r.candidate, rows, r.tolerance,
	])
}
