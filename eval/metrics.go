package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Metrics maps metric names to values. Values are always finite: a metric that is
// undefined on the data (AUC with one class present) is left out, and the
// function computing it says why in its notes.
type Metrics map[string]float64

// logLossEps clips probabilities to [eps, 1-eps] before taking logs, as
// scikit-learn's log_loss with eps="auto" (the float64 machine epsilon).
const logLossEps = 2.220446049250313e-16

// mapeEps bounds MAPE's denominator, as scikit-learn's
// mean_absolute_percentage_error (the float64 machine epsilon).
const mapeEps = 2.220446049250313e-16

// Threshold is the score at or above which a binary prediction is positive.
const Threshold = 0.5

// Binary scores a binary classifier: pos[i] says whether row i is of the positive
// class, score[i] is the predicted positive-class probability. It computes AUC ROC
// and PR AUC (average precision) as scikit-learn's roc_auc_score and
// average_precision_score, log loss, Brier score, and accuracy, precision, recall
// and F1 with rows predicted positive at score >= Threshold.
func Binary(pos []bool, score []float64) (Metrics, []string) {
	return BinaryRanked(pos, score, nil)
}

// BinaryRanked is Binary with the rows already ranked: order lists the indices of
// score from the highest score to the lowest (as OrderDesc returns), or is nil.
// Scoring many subsets of one ranking (segments) then needs one sort, not one per
// subset.
func BinaryRanked(pos []bool, score []float64, order []int32) (Metrics, []string) {
	return BinarySubset(pos, score, nil, order)
}

// BinarySubset is Binary over the rows listed in rows (all rows when nil) of pos
// and score, without copying them out. order, when not nil, lists the same rows
// by descending score. Segments use it to score each group of rows against one
// ranking of all rows.
func BinarySubset(pos []bool, score []float64, rows []int, order []int32) (Metrics, []string) {
	return binarySubset(pos, score, nil, rows, order)
}

// binarySubset is BinarySubset with optional per-row log losses computed once.
func binarySubset(pos []bool, score, loss []float64, rows []int, order []int32) (Metrics, []string) {
	m := Metrics{}
	var notes []string
	if len(score) != len(pos) {
		return m, []string{fmt.Sprintf("no binary metrics: %d labels, %d scores", len(pos), len(score))}
	}
	n := len(rows)
	if rows == nil {
		n = len(pos)
	}
	if n == 0 {
		return m, []string{"no binary metrics: no rows"}
	}
	var tp, fp, fn, tn int
	var brier, logloss float64
	for k := 0; k < n; k++ {
		i := k
		if rows != nil {
			i = rows[k]
		}
		y, s := pos[i], score[i]
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return Metrics{}, []string{fmt.Sprintf("no binary metrics: the model gave a non-finite score on row %d", i+1)}
		}
		predicted := s >= Threshold
		switch {
		case y && predicted:
			tp++
		case y:
			fn++
		case predicted:
			fp++
		default:
			tn++
		}
		if y {
			brier += (s - 1) * (s - 1)
		} else {
			brier += s * s
		}
		if loss != nil {
			logloss += loss[i]
		} else {
			logloss += rowLogLoss(y, s)
		}
	}
	m[Accuracy] = float64(tp+tn) / float64(n)
	m[Brier] = brier / float64(n)
	m[LogLoss] = logloss / float64(n)
	prec, rec := ratio(tp, tp+fp), ratio(tp, tp+fn)
	if tp+fp == 0 {
		notes = append(notes, fmt.Sprintf("no row scored >= %g: precision is 0", Threshold))
	}
	m[Precision], m[Recall] = prec, rec
	m[F1] = 0
	if prec+rec > 0 {
		m[F1] = 2 * prec * rec / (prec + rec)
	}
	npos := tp + fn
	if npos == 0 || npos == n {
		notes = append(notes, "auc and prAuc are undefined: only one class is present")
		return m, notes
	}
	if order == nil {
		if rows == nil {
			order = OrderDesc(score)
		} else {
			sub := make([]float64, n)
			for k, i := range rows {
				sub[k] = score[i]
			}
			order = OrderDesc(sub)
			for k, j := range order {
				order[k] = int32(rows[j])
			}
		}
	}
	auc, ap := rankMetrics(pos, score, order, npos, n-npos)
	m[AUC], m[PRAUC] = auc, ap
	return m, notes
}

