package reconcile

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/reconcile/records"
)

// Candidate is one run a plan would register, as a preview found it: trained
// (or reused), evaluated and gated against the version serving production.
type Candidate struct {
	Model      string `json:"model"`
	Experiment string `json:"experiment"`
	Run        string `json:"run"`
	Artifact   string `json:"artifact,omitempty"`
	// Version is the number apply would give it when the gate allows it: the
	// candidates of one model are numbered from the worst to the best primary
	// metric, so the best gets the highest. 0 when the gate denies it.
	Version int `json:"version,omitempty"`
	// ProductionVersion is what it was compared with; 0 for a first model.
	ProductionVersion int                 `json:"productionVersion"`
	Metric            string              `json:"metric,omitempty"`
	Candidate         *eval.Report        `json:"candidate"`
	Production        *eval.Report        `json:"production"`
	Gate              *records.GateRecord `json:"gate"`
	// Window is the drift window's labelled rows the run trained on; its
	// metrics and production's are then both on the dataset's eval rows plus
	// the window's held-out rows.
	Window *records.WindowData `json:"window,omitempty"`
}

// WindowNote says what a candidate trained on a drift window was measured
// on, or "" for other candidates.
func (c *Candidate) WindowNote() string {
	w := c.Window
	if w == nil {
		return ""
	}
	s := fmt.Sprintf("trained on the dataset plus %d labelled rows of monitor %s's window ending %s; candidate", w.Rows, w.Monitor, w.WindowEnd)
	if c.ProductionVersion > 0 {
		s += fmt.Sprintf(" and production v%d", c.ProductionVersion)
	}
	return s + " scored on the dataset's eval rows plus the window's held-out rows"
}

// Verdict is "allow" or "deny".
func (c *Candidate) Verdict() string {
	if c.Gate != nil && c.Gate.Allow {
		return "allow"
	}
	return "deny"
}

// Preview runs a plan's Train, Evaluate and Gate actions without registering,
// deploying or writing records: what `ferry plan --evaluate` and a pull
// request's plan comment show. What it computes is journaled under the same
// idempotency keys apply uses, and artifacts are content-addressed, so the
// apply that follows reuses the trained models and verdicts instead of
// training again.
func Preview(ctx context.Context, plan *Plan, o ApplyOptions) ([]*Candidate, error) {
	a, release, err := newApplier(plan, o)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := a.runActions(ctx); err != nil {
		return nil, err
	}
	// Number the candidates the gate allows as apply will: per model, from
	// the worst to the best primary metric.
	var passing []*runState
	for _, st := range a.order {
		if st.gate != nil && st.gate.Allow && st.register != nil {
			passing = append(passing, st)
		}
	}
	latest := func(string) int { return 0 }
	if o.Observed != nil && o.Observed.Records != nil {
		latest = o.Observed.Records.LatestVersion
	}
	numbers := numberCandidates(passing, latest)
	var out []*Candidate
	for _, st := range a.order {
		if st.gate == nil {
			continue
		}
		c := &Candidate{
			Model: st.model.Metadata.Name, Experiment: st.experiment.Metadata.Name, Run: st.plan.ID,
			Artifact: a.artifactOf(st), ProductionVersion: st.plan.Against, Metric: st.model.Spec.Metric,
			Candidate: st.report, Production: st.production, Gate: st.gate, Window: st.plan.Window,
		}
		c.Version = numbers[st] // 0: the gate denies it, nothing to number
		out = append(out, c)
	}
	plan.Candidates, plan.Gate = out, ""
	for _, c := range out {
		if plan.Gate != "deny" {
			plan.Gate = c.Verdict()
		}
	}
	return out, nil
}

// Preview runs the plan's candidates through training, evaluation and the gate
// (see the package function Preview).
func (e *Engine) Preview(ctx context.Context, p *Plan, st *State) ([]*Candidate, error) {
	return Preview(ctx, p, ApplyOptions{
		Root: e.Root, Repo: e.Repo, Publish: e.Publish, RecordsDir: e.recordsDir(),
		Desired: st.Desired, Observed: st.Observed, Store: e.Store,
		Trainer: e.Trainer, Evaluator: e.Evaluator, Gate: e.Gate,
		Clock: e.Clock, Log: e.Log, Versions: e.Versions, Hook: e.Hook,
	})
}
