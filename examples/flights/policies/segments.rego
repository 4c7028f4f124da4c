# Our own gate rule: no large airport may lose much AUC against production, even
# when the overall AUC holds. Small airports are left to the default policy, which
# reports every segment regression as a warning.
package ferry.gate

# Airports with fewer evaluation rows than this are too noisy to deny on.
min_segment_rows := 1000

# The largest AUC drop a large airport may take.
max_segment_drop := 0.02

deny contains msg if {
	input.production != null
	some airport, seg in input.candidate.segments.origin
	seg.rows >= min_segment_rows
	prod := input.production.segments.origin[airport]
	drop := prod.metrics.auc - seg.metrics.auc
	drop > max_segment_drop
	msg := sprintf("origin %s: AUC fell by %.3f, from %.3f to %.3f on %d rows (at most %.2f allowed)", [
		airport, drop, prod.metrics.auc, seg.metrics.auc, seg.rows, max_segment_drop,
	])
}
