package train

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/train/onnxpb"
)

var inf = math.Inf(1)

var errNoColumns = errors.New("no usable feature columns (every category column is null)")

var logisticParams = []paramDef{
	{name: "C", kind: kindFloat, def: 1, min: 0, minOpen: true, max: inf, doc: "inverse L2 strength, as scikit-learn's C"},
	{name: "l2", kind: kindFloat, def: 0, min: 0, minOpen: true, max: inf, doc: "L2 strength (1/C); give C or l2"},
	{name: "maxIter", kind: kindInt, def: 500, min: 1, max: 100000, doc: "solver iterations (Newton for binary models, else L-BFGS)"},
	{name: "tol", kind: kindFloat, def: 1e-4, min: 0, minOpen: true, max: 1, doc: "stop when the mean-loss gradient's largest component is below this (scikit-learn's default)"},
	{name: "maxCategories", kind: kindInt, def: 1000, min: 1, max: 1 << 20, doc: "one-hot levels kept per category feature (most frequent)"},
}

var ridgeParams = []paramDef{
	{name: "l2", kind: kindFloat, def: 1, min: 0, max: inf, doc: "L2 strength (scikit-learn Ridge's alpha)"},
	{name: "maxCategories", kind: kindInt, def: 1000, min: 1, max: 1 << 20, doc: "one-hot levels kept per category feature (most frequent)"},
}

// logistic is a fitted (multinomial) logistic regression on the encoder's columns.
// A binary model has one coefficient row, for the second class.
type logistic struct {
	enc       *encoder
	classes   []string
	coef      [][]float32
	intercept []float32
}

// logObjective is the mean log loss plus (l2/2n)·‖w‖² (intercepts unpenalised): the
// same minimiser as scikit-learn's C·Σloss + ½‖w‖² with l2 = 1/C.
type logObjective struct {
	d      *design
	y      []float64
	k      int // coefficient rows: 1 for binary
	dim    int // encoded columns; a row of params is dim weights + intercept
	lambda float64
	chunks int
	gbuf   [][]float64
	lbuf   []float64
	lastX  []float64
	lastF  float64
	lastG  []float64
	ctx    context.Context
	evals  int
	ctxErr error
}

func (o *logObjective) stride() int { return o.dim + 1 }

func (o *logObjective) evaluate(x []float64) {
	if o.lastX != nil && floatsEqual(o.lastX, x) {
		return
	}
	o.evals++
	if o.ctxErr == nil {
		o.ctxErr = o.ctx.Err()
	}
	d, st := o.d, o.stride()
	parallel(o.chunks, d.n, func(c, lo, hi int) {
		g := o.gbuf[c]
		clear(g)
		var loss float64
		scores := make([]float64, o.k)
		for i := lo; i < hi; i++ {
			num := d.num[i*d.nNum : (i+1)*d.nNum]
			cat := d.cat[i*d.nCat : (i+1)*d.nCat]
			for r := 0; r < o.k; r++ {
				w := x[r*st : (r+1)*st]
				s := w[o.dim]
				for j, v := range num {
					s += w[j] * v
				}
				for _, col := range cat {
					if col >= 0 {
						s += w[col]
					}
				}
				scores[r] = s
			}
			y := o.y[i]
			if o.k == 1 {
				s := scores[0]
				// log(1+e^s) - y·s and the sigmoid from one exp, stably
				e := math.Exp(-math.Abs(s))
				loss += math.Max(s, 0) + math.Log1p(e) - y*s
				pr := 1 / (1 + e)
				if s < 0 {
					pr = e / (1 + e)
				}
				scores[0] = pr - y
			} else {
				mx := scores[0]
				for _, s := range scores[1:] {
					mx = math.Max(mx, s)
				}
				var z float64
				for _, s := range scores {
					z += math.Exp(s - mx)
				}
				lse := mx + math.Log(z)
				loss += lse - scores[int(y)]
				for r, s := range scores {
					scores[r] = math.Exp(s - lse)
				}
				scores[int(y)] -= 1
			}
			for r := 0; r < o.k; r++ {
				res := scores[r]
				gr := g[r*st : (r+1)*st]
				for j, v := range num {
					gr[j] += res * v
				}
				for _, col := range cat {
					if col >= 0 {
						gr[col] += res
					}
				}
				gr[o.dim] += res
			}
		}
		o.lbuf[c] = loss
	})
	if o.lastG == nil {
		o.lastG = make([]float64, len(x))
		o.lastX = make([]float64, len(x))
	}
	copy(o.lastX, x)
	clear(o.lastG)
	var loss float64
	for c := 0; c < o.chunks; c++ {
		loss += o.lbuf[c]
		for j, v := range o.gbuf[c] {
			o.lastG[j] += v
		}
	}
	n := float64(d.n)
	var pen float64
	for j := range o.lastG {
		o.lastG[j] /= n
		if j%st != o.dim {
			o.lastG[j] += o.lambda * x[j]
			pen += x[j] * x[j]
		}
	}
	o.lastF = loss/n + o.lambda/2*pen
}

