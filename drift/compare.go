package drift

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

// Default thresholds per test. PSI, JS and Wasserstein flag drift when the
// statistic exceeds the threshold; KS and chi-squared when the p-value falls
// below it. Wasserstein's default is relative: a tenth of the reference's
// standard deviation, reported in the feature's own units.
const (
	DefaultPSIThreshold     = 0.2
	DefaultJSThreshold      = 0.1
	DefaultPValue           = 0.01
	DefaultWassersteinRatio = 0.1
)

// maxUnseen bounds the unseen category names listed per feature.
const maxUnseen = 50

// maxCategoryBins bounds the category bins kept for plots; the rest are
// summed into one "(other)" bin.
const maxCategoryBins = 20

// Test is a drift test and its threshold (zero means the test's default).
type Test struct {
	Name      string  `json:"test"`
	Threshold float64 `json:"threshold,omitempty"`
}

// TestFromSpec converts a Monitor's DriftTest: Threshold, else PValue.
func TestFromSpec(t spec.DriftTest) Test {
	out := Test{Name: t.Test}
	switch {
	case t.Threshold != nil:
		out.Threshold = *t.Threshold
	case t.PValue != nil:
		out.Threshold = *t.PValue
	}
	return out
}

// IsPValue reports whether the test's threshold is a p-value.
func (t Test) IsPValue() bool { return t.Name == spec.TestKS || t.Name == spec.TestChi2 }

func (t Test) validate() error {
	switch t.Name {
	case "", spec.TestPSI, spec.TestJS, spec.TestKS, spec.TestWasserstein, spec.TestChi2:
	default:
		return fmt.Errorf("unknown drift test %q (want psi, js, ks, wasserstein, chi2)", t.Name)
	}
	if t.Threshold < 0 || math.IsNaN(t.Threshold) || math.IsInf(t.Threshold, 0) {
		return fmt.Errorf("drift test %s: threshold %g is not a non-negative number", t.Name, t.Threshold)
	}
	if t.IsPValue() && t.Threshold > 1 {
		return fmt.Errorf("drift test %s: threshold %g is a p-value and must be at most 1", t.Name, t.Threshold)
	}
	return nil
}

// Config says which features to compare and how. The zero value compares
// every profiled feature with PSI at 0.2.
type Config struct {
	// Features restricts the comparison to these profiled features.
	Features []string
	// Default is the test for features without an override (default psi).
	Default Test
	// Overrides sets the test of single features.
	Overrides map[string]Test
	// Prediction is the test on the model's output when the profile has one
	// and the current frame holds its column (default js).
	Prediction Test
	// Profile options for CompareFrames, which profiles the reference first.
	Profile ProfileOptions
	// Workers compare features in parallel (default GOMAXPROCS).
	Workers int
}

// Validate reports a test name or threshold that Compare would refuse.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

