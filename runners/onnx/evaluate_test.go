package onnx

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/spec"
)

// TestEvaluateMatchesSklearn evaluates each fixture model on its data and compares
// the report's metrics with scikit-learn's on the same model (make_models.py).
// Scores are float32 from onnxruntime, so the tolerance is loose.
func TestEvaluateMatchesSklearn(t *testing.T) {
	tests := []struct {
		model, data, expected, target string
		task                          spec.Task
	}{
		{"percolumn.onnx", "flights.csv", "percolumn.expected.json", "delayed", ""},
		{"multiclass.onnx", "penguins.csv", "multiclass.expected.json", "species", spec.TaskMulticlass},
		{"regression.onnx", "weather.csv", "regression.expected.json", "temp_max", ""},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := loadModel(t, tt.model)
			f := csvFrame(t, "testdata/"+tt.data)
			var want struct{ Metrics map[string]float64 }
			readJSON(t, "testdata/"+tt.expected, &want)
			r, err := Evaluate(m, f, EvalOptions{Target: tt.target, Task: tt.task, LatencyRuns: 20})
			if err != nil {
				t.Fatal(err)
			}
			if r.Rows != f.Rows || r.Task != m.Metadata()["task"] {
				t.Errorf("rows %d task %s", r.Rows, r.Task)
			}
			for k, w := range want.Metrics {
				g, ok := r.Metrics[k]
				if !ok || math.Abs(g-w) > 1e-4*max(1, math.Abs(w)) {
					t.Errorf("%s = %v, sklearn %v", k, g, w)
				}
			}
			l := r.Latency
			if l == nil || l.P50Ms <= 0 || l.P50Ms > l.P95Ms || l.P95Ms > l.P99Ms || l.BatchRowsPerSec <= 0 {
				t.Errorf("latency %+v", l)
			}
			if r.Model == nil || r.Model.Digest != m.Digest() || r.Model.Bytes != m.Size() {
				t.Errorf("model info %+v", r.Model)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestEvaluateSegments(t *testing.T) {
	m := loadModel(t, "percolumn.onnx")
	f := csvFrame(t, "testdata/flights.csv")
	r, err := Evaluate(m, f, EvalOptions{Target: "delayed", Segments: []string{"origin", "hour"}, TopSegments: 3, LatencyRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	origin := f.Col("origin")
	for _, col := range []string{"origin", "hour"} {
		segs := r.Segments[col]
		if len(segs) != 4 {
			t.Fatalf("%s: %d segments, want 3 + other", col, len(segs))
		}
		total := 0
		for _, s := range segs {
			total += s.Rows
		}
		if total != f.Rows {
			t.Errorf("%s: segments hold %d rows of %d", col, total, f.Rows)
		}
		if _, ok := segs[eval.OtherSegment]; !ok {
			t.Errorf("%s: no other segment", col)
		}
	}
	// one segment's metrics are the metrics of its rows
	for value, seg := range r.Segments["origin"] {
		if value == eval.OtherSegment {
			continue
		}
		var pos []bool
		var score []float64
		for i := range f.Rows {
			if origin.String(i) == value {
				pos = append(pos, f.Col("delayed").Floats[i] == 1)
				score = append(score, p.Score[i])
			}
		}
		want, _ := eval.Binary(pos, score)
		if len(pos) != seg.Rows || math.Abs(want[eval.LogLoss]-seg.Metrics[eval.LogLoss]) > 1e-12 {
			t.Errorf("origin=%s: %d rows logloss %v, want %d rows %v", value, seg.Rows, seg.Metrics[eval.LogLoss], len(pos), want[eval.LogLoss])
		}
	}
	if r.Latency.P50Ms != 0 {
		t.Errorf("latency measured with LatencyRuns < 0")
	}
}

func TestEvaluateEdgeCases(t *testing.T) {
	m := loadModel(t, "percolumn.onnx")
	f := csvFrame(t, "testdata/flights.csv")
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	// rows 0-2 of the data with their predicted label (pass), row 3 with the
	// other label (fail), row 4 with its probability (pass), row 5 with a wrong
	// probability (fail)
	flip := map[string]string{"0": "1", "1": "0"}
	fmtf := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var rows [][]string
	expected := []string{p.Label[0], p.Label[1], p.Label[2], flip[p.Label[3]], fmtf(p.Score[4]), "0.99"}
	tol := []string{"", "", "", "", "1e-6", "0.001"}
	for i, e := range expected {
		rows = append(rows, []string{"case" + strconv.Itoa(i), fmtf(f.Col("distance").Floats[i]), f.Col("origin").String(i), fmtf(f.Col("hour").Floats[i]), e, tol[i]})
	}
	cases := recordsFrame([]string{"name", "distance", "origin", "hour", "expected", "tolerance"}, rows)
	r, err := Evaluate(m, f, EvalOptions{Target: "delayed", EdgeCases: cases, LatencyRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	e := r.EdgeCases
	if e.Total != 6 || e.Failed != 2 || e.Failures[0].Row != 4 || e.Failures[1].Row != 6 {
		t.Fatalf("edge cases %+v", e)
	}
	if f0 := e.Failures[0]; f0.Name != "case3" || f0.Inputs["origin"] != f.Col("origin").String(3) || f0.Got != p.Label[3] {
		t.Errorf("failure %+v", f0)
	}
	// the same cases from a file; origin codes that look like numbers stay strings
	path := filepath.Join(t.TempDir(), "edge.csv")
	var text strings.Builder
	text.WriteString("name,distance,origin,hour,expected,tolerance\n")
	for _, r := range rows {
		text.WriteString(strings.Join(r, ",") + "\n")
	}
	text.WriteString("numeric origin,100,123,5,1,\n")
	if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = Evaluate(m, f, EvalOptions{Target: "delayed", EdgeCasesPath: path, LatencyRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	if e := r.EdgeCases; e.Total != 7 || e.Failed != 3 || e.Failures[2].Row != 7 || e.Failures[2].Inputs["origin"] != "123" {
		t.Errorf("edge cases from %s: %+v", path, e)
	}
	if _, err := Evaluate(m, f, EvalOptions{Target: "delayed", EdgeCases: recordsFrame([]string{"distance"}, [][]string{{"1"}}), EdgeCasesName: "edge.csv"}); err == nil || !strings.Contains(err.Error(), `edge.csv: no "expected" column`) {
		t.Errorf("edge cases without expected: %v", err)
	}
}

func TestEvaluateBadInput(t *testing.T) {
	m := loadModel(t, "percolumn.onnx")
	reg := loadModel(t, "regression.onnx")
	flights := func() *dataset.Frame { return csvFrame(t, "testdata/flights.csv") }
	tests := []struct {
		name string
		m    *Model
		f    *dataset.Frame
		opts EvalOptions
		want string
	}{
		{"no target", m, flights(), EvalOptions{Target: "late"}, `no target column "late"`},
		{"no rows", m, &dataset.Frame{}, EvalOptions{Target: "delayed"}, "no rows"},
		{"unexpected target values", m, flights(), EvalOptions{Target: "hour"}, `target column "hour" has values the model does not predict: "8" (`},
		{"category target", m, flights(), EvalOptions{Target: "origin"}, `"LAX" (`},
		{"segment", m, flights(), EvalOptions{Target: "delayed", Segments: []string{"x"}}, `no segment column "x"`},
		{"positive", m, flights(), EvalOptions{Target: "delayed", Positive: "yes"}, `positive class "yes"`},
		{"task", m, flights(), EvalOptions{Target: "delayed", Task: spec.TaskMulticlass}, ""},
		{"regression on categories", reg, csvFrame(t, "testdata/weather.csv"), EvalOptions{Target: "weather"}, "a regression target must be numbers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(tt.m, tt.f, tt.opts)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// The two probability columns are float32 from onnxruntime: p and 1-p round
// separately, so the Brier scores agree to float32 precision only.
func TestEvaluatePositiveFlips(t *testing.T) {
	m := loadModel(t, "percolumn.onnx")
	f := csvFrame(t, "testdata/flights.csv")
	a, err := Evaluate(m, f, EvalOptions{Target: "delayed", LatencyRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(m, f, EvalOptions{Target: "delayed", Positive: "0", LatencyRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(a.Metrics[eval.AUC]-b.Metrics[eval.AUC]) > 1e-12 || math.Abs(a.Metrics[eval.Brier]-b.Metrics[eval.Brier]) > 1e-6 {
		t.Errorf("auc %v vs %v, brier %v vs %v", a.Metrics[eval.AUC], b.Metrics[eval.AUC], a.Metrics[eval.Brier], b.Metrics[eval.Brier])
	}
	if a.Metrics[eval.Recall] == b.Metrics[eval.Recall] {
		t.Errorf("recall did not change with the positive class")
	}
}

// A model whose only output is a [N,1] float is scored as a probability when the
// task says binary.
func TestEvaluateScoreOnly(t *testing.T) {
	m := loadModel(t, "types.onnx")
	f := recordsFrame([]string{"flag", "count", "x", "y"}, [][]string{
		{"0", "0", "0.9", "1"}, {"0", "0", "0.2", "0"}, {"0", "0", "0.6", "0"}, {"0", "0", "0.7", "1"}})
	r, err := Evaluate(m, f, EvalOptions{Target: "y", Task: spec.TaskBinary, LatencyRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Metrics[eval.AUC] != 1 || r.Metrics[eval.Accuracy] != 0.75 {
		t.Errorf("metrics %v", r.Metrics)
	}
}
