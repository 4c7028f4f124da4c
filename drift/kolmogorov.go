package drift

import (
	"math"
)

// This file computes the distribution of the two-sided one-sample
// Kolmogorov–Smirnov statistic D_n, which scipy's ks_2samp(method="asymp")
// evaluates at n = round(n1·n2/(n1+n2)). It follows Simard & L'Ecuyer (2011)
// region by region, as scipy.stats._ksstats._kolmogn does, so the p-values
// agree with scipy's to about 1e-10.

const (
	e128    = 128
	minLog  = -708
	sqrt2Pi = 2.5066282746310002 // sqrt(2π)
	log2Pi  = 1.8378770664093453 // log(2π)
)

var (
	ep128 = math.Ldexp(1, e128)
	em128 = math.Ldexp(1, -e128)
)

// stirling holds B_{2j}/(2j)/(2j-1) for j = 8, …, 1.
var stirling = [...]float64{
	-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2,
}

// logNFactorialOverNPowN is log(n!/n^n) by Stirling's series, with n·log(n)
// removed up front to avoid cancellation.
func logNFactorialOverNPowN(n float64) float64 {
	rn := 1 / n
	x := rn / n
	p := 0.0
	for _, c := range stirling {
		p = p*x + c
	}
	return math.Log(n)/2 - n + log2Pi/2 + rn*p
}

func clip01(p float64) float64 { return math.Min(math.Max(p, 0), 1) }

// kolmogorovSF returns P(D_n > x) for the two-sided one-sample statistic.
func kolmogorovSF(n int, x float64) float64 {
	if n <= 0 || math.IsNaN(x) {
		return math.NaN()
	}
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	nf := float64(n)
	t := nf * x
	if t <= 1 { // Ruben–Gambino: 1/2n <= x <= 1/n
		if t <= 0.5 {
			return 1
		}
		var prob float64
		if n <= 140 {
			prob = 1
			for i := 1; i <= n; i++ {
				prob *= float64(i) * (1 / nf) * (2*t - 1)
			}
		} else {
			prob = math.Exp(logNFactorialOverNPowN(nf) + nf*math.Log(2*t-1))
		}
		return clip01(1 - prob)
	}
	if t >= nf-1 { // Ruben–Gambino
		return clip01(2 * math.Pow(1-x, nf))
	}
	if x >= 0.5 {
		return clip01(2 * smirnovSF(n, x))
	}
	nx2 := t * x
	if n <= 140 {
		if nx2 <= 0.754693 {
			return clip01(1 - kolmogorovDMTW(n, x))
		}
		if nx2 <= 4 {
			return clip01(1 - kolmogorovPomeranz(n, x))
		}
		return clip01(2 * smirnovSF(n, x))
	}
	if nx2 >= 370 {
		return 0
	}
	if nx2 >= 2.2 {
		return clip01(2 * smirnovSF(n, x))
	}
	var cdf float64
	switch {
	case nx2 >= 18:
		cdf = 1
	case n <= 100000 && nf*math.Pow(x, 1.5) <= 1.4:
		cdf = kolmogorovDMTW(n, x)
	default:
		cdf = kolmogorovPelzGood(n, x)
	}
	return clip01(1 - cdf)
}