func (c Config) withDefaults() (Config, error) {
	if c.Default.Name == "" {
		c.Default.Name = spec.TestPSI
	}
	if c.Prediction.Name == "" {
		c.Prediction.Name = spec.TestJS
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if err := c.Default.validate(); err != nil {
		return c, err
	}
	if err := c.Prediction.validate(); err != nil {
		return c, err
	}
	for name, t := range c.Overrides {
		if err := t.validate(); err != nil {
			return c, fmt.Errorf("feature %s: %w", name, err)
		}
	}
	return c, nil
}

func (c Config) testFor(name string) Test {
	if t, ok := c.Overrides[name]; ok && t.Name != "" {
		return t
	}
	return c.Default
}

// CompareFrames profiles ref with cfg.Profile (every value is kept when
// cfg.Profile.SampleSize is zero, so the statistics are exact) and compares
// cur against it.
func CompareFrames(ref, cur *dataset.Frame, cfg Config) (*Report, error) {
	po := cfg.Profile
	if po.SampleSize == 0 {
		po.SampleSize = -1
	}
	if len(po.Features) == 0 {
		po.Features = cfg.Features
	}
	if po.Workers == 0 {
		po.Workers = cfg.Workers
	}
	p, err := BuildProfile(ref, po)
	if err != nil {
		return nil, err
	}
	return Compare(p, cur, cfg)
}

// Compare computes every statistic of each feature of the profile (or of
// cfg.Features) on the current frame and decides drift with the feature's
// test. Problems of the data — a missing column, a changed type, no values —
// give a defined result with a note, never an error; errors are for a bad
// Config only.
func Compare(p *Profile, cur *dataset.Frame, cfg Config) (*Report, error) {
	if p == nil || cur == nil {
		return nil, fmt.Errorf("compare: missing profile or current frame")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	feats := p.Features
	if len(cfg.Features) > 0 {
		feats = make([]*FeatureProfile, len(cfg.Features))
		for i, n := range cfg.Features {
			if feats[i] = p.Feature(n); feats[i] == nil {
				return nil, fmt.Errorf("compare: feature %q is not in the reference profile", n)
			}
		}
	}
	r := &Report{
		Reference: Side{Rows: p.Rows},
		Current:   Side{Rows: cur.Rows},
		Features:  make([]*FeatureResult, len(feats)),
	}
	jobs := slices.Clone(feats)
	if pr := p.Prediction; pr != nil {
		if cur.Col(pr.Name) != nil {
			jobs = append(jobs, pr)
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("no prediction drift: the current data has no column %q", pr.Name))
		}
	}
	results := make([]*FeatureResult, len(jobs))
	parallel(len(jobs), cfg.Workers, func(i int, buf *[]float64) {
		t := cfg.testFor(jobs[i].Name)
		if i >= len(feats) {
			t = cfg.Prediction
		}
		results[i] = compareFeature(jobs[i], cur.Col(jobs[i].Name), cur.Rows, t, buf)
	})
	copy(r.Features, results)
	if len(results) > len(feats) {
		r.Prediction = results[len(feats)]
	}
	for _, f := range r.Features {
		if f.Drift {
			r.Drifted++
		}
	}
	sampled := false
	for _, f := range feats {
		if f.Type == TypeNumber && len(f.Sample) < f.Values {
			sampled = true
		}
	}
	if sampled {
		r.Notes = append(r.Notes, fmt.Sprintf("KS and Wasserstein use a seeded sample of at most %d reference values per feature", p.SampleSize))
	}
	return r, nil
}

func compareFeature(fp *FeatureProfile, c *dataset.Column, rows int, t Test, buf *[]float64) *FeatureResult {
	fr := &FeatureResult{
		Name: fp.Name, Type: fp.Type,
		PSI: NaN(), JS: NaN(),
		Nulls: Nulls{Reference: fp.Nulls},
	}
	if fp.Type == TypeNumber {
		fr.KS = &PTest{Statistic: NaN(), PValue: NaN()}
		w := NaN()
		fr.Wasserstein = &w
	} else {
		fr.Chi2 = &PTest{Statistic: NaN(), PValue: NaN()}
	}
	fr.Test, fr.Threshold = resolveTest(fp, t, fr)
	if c != nil && fp.Type == TypeCategory && c.Type == dataset.Number {
		// A reader inferred numbers where the reference held labels ("1",
		// "2"): compare the text.
		c = asCategory(c)
		fr.note("current values are numbers; compared with the reference's categories as text")
	}
	switch {
	case c == nil && rows == 0:
		// No rows at all (an empty prediction log has no columns either):
		// no traffic, not a feature gone missing.
		fr.note("the current data has no rows")
		return fr
	case c == nil:
		fr.note("missing from the current data")
		fr.Drift, fr.Severity = true, maxSeverity
		return fr
	case typeName(c) != fp.Type:
		fr.note(fmt.Sprintf("type changed from %s in the reference to %s", fp.Type, typeName(c)))
		fr.Drift, fr.Severity = true, maxSeverity
		return fr
	case fp.Type == TypeNumber:
		compareNumber(fp, c, fr, buf)
	default:
		compareCategory(fp, c, fr)
	}
	fr.decide()
	return fr
}

// maxSeverity stands for "as bad as it gets": a missing or retyped column, a
// p-value of zero.
const maxSeverity = 1000

func typeName(c *dataset.Column) string {
	if c.Type == dataset.Category {
		return TypeCategory
	}
	return TypeNumber
}

// resolveTest picks the test a feature of this type can take and its
// threshold, noting any substitution.
func resolveTest(fp *FeatureProfile, t Test, fr *FeatureResult) (string, float64) {
	name, th := t.Name, t.Threshold
	switch {
	case fp.Type == TypeCategory && name == spec.TestKS:
		name = spec.TestChi2
	case fp.Type == TypeCategory && name == spec.TestWasserstein:
		name, th = spec.TestPSI, 0
	case fp.Type == TypeNumber && name == spec.TestChi2:
		name = spec.TestKS
	}
	if name != t.Name {
		fr.note(fmt.Sprintf("%s does not apply to a %s feature; used %s", t.Name, fp.Type, name))
	}
	if th == 0 {
		switch name {
		case spec.TestPSI:
			th = DefaultPSIThreshold
		case spec.TestJS:
			th = DefaultJSThreshold
		case spec.TestKS, spec.TestChi2:
			th = DefaultPValue
		case spec.TestWasserstein:
			if fp.Summary != nil {
				th = DefaultWassersteinRatio * float64(fp.Summary.Std)
			}
			if math.IsNaN(th) || math.IsInf(th, 0) {
				th = math.MaxFloat64 // the spread overflowed: only an overflowing distance drifts
			}
		}
	}
	return name, th
}

func compareNumber(fp *FeatureProfile, c *dataset.Column, fr *FeatureResult, buf *[]float64) {
	vals, nulls, nonFinite := finiteValues(c, buf)
	fr.Nulls.Current = nulls
	if nonFinite > 0 {
		fr.note(fmt.Sprintf("%d infinite values in the current data left out", nonFinite))
	}
	if fp.NonFinite > 0 {
		fr.note(fmt.Sprintf("%d infinite values in the reference left out", fp.NonFinite))
	}
	if fp.Values == 0 {
		fr.note(fmt.Sprintf("reference has no values (%d nulls): no statistic", fp.Nulls))
		return
	}
	if len(vals) == 0 {
		fr.note(fmt.Sprintf("current data has no values (%d nulls): no statistic", nulls))
		return
	}
	if fp.Summary != nil && fp.Summary.Min == fp.Summary.Max {
		fr.note("reference holds a single value " + formatNumber(fp.Summary.Min))
	}
	if vals[0] == vals[len(vals)-1] {
		fr.note("current data holds a single value " + formatNumber(vals[0]))
	}
	ref := make([]float64, len(fp.Counts))
	for i, n := range fp.Counts {
		ref[i] = float64(n)
	}
	cur := BinCounts(vals, fp.Edges)
	fr.PSI, fr.JS = Value(PSI(ref, cur)), Value(JS(ref, cur))
	d, p := KSSorted(fp.Sample, vals)
	fr.KS = &PTest{Statistic: Value(d), PValue: Value(p)}
	w := Value(WassersteinSorted(fp.Sample, vals))
	fr.Wasserstein = &w
	fr.Bins = numberBins(fp.Edges, ref, cur)
}

func numberBins(edges, ref, cur []float64) []Bin {
	rp, cp := proportions(ref), proportions(cur)
	bins := make([]Bin, len(ref))
	for i := range bins {
		var label string
		switch {
		case len(edges) == 0:
			label = "all"
		case i == 0:
			label = "≤ " + formatNumber(edges[0])
		case i == len(edges):
			label = "> " + formatNumber(edges[i-1])
		default:
			label = "(" + formatNumber(edges[i-1]) + ", " + formatNumber(edges[i]) + "]"
		}
		bins[i] = Bin{Label: label, Reference: Value(rp[i]), Current: Value(cp[i])}
	}
	return bins
}

func compareCategory(fp *FeatureProfile, c *dataset.Column, fr *FeatureResult) {
	counts := levelCounts(c)
	cur := map[string]int64{}
	values := 0
	for k, n := range counts {
		if n > 0 {
			cur[c.Levels[k]] += n
			values += int(n)
		}
	}
	fr.Nulls.Current = c.Len() - values
	if fp.Values == 0 {
		fr.note(fmt.Sprintf("reference has no values (%d nulls): no statistic", fp.Nulls))
		return
	}
	if values == 0 {
		fr.note(fmt.Sprintf("current data has no values (%d nulls): no statistic", fr.Nulls.Current))
		return
	}
	if len(fp.Categories) == 1 {
		fr.note("reference holds a single category")
	}
	levels := make([]string, 0, len(fp.Categories)+len(cur))
	for l := range fp.Categories {
		levels = append(levels, l)
	}
	var unseen []string
	for l := range cur {
		if _, ok := fp.Categories[l]; !ok {
			levels = append(levels, l)
			unseen = append(unseen, l)
		}
	}
	slices.Sort(levels)
	slices.Sort(unseen)
	ref, now := make([]float64, len(levels)), make([]float64, len(levels))
	for i, l := range levels {
		ref[i], now[i] = float64(fp.Categories[l]), float64(cur[l])
	}
	fr.PSI, fr.JS = Value(PSI(ref, now)), Value(JS(ref, now))
	s, p, _ := ChiSquared(ref, now)
	fr.Chi2 = &PTest{Statistic: Value(s), PValue: Value(p)}
	if len(unseen) > 0 {
		n := 0
		for _, l := range unseen {
			n += int(cur[l])
		}
		fr.note(fmt.Sprintf("%d %s unseen in the reference (%d rows)", len(unseen), plural(len(unseen), "category", "categories"), n))
		if len(unseen) > maxUnseen {
			unseen = unseen[:maxUnseen]
		}
		fr.Unseen = unseen
	}
	fr.Bins = categoryBins(levels, ref, now)
}

// categoryBins keeps the largest categories (by their larger share on either
// side) in name order and sums the rest into "(other)".
func categoryBins(levels []string, ref, cur []float64) []Bin {
	rp, cp := proportions(ref), proportions(cur)
	order := make([]int, len(levels))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return -cmpFloat(math.Max(rp[a], cp[a]), math.Max(rp[b], cp[b]))
	})
	keep := order
	var other Bin
	if len(order) > maxCategoryBins {
		keep = order[:maxCategoryBins-1]
		other.Label = "(other)"
		for _, i := range order[maxCategoryBins-1:] {
			other.Reference += Value(rp[i])
			other.Current += Value(cp[i])
		}
	}
	slices.Sort(keep)
	bins := make([]Bin, 0, len(keep)+1)
	for _, i := range keep {
		bins = append(bins, Bin{Label: levels[i], Reference: Value(rp[i]), Current: Value(cp[i])})
	}
	if other.Label != "" {
		bins = append(bins, other)
	}
	return bins
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// decide sets Drift and Severity from the chosen test's statistic. Severity
// is how far the statistic went past its threshold: statistic/threshold, or
// log(p)/log(threshold) for p-value tests, so 1 is the line and larger is
// worse. An undefined statistic does not drift.
func (fr *FeatureResult) decide() {
	var v float64
	switch fr.Test {
	case spec.TestPSI:
		v = float64(fr.PSI)
	case spec.TestJS:
		v = float64(fr.JS)
	case spec.TestWasserstein:
		if fr.Wasserstein != nil {
			v = float64(*fr.Wasserstein)
		}
	case spec.TestKS:
		v = float64(fr.KS.PValue)
	case spec.TestChi2:
		v = float64(fr.Chi2.PValue)
	}
	if math.IsNaN(v) {
		return
	}
	th := fr.Threshold
	if fr.Test == spec.TestKS || fr.Test == spec.TestChi2 {
		fr.Drift = v < th
		switch {
		case th <= 0 || th >= 1:
			fr.Severity = 0
		case v <= 0:
			fr.Severity = maxSeverity
		default:
			fr.Severity = Value(math.Log(v) / math.Log(th))
		}
	} else {
		fr.Drift = v > th
		switch {
		case th > 0:
			fr.Severity = Value(v / th)
		case v > 0:
			fr.Severity = maxSeverity
		}
	}
	fr.Severity = Value(math.Min(float64(fr.Severity), maxSeverity))
}