func floatsEqual(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sigmoid(s float64) float64 {
	if s >= 0 {
		return 1 / (1 + math.Exp(-s))
	}
	e := math.Exp(s)
	return e / (1 + e)
}

func fitLogistic(ctx context.Context, f *dataset.Frame, feats []feature, tgt *targetData, p params, info map[string]any) (model, error) {
	if p.set["C"] && p.set["l2"] {
		return nil, errors.New("logistic-regression: give C or l2, not both (l2 = 1/C)")
	}
	l2 := 1 / p.f("C")
	if p.set["l2"] {
		l2 = p.f("l2")
	}
	enc := fitEncoder(f, feats, p.int("maxCategories"))
	if enc.dim == 0 {
		return nil, errNoColumns
	}
	d, err := enc.encode(f)
	if err != nil {
		return nil, err
	}
	k := len(tgt.classes)
	if k == 2 {
		k = 1
	}
	o := &logObjective{d: d, y: tgt.y, k: k, dim: enc.dim, lambda: l2 / float64(d.n), ctx: ctx}
	o.chunks = nChunks(d.n, 8192)
	o.gbuf = make([][]float64, o.chunks)
	for c := range o.gbuf {
		o.gbuf[c] = make([]float64, k*o.stride())
	}
	o.lbuf = make([]float64, o.chunks)
	var (
		xOpt      []float64
		iters     int
		gnorm     float64
		converged bool
		solver    string
	)
	if k == 1 && o.stride() <= newtonLimit {
		solver = "newton"
		xOpt, iters, gnorm, converged, err = o.newton(p.int("maxIter"), p.f("tol"))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("logistic-regression: %w", err)
		}
		o.evaluate(xOpt)
	} else {
		solver = "lbfgs"
		x0 := make([]float64, k*o.stride())
		prob := optimize.Problem{
			Func: func(x []float64) float64 { o.evaluate(x); return o.lastF },
			Grad: func(g, x []float64) { o.evaluate(x); copy(g, o.lastG) },
		}
		settings := &optimize.Settings{
			GradientThreshold: p.f("tol"),
			MajorIterations:   p.int("maxIter"),
			Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-12, Iterations: 20},
		}
		res, err := optimize.Minimize(prob, x0, settings, &optimize.LBFGS{Store: 10})
		if o.ctxErr != nil {
			return nil, o.ctxErr
		}
		if err != nil && res == nil {
			return nil, fmt.Errorf("logistic-regression: %w", err)
		}
		xOpt = res.X
		iters = res.Stats.MajorIterations
		o.evaluate(xOpt)
		for _, v := range o.lastG {
			gnorm = math.Max(gnorm, math.Abs(v))
		}
		converged = res.Status == optimize.GradientThreshold || res.Status == optimize.FunctionConvergence
		info["status"] = res.Status.String()
	}
	info["solver"] = solver
	info["iterations"] = iters
	info["functionEvaluations"] = o.evals
	info["gradientNorm"] = gnorm
	info["converged"] = converged
	info["loss"] = o.lastF
	info["columns"] = enc.dim

	m := &logistic{enc: enc, classes: tgt.classes}
	st := o.stride()
	for r := 0; r < k; r++ {
		w := xOpt[r*st : (r+1)*st]
		row := make([]float32, enc.dim)
		for j := range row {
			row[j] = float32(w[j])
		}
		m.coef = append(m.coef, row)
		m.intercept = append(m.intercept, float32(w[enc.dim]))
	}
	return m, nil
}