// kolmogorovDMTW is P(D_n <= d) by the Durbin matrix algorithm as
// Marsaglia, Tsang and Wang (2003) compute it.
func kolmogorovDMTW(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1

	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		v[j-1] = 1 - math.Pow(h, float64(j))
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] *= fac
	}
	tt := math.Pow(math.Max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac

	H := newMat(m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H.set(r, i, w[r-(i-1)])
		}
	}
	for r := 0; r < m; r++ {
		H.set(r, 0, v[r])
	}
	for c := 0; c < m; c++ {
		H.set(m-1, c, v[m-1-c])
	}

	pw := identity(m)
	nn := n
	expnt, hexpnt := 0, 0
	for nn > 0 {
		if nn%2 == 1 {
			pw = pw.mul(H)
			expnt += hexpnt
		}
		H = H.mul(H)
		hexpnt *= 2
		if math.Abs(H.at(k-1, k-1)) > ep128 {
			H.scale(em128)
			hexpnt += e128
		}
		nn /= 2
	}
	p := pw.at(k-1, k-1)
	nf := float64(n)
	for i := 1; i <= n; i++ {
		p = float64(i) * p / nf
		if math.Abs(p) < em128 {
			p *= ep128
			expnt -= e128
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clip01(p)
}

// mat is a small dense square matrix for kolmogorovDMTW.
type mat struct {
	n int
	a []float64
}

func newMat(n int) *mat                { return &mat{n: n, a: make([]float64, n*n)} }
func (m *mat) at(i, j int) float64     { return m.a[i*m.n+j] }
func (m *mat) set(i, j int, v float64) { m.a[i*m.n+j] = v }
func (m *mat) scale(s float64) {
	for i := range m.a {
		m.a[i] *= s
	}
}

func identity(n int) *mat {
	m := newMat(n)
	for i := 0; i < n; i++ {
		m.set(i, i, 1)
	}
	return m
}

func (m *mat) mul(b *mat) *mat {
	n := m.n
	out := newMat(n)
	for i := 0; i < n; i++ {
		row := out.a[i*n : (i+1)*n]
		for k := 0; k < n; k++ {
			x := m.a[i*n+k]
			if x == 0 {
				continue
			}
			brow := b.a[k*n : (k+1)*n]
			for j, y := range brow {
				row[j] += x * y
			}
		}
	}
	return out
}

func pomeranzJ1J2(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		ip1div2, ip1mod2 := (i+1)/2, (i+1)%2
		if ip1mod2 == 0 {
			if ip1div2 == n+1 {
				j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
			} else {
				j1, j2 = ip1div2-1-ll-roundf-1, ip1div2+ll-1+ceilf-1
			}
		} else {
			j1, j2 = ip1div2-1-ll-1, ip1div2+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// kolmogorovPomeranz is P(D_n <= x) by Pomeranz's (1974) recursion.
func kolmogorovPomeranz(n int, x float64) float64 {
	nf := float64(n)
	t := nf * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := math.Min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gpower := make([]float64, npwrs)
	twogpower := make([]float64, npwrs)
	onem2gpower := make([]float64, npwrs)
	gpower[0], twogpower[0], onem2gpower[0] = 1, 1, 1
	expnt := 0
	gn, twogn, onem2gn := g/nf, 2*g/nf, (1-2*g)/nf
	for m := 1; m < npwrs; m++ {
		gpower[m] = gpower[m-1] * gn / float64(m)
		twogpower[m] = twogpower[m-1] * twogn / float64(m)
		onem2gpower[m] = onem2gpower[m-1] * onem2gn / float64(m)
	}
	V0 := make([]float64, npwrs)
	V1 := make([]float64, npwrs)
	V1[0] = 1
	V0s, V1s := 0, 0
	j1, j2 := pomeranzJ1J2(0, n, ll, ceilf, roundf)
	conv := make([]float64, 2*npwrs)
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		V0, V1 = V1, V0
		V0s, V1s = V1s, V0s
		clear(V1)
		j1, j2 = pomeranzJ1J2(i, n, ll, ceilf, roundf)
		var pwrs []float64
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gpower
		case i%2 == 1:
			pwrs = twogpower
		default:
			pwrs = onem2gpower
		}
		ln2 := j2 - k1 + 1
		if ln2 > 0 {
			a := V0[k1-V0s : k1-V0s+ln2]
			b := pwrs[:ln2]
			c := conv[:len(a)+len(b)-1]
			clear(c)
			for p, av := range a {
				for q, bv := range b {
					c[p+q] += av * bv
				}
			}
			start := j1 - k1
			length := j2 - j1 + 1
			copy(V1[:length], c[start:start+length])
			mx := 0.0
			for _, v := range V1 {
				mx = math.Max(mx, v)
			}
			if mx > 0 && mx < em128 {
				for j := range V1 {
					V1[j] *= ep128
				}
				expnt -= e128
			}
			V1s = V0s + j1 - k1
		}
	}
	ans := V1[n-V1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > ep128 {
			ans *= em128
			expnt += e128
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return clip01(ans)
}

// kolmogorovPelzGood is the Pelz–Good (1976) approximation of P(D_n <= x).
func kolmogorovPelzGood(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	nf := float64(n)
	z := math.Sqrt(nf) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)
	const pi2 = math.Pi * math.Pi
	const pi4 = pi2 * pi2
	const pi6 = pi4 * pi2
	qlog := -pi2 / 8 / z2
	if qlog < minLog {
		return 0
	}
	q := math.Exp(qlog)
	k1a := -z2
	k1b := pi2 / 4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)

	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2, m4, m6 := m*m, m*m*m*m, math.Pow(m, 6)
		qp := math.Pow(q, float64(8*k))
		c := [4]float64{1, k1a + k1b*m2, k2a + k2b*m2 + k2c*m4, k3a + k3b*m2 + k3c*m4 + k3d*m6}
		for i := range K {
			K[i] = K[i]*qp + c[i]
		}
	}
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * sqrt2Pi / div[i]
	}
	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		kf := float64(k)
		ksq := kf * kf
		qp := math.Pow(q, ksq)
		k2extra += ksq * qp
		kspi := math.Pi * kf
		k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp
	}
	K[2] += k2extra * pi2 * sqrt2Pi / (-36 * z3)
	K[3] += k3extra * pi2 * sqrt2Pi / (216 * z6)
	sum := 0.0
	for i := range K {
		sum += K[i] / math.Pow(nf, float64(i)/2)
	}
	return sum
}