// rowLogLoss is one row's log loss, its probability clipped as scikit-learn does.
func rowLogLoss(y bool, s float64) float64 {
	p := min(max(s, logLossEps), 1-logLossEps)
	if y {
		return -math.Log(p)
	}
	return -math.Log(1 - p)
}

// BinaryRows is a binary classifier's rows scored once — the ranking by score and
// each row's log loss — so that the metrics of all rows and of many subsets
// (segments) each take one pass over their rows.
type BinaryRows struct {
	pos   []bool
	score []float64
	loss  []float64
	order []int32
}

// NewBinaryRows prepares pos and score (as for Binary) for scoring many subsets.
func NewBinaryRows(pos []bool, score []float64) *BinaryRows {
	b := &BinaryRows{pos: pos, score: score}
	if len(pos) != len(score) {
		return b // Metrics reports the mismatch
	}
	for _, s := range score {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return b // Metrics reports the row
		}
	}
	b.loss = make([]float64, len(pos))
	for i, y := range pos {
		b.loss[i] = rowLogLoss(y, score[i])
	}
	b.order = OrderDesc(score)
	return b
}

// Metrics scores every row.
func (b *BinaryRows) Metrics() (Metrics, []string) {
	return binarySubset(b.pos, b.score, b.loss, nil, b.order)
}