// scores computes X·Wᵀ + b for each row as onnxruntime's linear ops do: float32
// inputs and coefficients, the result rounded to float32.
func linearScores(d *design, coef [][]float32, intercept []float32) [][]float32 {
	out := make([][]float32, d.n)
	for i := 0; i < d.n; i++ {
		num := d.num[i*d.nNum : (i+1)*d.nNum]
		cat := d.cat[i*d.nCat : (i+1)*d.nCat]
		row := make([]float32, len(coef))
		for r, w := range coef {
			var s float64
			for j, v := range num {
				s += float64(w[j]) * v
			}
			for _, col := range cat {
				if col >= 0 {
					s += float64(w[col])
				}
			}
			row[r] = float32(float32(s) + intercept[r])
		}
		out[i] = row
	}
	return out
}

func (m *logistic) predict(f *dataset.Frame) (*prediction, error) {
	d, err := m.enc.encode(f)
	if err != nil {
		return nil, err
	}
	scores := linearScores(d, m.coef, m.intercept)
	p := &prediction{Proba: make([][]float64, d.n), Label: make([]string, d.n)}
	for i, s := range scores {
		if len(m.coef) == 1 {
			p.Proba[i] = []float64{float64(logistic32(-s[0])), float64(logistic32(s[0]))}
			p.Label[i] = m.classes[0]
			if s[0] > -s[0] {
				p.Label[i] = m.classes[1]
			}
			continue
		}
		p.Proba[i] = softmax32(s)
		best := 0
		for r := range s {
			if s[r] > s[best] {
				best = r
			}
		}
		p.Label[i] = m.classes[best]
	}
	return p, nil
}

// logistic32 is onnxruntime's ComputeLogistic in float32.
func logistic32(v float32) float32 {
	a := float32(math.Abs(float64(v)))
	e := float32(math.Exp(-float64(a)))
	r := float32(1 / float32(1+e))
	if v < 0 {
		return float32(1 - r)
	}
	return r
}

func softmax32(s []float32) []float64 {
	mx := s[0]
	for _, v := range s {
		if v > mx {
			mx = v
		}
	}
	ex := make([]float32, len(s))
	var sum float32
	for i, v := range s {
		ex[i] = float32(math.Exp(float64(float32(v - mx))))
		sum += ex[i]
	}
	out := make([]float64, len(s))
	for i := range ex {
		out[i] = float64(float32(ex[i] / sum))
	}
	return out
}

func (m *logistic) graph() (onnxpb.Graph, error) {
	g, features := m.enc.graph()
	coef := make([]float32, 0, 2*m.enc.dim)
	var intercepts []float32
	transform := "SOFTMAX"
	if len(m.coef) == 1 {
		// Two rows, -w and w, give scores [-s, s]: probabilities [1-p, p] and the
		// label by argmax, on onnxruntime's multi-class path.
		transform = "LOGISTIC"
		for _, v := range m.coef[0] {
			coef = append(coef, -v)
		}
		coef = append(coef, m.coef[0]...)
		intercepts = []float32{-m.intercept[0], m.intercept[0]}
	} else {
		for _, row := range m.coef {
			coef = append(coef, row...)
		}
		intercepts = m.intercept
	}
	g.Nodes = append(g.Nodes, onnxpb.Node{
		OpType: "LinearClassifier", Domain: "ai.onnx.ml", Name: "classifier",
		Inputs: []string{features}, Outputs: []string{"label", "probabilities"},
		Attrs: []onnxpb.Attr{
			onnxpb.AttrStrings("classlabels_strings", m.classes),
			onnxpb.AttrFloats("coefficients", coef),
			onnxpb.AttrFloats("intercepts", intercepts),
			onnxpb.AttrInt("multi_class", 0),
			onnxpb.AttrString("post_transform", transform),
		},
	})
	g.Outputs = append(g.Outputs,
		onnxpb.ValueInfo{Name: "label", ElemType: onnxpb.String, Dims: []int64{-1}},
		onnxpb.ValueInfo{Name: "probabilities", ElemType: onnxpb.Float, Dims: []int64{-1, int64(len(m.classes))}},
	)
	return g, nil
}

