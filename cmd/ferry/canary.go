package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/runners/monitor"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store"
)

// minCanaryPredictions is the fewest logged predictions per version that a
// canary's prediction PSI is computed from: over 10 bins, two samples of the
// same distribution already differ by a PSI of about 9·(1/n₁ + 1/n₂), 0.05
// at 200 each.
const minCanaryPredictions = 200

// logPredictions compares a canary's logged predictions with its baseline's
// (maxPredictionPSI in a Deployment's canary analysis): PSI over the
// baseline's quantile bins of the model's output (the positive-class
// probability, the regression value, or the label), on the traffic both
// versions answered since the canary step began.
type logPredictions struct {
	p   *ferryProject
	now func() time.Time
}

var _ reconcile.PredictionComparer = (*logPredictions)(nil)

func (lp *logPredictions) PredictionPSI(ctx context.Context, req reconcile.PredictionPSIRequest) (float64, error) {
	// Opened per canary, which is rare, so that nothing is left open
	// between reconcile passes.
	db, err := store.Open(ctx, lp.p.set.Project.Spec.Predictions, lp.p.root)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	f, err := monitor.FromLog(ctx, db, req.Deployment, req.Since, lp.now().Add(time.Second), req.Task)
	if err != nil {
		return 0, err
	}
	ver, pred := f.Col("version"), f.Col(monitor.PredictionColumn)
	if f.Rows == 0 || ver == nil || pred == nil {
		return 0, fmt.Errorf("no predictions logged since %s", req.Since.UTC().Format(time.RFC3339))
	}
	of := func(v int) (*dataset.Frame, error) {
		side := f.Filter(func(i int) bool { return int(ver.Floats[i]) == v })
		if side.Rows < minCanaryPredictions {
			return nil, fmt.Errorf("%d predictions of v%d logged since %s (at least %d needed)", side.Rows, v, req.Since.UTC().Format(time.RFC3339), minCanaryPredictions)
		}
		return side.Select(monitor.PredictionColumn)
	}
	base, err := of(req.Baseline)
	if err != nil {
		return 0, err
	}
	canary, err := of(req.Canary)
	if err != nil {
		return 0, err
	}
	rep, err := drift.CompareFrames(base, canary, drift.Config{
		Features: []string{monitor.PredictionColumn},
		Default:  drift.Test{Name: spec.TestPSI, Threshold: 0.2},
	})
	if err != nil {
		return 0, err
	}
	if len(rep.Features) != 1 {
		return 0, fmt.Errorf("the logged predictions have no comparable output")
	}
	psi := float64(rep.Features[0].PSI)
	if math.IsNaN(psi) {
		return 0, fmt.Errorf("prediction PSI is undefined (%v)", rep.Features[0].Notes)
	}
	return psi, nil
}
