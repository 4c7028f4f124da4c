package train

import (
	"math"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

// Degenerate columns train and export without panics, and onnxruntime agrees with
// the in-memory model on them: a constant number, an all-null number, a category
// with one level, a category that is always null, and very few rows.
func TestDegenerateColumns(t *testing.T) {
	nan := math.NaN()
	n := 40
	c := &dataset.Column{Name: "const", Type: dataset.Number, Floats: make([]float64, n)}
	e := &dataset.Column{Name: "empty", Type: dataset.Number, Floats: make([]float64, n), Null: make([]bool, n)}
	one := &dataset.Column{Name: "one", Type: dataset.Category, Levels: []string{"x"}, Codes: make([]int32, n)}
	none := &dataset.Column{Name: "none", Type: dataset.Category, Levels: []string{}, Codes: make([]int32, n), Null: make([]bool, n)}
	x := &dataset.Column{Name: "x", Type: dataset.Number, Floats: make([]float64, n)}
	y := &dataset.Column{Name: "y", Type: dataset.Number, Floats: make([]float64, n)}
	for i := 0; i < n; i++ {
		c.Floats[i] = 3
		e.Floats[i], e.Null[i] = nan, true
		none.Codes[i], none.Null[i] = -1, true
		x.Floats[i] = float64(i)
		if i%3 == 0 {
			x.Floats[i] = nan
		}
		if i%2 == 0 {
			y.Floats[i] = 1
		}
	}
	f := &dataset.Frame{Rows: n, Columns: []*dataset.Column{c, e, one, none, x, y}}
	feats := []spec.Feature{{Name: "const"}, {Name: "empty"}, {Name: "one"}, {Name: "none"}, {Name: "x"}}
	for _, tc := range []struct {
		trainer string
		task    spec.Task
		params  map[string]any
	}{
		{spec.TrainerLogisticRegression, spec.TaskBinary, nil},
		{spec.TrainerLinearRegression, spec.TaskRegression, nil},
		{spec.TrainerGradientBoosting, spec.TaskBinary, map[string]any{"trees": 5, "minSamplesLeaf": 2}},
		{spec.TrainerGradientBoosting, spec.TaskRegression, map[string]any{"trees": 5, "minSamplesLeaf": 50}},
	} {
		t.Run(tc.trainer+"/"+string(tc.task), func(t *testing.T) {
			req := request(tc.trainer, tc.task, "y", tc.params, f, f)
			req.Dataset.Spec.Features = feats
			res := mustTrain(t, req)
			out := runRaw(t, loadONNX(t, res.ONNX), f, feats)
			mem, err := fitModelForTest(t, req)
			if err != nil {
				t.Fatal(err)
			}
			want, err := mem.predict(f)
			if err != nil {
				t.Fatal(err)
			}
			if tc.task == spec.TaskRegression {
				if d := maxAbsDiff(out["value"].Data.([]float32), want.Value); !(d <= 1e-6) {
					t.Fatalf("value: max difference %g", d)
				}
				return
			}
			var flat []float64
			for _, r := range want.Proba {
				flat = append(flat, r...)
			}
			if d := maxAbsDiff(out["probabilities"].Data.([]float32), flat); !(d <= 1e-6) {
				t.Fatalf("probabilities: max difference %g", d)
			}
		})
	}
}
