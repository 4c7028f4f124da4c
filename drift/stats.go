package drift

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Epsilon is the floor applied to a bin's proportion before PSI takes its
// logarithm, so a bin empty on one side adds a large but finite term.
const Epsilon = 1e-4

// Quantile returns the p-quantile of sorted values by linear interpolation
// between order statistics (numpy's default "linear" method, Hyndman–Fan
// type 7). It returns NaN for no values.
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	p = math.Min(math.Max(p, 0), 1)
	h := float64(n-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i >= n-1 {
		return sorted[n-1]
	}
	if i < 0 {
		return sorted[0]
	}
	a, b := sorted[i], sorted[i+1]
	// numpy's _lerp: exact at both ends and monotone.
	t := h - lo
	d := b - a
	if math.IsInf(d, 0) { // a and b near ±MaxFloat64
		return a*(1-t) + b*t
	}
	v := a + d*t
	if t >= 0.5 {
		v = b - d*(1-t)
	}
	return v
}

// Edges returns the cut points of bins equally populated in sorted: the
// quantiles at k/bins for k = 1 … bins-1, duplicates merged. A value v falls
// in bin BinOf(edges, v), so there are len(edges)+1 bins; bins are closed on
// the right, which gives each value of a discrete feature (an hour, a
// weekday) a bin of its own when it holds a large share.
func Edges(sorted []float64, bins int) []float64 {
	if len(sorted) == 0 || bins < 2 {
		return []float64{}
	}
	edges := make([]float64, 0, bins-1)
	for k := 1; k < bins; k++ {
		q := Quantile(sorted, float64(k)/float64(bins))
		if len(edges) == 0 || q != edges[len(edges)-1] {
			edges = append(edges, q)
		}
	}
	return edges
}

// BinOf returns the bin of v: the number of edges strictly below v.
func BinOf(edges []float64, v float64) int {
	return sort.SearchFloat64s(edges, v)
}

// BinCounts counts sorted values per bin of edges with one binary search per
// edge.
func BinCounts(sorted, edges []float64) []float64 {
	counts := make([]float64, len(edges)+1)
	prev := 0
	for i, e := range edges {
		// values <= e fall in bins 0..i.
		k := sort.Search(len(sorted), func(j int) bool { return sorted[j] > e })
		counts[i] = float64(k - prev)
		prev = k
	}
	counts[len(edges)] = float64(len(sorted) - prev)
	return counts
}

// proportions normalizes counts; it returns nil when they sum to zero.
func proportions(counts []float64) []float64 {
	total := 0.0
	for _, c := range counts {
		total += c
	}
	if total <= 0 {
		return nil
	}
	p := make([]float64, len(counts))
	for i, c := range counts {
		p[i] = c / total
	}
	return p
}

// PSI is the population stability index of cur against ref, given as counts
// (or weights) over the same bins: Σ (c−r)·ln(c/r) over the bins'
// proportions, each floored at Epsilon. It is NaN when either side is empty
// or the lengths differ.
func PSI(ref, cur []float64) float64 {
	r, c := proportions(ref), proportions(cur)
	if r == nil || c == nil || len(r) != len(c) {
		return math.NaN()
	}
	s := 0.0
	for i := range r {
		a, b := math.Max(r[i], Epsilon), math.Max(c[i], Epsilon)
		s += (b - a) * math.Log(b/a)
	}
	return s
}

// JS is the Jensen–Shannon divergence in bits (so within [0, 1]) between the
// distributions of ref and cur given as counts over the same bins. It is the
// square of scipy's jensenshannon(p, q, base=2), which returns the distance.
func JS(ref, cur []float64) float64 {
	r, c := proportions(ref), proportions(cur)
	if r == nil || c == nil || len(r) != len(c) {
		return math.NaN()
	}
	kl := func(p, m float64) float64 {
		if p == 0 {
			return 0
		}
		return p * math.Log2(p/m)
	}
	s := 0.0
	for i := range r {
		m := (r[i] + c[i]) / 2
		s += kl(r[i], m) + kl(c[i], m)
	}
	return math.Min(math.Max(s/2, 0), 1)
}

