package drift

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

// num builds a Number column; NaN values are nulls, as readers make them.
func num(name string, vals ...float64) *dataset.Column {
	c := &dataset.Column{Name: name, Type: dataset.Number, Floats: vals}
	for i, v := range vals {
		if math.IsNaN(v) {
			if c.Null == nil {
				c.Null = make([]bool, len(vals))
			}
			c.Null[i] = true
		}
	}
	return c
}

// cat builds a Category column; "" is a null.
func cat(name string, vals ...string) *dataset.Column {
	c := &dataset.Column{Name: name, Type: dataset.Category, Codes: make([]int32, len(vals))}
	idx := map[string]int32{}
	for i, v := range vals {
		if v == "" {
			c.Codes[i] = -1
			if c.Null == nil {
				c.Null = make([]bool, len(vals))
			}
			c.Null[i] = true
			continue
		}
		k, ok := idx[v]
		if !ok {
			k = int32(len(c.Levels))
			idx[v] = k
			c.Levels = append(c.Levels, v)
		}
		c.Codes[i] = k
	}
	return c
}

func frame(cols ...*dataset.Column) *dataset.Frame {
	f := &dataset.Frame{Columns: cols}
	if len(cols) > 0 {
		f.Rows = cols[0].Len()
	}
	return f
}

func TestCompareFramesMatchesScipy(t *testing.T) {
	fx := loadFixtures(t)
	for _, c := range fx.Numeric {
		t.Run(c.Name, func(t *testing.T) {
			r, err := CompareFrames(frame(num("x", c.Reference...)), frame(num("x", c.Current...)),
				Config{Profile: ProfileOptions{Bins: c.Bins}})
			if err != nil {
				t.Fatal(err)
			}
			f := r.Features[0]
			if !near(float64(f.PSI), c.PSI, 1e-12) || !near(float64(f.JS), c.JS, 1e-12) ||
				!near(float64(f.KS.Statistic), c.KSStatistic, 1e-9) || !near(float64(f.KS.PValue), c.KSPValue, 1e-6) ||
				!near(float64(*f.Wasserstein), c.Wasserstein, 1e-9) {
				t.Errorf("got psi %g js %g ks %g p %g w %g; scipy %g %g %g %g %g", f.PSI, f.JS, f.KS.Statistic, f.KS.PValue,
					*f.Wasserstein, c.PSI, c.JS, c.KSStatistic, c.KSPValue, c.Wasserstein)
			}
			if want := c.PSI > DefaultPSIThreshold; f.Drift != want || f.Test != spec.TestPSI || f.Threshold != DefaultPSIThreshold {
				t.Errorf("drift %v with %s at %g; want %v with psi at 0.2", f.Drift, f.Test, f.Threshold, want)
			}
		})
	}
	for _, c := range fx.Categories {
		t.Run(c.Name, func(t *testing.T) {
			r, err := CompareFrames(frame(cat("x", c.Reference...)), frame(cat("x", c.Current...)),
				Config{Default: Test{Name: spec.TestChi2}})
			if err != nil {
				t.Fatal(err)
			}
			f := r.Features[0]
			if !near(float64(f.PSI), c.PSI, 1e-12) || !near(float64(f.JS), c.JS, 1e-12) ||
				!near(float64(f.Chi2.Statistic), c.Chi2Statistic, 1e-9) || !near(float64(f.Chi2.PValue), c.Chi2PValue, 1e-6) {
				t.Errorf("got psi %g js %g chi2 %g p %g; scipy %g %g %g %g", f.PSI, f.JS, f.Chi2.Statistic, f.Chi2.PValue,
					c.PSI, c.JS, c.Chi2Statistic, c.Chi2PValue)
			}
			if f.KS != nil || f.Wasserstein != nil {
				t.Error("a category feature has KS or Wasserstein")
			}
			if !slices.Equal(f.Unseen, c.Unseen) && len(f.Unseen)+len(c.Unseen) > 0 {
				t.Errorf("unseen = %v, want %v", f.Unseen, c.Unseen)
			}
			if want := c.Chi2PValue < DefaultPValue; f.Drift != want {
				t.Errorf("drift = %v, want %v (p %g)", f.Drift, want, c.Chi2PValue)
			}
		})
	}
}

