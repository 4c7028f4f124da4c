package train

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

// newtonLimit bounds the parameters for which binary logistic regression uses
// Newton's method: its dense Hessian is (dim+1)² per chunk and one Cholesky per
// iteration. Larger problems use L-BFGS.
const newtonLimit = 2048

// hessChunks bounds the per-chunk Hessians merged in order (memory over speed).
const hessChunks = 4

// evaluateHessian computes the objective, its gradient and the Hessian of the
// binary model at x: Σ p(1-p)·x xᵀ / n + λ on the weights (not the intercept).
// The Hessian's upper triangle is filled.
func (o *logObjective) evaluateHessian(x []float64) (f float64, g []float64, h *mat.SymDense) {
	d, st := o.d, o.stride()
	k := nChunks(d.n, 65536)
	if k > hessChunks {
		k = hessChunks
	}
	hs := make([][]float64, k)
	gs := make([][]float64, k)
	ls := make([]float64, k)
	for c := range hs {
		hs[c] = make([]float64, st*st)
		gs[c] = make([]float64, st)
	}
	parallel(k, d.n, func(c, lo, hi int) {
		hc, gc := hs[c], gs[c]
		idx := make([]int, 0, d.nNum+d.nCat+1)
		val := make([]float64, 0, d.nNum+d.nCat+1)
		var loss float64
		for i := lo; i < hi; i++ {
			idx, val = idx[:0], val[:0]
			s := x[o.dim]
			for j := 0; j < d.nNum; j++ {
				v := d.num[i*d.nNum+j]
				s += x[j] * v
				idx = append(idx, j)
				val = append(val, v)
			}
			for _, col := range d.cat[i*d.nCat : (i+1)*d.nCat] {
				if col >= 0 {
					s += x[col]
					idx = append(idx, int(col))
					val = append(val, 1)
				}
			}
			idx = append(idx, o.dim)
			val = append(val, 1)
			y := o.y[i]
			e := math.Exp(-math.Abs(s))
			loss += math.Max(s, 0) + math.Log1p(e) - y*s
			p := 1 / (1 + e)
			if s < 0 {
				p = e / (1 + e)
			}
			r, w := p-y, p*(1-p)
			for a, ia := range idx {
				gc[ia] += r * val[a]
				row := hc[ia*st:]
				wa := w * val[a]
				for b := a; b < len(idx); b++ {
					row[idx[b]] += wa * val[b]
				}
			}
		}
		ls[c] = loss
	})
	n := float64(d.n)
	g = make([]float64, st)
	h = mat.NewSymDense(st, nil)
	var pen float64
	for c := 0; c < k; c++ {
		f += ls[c]
		for j, v := range gs[c] {
			g[j] += v
		}
	}
	hsum := hs[0]
	for c := 1; c < k; c++ {
		for j, v := range hs[c] {
			hsum[j] += v
		}
	}
	for i := 0; i < st; i++ {
		for j := i; j < st; j++ {
			v := hsum[i*st+j] / n
			if i == j && i != o.dim {
				v += o.lambda
			}
			h.SetSym(i, j, v)
		}
		g[i] /= n
		if i != o.dim {
			g[i] += o.lambda * x[i]
			pen += x[i] * x[i]
		}
	}
	return f/n + o.lambda/2*pen, g, h
}

// newton minimises the binary objective with damped Newton steps (Armijo
// backtracking). It stops when the gradient's largest component is below tol.
func (o *logObjective) newton(maxIter int, tol float64) (x []float64, iters int, gnorm float64, converged bool, err error) {
	st := o.stride()
	x = make([]float64, st)
	f, g, h := o.evaluateHessian(x)
	o.evals++
	step := mat.NewVecDense(st, nil)
	for iters = 0; ; iters++ {
		gnorm = 0
		for _, v := range g {
			gnorm = math.Max(gnorm, math.Abs(v))
		}
		if gnorm < tol {
			return x, iters, gnorm, true, nil
		}
		if iters >= maxIter {
			return x, iters, gnorm, false, nil
		}
		if err := o.ctx.Err(); err != nil {
			return nil, iters, gnorm, false, err
		}
		var ch mat.Cholesky
		if !ch.Factorize(h) {
			return nil, iters, gnorm, false, errors.New("the Hessian is not positive definite")
		}
		if err := ch.SolveVecTo(step, mat.NewVecDense(st, g)); err != nil {
			return nil, iters, gnorm, false, err
		}
		var slope float64 // gᵀ·step, the decrease rate along -step
		for j := range g {
			slope += g[j] * step.AtVec(j)
		}
		t := 1.0
		for {
			xn := make([]float64, st)
			for j := range xn {
				xn[j] = x[j] - t*step.AtVec(j)
			}
			fn, gn, hn := o.evaluateHessian(xn)
			o.evals++
			if fn <= f-1e-4*t*slope || t < 1e-10 {
				x, f, g, h = xn, fn, gn, hn
				break
			}
			t /= 2
		}
	}
}