// smirnovSF is the one-sided one-sample statistic's survival function
// P(D_n^+ >= x), by the Birnbaum–Tingey sum evaluated in log space, and by
// Miller's approximation beyond a million observations (as scipy's
// special.smirnov does).
func smirnovSF(n int, x float64) float64 {
	switch {
	case n <= 0 || math.IsNaN(x) || x < 0 || x > 1:
		return math.NaN()
	case n == 1:
		return 1 - x
	case x == 0:
		return 1
	case x == 1:
		return 0
	}
	nf := float64(n)
	if n > 1000000 {
		return math.Exp(-math.Pow(6*nf*x+1, 2) / 18 / nf)
	}
	alpha := 1 - x
	upper := int(math.Floor(nf * alpha))
	lgn, _ := math.Lgamma(nf + 1)
	// Terms are summed relative to the largest, which keeps the sum
	// accurate over hundreds of thousands of terms. The log-terms rise to
	// one peak and fall; once past it and 50 nats below it, the rest cannot
	// change the sum in double precision.
	logs := make([]float64, 0, 64)
	best := math.Inf(-1)
	var lc float64 // log C(n, j), stepped by ratios and re-anchored on lgamma
	for j := 0; j <= upper; j++ {
		jf := float64(j)
		if j%32 == 0 {
			lj, _ := math.Lgamma(jf + 1)
			lnj, _ := math.Lgamma(nf - jf + 1)
			lc = lgn - lj - lnj
		} else {
			lc += math.Log((nf - jf + 1) / jf)
		}
		rest := alpha - jf/nf
		if rest <= 0 {
			if n-j > 0 {
				continue
			}
			rest = 1
		}
		l := lc + (jf-1)*math.Log(x+jf/nf) + (nf-jf)*math.Log(rest)
		logs = append(logs, l)
		best = math.Max(best, l)
		if l < best-40 && len(logs) > 1 && l < logs[len(logs)-2] {
			break
		}
	}
	sum := 0.0
	for _, l := range logs {
		if l-best > -745 {
			sum += math.Exp(l - best)
		}
	}
	return clip01(x * sum * math.Exp(best))
}
