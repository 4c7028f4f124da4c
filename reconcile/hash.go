package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
)

// hashOf hashes the canonical JSON of vs (encoding/json sorts map keys), in
// 16 hex digits: enough to never collide within one repository's history.
func hashOf(vs ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			// Spec and record values are plain data; this cannot fail for them.
			panic("reconcile: hash: " + err.Error())
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// specHash is what, of the specs, determines a trained model: the experiment
// without its triggers, the dataset spec and the model's task.
func specHash(e *spec.Experiment, ds *spec.Dataset, m *spec.Model) string {
	es := e.Spec
	es.Triggers = spec.Triggers{}
	return hashOf("spec", es, ds.Spec, m.Spec.Task)
}

// inputsHash adds the data, the code and the trainer's version.
func inputsHash(spec, datasetDigest, codeTree, trainerVersion string) string {
	return hashOf("inputs", spec, datasetDigest, codeTree, trainerVersion)
}

// gateParamsHash hashes what a gate decision depends on besides the reports.
func gateParamsHash(m *spec.Model) string {
	return hashOf("gate", m.Spec.Gate, m.Spec.Metric, m.Spec.Segments, m.Spec.Task)
}

// DesiredHash hashes a spec set; a saved plan is refused when it changed.
func DesiredHash(s *spec.Set) string {
	return hashOf("desired", s.Project, s.Datasets, s.Models, s.Experiments, s.Deployments, s.Monitors)
}

// ObservedHash hashes an observed state without its clock, so that the same
// world observed twice hashes the same.
func ObservedHash(o *Observed) string {
	c := *o
	live := map[string][]records.LiveVersion{}
	for name, l := range o.Live {
		// Traffic counters move all the time; what serves is what matters.
		live[name] = l.Records()
	}
	if len(c.Policies) > 0 {
		return hashOf("observed", c.Commit, c.RecordsCommit, c.TrainerVersion, c.Records, live, c.Datasets, c.Code, c.Drift, c.DriftReports, c.Policies)
	}
	if len(c.DriftReports) > 0 {
		return hashOf("observed", c.Commit, c.RecordsCommit, c.TrainerVersion, c.Records, live, c.Datasets, c.Code, c.Drift, c.DriftReports)
	}
	if len(c.Drift) > 0 {
		return hashOf("observed", c.Commit, c.RecordsCommit, c.TrainerVersion, c.Records, live, c.Datasets, c.Code, c.Drift)
	}
	return hashOf("observed", c.Commit, c.RecordsCommit, c.TrainerVersion, c.Records, live, c.Datasets, c.Code)
}

func sortLive(l []records.LiveVersion) []records.LiveVersion {
	sort.Slice(l, func(i, j int) bool {
		if l[i].Weight != l[j].Weight {
			return l[i].Weight > l[j].Weight
		}
		return l[i].Version > l[j].Version
	})
	return l
}
