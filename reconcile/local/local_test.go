package local_test

import (
	"context"
	"os"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/local"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/spec"
)

// The real runners end to end on a small table: the builtin trainer, the
// model through onnxruntime, the default OPA gate.
func TestTrainEvaluateGate(t *testing.T) {
	ctx := context.Background()
	ds := &spec.Dataset{Metadata: spec.Metadata{Name: "scores"}, Spec: spec.DatasetSpec{
		Source: "scores.csv", Target: "label",
		Features: []spec.Feature{{Name: "x", Type: spec.TypeNumber}, {Name: "y", Type: spec.TypeNumber}, {Name: "site", Type: spec.TypeCategory}},
		Split:    spec.Split{Eval: spec.SplitPart{Fraction: 0.25}, Seed: 7},
	}}
	m := &spec.Model{Metadata: spec.Metadata{Name: "score"}, Spec: spec.ModelSpec{
		Task: spec.TaskBinary, Dataset: "scores", Metric: "auc", Segments: []string{"site"},
		Gate: spec.Gate{Min: map[string]float64{"auc": 0.6}},
	}}
	e := &spec.Experiment{Metadata: spec.Metadata{Name: "score-lr"}, Spec: spec.ExperimentSpec{
		Model: "score", Trainer: spec.Trainer{Builtin: spec.TrainerLogisticRegression}, Seed: 1,
	}}
	digest, err := dataset.Digest("testdata/scores.csv")
	if err != nil {
		t.Fatal(err)
	}
	r := local.New(local.Options{Root: "testdata", FS: os.DirFS("testdata"), LibraryPath: onnx.DefaultLibraryPath(os.Getenv)})
	tr, err := r.Train(ctx, reconcile.TrainRequest{Experiment: e, Model: m, Dataset: ds, RunID: "r1", DatasetDigest: digest})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.ONNX) == 0 || tr.Rows != 120 || tr.TrainRows+tr.EvalRows != 120 {
		t.Fatalf("train: %d bytes, rows %d = %d + %d", len(tr.ONNX), tr.Rows, tr.TrainRows, tr.EvalRows)
	}
	rep, err := r.Evaluate(ctx, reconcile.EvalRequest{Experiment: e, Model: m, Dataset: ds, ONNX: tr.ONNX})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != tr.EvalRows || rep.Metrics["auc"] < 0.6 || len(rep.Segments["site"]) == 0 {
		t.Fatalf("evaluation: rows %d auc %v segments %v", rep.Rows, rep.Metrics["auc"], rep.Segments)
	}
	for floor, allow := range map[float64]bool{0.6: true, 0.999: false} {
		m.Spec.Gate.Min["auc"] = floor
		r := local.New(local.Options{Root: "testdata", FS: os.DirFS("testdata")}) // gates are compiled per runner
		g, err := r.Decide(ctx, reconcile.GateRequest{Model: m, Candidate: rep, Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if g.Allow != allow || len(g.Checks) == 0 || g.Input == nil {
			t.Fatalf("floor %v: allow %v, checks %+v", floor, g.Allow, g.Checks)
		}
	}
}
