package train

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

// withClasses adds a three-class category column "late" (early, on-time, late) from
// the delay, for multinomial models.
func withClasses(f *dataset.Frame) *dataset.Frame {
	delay := f.Col("delay")
	c := &dataset.Column{Name: "late", Type: dataset.Category, Levels: []string{"early", "on-time", "late"}, Codes: make([]int32, f.Rows)}
	for i, d := range delay.Floats {
		switch {
		case d < 0:
			c.Codes[i] = 0
		case d <= 15:
			c.Codes[i] = 1
		default:
			c.Codes[i] = 2
		}
	}
	out := *f
	out.Columns = append(append([]*dataset.Column(nil), f.Columns...), c)
	return &out
}

type trainCase struct {
	name    string
	trainer string
	task    spec.Task
	target  string
	params  map[string]any
}

var cases = []trainCase{
	{"logistic-binary", spec.TrainerLogisticRegression, spec.TaskBinary, "delayed", nil},
	{"logistic-multiclass", spec.TrainerLogisticRegression, spec.TaskMulticlass, "late", map[string]any{"C": 0.5}},
	{"ridge", spec.TrainerLinearRegression, spec.TaskRegression, "delay", map[string]any{"l2": 10}},
	{"gbt-binary", spec.TrainerGradientBoosting, spec.TaskBinary, "delayed", map[string]any{"trees": 40, "depth": 5, "subsample": 0.8}},
	{"gbt-multiclass", spec.TrainerGradientBoosting, spec.TaskMulticlass, "late", map[string]any{"trees": 15, "depth": 4}},
	{"gbt-regression", spec.TrainerGradientBoosting, spec.TaskRegression, "delay", map[string]any{"trees": 30, "learningRate": 0.2, "l2": 1.0}},
}

// The in-memory model and onnxruntime on the exported graph agree to 1e-6 on the
// February rows of the flights slice, labels included.
func TestParityWithOnnxruntime(t *testing.T) {
	train, eval := flights(t)
	train, eval = withClasses(train), withClasses(eval)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := request(tc.trainer, tc.task, tc.target, tc.params, train, eval)
			res := mustTrain(t, req)
			m := loadONNX(t, res.ONNX)
			out := runRaw(t, m, eval, flightFeatures)
			mem, err := fitModelForTest(t, req)
			if err != nil {
				t.Fatal(err)
			}
			want, err := mem.predict(eval)
			if err != nil {
				t.Fatal(err)
			}
			// The evaluation path (onnx.Predict, by input names and metadata) sees
			// the same predictions.
			pred, err := m.Predict(eval)
			if err != nil {
				t.Fatalf("onnx.Predict: %v", err)
			}
			if tc.task == spec.TaskRegression {
				if d := maxDiff64(pred.Value, want.Value); d > 1e-6*scaleOf(want.Value) {
					t.Errorf("onnx.Predict value: max difference %g", d)
				}
			} else {
				for i := range want.Proba {
					if d := maxDiff64(pred.Proba[i], want.Proba[i]); d > 1e-6 {
						t.Fatalf("onnx.Predict row %d: %v, in memory %v", i, pred.Proba[i], want.Proba[i])
					}
				}
				if strings.Join(pred.Classes, ",") != strings.Join(mem.(interface{ classList() []string }).classList(), ",") {
					t.Errorf("onnx.Predict classes %v", pred.Classes)
				}
			}
			if tc.task == spec.TaskRegression {
				got := out["value"].Data.([]float32)
				if d := maxAbsDiff(got, want.Value); d > 1e-6*scaleOf(want.Value) {
					t.Errorf("value: max difference %g", d)
				}
				return
			}
			got := out["probabilities"].Data.([]float32)
			k := len(want.Proba[0])
			var flat []float64
			for _, row := range want.Proba {
				flat = append(flat, row...)
			}
			if len(got) != len(flat) {
				t.Fatalf("probabilities: %d values, want %d (%d classes)", len(got), len(flat), k)
			}
			if d := maxAbsDiff(got, flat); d > 1e-6 {
				t.Errorf("probabilities: max difference %g", d)
			}
			labels := out["label"].Data.([]string)
			diff := 0
			for i := range labels {
				if labels[i] != want.Label[i] {
					diff++
				}
			}
			if diff > 0 {
				t.Errorf("labels: %d of %d differ", diff, len(labels))
			}
			if res.Metrics["accuracy"] <= 0 {
				t.Errorf("metrics: %v", res.Metrics)
			}
		})
	}
}

