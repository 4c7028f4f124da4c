package eval

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"sort"
	"testing"
)

type fixture struct {
	Name  string
	Task  string
	Y     []float64
	Score []float64
	Proba [][]float64
	Pred  []float64
	Want  map[string]float64
}

// TestMetricsMatchSklearn recomputes every metric of testdata/metrics.json (made by
// make_metrics.py with scikit-learn) and compares to 1e-9.
func TestMetricsMatchSklearn(t *testing.T) {
	b, err := os.ReadFile("testdata/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct{ Cases []fixture }
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) < 10 {
		t.Fatalf("only %d cases", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		t.Run(c.Task+"/"+c.Name, func(t *testing.T) {
			var got Metrics
			switch c.Task {
			case "binary-classification":
				pos := make([]bool, len(c.Y))
				for i, y := range c.Y {
					pos[i] = y == 1
				}
				got, _ = Binary(pos, c.Score)
			case "multiclass-classification":
				y := make([]int, len(c.Y))
				pred := make([]int, len(c.Y))
				for i := range c.Y {
					y[i] = int(c.Y[i])
					for j, p := range c.Proba[i] {
						if p > c.Proba[i][pred[i]] {
							pred[i] = j
						}
					}
				}
				got, _ = Multiclass(y, pred, c.Proba, len(c.Proba[0]))
			case "regression":
				got, _ = Regression(c.Y, c.Pred)
			}
			keys := func(m map[string]float64) []string {
				var k []string
				for n := range m {
					k = append(k, n)
				}
				sort.Strings(k)
				return k
			}
			if !slices.Equal(keys(got), keys(c.Want)) {
				t.Errorf("metrics %v, want %v", keys(got), keys(c.Want))
			}
			for name, want := range c.Want {
				g := got[name]
				if math.Abs(g-want) > 1e-9*max(1, math.Abs(want)) {
					t.Errorf("%s = %.15g, sklearn %.15g", name, g, want)
				}
			}
		})
	}
}

func TestBinaryUndefined(t *testing.T) {
	tests := []struct {
		name    string
		pos     []bool
		score   []float64
		missing []string
	}{
		{"one class", []bool{true, true}, []float64{0.2, 0.7}, []string{AUC, PRAUC}},
		{"nan score", []bool{true, false}, []float64{math.NaN(), 0.7}, []string{AUC, Accuracy, LogLoss}},
		{"empty", nil, nil, []string{Accuracy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, notes := Binary(tt.pos, tt.score)
			for _, k := range tt.missing {
				if _, ok := m[k]; ok {
					t.Errorf("%s present: %v", k, m)
				}
			}
			if len(notes) == 0 {
				t.Error("no note says why")
			}
			if _, err := json.Marshal(m); err != nil {
				t.Error(err)
			}
		})
	}
}
