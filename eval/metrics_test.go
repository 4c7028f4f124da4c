package eval

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
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

func TestOrderDesc(t *testing.T) {
	for _, n := range []int{0, 1, 5, 100, 5000, 70000, -5000, -70000} {
		narrow := n < 0 // float32 scores only: the 32-bit radix path
		n = max(n, -n)
		score := make([]float64, n)
		for i := range score {
			if narrow {
				score[i] = float64(float32(math.Sin(float64(i)) * 3))
				if i%5 == 0 {
					score[i] = 0.25
				}
				continue
			}
			// ties, negatives, zeros of both signs, float32 values
			switch i % 7 {
			case 0:
				score[i] = float64(float32(math.Sin(float64(i))))
			case 1:
				score[i] = math.Copysign(0, -1)
			case 2:
				score[i] = 0.5
			default:
				score[i] = math.Cos(float64(i)) * 1e3
			}
		}
		order := OrderDesc(score)
		if len(order) != n {
			t.Fatalf("n=%d: %d indices", n, len(order))
		}
		seen := make([]bool, n)
		for i, j := range order {
			if seen[j] {
				t.Fatalf("n=%d: index %d twice", n, j)
			}
			seen[j] = true
			if i > 0 && score[order[i-1]] < score[j] {
				t.Fatalf("n=%d: position %d: %v before %v", n, i, score[order[i-1]], score[j])
			}
		}
	}
}

// A large input takes the radix path and must give the same metrics as a small
// one sorted by comparison.
func TestBinaryLargeMatchesSmall(t *testing.T) {
	n := 20000
	pos := make([]bool, n)
	score := make([]float64, n)
	for i := range n {
		pos[i] = i%3 == 0
		score[i] = float64(float32(math.Round(10*(0.5+0.3*math.Sin(float64(i))+0.2*b2f(pos[i]))) / 10))
	}
	big, _ := Binary(pos, score)
	// the same rows, scored through the comparison sort in chunks that keep ties
	small, _ := BinaryRanked(pos, score, sortByComparison(score))
	for k, v := range small {
		if math.Abs(big[k]-v) > 1e-12 {
			t.Errorf("%s: radix %v, comparison %v", k, big[k], v)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortByComparison(score []float64) []int32 {
	idx := make([]int32, len(score))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	return idx
}

// Scoring a subset in place, with or without a ranking of it, is scoring the
// subset copied out.
func TestBinarySubset(t *testing.T) {
	n := 3000
	pos := make([]bool, n)
	score := make([]float64, n)
	for i := range n {
		pos[i] = math.Sin(float64(i)*1.3) > 0.2
		score[i] = math.Round(50*(1+math.Sin(float64(i)*0.7+b2f(pos[i])))) / 100
	}
	var rows []int
	for i := 0; i < n; i += 3 {
		rows = append(rows, i)
	}
	var subPos []bool
	var subScore []float64
	for _, i := range rows {
		subPos = append(subPos, pos[i])
		subScore = append(subScore, score[i])
	}
	want, _ := Binary(subPos, subScore)
	inRows := map[int32]bool{}
	for _, r := range rows {
		inRows[int32(r)] = true
	}
	var order []int32
	for _, i := range OrderDesc(score) {
		if inRows[i] {
			order = append(order, i)
		}
	}
	for name, ord := range map[string][]int32{"unranked": nil, "ranked": order} {
		got, _ := BinarySubset(pos, score, rows, ord)
		if len(got) != len(want) || len(want) != 8 {
			t.Fatalf("%s: %v, want %v", name, got, want)
		}
		for k, v := range want {
			if math.Abs(got[k]-v) > 1e-12 {
				t.Errorf("%s: %s = %v, want %v", name, k, got[k], v)
			}
		}
	}
}

// Scoring groups through BinaryRows is scoring each group on its own.
func TestBinaryRowsGroups(t *testing.T) {
	n := 5000
	pos := make([]bool, n)
	score := make([]float64, n)
	codes := make([]int32, n)
	for i := range n {
		pos[i] = math.Sin(float64(i)*0.37) > 0
		score[i] = float64(float32(0.5 + 0.4*math.Sin(float64(i)*0.37+0.8*math.Cos(float64(i)))))
		codes[i] = int32(i * 7 % 5)
	}
	codes[3] = -1
	groups := TopGroups(codes, []string{"a", "b", "c", "d", "e"}, 3)
	b := NewBinaryRows(pos, score)
	all, _ := b.Metrics()
	want, _ := Binary(pos, score)
	ms, _ := b.Groups(groups)
	for k, v := range want {
		if math.Abs(all[k]-v) > 1e-12 {
			t.Errorf("all rows: %s = %v, want %v", k, all[k], v)
		}
	}
	for gi, g := range groups {
		var gp []bool
		var gs []float64
		for _, r := range g.Rows {
			gp = append(gp, pos[r])
			gs = append(gs, score[r])
		}
		want, _ := Binary(gp, gs)
		if len(ms[gi]) != len(want) {
			t.Fatalf("group %s: %v, want %v", g.Value, ms[gi], want)
		}
		for k, v := range want {
			if math.Abs(ms[gi][k]-v) > 1e-12 {
				t.Errorf("group %s: %s = %v, want %v", g.Value, k, ms[gi][k], v)
			}
		}
	}
	// non-finite scores: every metric call says which row
	score[10] = math.NaN()
	if m, notes := NewBinaryRows(pos, score).Metrics(); len(m) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "row 11") {
		t.Errorf("NaN score: %v %v", m, notes)
	}
}
