package drift

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"
)

// fixtures are values computed by numpy and scipy (testdata/make_fixtures.py).
type fixtures struct {
	Numeric []struct {
		Name            string    `json:"name"`
		Reference       []float64 `json:"reference"`
		Current         []float64 `json:"current"`
		Bins            int       `json:"bins"`
		Edges           []float64 `json:"edges"`
		ReferenceCounts []float64 `json:"referenceCounts"`
		CurrentCounts   []float64 `json:"currentCounts"`
		PSI             float64   `json:"psi"`
		JS              float64   `json:"js"`
		KSStatistic     float64   `json:"ksStatistic"`
		KSPValue        float64   `json:"ksPValue"`
		Wasserstein     float64   `json:"wasserstein"`
	} `json:"numeric"`
	Categories []struct {
		Name          string   `json:"name"`
		Reference     []string `json:"reference"`
		Current       []string `json:"current"`
		PSI           float64  `json:"psi"`
		JS            float64  `json:"js"`
		Chi2Statistic float64  `json:"chi2Statistic"`
		Chi2PValue    float64  `json:"chi2PValue"`
		Chi2Dof       int      `json:"chi2Dof"`
		Unseen        []string `json:"unseen"`
	} `json:"categories"`
	KStwo []struct {
		N  int     `json:"n"`
		X  float64 `json:"x"`
		SF float64 `json:"sf"`
	} `json:"kstwo"`
	Smirnov []struct {
		N  int     `json:"n"`
		X  float64 `json:"x"`
		SF float64 `json:"sf"`
	} `json:"smirnov"`
	Quantiles []struct {
		Name   string    `json:"name"`
		Values []float64 `json:"values"`
		P      []float64 `json:"p"`
		Q      []float64 `json:"q"`
	} `json:"quantiles"`
}

func loadFixtures(t testing.TB) *fixtures {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// near reports whether got is within tol of want, absolutely or relative
// to want.
func near(got, want, tol float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	d := math.Abs(got - want)
	return d <= tol || d <= tol*math.Abs(want)
}

func sorted(v []float64) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}

func TestQuantileMatchesNumpy(t *testing.T) {
	for _, c := range loadFixtures(t).Quantiles {
		s := sorted(c.Values)
		for i, p := range c.P {
			if got := Quantile(s, p); got != c.Q[i] && !near(got, c.Q[i], 1e-15) {
				t.Errorf("%s: Quantile(%g) = %.17g, numpy %.17g", c.Name, p, got, c.Q[i])
			}
		}
	}
}

func TestNumericStatisticsMatchScipy(t *testing.T) {
	for _, c := range loadFixtures(t).Numeric {
		t.Run(c.Name, func(t *testing.T) {
			ref, cur := sorted(c.Reference), sorted(c.Current)
			edges := Edges(ref, c.Bins)
			if !slices.Equal(edges, c.Edges) {
				t.Fatalf("edges = %v, numpy %v", edges, c.Edges)
			}
			rc, cc := BinCounts(ref, edges), BinCounts(cur, edges)
			if !slices.Equal(rc, c.ReferenceCounts) || !slices.Equal(cc, c.CurrentCounts) {
				t.Fatalf("counts = %v / %v, numpy %v / %v", rc, cc, c.ReferenceCounts, c.CurrentCounts)
			}
			for _, v := range c.Current {
				if b := BinOf(edges, v); b < 0 || b > len(edges) {
					t.Fatalf("BinOf(%g) = %d", v, b)
				}
			}
			checks := []struct {
				name      string
				got, want float64
				tol       float64
			}{
				{"psi", PSI(rc, cc), c.PSI, 1e-12},
				{"js", JS(rc, cc), c.JS, 1e-12},
				{"wasserstein", WassersteinSorted(ref, cur), c.Wasserstein, 1e-9},
			}
			d, p := KSSorted(ref, cur)
			checks = append(checks,
				struct {
					name      string
					got, want float64
					tol       float64
				}{"ks statistic", d, c.KSStatistic, 1e-9},
				struct {
					name      string
					got, want float64
					tol       float64
				}{"ks p-value", p, c.KSPValue, 1e-6})
			for _, ch := range checks {
				if !near(ch.got, ch.want, ch.tol) {
					t.Errorf("%s = %.17g, scipy %.17g", ch.name, ch.got, ch.want)
				}
			}
			// The statistics are symmetric where they should be.
			if d2, _ := KSSorted(cur, ref); d2 != d {
				t.Errorf("KS not symmetric: %g vs %g", d, d2)
			}
			if w2 := WassersteinSorted(cur, ref); !near(w2, c.Wasserstein, 1e-9) {
				t.Errorf("Wasserstein not symmetric: %g", w2)
			}
		})
	}
}

