package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/train"
	"github.com/ferryml/ferry/spec"
)

// The scaffold is a working project, not just a valid one: its data passes the
// dataset's own checks, and its experiment trains a model that clears its gate.
func TestInitProjectTrainsAndPassesItsGate(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	if code := Main([]string{"init", dir}, nil, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr.String())
	}
	set, err := spec.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	exp := set.Experiments[0]
	model := set.Model(exp.Spec.Model)
	ds := set.Dataset(exp.Spec.Dataset)
	f, err := dataset.ReadFile(filepath.Join(dir, ds.Spec.Source), dataset.ReadOptions{Format: ds.Spec.Format, Features: ds.Spec.Features})
	if err != nil {
		t.Fatal(err)
	}
	if rep := dataset.Check(f, &ds.Spec); len(rep.Problems) > 0 {
		t.Fatalf("the scaffold's data fails its own checks: %+v", rep.Problems)
	}
	tr, ev, err := dataset.Split(f, ds.Spec.Split)
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.Train(context.Background(), train.Request{Experiment: exp, Model: model, Dataset: ds, Train: tr, Eval: ev})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("metrics on %d eval rows: %v", ev.Rows, res.Metrics)
	for metric, floor := range model.Spec.Gate.Min {
		if got, ok := res.Metrics[metric]; !ok || got < floor {
			t.Errorf("%s = %v (reported: %v), want at least the gate's %v", metric, got, ok, floor)
		}
	}
}
