package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/train/onnxpb"
)

var gbtParams = []paramDef{
	{name: "trees", kind: kindInt, def: 100, min: 1, max: 100000, doc: "boosting rounds"},
	{name: "depth", kind: kindInt, def: 6, min: 1, max: 16, doc: "maximum tree depth"},
	{name: "learningRate", kind: kindFloat, def: 0.1, min: 0, minOpen: true, max: 10, doc: "shrinkage of each tree"},
	{name: "minSamplesLeaf", kind: kindInt, def: 20, min: 1, max: math.MaxInt32, doc: "minimum rows in a leaf"},
	{name: "subsample", kind: kindFloat, def: 1, min: 0, minOpen: true, max: 1, doc: "share of rows drawn (with the seed) for each tree"},
	{name: "l2", kind: kindFloat, def: 0, min: 0, max: inf, doc: "L2 regularisation of leaf values"},
	{name: "maxBins", kind: kindInt, def: 255, min: 2, max: 255, doc: "histogram bins per feature (quantiles of the training values)"},
	{name: "maxCategories", kind: kindInt, def: 255, min: 1, max: 255, doc: "levels kept per category feature; the rest share the missing bin"},
}

// missingBin is the bin of nulls, of category levels outside the kept ones, and of
// unseen levels at prediction time (encoded as NaN in the graph).
const missingBin = 255

// minHessian keeps splits away from nodes with no curvature left.
const minHessian = 1e-3

// binner maps one feature's values to bins. A number's bin b holds values in
// (edges[b-1], edges[b]]; the last bin holds values above every edge. A category's
// kept levels are ranked by their training target mean, so splits on the rank are
// splits between groups of levels with low and high target.
type binner struct {
	category bool
	edges    []float32
	levels   []string // by rank
}

func (b *binner) nbins() int {
	if b.category {
		return len(b.levels)
	}
	return len(b.edges) + 1
}

func (b *binner) bin(x float32) uint8 {
	if x != x {
		return missingBin
	}
	return uint8(sort.Search(len(b.edges), func(i int) bool { return x <= b.edges[i] }))
}

// threshold is the graph's BRANCH_LEQ value for a split after bin k.
func (b *binner) threshold(k int) float32 {
	if b.category {
		return float32(k) + 0.5
	}
	return b.edges[k]
}