func TestCategoryStatisticsMatchScipy(t *testing.T) {
	for _, c := range loadFixtures(t).Categories {
		t.Run(c.Name, func(t *testing.T) {
			rc, cc := categoryCounts(c.Reference), categoryCounts(c.Current)
			levels := unionLevels(rc, cc)
			r, k := make([]float64, len(levels)), make([]float64, len(levels))
			for i, l := range levels {
				r[i], k[i] = float64(rc[l]), float64(cc[l])
			}
			s, p, dof := ChiSquared(r, k)
			if !near(PSI(r, k), c.PSI, 1e-12) || !near(JS(r, k), c.JS, 1e-12) {
				t.Errorf("psi, js = %g, %g; want %g, %g", PSI(r, k), JS(r, k), c.PSI, c.JS)
			}
			if !near(s, c.Chi2Statistic, 1e-9) || !near(p, c.Chi2PValue, 1e-6) || dof != c.Chi2Dof {
				t.Errorf("chi2 = %g p %g dof %d; scipy %g p %g dof %d", s, p, dof, c.Chi2Statistic, c.Chi2PValue, c.Chi2Dof)
			}
		})
	}
}

func categoryCounts(v []string) map[string]int64 {
	m := map[string]int64{}
	for _, s := range v {
		m[s]++
	}
	return m
}

func unionLevels(a, b map[string]int64) []string {
	var l []string
	for k := range a {
		l = append(l, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			l = append(l, k)
		}
	}
	slices.Sort(l)
	return l
}

func TestKolmogorovMatchesScipy(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.KStwo {
		if got := kolmogorovSF(c.N, c.X); !near(got, c.SF, 1e-9) && math.Abs(got-c.SF) > 1e-12 {
			t.Errorf("kstwo.sf(%g, %d) = %.17g, scipy %.17g", c.X, c.N, got, c.SF)
		}
	}
	for _, c := range f.Smirnov {
		if got := smirnovSF(c.N, c.X); !near(got, c.SF, 1e-9) && math.Abs(got-c.SF) > 1e-12 {
			t.Errorf("smirnov(%d, %g) = %.17g, scipy %.17g", c.N, c.X, got, c.SF)
		}
	}
}

func TestStatisticsEdgeCases(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"psi empty current", PSI([]float64{1, 2}, []float64{0, 0}), nan},
		{"psi length mismatch", PSI([]float64{1, 2}, []float64{1}), nan},
		{"psi identical", PSI([]float64{3, 7}, []float64{30, 70}), 0},
		{"js identical", JS([]float64{3, 7}, []float64{30, 70}), 0},
		{"js disjoint", JS([]float64{1, 0}, []float64{0, 1}), 1},
		{"js empty", JS(nil, nil), nan},
		{"wasserstein empty", WassersteinSorted(nil, []float64{1}), nan},
		{"wasserstein single values", WassersteinSorted([]float64{2}, []float64{5}), 3},
		{"quantile empty", Quantile(nil, 0.5), nan},
	}
	for _, tc := range tests {
		if !near(tc.got, tc.want, 1e-15) {
			t.Errorf("%s = %g, want %g", tc.name, tc.got, tc.want)
		}
	}
	if d, p := KSSorted(nil, []float64{1}); !math.IsNaN(d) || !math.IsNaN(p) {
		t.Errorf("KS on empty = %g, %g", d, p)
	}
	if d, p := KSSorted([]float64{4, 4, 4}, []float64{4, 4}); d != 0 || p != 1 {
		t.Errorf("KS on equal constants = %g, %g; want 0, 1", d, p)
	}
	if s, p, dof := ChiSquared([]float64{5}, []float64{9}); s != 0 || p != 1 || dof != 0 {
		t.Errorf("chi2 one category = %g, %g, %d", s, p, dof)
	}
	if e := Edges([]float64{7, 7, 7}, 10); !slices.Equal(e, []float64{7}) {
		t.Errorf("edges of a constant = %v, want [7]", e)
	}
}
