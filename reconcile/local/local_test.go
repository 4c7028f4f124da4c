package local_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/local"
	"github.com/ferryml/ferry/reconcile/records"
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

// memStore is an artifact store in memory: sha256 digests over bytes.
type memStore map[string][]byte

func (m memStore) Get(_ context.Context, digest string) ([]byte, error) {
	b, ok := m[digest]
	if !ok {
		return nil, fmt.Errorf("artifact %s not found", digest)
	}
	return b, nil
}

func (m memStore) put(b []byte) string {
	d := fmt.Sprintf("sha256:%x", sha256.Sum256(b))
	m[d] = b
	return d
}

// A drift window's labelled rows join the run's data: 20% of them (the
// dataset's eval fraction) the eval rows, the rest the training rows, typed
// as the dataset's columns; the profile of the new version sees them.
func TestTrainOnWindow(t *testing.T) {
	ctx := context.Background()
	ds := &spec.Dataset{Metadata: spec.Metadata{Name: "scores"}, Spec: spec.DatasetSpec{
		Source: "scores.csv", Target: "label",
		Features: []spec.Feature{{Name: "x", Type: spec.TypeNumber}, {Name: "y", Type: spec.TypeNumber}, {Name: "site", Type: spec.TypeCategory}},
		Split:    spec.Split{Eval: spec.SplitPart{Fraction: 0.25}, Seed: 7},
	}}
	m := &spec.Model{Metadata: spec.Metadata{Name: "score"}, Spec: spec.ModelSpec{Task: spec.TaskBinary, Dataset: "scores", Metric: "auc"}}
	e := &spec.Experiment{Metadata: spec.Metadata{Name: "score-lr"}, Spec: spec.ExperimentSpec{
		Model: "score", Trainer: spec.Trainer{Builtin: spec.TrainerLogisticRegression}, Seed: 1,
	}}
	digest, err := dataset.Digest("testdata/scores.csv")
	if err != nil {
		t.Fatal(err)
	}
	// 40 rows from a shifted x range, with a new site and labels as text.
	var b strings.Builder
	b.WriteString("x,y,site,label\n")
	for i := range 40 {
		fmt.Fprintf(&b, "%d.5,%d,%s,%s\n", 20+i%7, i%10, []string{"a", "d"}[i%2], []string{"false", "true"}[i%10/5])
	}
	store := memStore{}
	win := &records.WindowData{Monitor: "score-drift", WindowEnd: "2026-11-23T06:00:00Z", Artifact: store.put([]byte(b.String())), Rows: 40}
	r := local.New(local.Options{Root: "testdata", FS: os.DirFS("testdata"), LibraryPath: onnx.DefaultLibraryPath(os.Getenv), Artifacts: store})
	base, err := r.Train(ctx, reconcile.TrainRequest{Experiment: e, Model: m, Dataset: ds, RunID: "r1", DatasetDigest: digest})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Train(ctx, reconcile.TrainRequest{Experiment: e, Model: m, Dataset: ds, RunID: "r2", DatasetDigest: digest, Window: win})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Rows != base.Rows+40 || tr.EvalRows != base.EvalRows+10 || tr.TrainRows != base.TrainRows+30 {
		t.Fatalf("rows %d = %d + %d, without the window %d = %d + %d", tr.Rows, tr.TrainRows, tr.EvalRows, base.Rows, base.TrainRows, base.EvalRows)
	}
	req := reconcile.EvalRequest{Experiment: e, Model: m, Dataset: ds, ONNX: tr.ONNX, DatasetDigest: digest, Window: win}
	rep, err := r.Evaluate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != tr.EvalRows {
		t.Fatalf("evaluated %d rows, want %d", rep.Rows, tr.EvalRows)
	}
	// The base model scored on the same rows: what the gate compares with.
	prod, err := r.Evaluate(ctx, reconcile.EvalRequest{Experiment: e, Model: m, Dataset: ds, ONNX: base.ONNX, DatasetDigest: digest, Window: win})
	if err != nil {
		t.Fatal(err)
	}
	if prod.Rows != rep.Rows {
		t.Fatalf("production scored on %d rows, the candidate on %d", prod.Rows, rep.Rows)
	}
	raw, err := r.Profile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	p, err := drift.UnmarshalProfile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != tr.TrainRows {
		t.Fatalf("profile of %d rows, want the %d training rows", p.Rows, tr.TrainRows)
	}

	// A window that cannot be read, or lacks the target, is an error naming it.
	for name, w := range map[string]*records.WindowData{
		"missing":   {Monitor: "score-drift", WindowEnd: "2026-11-30T06:00:00Z", Artifact: "sha256:00", Rows: 1},
		"no target": {Monitor: "score-drift", WindowEnd: "2026-12-07T06:00:00Z", Artifact: store.put([]byte("x,y,site\n1,2,a\n")), Rows: 1},
		"bad value": {Monitor: "score-drift", WindowEnd: "2026-12-14T06:00:00Z", Artifact: store.put([]byte("x,y,site,label\nfar,2,a,1\n")), Rows: 1},
	} {
		_, err := r.Train(ctx, reconcile.TrainRequest{Experiment: e, Model: m, Dataset: ds, RunID: "r3", DatasetDigest: digest, Window: w})
		if err == nil || !strings.Contains(err.Error(), "window rows of monitor score-drift ending "+w.WindowEnd) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
