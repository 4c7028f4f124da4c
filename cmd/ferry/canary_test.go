package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store"
)

// The canary's prediction PSI comes from the prediction log: the baseline's
// and the canary's positive-class probabilities since the step began.
func TestCanaryPredictionPSIFromTheLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, "sqlite://p.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	var rows []store.Prediction
	add := func(version, n int, shift float64, at time.Time) {
		for i := 0; i < n; i++ {
			p := min(max(r.NormFloat64()*0.1+0.3+shift, 0.001), 0.999)
			rows = append(rows, store.Prediction{Time: at.Add(time.Duration(i) * time.Second), Deployment: "prod", Version: version,
				RequestID: fmt.Sprintf("v%d-%d", version, i), Inputs: json.RawMessage(`{"x": 1}`),
				Outputs: json.RawMessage(fmt.Sprintf(`{"label": ["%d"], "probabilities": [%g, %g]}`, map[bool]int{true: 1}[p > 0.5], 1-p, p))})
		}
	}
	add(1, 400, 0, t0.Add(-2*time.Hour)) // before the step: not compared
	add(1, 4500, 0, t0)
	add(2, 500, 0, t0)   // v2: the same distribution
	add(3, 500, 0.3, t0) // v3: shifted
	add(4, 150, 0, t0)   // v4: too few
	if err := db.Write(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	p := &ferryProject{root: dir, set: &spec.Set{Project: &spec.Project{Spec: spec.ProjectSpec{Predictions: "sqlite://p.db"}}}}
	lp := &logPredictions{p: p, now: func() time.Time { return t0.Add(time.Hour) }}
	req := reconcile.PredictionPSIRequest{Deployment: "prod", Task: spec.TaskBinary, Baseline: 1, Since: t0}
	psi := func(canary int) (float64, error) {
		req.Canary = canary
		return lp.PredictionPSI(ctx, req)
	}
	same, err := psi(2)
	if err != nil {
		t.Fatal(err)
	}
	shifted, err := psi(3)
	if err != nil {
		t.Fatal(err)
	}
	if !(same < 0.05 && shifted > 1) {
		t.Fatalf("PSI same %v, shifted %v", same, shifted)
	}
	if _, err := psi(4); err == nil || !strings.Contains(err.Error(), "150 predictions of v4 logged since 2026-03-01T10:00:00Z (at least 200 needed)") {
		t.Fatalf("too few: %v", err)
	}
	req.Deployment = "other"
	if _, err := psi(2); err == nil || !strings.Contains(err.Error(), "no predictions logged since") {
		t.Fatalf("no log: %v", err)
	}
}