// Groups scores each group of rows (disjoint, as TopGroups makes them), ranking
// each by filtering the ranking of all rows rather than sorting again.
func (b *BinaryRows) Groups(groups []Group) ([]Metrics, [][]string) {
	ms := make([]Metrics, len(groups))
	notes := make([][]string, len(groups))
	var orders [][]int32
	if b.order != nil {
		gid := make([]int32, len(b.pos))
		orders = make([][]int32, len(groups))
		for g, grp := range groups {
			for _, r := range grp.Rows {
				gid[r] = int32(g)
			}
			orders[g] = make([]int32, 0, len(grp.Rows))
		}
		for _, r := range b.order {
			g := gid[r]
			orders[g] = append(orders[g], r)
		}
	}
	for i, g := range groups {
		var order []int32
		if orders != nil {
			order = orders[i]
		}
		ms[i], notes[i] = binarySubset(b.pos, b.score, b.loss, g.Rows, order)
	}
	return ms, notes
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// rankMetrics returns AUC ROC and average precision. Rows are sorted by score,
// descending; tied scores form one threshold, so ties count half as in
// scikit-learn's trapezoidal roc_auc_score.
func rankMetrics(pos []bool, score []float64, order []int32, totalPos, totalNeg int) (auc, ap float64) {
	var tps, fps int
	var prevTPR, prevFPR, prevRecall float64
	for i := 0; i < len(order); {
		s := score[order[i]]
		for ; i < len(order) && score[order[i]] == s; i++ {
			if pos[order[i]] {
				tps++
			} else {
				fps++
			}
		}
		tpr, fpr := float64(tps)/float64(totalPos), float64(fps)/float64(totalNeg)
		auc += (fpr - prevFPR) * (tpr + prevTPR) / 2
		prevTPR, prevFPR = tpr, fpr
		recall := tpr
		ap += (recall - prevRecall) * float64(tps) / float64(tps+fps)
		prevRecall = recall
	}
	return auc, ap
}

// OrderDesc returns the indices of score ordered from the highest score to the
// lowest; the order among equal scores is unspecified. Scores must not be NaN.
// Large inputs are radix sorted on the scores' bits (linear time).
func OrderDesc(score []float64) []int32 {
	n := len(score)
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	if n < 1<<12 {
		slices.SortFunc(idx, func(a, b int32) int { return cmp.Compare(descKey(score[a]), descKey(score[b])) })
		return idx
	}
	// Scores from float32 model outputs sort on 32-bit keys: half the passes.
	narrow := true
	for _, s := range score {
		if float64(float32(s)) != s {
			narrow = false
			break
		}
	}
	if narrow {
		keys := make([]uint32, n)
		for i, s := range score {
			keys[i] = descKey32(float32(s))
		}
		return radix(keys, idx, 32)
	}
	keys := make([]uint64, n)
	for i, s := range score {
		keys[i] = descKey(s)
	}
	return radix(keys, idx, 64)
}

// radix sorts idx by keys (LSD, 16 bits a pass). A pass whose digit is the same
// for every key is skipped.
func radix[K uint32 | uint64](keys []K, idx []int32, bits uint) []int32 {
	n := len(keys)
	tmpK := make([]K, n)
	tmpI := make([]int32, n)
	count := make([]int, 1<<16)
	for shift := uint(0); shift < bits; shift += 16 {
		clear(count)
		for _, k := range keys {
			count[(k>>shift)&0xffff]++
		}
		if count[(keys[0]>>shift)&0xffff] == n {
			continue
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i, k := range keys {
			d := (k >> shift) & 0xffff
			j := count[d]
			count[d]++
			tmpK[j], tmpI[j] = k, idx[i]
		}
		keys, tmpK = tmpK, keys
		idx, tmpI = tmpI, idx
	}
	return idx
}

// descKey32 is descKey for float32 scores.
func descKey32(s float32) uint32 {
	if s == 0 {
		s = 0
	}
	b := math.Float32bits(s)
	if b>>31 == 1 {
		b = ^b
	} else {
		b |= 1 << 31
	}
	return ^b
}

// descKey maps a score to a key whose ascending order is the scores' descending
// order (IEEE 754 bits, sign-adjusted, inverted; -0 is 0).
func descKey(s float64) uint64 {
	if s == 0 {
		s = 0
	}
	b := math.Float64bits(s)
	if b>>63 == 1 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return ^b
}

// Multiclass scores a classifier over k classes: y[i] and pred[i] are class
// indices in [0, k), proba[i] the row's probabilities over the k classes (nil
// skips log loss). Macro F1 averages over the classes present in y or pred, as
// scikit-learn's f1_score(average="macro") does; log loss clips and renormalises
// rows like scikit-learn 1.2.
func Multiclass(y, pred []int, proba [][]float64, k int) (Metrics, []string) {
	m := Metrics{}
	n := len(y)
	if n == 0 || len(pred) != n || proba != nil && len(proba) != n {
		return m, []string{fmt.Sprintf("no multiclass metrics: %d labels, %d predictions", n, len(pred))}
	}
	tp := make([]int, k)
	predicted := make([]int, k)
	actual := make([]int, k)
	correct := 0
	for i := range y {
		actual[y[i]]++
		predicted[pred[i]]++
		if y[i] == pred[i] {
			tp[y[i]]++
			correct++
		}
	}
	m[Accuracy] = float64(correct) / float64(n)
	var f1sum float64
	var present int
	for c := 0; c < k; c++ {
		if actual[c] == 0 && predicted[c] == 0 {
			continue
		}
		present++
		p, r := ratio(tp[c], predicted[c]), ratio(tp[c], actual[c])
		if p+r > 0 {
			f1sum += 2 * p * r / (p + r)
		}
	}
	m[MacroF1] = f1sum / float64(present)
	if proba != nil {
		var loss float64
		for i, row := range proba {
			var sum, py float64
			for c, p := range row {
				p = min(max(p, logLossEps), 1-logLossEps)
				sum += p
				if c == y[i] {
					py = p
				}
			}
			loss -= math.Log(py / sum)
		}
		if v := loss / float64(n); !math.IsNaN(v) && !math.IsInf(v, 0) {
			m[LogLoss] = v
		} else {
			return m, []string{"logloss is undefined: the model gave non-finite probabilities"}
		}
	}
	return m, nil
}

// Regression scores a regressor: RMSE, MAE, R² and MAPE as scikit-learn computes
// them (R² is 1 for a perfect fit of a constant target and 0 for an imperfect one;
// MAPE divides by max(|y|, machine epsilon)).
func Regression(y, pred []float64) (Metrics, []string) {
	m := Metrics{}
	n := len(y)
	if n == 0 || len(pred) != n {
		return m, []string{fmt.Sprintf("no regression metrics: %d targets, %d predictions", n, len(pred))}
	}
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	var sse, sae, sst, sape float64
	for i, v := range y {
		d := v - pred[i]
		sse += d * d
		sae += math.Abs(d)
		sst += (v - mean) * (v - mean)
		sape += math.Abs(d) / max(math.Abs(v), mapeEps)
	}
	m[RMSE] = math.Sqrt(sse / float64(n))
	m[MAE] = sae / float64(n)
	m[MAPE] = sape / float64(n)
	switch {
	case sst != 0:
		m[R2] = 1 - sse/sst
	case sse == 0:
		m[R2] = 1
	default:
		m[R2] = 0
	}
	var notes []string
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k)
			notes = append(notes, fmt.Sprintf("%s is undefined: predictions or targets are not finite", k))
		}
	}
	slices.Sort(notes)
	return m, notes
}