func fitNumberBinner(c *dataset.Column, maxBins int) *binner {
	vals := make([]float32, 0, len(c.Floats))
	for _, v := range c.Floats {
		if v == v {
			vals = append(vals, float32(v))
		}
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	distinct := vals[:0:0]
	for i, v := range vals {
		if i == 0 || v != vals[i-1] {
			distinct = append(distinct, v)
		}
	}
	b := &binner{}
	if len(distinct) <= maxBins {
		if len(distinct) > 1 {
			b.edges = append(b.edges, distinct[:len(distinct)-1]...)
		}
		return b
	}
	// Quantile edges: the value at each of maxBins-1 evenly spaced ranks.
	for q := 1; q < maxBins; q++ {
		v := vals[q*len(vals)/maxBins]
		if len(b.edges) == 0 || v > b.edges[len(b.edges)-1] {
			b.edges = append(b.edges, v)
		}
	}
	if last := b.edges[len(b.edges)-1]; last >= distinct[len(distinct)-1] {
		b.edges = b.edges[:len(b.edges)-1]
	}
	return b
}

func fitCategoryBinner(c *dataset.Column, y []float64, k int) *binner {
	keep := topLevels(c, k)
	idx := codeMap(c, keep)
	sum := make([]float64, len(keep))
	cnt := make([]float64, len(keep))
	var total float64
	for i, code := range c.Codes {
		total += y[i]
		if code >= 0 && idx[code] >= 0 {
			sum[idx[code]] += y[i]
			cnt[idx[code]]++
		}
	}
	prior := total / float64(len(y))
	type lv struct {
		name string
		mean float64
	}
	lvs := make([]lv, len(keep))
	for i, name := range keep {
		lvs[i] = lv{name, (sum[i] + prior) / (cnt[i] + 1)}
	}
	sort.Slice(lvs, func(i, j int) bool {
		if lvs[i].mean != lvs[j].mean {
			return lvs[i].mean < lvs[j].mean
		}
		return lvs[i].name < lvs[j].name
	})
	b := &binner{category: true}
	for _, l := range lvs {
		b.levels = append(b.levels, l.name)
	}
	return b
}

// featureValues returns a feature's values as the tree ensemble sees them: float32
// numbers, or the rank of a category level (NaN for null, dropped or unseen levels).
func (b *binner) values(f *dataset.Frame, ft feature) ([]float32, error) {
	c, err := column(f, ft)
	if err != nil {
		return nil, err
	}
	out := make([]float32, f.Rows)
	if !b.category {
		for i, v := range c.Floats {
			out[i] = float32(v)
		}
		return out, nil
	}
	m := codeMap(c, b.levels)
	nan := float32(math.NaN())
	for i, code := range c.Codes {
		out[i] = nan
		if code >= 0 && m[code] >= 0 {
			out[i] = float32(m[code])
		}
	}
	return out, nil
}

// treeNode is a node of a regression tree: a split (x[feature] <= threshold goes
// left; NaN goes left when missingLeft) or a leaf with its value.
type treeNode struct {
	leaf        bool
	feature     int
	bin         uint8
	threshold   float32
	missingLeft bool
	left, right int
	value       float32
}

// gbt is a fitted ensemble. Regression and binary models have one output (the
// value, or the log-odds of the second class); a multiclass model has one output
// per class, each tree adding to one of them (treeClass), turned into
// probabilities with a softmax.
type gbt struct {
	feats     []feature
	binners   []*binner
	trees     [][]treeNode
	treeClass []int
	base      []float32
	classes   []string // nil for regression
}

// outputs is the number of raw scores per row.
func (m *gbt) outputs() int {
	if len(m.classes) > 2 {
		return len(m.classes)
	}
	return 1
}

type histBin struct {
	g, h float64
	n    int64
}

type gbtTrainer struct {
	nf      int
	n       int
	bins    []uint8 // n × nf, row-major
	nbins   []int
	gh      []float64 // g, h per row
	depth   int
	minLeaf int
	l2      float64
	lr      float64
	pool    [][]histBin
	scratch []int32
}

func fitGBT(ctx context.Context, f *dataset.Frame, feats []feature, tgt *targetData, p params, seed int64, info map[string]any) (model, error) {
	n := f.Rows
	binary := len(tgt.classes) == 2
	m := &gbt{feats: feats, classes: tgt.classes}
	K := m.outputs()
	// Category levels are ranked by their mean target; for several classes, by
	// their share of the most frequent class.
	rankY := tgt.y
	if K > 1 {
		counts := make([]int, K)
		for _, y := range tgt.y {
			counts[int(y)]++
		}
		top := 0
		for k, c := range counts {
			if c > counts[top] {
				top = k
			}
		}
		rankY = make([]float64, n)
		for i, y := range tgt.y {
			if int(y) == top {
				rankY[i] = 1
			}
		}
	}
	t := &gbtTrainer{nf: len(feats), n: n, depth: p.int("depth"), minLeaf: p.int("minSamplesLeaf"), l2: p.f("l2"), lr: p.f("learningRate")}
	t.bins = make([]uint8, n*t.nf)
	for j, ft := range feats {
		c, err := column(f, ft)
		if err != nil {
			return nil, err
		}
		var b *binner
		if ft.category {
			b = fitCategoryBinner(c, rankY, min(p.int("maxCategories"), p.int("maxBins")))
		} else {
			b = fitNumberBinner(c, p.int("maxBins"))
		}
		m.binners = append(m.binners, b)
		t.nbins = append(t.nbins, b.nbins())
		vals, err := b.values(f, ft)
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			var k uint8
			if b.category {
				k = missingBin
				if v == v {
					k = uint8(v)
				}
			} else {
				k = b.bin(v)
			}
			t.bins[i*t.nf+j] = k
		}
	}

	// Start from the mean (regression), the log-odds (binary) or the log prior of
	// each class.
	base := make([]float64, K)
	if K > 1 {
		for _, y := range tgt.y {
			base[int(y)]++
		}
		for k := range base {
			base[k] = math.Log(math.Max(base[k]/float64(n), 1e-12))
		}
	} else {
		var mean float64
		for _, y := range tgt.y {
			mean += y
		}
		mean /= float64(n)
		base[0] = mean
		if binary {
			mean = math.Min(math.Max(mean, 1e-12), 1-1e-12)
			base[0] = math.Log(mean / (1 - mean))
		}
	}
	for _, b := range base {
		m.base = append(m.base, float32(b))
	}
	raw := make([]float64, n*K)
	for i := range raw {
		raw[i] = base[i%K]
	}
	var proba []float64
	if K > 1 {
		proba = make([]float64, n*K)
	}
	t.gh = make([]float64, 2*n)
	subsample := p.f("subsample")
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	rows := make([]int32, 0, n)
	t.scratch = make([]int32, n)
	gradChunks := nChunks(n, 16384)
	leaves := 0
	for it := 0; it < p.int("trees"); it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows = rows[:0]
		if subsample < 1 {
			for i := 0; i < n; i++ {
				if rng.Float64() < subsample {
					rows = append(rows, int32(i))
				}
			}
		} else {
			rows = append(rows, all...)
		}
		if K > 1 {
			parallel(gradChunks, n, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					r, p := raw[i*K:(i+1)*K], proba[i*K:(i+1)*K]
					mx := r[0]
					for _, v := range r {
						mx = math.Max(mx, v)
					}
					var z float64
					for k, v := range r {
						p[k] = math.Exp(v - mx)
						z += p[k]
					}
					for k := range p {
						p[k] /= z
					}
				}
			})
		}
		for k := 0; k < K; k++ {
			parallel(gradChunks, n, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					switch {
					case K > 1:
						pr, y := proba[i*K+k], 0.0
						if int(tgt.y[i]) == k {
							y = 1
						}
						t.gh[2*i] = pr - y
						t.gh[2*i+1] = math.Max(pr*(1-pr), 1e-16)
					case binary:
						pr := sigmoid(raw[i])
						t.gh[2*i] = pr - tgt.y[i]
						t.gh[2*i+1] = math.Max(pr*(1-pr), 1e-16)
					default:
						t.gh[2*i] = raw[i] - tgt.y[i]
						t.gh[2*i+1] = 1
					}
				}
			})
			tree, ranges := t.grow(rows)
			for j := range tree {
				if nd := &tree[j]; !nd.leaf {
					nd.threshold = m.binners[nd.feature].threshold(int(nd.bin))
				}
			}
			leaves += countLeaves(tree)
			m.trees = append(m.trees, tree)
			m.treeClass = append(m.treeClass, k)
			if subsample < 1 {
				parallel(gradChunks, n, func(_, lo, hi int) {
					for i := lo; i < hi; i++ {
						raw[i*K+k] += float64(tree[t.leafOf(tree, i)].value)
					}
				})
			} else {
				// Every row was in the tree: its leaf holds it.
				for _, lr := range ranges {
					v := float64(tree[lr.node].value)
					for _, r := range rows[lr.lo:lr.hi] {
						raw[int(r)*K+k] += v
					}
				}
			}
		}
	}
	info["trees"] = len(m.trees)
	info["leaves"] = leaves
	bins := 0
	for _, b := range t.nbins {
		bins += b
	}
	info["bins"] = bins
	return m, nil
}

