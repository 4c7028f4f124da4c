package eval

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/spec"
)

// DefaultTolerance is the tolerance of a numeric edge case that gives none.
const DefaultTolerance = 1e-6

// EdgeCase is one row of an edge-case file: inputs and the output they must give.
type EdgeCase struct {
	// Row is the 1-based data row in the file (the header is row 0).
	Row    int
	Name   string
	Inputs map[string]string
	// Expected is a class label, or a number: the regression value, or for a
	// binary classifier a positive-class probability when it is not a label.
	Expected string
	// Tolerance bounds |got - expected| for numbers; negative means not given
	// (DefaultTolerance).
	Tolerance float64
}

// Output is what the model gave for one edge case.
type Output struct {
	Label string
	// Value is the regression output.
	Value float64
	// Score is the positive-class probability of a binary classifier, when HasScore.
	Score    float64
	HasScore bool
}

// CheckEdgeCases compares each case's expected output with the model's output got
// (one per case, in order). Classification cases compare labels (numerically when
// both are numbers, so "1" matches "1.0"); a binary case whose expected value is a
// number that is not a label compares it with the positive-class probability.
// Regression cases compare values within the tolerance.
func CheckEdgeCases(task spec.Task, cases []EdgeCase, got []Output) *EdgeCases {
	res := &EdgeCases{Total: len(cases), Failures: []EdgeCaseFailure{}}
	for i, c := range cases {
		var o Output
		if i < len(got) {
			o = got[i]
		}
		tol := c.Tolerance
		if tol < 0 {
			tol = DefaultTolerance
		}
		fail := EdgeCaseFailure{Row: c.Row, Name: c.Name, Inputs: c.Inputs, Expected: c.Expected}
		exp := strings.TrimSpace(c.Expected)
		switch {
		case i >= len(got):
			fail.Message = "no output"
		case task == spec.TaskRegression:
			want, err := strconv.ParseFloat(exp, 64)
			fail.Got = formatFloat(o.Value)
			if err != nil {
				fail.Message = fmt.Sprintf("expected %q is not a number", c.Expected)
				break
			}
			if d := math.Abs(o.Value - want); d <= tol {
				continue
			} else {
				fail.Tolerance = tol
				fail.Message = fmt.Sprintf("off by %s (tolerance %s)", formatFloat(d), formatFloat(tol))
			}
		default:
			fail.Got = o.Label
			if sameLabel(exp, o.Label) {
				continue
			}
			want, err := strconv.ParseFloat(exp, 64)
			if o.HasScore && err == nil && !isLabel(exp) && want >= 0 && want <= 1 {
				fail.Got = formatFloat(o.Score)
				if d := math.Abs(o.Score - want); d <= tol {
					continue
				} else {
					fail.Tolerance = tol
					fail.Message = fmt.Sprintf("probability off by %s (tolerance %s)", formatFloat(d), formatFloat(tol))
				}
				break
			}
			fail.Message = fmt.Sprintf("predicted %q, expected %q", o.Label, c.Expected)
		}
		res.Failed++
		res.Failures = append(res.Failures, fail)
	}
	return res
}

// isLabel reports whether a number reads as a class label of a binary classifier.
func isLabel(s string) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && (v == 0 || v == 1)
}

func sameLabel(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 == nil && err2 == nil {
		return x == y
	}
	return strings.EqualFold(a, b) && (strings.EqualFold(a, "true") || strings.EqualFold(a, "false"))
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