// scaleOf is the largest magnitude of v, at least 1: regression values in minutes
// are compared relative to float32 precision.
func scaleOf(v []float64) float64 {
	s := 1.0
	for _, x := range v {
		s = math.Max(s, math.Abs(x))
	}
	return s
}

// fitModelForTest trains the request's model again and returns it in memory.
func fitModelForTest(t testing.TB, req Request) (model, error) {
	t.Helper()
	feats, err := resolveFeatures(req.Train, req.Dataset)
	if err != nil {
		return nil, err
	}
	tgt, err := prepareTarget(req.Train, req.Dataset.Spec.Target, req.Model.Spec.Task, nil)
	if err != nil {
		return nil, err
	}
	tr := req.Experiment.Spec.Trainer
	p, err := resolveParams(tr.Builtin, paramDefs(tr.Builtin), tr.Params)
	if err != nil {
		return nil, err
	}
	f := req.Train
	if len(tgt.rows) < f.Rows {
		f = f.Take(tgt.rows)
	}
	info := map[string]any{}
	switch tr.Builtin {
	case spec.TrainerLogisticRegression:
		return fitLogistic(context.Background(), f, feats, tgt, p, info)
	case spec.TrainerLinearRegression:
		return fitRidge(context.Background(), f, feats, tgt, p, info)
	default:
		return fitGBT(context.Background(), f, feats, tgt, p, req.Experiment.Spec.Seed, info)
	}
}

// The same data, parameters and seed give the same bytes, whatever the number of
// cores: the run cache keys on them.
func TestReproducibleBytes(t *testing.T) {
	train, eval := flights(t)
	train, eval = withClasses(train), withClasses(eval)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := mustTrain(t, request(tc.trainer, tc.task, tc.target, tc.params, train, eval))
			prev := runtime.GOMAXPROCS(1)
			b := mustTrain(t, request(tc.trainer, tc.task, tc.target, tc.params, train, eval))
			runtime.GOMAXPROCS(prev)
			if !bytes.Equal(a.ONNX, b.ONNX) {
				t.Fatalf("two trainings differ: %d and %d bytes", len(a.ONNX), len(b.ONNX))
			}
			if tc.trainer == spec.TrainerGradientBoosting {
				req := request(tc.trainer, tc.task, tc.target, tc.params, train, eval)
				req.Experiment.Spec.Seed = 8
				c := mustTrain(t, req)
				sub, _ := tc.params["subsample"].(float64)
				if sub > 0 && sub < 1 && bytes.Equal(a.ONNX, c.ONNX) {
					t.Fatal("another seed gave the same model despite row subsampling")
				}
			}
		})
	}
}