func countLeaves(tree []treeNode) int {
	k := 0
	for _, nd := range tree {
		if nd.leaf {
			k++
		}
	}
	return k
}

// leafOf walks a tree on the binned row i.
func (t *gbtTrainer) leafOf(tree []treeNode, i int) int {
	k := 0
	for !tree[k].leaf {
		nd := &tree[k]
		b := t.bins[i*t.nf+nd.feature]
		if (b == missingBin && nd.missingLeft) || (b != missingBin && b <= nd.bin) {
			k = nd.left
		} else {
			k = nd.right
		}
	}
	return k
}

// growNode is a node under construction: its rows are rows[lo:hi] of the tree's
// row buffer, and hist its gradient histogram (nf × 256 bins).
type growNode struct {
	id     int
	lo, hi int
	hist   []histBin
	g, h   float64
	depth  int
}

type split struct {
	gain        float64
	feature     int
	bin         int
	missingLeft bool
	nLeft       int64
}

func (t *gbtTrainer) newHist() []histBin {
	if k := len(t.pool); k > 0 {
		h := t.pool[k-1]
		t.pool = t.pool[:k-1]
		return h
	}
	return make([]histBin, t.nf*256)
}

func (t *gbtTrainer) release(h []histBin) { t.pool = append(t.pool, h) }