// KSSorted is the two-sample Kolmogorov–Smirnov test on sorted samples: the
// statistic sup|F_a − F_b| exactly, and the two-sided p-value as scipy's
// ks_2samp(a, b, method="asymp") computes it, the one-sample distribution
// of D_n at n = round(n_a·n_b/(n_a+n_b)). (scipy's default method "auto"
// switches to an exact permutation count when both samples hold at most
// 10,000 values; ferry always uses the asymptotic form.) Both are NaN when a
// sample is empty.
func KSSorted(a, b []float64) (statistic, pValue float64) {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return math.NaN(), math.NaN()
	}
	f1, f2 := float64(n1), float64(n2)
	var i, j int
	maxS, minS := math.Inf(-1), math.Inf(1)
	for i < n1 || j < n2 {
		var v float64
		switch {
		case j >= n2 || (i < n1 && a[i] <= b[j]):
			v = a[i]
		default:
			v = b[j]
		}
		for i < n1 && a[i] <= v {
			i++
		}
		for j < n2 && b[j] <= v {
			j++
		}
		d := float64(i)/f1 - float64(j)/f2
		maxS = math.Max(maxS, d)
		minS = math.Min(minS, d)
	}
	d := maxS
	if m := math.Min(math.Max(-minS, 0), 1); m > maxS {
		d = m
	}
	m, n := math.Max(f1, f2), math.Min(f1, f2)
	en := math.RoundToEven(m * n / (m + n))
	return d, kolmogorovSF(int(en), d)
}

// WassersteinSorted is the first Wasserstein (earth mover's) distance between
// two sorted samples, ∫|F_a − F_b|, as scipy.stats.wasserstein_distance. It is
// NaN when a sample is empty.
func WassersteinSorted(a, b []float64) float64 {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return math.NaN()
	}
	f1, f2 := float64(n1), float64(n2)
	var i, j int
	var sum, comp float64 // Neumaier summation
	prev := math.Min(a[0], b[0])
	for i < n1 || j < n2 {
		var v float64
		if j >= n2 || (i < n1 && a[i] <= b[j]) {
			v = a[i]
		} else {
			v = b[j]
		}
		term := math.Abs(float64(i)/f1-float64(j)/f2) * (v - prev)
		t := sum + term
		if math.Abs(sum) >= math.Abs(term) {
			comp += (sum - t) + term
		} else {
			comp += (term - t) + sum
		}
		sum = t
		prev = v
		for i < n1 && a[i] <= v {
			i++
		}
		for j < n2 && b[j] <= v {
			j++
		}
	}
	return sum + comp
}

// ChiSquared is Pearson's chi-squared test of homogeneity on the 2×K table
// whose rows are ref and cur counts over the same categories (scipy's
// chi2_contingency(table, correction=False)). Categories empty on both sides
// are dropped. With fewer than two categories left the statistic is 0, the
// p-value 1 and dof 0; with an empty side both are NaN.
func ChiSquared(ref, cur []float64) (statistic, pValue float64, dof int) {
	if len(ref) != len(cur) {
		return math.NaN(), math.NaN(), 0
	}
	var tr, tc float64
	k := 0
	for i := range ref {
		tr += ref[i]
		tc += cur[i]
		if ref[i]+cur[i] > 0 {
			k++
		}
	}
	if tr <= 0 || tc <= 0 {
		return math.NaN(), math.NaN(), 0
	}
	if k < 2 {
		return 0, 1, 0
	}
	total := tr + tc
	s := 0.0
	for i := range ref {
		col := ref[i] + cur[i]
		if col == 0 {
			continue
		}
		er, ec := tr*col/total, tc*col/total
		s += (ref[i]-er)*(ref[i]-er)/er + (cur[i]-ec)*(cur[i]-ec)/ec
	}
	dof = k - 1
	return s, distuv.ChiSquared{K: float64(dof)}.Survival(s), dof
}
