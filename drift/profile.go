package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/ferryml/ferry/dataset"
)

// ProfileVersion is the format version written into every Profile.
const ProfileVersion = 1

// Defaults of ProfileOptions.
const (
	DefaultBins       = 10
	DefaultSampleSize = 50000
	DefaultSeed       = 42
)

// ProfileOptions say what BuildProfile keeps. The zero value is usable.
type ProfileOptions struct {
	// Bins is the number of quantile bins of a number feature (default 10).
	Bins int
	// SampleSize bounds the reference sample kept for KS and Wasserstein
	// (default 50,000); a negative size keeps every value, so comparisons
	// are exact.
	SampleSize int
	// Seed drives the sample; the same frame and seed give the same profile.
	// Zero means DefaultSeed.
	Seed uint64
	// Features are the columns to profile, in this order; empty means every
	// column of the frame.
	Features []string
	// Prediction names a column holding the model's output (a score, a value
	// or a label); it is profiled as Profile.Prediction rather than as a
	// feature.
	Prediction string
	// Workers profile features in parallel (default GOMAXPROCS).
	Workers int
}

func (o ProfileOptions) withDefaults() ProfileOptions {
	if o.Bins <= 0 {
		o.Bins = DefaultBins
	}
	if o.SampleSize == 0 {
		o.SampleSize = DefaultSampleSize
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Profile is what monitoring keeps of a reference data set: per feature its
// bins, quantiles, category counts, null count and a bounded seeded sample.
// It marshals to the same JSON bytes for the same input (fields and map keys
// in sorted order), so it can be stored content-addressed.
type Profile struct {
	Bins       int               `json:"bins"`
	Features   []*FeatureProfile `json:"features"`
	Prediction *FeatureProfile   `json:"prediction,omitempty"`
	Rows       int               `json:"rows"`
	SampleSize int               `json:"sampleSize"`
	Seed       uint64            `json:"seed"`
	Version    int               `json:"version"`
}

// FeatureProfile is the reference distribution of one column.
type FeatureProfile struct {
	// Categories counts each level of a category feature.
	Categories map[string]int64 `json:"categories,omitempty"`
	// Counts are the reference's counts per bin of Edges (len(Edges)+1).
	Counts []int64 `json:"counts,omitempty"`
	// Edges are the cut points of a number feature's quantile bins; bins
	// are closed on the right (see Edges).
	Edges []float64 `json:"edges,omitempty"`
	Name  string    `json:"name"`
	// NonFinite counts ±Inf values of a number feature, left out like nulls.
	NonFinite int `json:"nonFinite,omitempty"`
	// Nulls counts nulls (NaN included).
	Nulls int `json:"nulls"`
	// Sample is a sorted, seeded sample without replacement of the
	// feature's finite values (all of them when there are few enough).
	Sample  []float64      `json:"sample,omitempty"`
	Summary *NumberSummary `json:"summary,omitempty"`
	Type    string         `json:"type"`
	// Values is the number of non-null (and finite) values.
	Values int `json:"values"`
}

// NumberSummary describes a number feature's values.
// Mean and Std are null in JSON when they overflow (values near ±1.8e308).
type NumberSummary struct {
	Max       float64   `json:"max"`
	Mean      Value     `json:"mean"`
	Min       float64   `json:"min"`
	Quantiles []float64 `json:"quantiles"` // at SummaryProbs
	Std       Value     `json:"std"`
}

// SummaryProbs are the probabilities of NumberSummary.Quantiles.
var SummaryProbs = []float64{0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99}

// Type names of features, as in the drift report.
const (
	TypeNumber   = "number"
	TypeCategory = "category"
)

// BuildProfile profiles the columns of f that opts selects.
func BuildProfile(f *dataset.Frame, opts ProfileOptions) (*Profile, error) {
	if f == nil {
		return nil, fmt.Errorf("build profile: no frame")
	}
	opts = opts.withDefaults()
	names := opts.Features
	if len(names) == 0 {
		for _, c := range f.Columns {
			if c.Name != opts.Prediction {
				names = append(names, c.Name)
			}
		}
	}
	cols := make([]*dataset.Column, len(names))
	for i, n := range names {
		if cols[i] = f.Col(n); cols[i] == nil {
			return nil, fmt.Errorf("build profile: no column %q (have %v)", n, f.Names())
		}
	}
	if opts.Prediction != "" {
		c := f.Col(opts.Prediction)
		if c == nil {
			return nil, fmt.Errorf("build profile: no prediction column %q", opts.Prediction)
		}
		cols = append(cols, c)
	}
	out := make([]*FeatureProfile, len(cols))
	parallel(len(cols), opts.Workers, func(i int, buf *[]float64) {
		out[i] = profileColumn(cols[i], f.Rows, opts, buf)
	})
	p := &Profile{
		Bins: opts.Bins, Rows: f.Rows, SampleSize: opts.SampleSize, Seed: opts.Seed,
		Version: ProfileVersion, Features: out,
	}
	if opts.Prediction != "" {
		p.Features, p.Prediction = out[:len(out)-1], out[len(out)-1]
	}
	return p, nil
}

// Feature returns the profile of the feature called name, or nil.
func (p *Profile) Feature(name string) *FeatureProfile {
	for _, f := range p.Features {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Marshal returns the profile's canonical JSON bytes.
func (p *Profile) Marshal() ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal profile: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalProfile reads a profile written by Marshal.
func UnmarshalProfile(b []byte) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	if p.Version != ProfileVersion {
		return nil, fmt.Errorf("read profile: version %d, this ferry reads version %d", p.Version, ProfileVersion)
	}
	for _, f := range append(slices.Clone(p.Features), p.Prediction) {
		if f == nil {
			continue
		}
		if f.Type == TypeNumber && len(f.Counts) != len(f.Edges)+1 && f.Values > 0 {
			return nil, fmt.Errorf("read profile: feature %q has %d counts for %d edges", f.Name, len(f.Counts), len(f.Edges))
		}
	}
	return &p, nil
}

// parallel runs fn(i) for i in [0, n) on up to workers goroutines; each
// goroutine owns a scratch buffer that fn may grow and reuse.
func parallel(n, workers int, fn func(i int, buf *[]float64)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []float64
			for i := range next {
				fn(i, &buf)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// finiteValues collects c's finite non-null values into buf, sorted, and
// counts what it left out.
func finiteValues(c *dataset.Column, buf *[]float64) (vals []float64, nulls, nonFinite int) {
	if cap(*buf) < len(c.Floats) {
		*buf = make([]float64, 0, len(c.Floats))
	}
	vals = (*buf)[:0]
	for i, v := range c.Floats {
		switch {
		case c.IsNull(i) || math.IsNaN(v):
			nulls++
		case math.IsInf(v, 0):
			nonFinite++
		default:
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	*buf = vals
	return vals, nulls, nonFinite
}

func profileColumn(c *dataset.Column, rows int, opts ProfileOptions, buf *[]float64) *FeatureProfile {
	if c.Type == dataset.Category {
		fp := &FeatureProfile{Name: c.Name, Type: TypeCategory, Categories: map[string]int64{}}
		counts := levelCounts(c)
		for k, n := range counts {
			if n > 0 {
				fp.Categories[c.Levels[k]] += n
				fp.Values += int(n)
			}
		}
		fp.Nulls = c.Len() - fp.Values
		return fp
	}
	vals, nulls, nonFinite := finiteValues(c, buf)
	fp := &FeatureProfile{Name: c.Name, Type: TypeNumber, Nulls: nulls, NonFinite: nonFinite, Values: len(vals)}
	if len(vals) == 0 {
		return fp
	}
	fp.Edges = Edges(vals, opts.Bins)
	counts := BinCounts(vals, fp.Edges)
	fp.Counts = make([]int64, len(counts))
	for i, n := range counts {
		fp.Counts[i] = int64(n)
	}
	fp.Summary = summarize(vals)
	fp.Sample = sample(vals, opts.SampleSize, opts.Seed)
	return fp
}

// levelCounts counts the rows of each level of a category column.
func levelCounts(c *dataset.Column) []int64 {
	counts := make([]int64, len(c.Levels))
	for _, k := range c.Codes {
		if k >= 0 && int(k) < len(counts) {
			counts[k]++
		}
	}
	return counts
}

func summarize(sorted []float64) *NumberSummary {
	var sum, comp float64
	for _, v := range sorted {
		y := v - comp
		t := sum + y
		comp = (t - sum) - y
		sum = t
	}
	n := float64(len(sorted))
	mean := sum / n
	var ss float64
	for _, v := range sorted {
		ss += (v - mean) * (v - mean)
	}
	s := &NumberSummary{Min: sorted[0], Max: sorted[len(sorted)-1], Mean: Value(mean), Std: Value(math.Sqrt(ss / n))}
	for _, p := range SummaryProbs {
		s.Quantiles = append(s.Quantiles, Quantile(sorted, p))
	}
	return s
}

// sample returns a sorted copy of size values of sorted chosen uniformly
// without replacement (a partial Fisher–Yates shuffle on PCG with seed), or
// a copy of all of them when size is negative or not smaller.
func sample(sorted []float64, size int, seed uint64) []float64 {
	if size < 0 || size >= len(sorted) {
		return slices.Clone(sorted)
	}
	r := rand.New(rand.NewPCG(seed, 0x6665727279)) // "ferry"
	idx := make([]int32, len(sorted))
	for i := range idx {
		idx[i] = int32(i)
	}
	for i := 0; i < size; i++ {
		j := i + r.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	pick := idx[:size]
	slices.Sort(pick)
	out := make([]float64, size)
	for i, k := range pick {
		out[i] = sorted[k]
	}
	return out
}