// build fills a histogram from rows, in fixed chunks merged in order.
func (t *gbtTrainer) build(rows []int32) []histBin {
	k := nChunks(len(rows), 16384)
	parts := make([][]histBin, k)
	for c := range parts {
		parts[c] = t.newHist()
		clear(parts[c])
	}
	nf := t.nf
	parallel(k, len(rows), func(c, lo, hi int) {
		h := parts[c]
		for _, r := range rows[lo:hi] {
			g, hh := t.gh[2*r], t.gh[2*r+1]
			bs := t.bins[int(r)*nf : int(r)*nf+nf]
			for j, b := range bs {
				e := &h[j<<8|int(b)]
				e.g += g
				e.h += hh
				e.n++
			}
		}
	})
	out := parts[0]
	for _, h := range parts[1:] {
		for i := range out {
			out[i].g += h[i].g
			out[i].h += h[i].h
			out[i].n += h[i].n
		}
		t.release(h)
	}
	return out
}

// leafRange is the rows of one leaf: rows[lo:hi] of the tree's row buffer.
type leafRange struct{ node, lo, hi int }

func (t *gbtTrainer) grow(rows []int32) ([]treeNode, []leafRange) {
	var leaves []leafRange
	tree := []treeNode{{leaf: true}}
	root := &growNode{id: 0, lo: 0, hi: len(rows), hist: t.build(rows)}
	for b := 0; b < 256; b++ {
		root.g += root.hist[b].g
		root.h += root.hist[b].h
	}
	level := []*growNode{root}
	for len(level) > 0 {
		var next []*growNode
		for _, nd := range level {
			s, ok := t.bestSplit(nd)
			if !ok {
				tree[nd.id] = treeNode{leaf: true, value: t.leafValue(nd.g, nd.h)}
				leaves = append(leaves, leafRange{nd.id, nd.lo, nd.hi})
				t.release(nd.hist)
				continue
			}
			// Partition rows[lo:hi] stably into left then right.
			mid := t.partition(rows[nd.lo:nd.hi], s) + nd.lo
			left := &growNode{id: len(tree), lo: nd.lo, hi: mid, depth: nd.depth + 1}
			right := &growNode{id: len(tree) + 1, lo: mid, hi: nd.hi, depth: nd.depth + 1}
			tree[nd.id] = treeNode{feature: s.feature, bin: uint8(s.bin), missingLeft: s.missingLeft, left: left.id, right: right.id}
			tree = append(tree, treeNode{leaf: true}, treeNode{leaf: true})
			small, large := left, right
			if small.hi-small.lo > large.hi-large.lo {
				small, large = right, left
			}
			small.hist = t.build(rows[small.lo:small.hi])
			large.hist = nd.hist
			for i := range large.hist {
				large.hist[i].g -= small.hist[i].g
				large.hist[i].h -= small.hist[i].h
				large.hist[i].n -= small.hist[i].n
			}
			for _, c := range []*growNode{left, right} {
				for b := 0; b < 256; b++ {
					c.g += c.hist[b].g
					c.h += c.hist[b].h
				}
			}
			next = append(next, left, right)
		}
		level = next
	}
	return tree, leaves
}