func TestCompareEdgeCases(t *testing.T) {
	nan := math.NaN()
	inf := math.Inf(1)
	tests := []struct {
		name      string
		ref, cur  *dataset.Frame
		test      string
		drift     bool
		defined   bool // PSI is a number
		note      string
		nullsCur  int
		checkJSON bool
	}{
		{name: "empty current window", ref: frame(num("x", 1, 2, 3, 4)), cur: frame(num("x")),
			note: "current data has no values (0 nulls)", checkJSON: true},
		{name: "all-null current", ref: frame(num("x", 1, 2, 3, 4)), cur: frame(num("x", nan, nan)),
			note: "current data has no values (2 nulls)", nullsCur: 2},
		{name: "all-null reference", ref: frame(num("x", nan, nan, nan)), cur: frame(num("x", 1, 2)),
			note: "reference has no values (3 nulls)"},
		{name: "empty reference", ref: frame(num("x")), cur: frame(num("x", 1, 2)),
			note: "reference has no values (0 nulls)"},
		{name: "single-valued reference", ref: frame(num("x", 5, 5, 5, 5)), cur: frame(num("x", 5, 6, 7, 8)),
			defined: true, drift: true, note: "reference holds a single value 5"},
		{name: "single-valued both", ref: frame(num("x", 5, 5, 5)), cur: frame(num("x", 5, 5)),
			defined: true, note: "current data holds a single value 5"},
		{name: "NaN is null", ref: frame(num("x", 1, 2, nan, 3, 4)), cur: frame(num("x", 1, nan, 2, 3, 4, nan)),
			defined: true, nullsCur: 2},
		{name: "infinities left out", ref: frame(num("x", 1, 2, 3, 4)), cur: frame(num("x", 1, 2, inf, 3, 4)),
			defined: true, note: "1 infinite values in the current data left out"},
		{name: "missing column", ref: frame(num("x", 1, 2, 3)), cur: frame(num("y", 1, 2, 3)),
			drift: true, note: "missing from the current data"},
		{name: "type changed", ref: frame(num("x", 1, 2, 3)), cur: frame(cat("x", "a", "b")),
			drift: true, note: "type changed from number in the reference to category"},
		{name: "all-null categories", ref: frame(cat("x", "a", "b")), cur: frame(cat("x", "", "", "")),
			note: "current data has no values (3 nulls)", nullsCur: 3, checkJSON: true},
		{name: "single category", ref: frame(cat("x", "a", "a")), cur: frame(cat("x", "a", "b")),
			defined: true, drift: true, note: "reference holds a single category"},
		{name: "ks on a category uses chi2", ref: frame(cat("x", "a", "b", "a")), cur: frame(cat("x", "a", "b")),
			test: spec.TestKS, defined: true, note: "ks does not apply to a category feature; used chi2"},
		{name: "chi2 on a number uses ks", ref: frame(num("x", 1, 2, 3)), cur: frame(num("x", 1, 2)),
			test: spec.TestChi2, defined: true, note: "chi2 does not apply to a number feature; used ks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := CompareFrames(tc.ref, tc.cur, Config{Default: Test{Name: tc.test}})
			if err != nil {
				t.Fatal(err)
			}
			f := r.Features[0]
			if f.Drift != tc.drift {
				t.Errorf("drift = %v, want %v", f.Drift, tc.drift)
			}
			if r.Drifted != map[bool]int{true: 1, false: 0}[tc.drift] {
				t.Errorf("drifted = %d", r.Drifted)
			}
			if defined := !math.IsNaN(float64(f.PSI)); defined != tc.defined {
				t.Errorf("psi = %g, defined %v, want %v", f.PSI, defined, tc.defined)
			}
			if tc.note != "" && !slices.ContainsFunc(f.Notes, func(n string) bool { return strings.Contains(n, tc.note) }) {
				t.Errorf("notes %q lack %q", f.Notes, tc.note)
			}
			if f.Nulls.Current != tc.nullsCur {
				t.Errorf("current nulls = %d, want %d", f.Nulls.Current, tc.nullsCur)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if tc.checkJSON && !bytes.Contains(b, []byte(`"psi":null`)) {
				t.Errorf("undefined psi not null in %s", b)
			}
		})
	}
}