func (fr *FeatureResult) note(s string) { fr.Notes = append(fr.Notes, s) }

// formatNumber prints a number briefly for labels and notes.
func formatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'g', 6, 64)
	if strings.Contains(s, "e+") {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return s
}

// asCategory returns a number column as categories of its values' text.
func asCategory(c *dataset.Column) *dataset.Column {
	out := &dataset.Column{Name: c.Name, Type: dataset.Category, Codes: make([]int32, c.Len()), Null: c.Null}
	idx := map[string]int32{}
	for i := range out.Codes {
		if c.IsNull(i) || math.IsNaN(c.Floats[i]) {
			out.Codes[i] = -1
			continue
		}
		s := c.Value(i)
		k, ok := idx[s]
		if !ok {
			k = int32(len(out.Levels))
			idx[s] = k
			out.Levels = append(out.Levels, s)
		}
		out.Codes[i] = k
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ConfigFromMonitor turns a Monitor's feature and prediction tests into a
// Config, for the monitor runner.
func ConfigFromMonitor(m spec.MonitorSpec) Config {
	c := Config{Default: TestFromSpec(m.Features.Default)}
	if len(m.Features.Overrides) > 0 {
		c.Overrides = make(map[string]Test, len(m.Features.Overrides))
		for name, t := range m.Features.Overrides {
			c.Overrides[name] = TestFromSpec(t)
		}
	}
	if m.Prediction != nil {
		c.Prediction = TestFromSpec(*m.Prediction)
	}
	return c
}