func (t *gbtTrainer) leafValue(g, h float64) float32 {
	return float32(-t.lr * g / (h + t.l2))
}

func (t *gbtTrainer) score(g, h float64) float64 { return g * g / (h + t.l2) }

// bestSplit scans every feature's bins for the split with the largest gain, trying
// the missing bin on either side. Ties keep the first found, so results are
// deterministic.
func (t *gbtTrainer) bestSplit(nd *growNode) (split, bool) {
	best := split{gain: 1e-10}
	found := false
	n := int64(nd.hi - nd.lo)
	if nd.depth >= t.depth || n < 2*int64(t.minLeaf) || nd.h < 2*minHessian {
		return best, false
	}
	parent := t.score(nd.g, nd.h)
	minLeaf := int64(t.minLeaf)
	for j := 0; j < t.nf; j++ {
		h := nd.hist[j<<8 : (j+1)<<8]
		miss := h[missingBin]
		var gl, hl float64
		var nl int64
		nb := t.nbins[j]
		for b := 0; b < nb-1; b++ {
			gl += h[b].g
			hl += h[b].h
			nl += h[b].n
			// missing goes right
			gr, hr, nr := nd.g-gl, nd.h-hl, n-nl
			if nl >= minLeaf && nr >= minLeaf && hl >= minHessian && hr >= minHessian {
				if gain := t.score(gl, hl) + t.score(gr, hr) - parent; gain > best.gain {
					best = split{gain: gain, feature: j, bin: b, nLeft: nl}
					found = true
				}
			}
			if miss.n == 0 {
				continue
			}
			// missing goes left
			gl2, hl2, nl2 := gl+miss.g, hl+miss.h, nl+miss.n
			gr, hr, nr = nd.g-gl2, nd.h-hl2, n-nl2
			if nl2 >= minLeaf && nr >= minLeaf && hl2 >= minHessian && hr >= minHessian {
				if gain := t.score(gl2, hl2) + t.score(gr, hr) - parent; gain > best.gain {
					best = split{gain: gain, feature: j, bin: b, missingLeft: true, nLeft: nl2}
					found = true
				}
			}
		}
	}
	if found && t.nbinsMissing(nd, best.feature) == 0 {
		// No training rows were missing here: send unseen nulls the larger way.
		best.missingLeft = 2*best.nLeft >= n
	}
	return best, found
}

func (t *gbtTrainer) nbinsMissing(nd *growNode, j int) int64 { return nd.hist[j<<8|missingBin].n }

// partition reorders rows so those going left come first, keeping order within each
// side, and returns how many go left.
func (t *gbtTrainer) partition(rows []int32, s split) int {
	l, r := 0, 0
	right := t.scratch[:0]
	b0 := uint8(s.bin)
	for _, row := range rows {
		b := t.bins[int(row)*t.nf+s.feature]
		if (b == missingBin && s.missingLeft) || (b != missingBin && b <= b0) {
			rows[l] = row
			l++
		} else {
			right = append(right, row)
			r++
		}
	}
	copy(rows[l:], right)
	return l
}

// raw returns the ensemble's score for each row: leaf values summed in float32 in
// tree order, then the base value, as onnxruntime's TreeEnsembleRegressor does.
func (m *gbt) raw(f *dataset.Frame) ([]float32, error) {
	cols := make([][]float32, len(m.feats))
	for j, ft := range m.feats {
		v, err := m.binners[j].values(f, ft)
		if err != nil {
			return nil, err
		}
		cols[j] = v
	}
	K := m.outputs()
	out := make([]float32, f.Rows*K)
	parallel(nChunks(f.Rows, 4096), f.Rows, func(_, lo, hi int) {
		x := make([]float32, len(cols))
		for i := lo; i < hi; i++ {
			for j := range cols {
				x[j] = cols[j][i]
			}
			s := out[i*K : (i+1)*K]
			for ti, tree := range m.trees {
				k := 0
				for !tree[k].leaf {
					nd := &tree[k]
					v := x[nd.feature]
					if v <= nd.threshold || (nd.missingLeft && v != v) {
						k = nd.left
					} else {
						k = nd.right
					}
				}
				s[m.treeClass[ti]] += tree[k].value
			}
			for c := range s {
				s[c] += m.base[c]
			}
		}
	})
	return out, nil
}

