package reconcile

import (
	"math"
	"sort"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/spec"
)

// numberCandidates gives each gate-passing candidate of one apply its version
// number: per model, counting up from latest(model), in ascending order of
// the model's primary metric, so the best candidate gets the highest number
// and "version: latest" serves it. Candidates whose report lacks the metric
// (or a model without one) count as worst; ties keep plan order. cands is in
// plan order; the result maps each to its number.
func numberCandidates(cands []*runState, latest func(model string) int) map[*runState]int {
	byModel := map[string][]*runState{}
	var models []string
	for _, st := range cands {
		m := st.model.Metadata.Name
		if byModel[m] == nil {
			models = append(models, m)
		}
		byModel[m] = append(byModel[m], st)
	}
	out := make(map[*runState]int, len(cands))
	for _, m := range models {
		sts := byModel[m]
		orderByMetric(sts[0].model, sts, func(st *runState) *eval.Report { return st.report })
		n := latest(m)
		for _, st := range sts {
			n++
			out[st] = n
		}
	}
	return out
}

// orderByMetric sorts xs, all of model m, stably from the worst to the best
// value of m's primary metric.
func orderByMetric[T any](m *spec.Model, xs []T, report func(T) *eval.Report) {
	metric := m.Spec.Metric
	if metric == "" {
		return
	}
	lower := eval.LowerIsBetter(metric)
	value := func(x T) (float64, bool) {
		r := report(x)
		if r == nil {
			return 0, false
		}
		v, ok := r.Metrics[metric]
		if !ok || math.IsNaN(v) {
			return 0, false
		}
		return v, true
	}
	sort.SliceStable(xs, func(i, j int) bool {
		vi, oki := value(xs[i])
		vj, okj := value(xs[j])
		switch {
		case !oki || !okj:
			return !oki && okj // no value is worst
		case lower:
			return vi > vj
		default:
			return vi < vj
		}
	})
}