// graph returns the inputs and preprocessing nodes of the encoder, and the name of
// the [N, dim] float tensor they produce.
func (e *encoder) graph() (onnxpb.Graph, string) {
	g := onnxpb.Graph{Name: "ferry"}
	g.Inputs = inputs(e.feats)
	var parts []string
	if len(e.nums) > 0 {
		var names []string
		for _, fi := range e.nums {
			names = append(names, e.feats[fi].name)
		}
		nan := float32(math.NaN())
		g.Nodes = append(g.Nodes,
			onnxpb.Node{OpType: "Concat", Name: "ferry.numbers", Inputs: names, Outputs: []string{"ferry.numbers"},
				Attrs: []onnxpb.Attr{onnxpb.AttrInt("axis", 1)}},
			onnxpb.Node{OpType: "Imputer", Domain: "ai.onnx.ml", Name: "impute", Inputs: []string{"ferry.numbers"}, Outputs: []string{"ferry.numbers_imputed"},
				Attrs: []onnxpb.Attr{onnxpb.AttrFloats("imputed_value_floats", e.mean), onnxpb.AttrFloat("replaced_value_float", nan)}},
			onnxpb.Node{OpType: "Scaler", Domain: "ai.onnx.ml", Name: "scale", Inputs: []string{"ferry.numbers_imputed"}, Outputs: []string{"ferry.numbers_scaled"},
				Attrs: []onnxpb.Attr{onnxpb.AttrFloats("offset", e.mean), onnxpb.AttrFloats("scale", e.scale)}},
		)
		parts = append(parts, "ferry.numbers_scaled")
	}
	for j, fi := range e.cats {
		if len(e.levels[j]) == 0 {
			continue
		}
		name := e.feats[fi].name
		oh := fmt.Sprintf("ferry.onehot%d", j)
		g.Nodes = append(g.Nodes,
			onnxpb.Node{OpType: "OneHotEncoder", Domain: "ai.onnx.ml", Name: oh, Inputs: []string{name}, Outputs: []string{oh},
				Attrs: []onnxpb.Attr{onnxpb.AttrStrings("cats_strings", e.levels[j]), onnxpb.AttrInt("zeros", 1)}},
			onnxpb.Node{OpType: "Flatten", Name: oh + "_flat", Inputs: []string{oh}, Outputs: []string{oh + "_flat"},
				Attrs: []onnxpb.Attr{onnxpb.AttrInt("axis", 1)}},
		)
		parts = append(parts, oh+"_flat")
	}
	g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "Concat", Name: "ferry.features", Inputs: parts, Outputs: []string{"ferry.features"},
		Attrs: []onnxpb.Attr{onnxpb.AttrInt("axis", 1)}})
	return g, "ferry.features"
}

// inputs declares one [N, 1] graph input per raw feature column.
func inputs(feats []feature) []onnxpb.ValueInfo {
	in := make([]onnxpb.ValueInfo, len(feats))
	for i, f := range feats {
		t := onnxpb.Float
		if f.category {
			t = onnxpb.String
		}
		in[i] = onnxpb.ValueInfo{Name: f.name, ElemType: t, Dims: []int64{-1, 1}}
	}
	return in
}

// ridge is a fitted ridge regression on the encoder's columns.
type ridge struct {
	enc       *encoder
	coef      []float32
	intercept float32
}