func (m *gbt) predict(f *dataset.Frame) (*prediction, error) {
	s, err := m.raw(f)
	if err != nil {
		return nil, err
	}
	p := &prediction{}
	if m.classes == nil {
		p.Value = make([]float64, len(s))
		for i, v := range s {
			p.Value[i] = float64(v)
		}
		return p, nil
	}
	n := f.Rows
	p.Proba = make([][]float64, n)
	p.Label = make([]string, n)
	K := m.outputs()
	for i := 0; i < n; i++ {
		if K == 1 {
			p1 := float32(1 / (1 + math.Exp(-float64(s[i]))))
			p0 := float32(1 - p1)
			p.Proba[i] = []float64{float64(p0), float64(p1)}
		} else {
			p.Proba[i] = softmax32(s[i*K : (i+1)*K])
		}
		best := 0
		for c, v := range p.Proba[i] {
			if v > p.Proba[i][best] {
				best = c
			}
		}
		p.Label[i] = m.classes[best]
	}
	return p, nil
}

func (m *gbt) graph() (onnxpb.Graph, error) {
	g := onnxpb.Graph{Name: "ferry", Inputs: inputs(m.feats)}
	var cols []string
	for j, ft := range m.feats {
		b := m.binners[j]
		if !b.category {
			cols = append(cols, ft.name)
			continue
		}
		out := fmt.Sprintf("ferry.rank%d", j)
		ranks := make([]float32, len(b.levels))
		for r := range ranks {
			ranks[r] = float32(r)
		}
		keys := b.levels
		if len(keys) == 0 {
			// LabelEncoder needs a key; a null string maps to the default anyway.
			keys, ranks = []string{""}, []float32{float32(math.NaN())}
		}
		g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "LabelEncoder", Domain: "ai.onnx.ml", Name: out,
			Inputs: []string{ft.name}, Outputs: []string{out},
			Attrs: []onnxpb.Attr{
				onnxpb.AttrFloat("default_float", float32(math.NaN())),
				onnxpb.AttrStrings("keys_strings", keys),
				onnxpb.AttrFloats("values_floats", ranks),
			}})
		cols = append(cols, out)
	}
	g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "Concat", Name: "ferry.features", Inputs: cols, Outputs: []string{"ferry.features"},
		Attrs: []onnxpb.Attr{onnxpb.AttrInt("axis", 1)}})

	var (
		treeIDs, nodeIDs, featIDs, trueIDs, falseIDs, missing []int64
		modes                                                 []string
		values                                                []float32
		tTree, tNode, tID                                     []int64
		tWeight                                               []float32
	)
	for ti, tree := range m.trees {
		for k, nd := range tree {
			treeIDs = append(treeIDs, int64(ti))
			nodeIDs = append(nodeIDs, int64(k))
			if nd.leaf {
				featIDs = append(featIDs, 0)
				modes = append(modes, "LEAF")
				values = append(values, 0)
				trueIDs = append(trueIDs, 0)
				falseIDs = append(falseIDs, 0)
				missing = append(missing, 0)
				tTree = append(tTree, int64(ti))
				tNode = append(tNode, int64(k))
				tID = append(tID, int64(m.treeClass[ti]))
				tWeight = append(tWeight, nd.value)
				continue
			}
			featIDs = append(featIDs, int64(nd.feature))
			modes = append(modes, "BRANCH_LEQ")
			values = append(values, m.binners[nd.feature].threshold(int(nd.bin)))
			trueIDs = append(trueIDs, int64(nd.left))
			falseIDs = append(falseIDs, int64(nd.right))
			ml := int64(0)
			if nd.missingLeft {
				ml = 1
			}
			missing = append(missing, ml)
		}
	}
	score := "value"
	if m.classes != nil {
		score = "ferry.score"
	}
	g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "TreeEnsembleRegressor", Domain: "ai.onnx.ml", Name: "trees",
		Inputs: []string{"ferry.features"}, Outputs: []string{score},
		Attrs: []onnxpb.Attr{
			onnxpb.AttrString("aggregate_function", "SUM"),
			onnxpb.AttrFloats("base_values", m.base),
			onnxpb.AttrInt("n_targets", int64(m.outputs())),
			onnxpb.AttrInts("nodes_falsenodeids", falseIDs),
			onnxpb.AttrInts("nodes_featureids", featIDs),
			onnxpb.AttrInts("nodes_missing_value_tracks_true", missing),
			onnxpb.AttrStrings("nodes_modes", modes),
			onnxpb.AttrInts("nodes_nodeids", nodeIDs),
			onnxpb.AttrInts("nodes_treeids", treeIDs),
			onnxpb.AttrInts("nodes_truenodeids", trueIDs),
			onnxpb.AttrFloats("nodes_values", values),
			onnxpb.AttrString("post_transform", "NONE"),
			onnxpb.AttrInts("target_ids", tID),
			onnxpb.AttrInts("target_nodeids", tNode),
			onnxpb.AttrInts("target_treeids", tTree),
			onnxpb.AttrFloats("target_weights", tWeight),
		}})
	if m.classes == nil {
		g.Outputs = append(g.Outputs, onnxpb.ValueInfo{Name: "value", ElemType: onnxpb.Float, Dims: []int64{-1, 1}})
		return g, nil
	}
	if m.outputs() == 1 {
		// Binary: p = sigmoid(score), probabilities [1-p, p].
		g.Initializers = append(g.Initializers, onnxpb.Tensor{Name: "ferry.one", DataType: onnxpb.Float, Dims: []int64{1}, Floats: []float32{1}})
		g.Nodes = append(g.Nodes,
			onnxpb.Node{OpType: "Sigmoid", Name: "ferry.p1", Inputs: []string{"ferry.score"}, Outputs: []string{"ferry.p1"}},
			onnxpb.Node{OpType: "Sub", Name: "ferry.p0", Inputs: []string{"ferry.one", "ferry.p1"}, Outputs: []string{"ferry.p0"}},
			onnxpb.Node{OpType: "Concat", Name: "probabilities", Inputs: []string{"ferry.p0", "ferry.p1"}, Outputs: []string{"probabilities"},
				Attrs: []onnxpb.Attr{onnxpb.AttrInt("axis", 1)}},
		)
	} else {
		g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "Softmax", Name: "probabilities", Inputs: []string{"ferry.score"}, Outputs: []string{"probabilities"},
			Attrs: []onnxpb.Attr{onnxpb.AttrInt("axis", 1)}})
	}
	// The label is the class of the largest probability (the first on ties).
	keys := make([]int64, len(m.classes))
	for i := range keys {
		keys[i] = int64(i)
	}
	g.Nodes = append(g.Nodes,
		onnxpb.Node{OpType: "ArgMax", Name: "argmax", Inputs: []string{"probabilities"}, Outputs: []string{"ferry.label_index"},
			Attrs: []onnxpb.Attr{onnxpb.AttrInt("axis", 1), onnxpb.AttrInt("keepdims", 0)}},
		onnxpb.Node{OpType: "LabelEncoder", Domain: "ai.onnx.ml", Name: "label", Inputs: []string{"ferry.label_index"}, Outputs: []string{"label"},
			Attrs: []onnxpb.Attr{
				onnxpb.AttrString("default_string", ""),
				onnxpb.AttrInts("keys_int64s", keys),
				onnxpb.AttrStrings("values_strings", m.classes),
			}},
	)
	g.Outputs = append(g.Outputs,
		onnxpb.ValueInfo{Name: "label", ElemType: onnxpb.String, Dims: []int64{-1}},
		onnxpb.ValueInfo{Name: "probabilities", ElemType: onnxpb.Float, Dims: []int64{-1, int64(len(m.classes))}},
	)
	return g, nil
}

func (m *gbt) classList() []string { return m.classes }
