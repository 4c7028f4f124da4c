package reconcile

import (
	"context"
	"fmt"
)

// Profiler is what an Evaluator may also do: compute a candidate's drift
// reference profile (its training data and its own predictions on them), so
// the registered version carries one and monitoring never reads the training
// data again. Apply stores the profile as an artifact and records its digest
// in the version's registry record.
type Profiler interface {
	Profile(ctx context.Context, req EvalRequest) ([]byte, error)
}

// profile computes and stores the run's reference profile when the Evaluator
// can. A failure is logged, not fatal: monitoring computes a missing profile
// from the training rows later.
func (a *applier) profile(ctx context.Context, st *runState, req EvalRequest) string {
	p, ok := a.o.Evaluator.(Profiler)
	if !ok {
		return ""
	}
	data, err := p.Profile(ctx, req)
	if err == nil {
		var digest string
		if digest, err = a.o.Store.Put(ctx, data); err == nil {
			return digest
		}
	}
	a.o.Log.Warn("no reference profile", "model", st.model.Metadata.Name, "run", st.plan.ID, "error", fmt.Sprint(err))
	return ""
}
