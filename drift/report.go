package drift

import (
	"encoding/json"
	"math"
)

// Report is the result of a comparison, in the shape of `ferry drift --json`.
type Report struct {
	Reference Side             `json:"reference"`
	Current   Side             `json:"current"`
	Features  []*FeatureResult `json:"features"`
	// Prediction is the drift of the model's output, when profiled.
	Prediction *FeatureResult `json:"prediction,omitempty"`
	// Drifted counts the features (not the prediction) that drifted.
	Drifted int      `json:"drifted"`
	Notes   []string `json:"notes,omitempty"`
}

// Side describes one of the two data sets.
type Side struct {
	Rows int `json:"rows"`
}

// FeatureResult is every statistic of one feature and the verdict of its
// test. Statistics that are undefined (no values on a side) are NaN and
// marshal as null; KS and Wasserstein are set for number features, chi-squared
// for category features.
type FeatureResult struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	PSI         Value  `json:"psi"`
	JS          Value  `json:"js"`
	KS          *PTest `json:"ks,omitempty"`
	Wasserstein *Value `json:"wasserstein,omitempty"`
	Chi2        *PTest `json:"chi2,omitempty"`
	// Test is the test that decided (after substitutions, see Notes).
	Test      string  `json:"test"`
	Threshold float64 `json:"threshold"`
	Drift     bool    `json:"drift"`
	// Severity is how far past its threshold the test's statistic is: 1 is
	// the line, larger is worse (see decide).
	Severity Value    `json:"severity"`
	Nulls    Nulls    `json:"nulls"`
	Unseen   []string `json:"unseen,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// Bins are the reference and current shares per bin, for plots.
	Bins []Bin `json:"bins,omitempty"`
}

// Statistic returns the value the feature's test compares with its
// threshold.
func (f *FeatureResult) Statistic() float64 {
	switch f.Test {
	case "psi":
		return float64(f.PSI)
	case "js":
		return float64(f.JS)
	case "wasserstein":
		if f.Wasserstein != nil {
			return float64(*f.Wasserstein)
		}
	case "ks":
		if f.KS != nil {
			return float64(f.KS.PValue)
		}
	case "chi2":
		if f.Chi2 != nil {
			return float64(f.Chi2.PValue)
		}
	}
	return math.NaN()
}

// PTest is a test statistic with its p-value.
type PTest struct {
	Statistic Value `json:"statistic"`
	PValue    Value `json:"pValue"`
}

// Nulls counts null values on each side.
type Nulls struct {
	Reference int `json:"reference"`
	Current   int `json:"current"`
}

// Bin is one bin's share of the reference and of the current data.
type Bin struct {
	Label     string `json:"label"`
	Reference Value  `json:"reference"`
	Current   Value  `json:"current"`
}

// Value is a float64 that marshals NaN and infinities as JSON null (and
// reads null back as NaN), so an undefined statistic stays visible.
type Value float64

// NaN returns an undefined Value.
func NaN() Value { return Value(math.NaN()) }

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Value) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = NaN()
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*v = Value(f)
	return nil
}

var (
	_ json.Marshaler   = Value(0)
	_ json.Unmarshaler = (*Value)(nil)
)

// UnmarshalJSON reads a result back with its statistics in place: a null
// Wasserstein distance or KS test stays an undefined value rather than
// becoming absent.
func (f *FeatureResult) UnmarshalJSON(b []byte) error {
	type plain FeatureResult
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*f = FeatureResult(p)
	if f.Type == TypeNumber && f.Wasserstein == nil {
		w := NaN()
		f.Wasserstein = &w
	}
	return nil
}
