package train

import (
	"fmt"
	"math"
	"sort"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/spec"
)

// evaluate measures m on f: auc, logloss, accuracy and brier for binary
// classification, accuracy, logloss and macroF1 for multiclass, rmse, mae and r2
// for regression. Rows with a null target are left out.
func evaluate(m model, f *dataset.Frame, target string, task spec.Task, classes []string) (map[string]float64, error) {
	tgt, err := prepareTarget(f, target, task, classes)
	if err != nil {
		return nil, err
	}
	if len(tgt.rows) == 0 {
		return nil, fmt.Errorf("no eval rows with a known %s", target)
	}
	if len(tgt.rows) < f.Rows {
		f = f.Take(tgt.rows)
	}
	p, err := m.predict(f)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	switch task {
	case spec.TaskRegression:
		var se, ae, sy float64
		for i, y := range tgt.y {
			d := p.Value[i] - y
			se += d * d
			ae += math.Abs(d)
			sy += y
		}
		n := float64(len(tgt.y))
		mean := sy / n
		var st float64
		for _, y := range tgt.y {
			st += (y - mean) * (y - mean)
		}
		out[eval.RMSE] = math.Sqrt(se / n)
		out[eval.MAE] = ae / n
		if st > 0 {
			out[eval.R2] = 1 - se/st
		}
	default:
		n := float64(len(tgt.y))
		var ll, correct float64
		for i, y := range tgt.y {
			pr := math.Min(math.Max(p.Proba[i][int(y)], 1e-15), 1-1e-15)
			ll -= math.Log(pr)
			if p.Label[i] == classes[int(y)] {
				correct++
			}
		}
		out[eval.LogLoss] = ll / n
		out[eval.Accuracy] = correct / n
		if task == spec.TaskBinary {
			score := make([]float64, len(tgt.y))
			var brier float64
			for i, y := range tgt.y {
				score[i] = p.Proba[i][1]
				brier += (score[i] - y) * (score[i] - y)
			}
			if a := auc(score, tgt.y); !math.IsNaN(a) {
				out[eval.AUC] = a
			}
			out[eval.Brier] = brier / n
		}
	}
	return out, nil
}

// auc is the area under the ROC curve (ties count half), or NaN with one class.
func auc(score, y []float64) float64 {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // 1-based mean rank of the tie group
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