func fitRidge(ctx context.Context, f *dataset.Frame, feats []feature, tgt *targetData, p params, info map[string]any) (model, error) {
	enc := fitEncoder(f, feats, p.int("maxCategories"))
	if enc.dim == 0 {
		return nil, errNoColumns
	}
	d, err := enc.encode(f)
	if err != nil {
		return nil, err
	}
	dim := enc.dim
	// Centred normal equations: (XᵀX - n·x̄x̄ᵀ + λI)β = Xᵀy - n·x̄ȳ; the intercept
	// is ȳ - x̄ᵀβ and is not penalised.
	gram := make([]float64, dim*dim)
	sx := make([]float64, dim)
	xy := make([]float64, dim)
	var sy float64
	idx := make([]int, 0, d.nNum+d.nCat)
	val := make([]float64, 0, d.nNum+d.nCat)
	for i := 0; i < d.n; i++ {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		idx, val = idx[:0], val[:0]
		for j := 0; j < d.nNum; j++ {
			idx = append(idx, j)
			val = append(val, d.num[i*d.nNum+j])
		}
		for _, col := range d.cat[i*d.nCat : (i+1)*d.nCat] {
			if col >= 0 {
				idx = append(idx, int(col))
				val = append(val, 1)
			}
		}
		y := tgt.y[i]
		sy += y
		for a, ja := range idx {
			sx[ja] += val[a]
			xy[ja] += val[a] * y
			row := gram[ja*dim:]
			for b, jb := range idx {
				row[jb] += val[a] * val[b]
			}
		}
	}
	n := float64(d.n)
	l2 := p.f("l2")
	a := mat.NewSymDense(dim, nil)
	rhs := mat.NewVecDense(dim, nil)
	for i := 0; i < dim; i++ {
		for j := i; j < dim; j++ {
			v := gram[i*dim+j] - sx[i]*sx[j]/n
			if i == j {
				v += l2
			}
			a.SetSym(i, j, v)
		}
		rhs.SetVec(i, xy[i]-sx[i]*sy/n)
	}
	beta := mat.NewVecDense(dim, nil)
	if dim > 0 {
		var ch mat.Cholesky
		if ok := ch.Factorize(a); !ok {
			return nil, errors.New("linear-regression: the normal equations are singular (collinear or constant columns); set l2 > 0")
		}
		if err := ch.SolveVecTo(beta, rhs); err != nil {
			return nil, fmt.Errorf("linear-regression: %w", err)
		}
	}
	b := sy / n
	for i := 0; i < dim; i++ {
		b -= beta.AtVec(i) * sx[i] / n
	}
	m := &ridge{enc: enc, coef: make([]float32, dim), intercept: float32(b)}
	for i := range m.coef {
		m.coef[i] = float32(beta.AtVec(i))
	}
	info["columns"] = dim
	return m, nil
}

func (m *ridge) predict(f *dataset.Frame) (*prediction, error) {
	d, err := m.enc.encode(f)
	if err != nil {
		return nil, err
	}
	scores := linearScores(d, [][]float32{m.coef}, []float32{m.intercept})
	p := &prediction{Value: make([]float64, d.n)}
	for i, s := range scores {
		p.Value[i] = float64(s[0])
	}
	return p, nil
}

func (m *ridge) graph() (onnxpb.Graph, error) {
	g, features := m.enc.graph()
	g.Nodes = append(g.Nodes, onnxpb.Node{
		OpType: "LinearRegressor", Domain: "ai.onnx.ml", Name: "regressor",
		Inputs: []string{features}, Outputs: []string{"value"},
		Attrs: []onnxpb.Attr{
			onnxpb.AttrFloats("coefficients", m.coef),
			onnxpb.AttrFloats("intercepts", []float32{m.intercept}),
			onnxpb.AttrInt("targets", 1),
		},
	})
	g.Outputs = append(g.Outputs, onnxpb.ValueInfo{Name: "value", ElemType: onnxpb.Float, Dims: []int64{-1, 1}})
	return g, nil
}

func (m *logistic) classList() []string { return m.classes }