func TestNaNIsLeftOutOfTheStatistics(t *testing.T) {
	clean, err := CompareFrames(frame(num("x", 1, 2, 3, 4, 5, 6)), frame(num("x", 2, 3, 4, 9)), Config{})
	if err != nil {
		t.Fatal(err)
	}
	dirty, err := CompareFrames(frame(num("x", 1, math.NaN(), 2, 3, 4, 5, 6)), frame(num("x", 2, 3, math.NaN(), 4, 9)), Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := clean.Features[0], dirty.Features[0]
	if a.PSI != b.PSI || a.JS != b.JS || *a.KS != *b.KS || *a.Wasserstein != *b.Wasserstein {
		t.Errorf("NaN changed the statistics: %+v vs %+v", a, b)
	}
}

func TestProfileIsDeterministicAndRoundTrips(t *testing.T) {
	vals := make([]float64, 5000)
	levels := make([]string, 5000)
	for i := range vals {
		vals[i] = math.Mod(float64(i)*7.31, 101)
		levels[i] = string(rune('a' + i%7))
	}
	f := frame(num("x", vals...), cat("c", levels...), num("score", vals...))
	opts := ProfileOptions{SampleSize: 300, Prediction: "score"}
	p1, err := BuildProfile(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := BuildProfile(f, ProfileOptions{SampleSize: 300, Prediction: "score", Workers: 1})
	b1, _ := p1.Marshal()
	b2, _ := p2.Marshal()
	if !bytes.Equal(b1, b2) {
		t.Fatal("the same frame gave different profile bytes")
	}
	x := p1.Feature("x")
	if len(x.Sample) != 300 || !slices.IsSorted(x.Sample) {
		t.Errorf("sample: %d values, sorted %v; want 300 sorted", len(x.Sample), slices.IsSorted(x.Sample))
	}
	for _, v := range x.Sample {
		if !slices.Contains(vals, v) {
			t.Fatalf("sample value %g is not in the data", v)
		}
	}
	if p1.Prediction == nil || p1.Prediction.Name != "score" || p1.Feature("score") != nil {
		t.Errorf("prediction not profiled apart from the features")
	}
	p3, _ := BuildProfile(f, ProfileOptions{SampleSize: 300, Seed: 7})
	if slices.Equal(p3.Feature("x").Sample, x.Sample) {
		t.Error("another seed gave the same sample")
	}
	back, err := UnmarshalProfile(b1)
	if err != nil {
		t.Fatal(err)
	}
	if b3, _ := back.Marshal(); !bytes.Equal(b1, b3) {
		t.Error("profile bytes changed through a round trip")
	}
	cur := frame(num("x", vals[:2000]...), cat("c", levels[1000:]...), num("score", vals[100:]...))
	r1, err := Compare(p1, cur, Config{})
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := Compare(back, cur, Config{})
	j1, _ := json.Marshal(r1)
	j2, _ := json.Marshal(r2)
	if !bytes.Equal(j1, j2) {
		t.Errorf("a stored profile compares differently:\n%s\n%s", j1, j2)
	}
	if r1.Prediction == nil || r1.Prediction.Test != spec.TestJS {
		t.Errorf("prediction drift missing or not js: %+v", r1.Prediction)
	}
	if len(r1.Notes) == 0 || !strings.Contains(r1.Notes[0], "sample of at most 300") {
		t.Errorf("notes %q do not mention the sample", r1.Notes)
	}
	r3, _ := Compare(p1, frame(num("x", vals...)), Config{})
	if r3.Prediction != nil || !slices.ContainsFunc(r3.Notes, func(n string) bool { return strings.Contains(n, `no column "score"`) }) {
		t.Errorf("a current frame without the prediction: %+v, notes %q", r3.Prediction, r3.Notes)
	}
	if _, err := UnmarshalProfile([]byte(`{"version": 99}`)); err == nil {
		t.Error("a future profile version was accepted")
	}
}

func TestThresholdsAndSeverity(t *testing.T) {
	ref := frame(num("a", seq(0, 1000)...), num("b", seq(0, 1000)...))
	cur := frame(num("a", seq(0, 1000)...), num("b", seq(300, 1300)...))
	tests := []struct {
		cfg       Config
		test      string
		threshold float64
		drift     [2]bool
	}{
		{Config{}, spec.TestPSI, 0.2, [2]bool{false, true}},
		{Config{Default: Test{Name: spec.TestJS}}, spec.TestJS, 0.1, [2]bool{false, true}},
		{Config{Default: Test{Name: spec.TestKS}}, spec.TestKS, 0.01, [2]bool{false, true}},
		{Config{Default: Test{Name: spec.TestKS, Threshold: 1e-300}}, spec.TestKS, 1e-300, [2]bool{false, false}},
		{Config{Default: Test{Name: spec.TestWasserstein, Threshold: 500}}, spec.TestWasserstein, 500, [2]bool{false, false}},
		{Config{Default: Test{Name: spec.TestWasserstein}}, spec.TestWasserstein, 0.1 * 288.6749902572095, [2]bool{false, true}},
		{Config{Overrides: map[string]Test{"b": {Name: spec.TestPSI, Threshold: 100}}}, spec.TestPSI, 0.2, [2]bool{false, false}},
	}
	for _, tc := range tests {
		r, err := CompareFrames(ref, cur, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		a, b := r.Features[0], r.Features[1]
		if a.Test != tc.test || !near(a.Threshold, tc.threshold, 1e-9) || a.Drift != tc.drift[0] || b.Drift != tc.drift[1] {
			t.Errorf("%+v: a %s %g drift %v, b drift %v; want %s %g %v", tc.cfg, a.Test, a.Threshold, a.Drift, b.Drift, tc.test, tc.threshold, tc.drift)
		}
		if b.Drift && !(b.Severity > 1) || !b.Drift && b.Severity > 1 || a.Severity > b.Severity {
			t.Errorf("%+v: severities a %g b %g do not follow the verdicts", tc.cfg, a.Severity, b.Severity)
		}
	}
	for _, bad := range []Config{
		{Default: Test{Name: "t-test"}},
		{Default: Test{Name: spec.TestKS, Threshold: 2}},
		{Default: Test{Name: spec.TestPSI, Threshold: -1}},
		{Features: []string{"nope"}},
	} {
		if _, err := CompareFrames(ref, cur, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func seq(lo, hi int) []float64 {
	v := make([]float64, 0, hi-lo)
	for i := lo; i < hi; i++ {
		v = append(v, float64(i))
	}
	return v
}

func TestSelectFeatures(t *testing.T) {
	ids := make([]string, 30)
	nums := make([]float64, 30)
	epoch := make([]float64, 30)
	repeats := make([]string, 30)
	epochRepeats := make([]float64, 30)
	for i := range ids {
		ids[i] = "id-" + string(rune('A'+i))
		nums[i] = float64(1000 + i)
		epoch[i] = 978307200 + float64(i)*3600
		repeats[i] = string(rune('a' + i%3))
		epochRepeats[i] = 978307200 + float64(i%10)*3600
	}
	stamp := num("date", epoch...)
	stamp.Time = true
	f := frame(cat("request", ids...), num("row", nums...), stamp, num("created_at", epoch...),
		cat("origin", repeats...), num("distance", seq(0, 30)...), num("epochish", epochRepeats...))
	got, notes, err := SelectFeatures(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	// distance is unique per row but 0..29 are integers: it is left out as
	// an identifier too; a measurement would have fractions or repeats.
	want := []string{"origin", "epochish"}
	if !slices.Equal(got, want) {
		t.Errorf("features = %v, want %v (notes %q)", got, want, notes)
	}
	if len(notes) != 5 {
		t.Errorf("notes = %q, want one per left-out column", notes)
	}
	for _, n := range notes {
		if !strings.Contains(n, "left out") {
			t.Errorf("note %q", n)
		}
	}
	named, notes, err := SelectFeatures(f, []string{"date", "request"})
	if err != nil || !slices.Equal(named, []string{"date", "request"}) || len(notes) != 0 {
		t.Errorf("named columns: %v %q %v", named, notes, err)
	}
	if _, _, err := SelectFeatures(f, []string{"nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown column: %v", err)
	}
}

func TestConfigFromMonitor(t *testing.T) {
	th, pv, js := 0.3, 0.05, 0.1
	m := spec.MonitorSpec{
		Features: spec.FeatureTests{
			Default:   spec.DriftTest{Test: spec.TestPSI, Threshold: &th},
			Overrides: map[string]spec.DriftTest{"distance": {Test: spec.TestKS, PValue: &pv}},
		},
		Prediction: &spec.DriftTest{Test: spec.TestJS, Threshold: &js},
	}
	c := ConfigFromMonitor(m)
	if c.Default != (Test{"psi", 0.3}) || c.Overrides["distance"] != (Test{"ks", 0.05}) || c.Prediction != (Test{"js", 0.1}) {
		t.Errorf("config = %+v", c)
	}
	if got := c.testFor("distance"); got.Name != "ks" {
		t.Errorf("distance takes %v", got)
	}
	if got := c.testFor("delay"); got.Name != "psi" {
		t.Errorf("delay takes %v", got)
	}
}

// A current frame with no rows and no columns (an empty prediction log) is no
// traffic, not features gone missing; a column missing from rows that exist
// still drifts.
func TestCompareNoRowsNoColumns(t *testing.T) {
	ref := frame(num("x", 1, 2, 3, 4), cat("c", "a", "b", "a", "b"))
	for _, tc := range []struct {
		cur     *dataset.Frame
		drifted int
	}{
		{&dataset.Frame{}, 0},
		{frame(num("x", 1, 2, 3, 4)), 1},
	} {
		r, err := CompareFrames(ref, tc.cur, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Drifted != tc.drifted {
			t.Errorf("%d rows, %d columns: %d drifted, want %d", tc.cur.Rows, len(tc.cur.Columns), r.Drifted, tc.drifted)
		}
	}
}
