# An example gate rule. ferry's default policy already checks the Model's gate
# (floors, ceilings, tolerance against production); rules here add to it.
# input.candidate and input.production are evaluation reports (`ferry eval --json`),
# input.params is the Model's gate block. Add messages to deny (blocks) or warn.
package ferry.gate

import rego.v1

warn contains msg if {
	input.candidate.rows < 50
	msg := sprintf("only %d evaluation rows: the metrics are noisy", [input.candidate.rows])
}

deny contains msg if {
	some species, segment in input.candidate.segments.species
	segment.rows >= 20
	segment.metrics.auc < 0.6
	msg := sprintf("auc %.3f on %s penguins is under 0.6", [segment.metrics.auc, species])
}