// Levels never seen in training and nulls are served, not errors: an unseen level
// scores as a null one (all-zero one-hot, or the trees' missing direction).
func TestUnseenCategories(t *testing.T) {
	train, _ := flights(t)
	probe := &dataset.Frame{Rows: 3, Columns: []*dataset.Column{
		{Name: "hour", Type: dataset.Number, Floats: []float64{9, 9, math.NaN()}, Null: []bool{false, false, true}},
		{Name: "weekday", Type: dataset.Number, Floats: []float64{2, 2, 2}},
		{Name: "distance", Type: dataset.Number, Floats: []float64{500, 500, 500}},
		{Name: "origin", Type: dataset.Category, Levels: []string{"NOWHERE-1"}, Codes: []int32{0, -1, 0}, Null: []bool{false, true, false}},
		{Name: "destination", Type: dataset.Category, Levels: []string{"NOWHERE-2", "SEA"}, Codes: []int32{0, 1, 1}},
	}}
	for _, tc := range cases {
		if tc.task == spec.TaskMulticlass {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			res := mustTrain(t, request(tc.trainer, tc.task, tc.target, tc.params, train, nil))
			out := runRaw(t, loadONNX(t, res.ONNX), probe, flightFeatures)
			var v []float32
			if tc.task == spec.TaskRegression {
				v = out["value"].Data.([]float32)
			} else {
				v = out["probabilities"].Data.([]float32)
				v = []float32{v[1], v[3], v[5]}
			}
			for i, x := range v {
				if math.IsNaN(float64(x)) {
					t.Fatalf("row %d: NaN output", i)
				}
			}
			// Row 0 has an unseen origin, row 1 a null one; both also differ in the
			// destination, so compare an unseen origin with the same row's null.
			probe2 := *probe
			probe2.Columns = append([]*dataset.Column(nil), probe.Columns...)
			probe2.Columns[3] = &dataset.Column{Name: "origin", Type: dataset.Category, Levels: []string{"NOWHERE-1"}, Codes: []int32{-1, -1, -1}, Null: []bool{true, true, true}}
			out2 := runRaw(t, loadONNX(t, res.ONNX), &probe2, flightFeatures)
			var w []float32
			if tc.task == spec.TaskRegression {
				w = out2["value"].Data.([]float32)
			} else {
				w = out2["probabilities"].Data.([]float32)
				w = []float32{w[1], w[3], w[5]}
			}
			if v[0] != w[0] {
				t.Errorf("unseen origin scored %g, null origin %g", v[0], w[0])
			}
		})
	}
}

func TestParamValidation(t *testing.T) {
	train, _ := flights(t)
	tests := []struct {
		trainer string
		task    spec.Task
		params  map[string]any
		want    string
	}{
		{spec.TrainerGradientBoosting, spec.TaskBinary, map[string]any{"treez": 10}, `unknown param "treez" for gradient-boosting (known: depth, l2, learningRate, maxBins, maxCategories, minSamplesLeaf, subsample, trees)`},
		{spec.TrainerGradientBoosting, spec.TaskBinary, map[string]any{"trees": "many"}, `param trees: want an integer, got "many" (a string)`},
		{spec.TrainerGradientBoosting, spec.TaskBinary, map[string]any{"trees": 2.5}, `param trees: want an integer, got 2.5`},
		{spec.TrainerGradientBoosting, spec.TaskBinary, map[string]any{"subsample": 1.5}, `param subsample: 1.5 out of range`},
		{spec.TrainerGradientBoosting, spec.TaskBinary, map[string]any{"maxBins": 300}, `param maxBins: 300 out of range (want ≥ 2 and ≤ 255)`},
		{spec.TrainerLogisticRegression, spec.TaskBinary, map[string]any{"C": 0}, `param C: 0 out of range (want > 0)`},
		{spec.TrainerLogisticRegression, spec.TaskBinary, map[string]any{"C": 2, "l2": 0.5}, `give C or l2, not both`},
		{spec.TrainerLogisticRegression, spec.TaskBinary, map[string]any{"alpha": 1, "C": true}, `param C: want a number, got true (a boolean); unknown param "alpha"`},
		{spec.TrainerLinearRegression, spec.TaskBinary, nil, `linear-regression needs task regression`},
		{spec.TrainerLogisticRegression, spec.TaskRegression, nil, `logistic-regression needs a classification task`},
		{spec.TrainerGradientBoosting, spec.TaskMulticlass, map[string]any{"depth": 0}, `param depth: 0 out of range (want ≥ 1 and ≤ 16)`},
		{"gbtt", spec.TaskBinary, nil, `unknown trainer "gbtt" (want gradient-boosting, linear-regression, logistic-regression)`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			target := "delayed"
			if tt.task == spec.TaskMulticlass {
				target = "weekday"
			}
			_, err := Train(context.Background(), request(tt.trainer, tt.task, target, tt.params, train, nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
