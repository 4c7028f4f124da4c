package dataset

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/spec"
)

// Check names, as they appear in a CheckReport.
const (
	CheckMissing   = "missing-column" // a feature, the target or the time column is not in the data
	CheckType      = "type"           // wrong column type, non-integers in an integer column, non-0/1 in a boolean
	CheckRange     = "range"          // values outside [min, max]
	CheckValues    = "values"         // categories outside the allowed values
	CheckNull      = "null"           // nulls in a column that is not nullable (or in the target)
	CheckNullShare = "null-share"     // more nulls than maxNullShare allows
	CheckNaN       = "nan"            // NaN in a number column
	CheckInf       = "inf"            // +Inf or -Inf in a number column
)

// CheckNames lists the checks in the order reports present them.
var CheckNames = []string{CheckMissing, CheckType, CheckRange, CheckValues, CheckNull, CheckNullShare, CheckNaN, CheckInf}

// MaxExamples is how many offending rows a Problem lists.
const MaxExamples = 5

// CheckReport is the result of checking a frame against a Dataset: a value to
// render (WriteText, or JSON) and to decide on (OK).
type CheckReport struct {
	Rows int `json:"rows"`
	// Columns is the number of columns checked: features, target and time.
	Columns int `json:"columns"`
	// Counts has every check name: offending rows for row checks (range, values,
	// null, nan, inf and type within a column), offending columns for column
	// checks (missing-column, null-share, a column of the wrong type).
	Counts   map[string]int `json:"counts"`
	Problems []Problem      `json:"problems"`
}

// Problem is one check failing on one column.
type Problem struct {
	Check   string `json:"check"`
	Column  string `json:"column"`
	Count   int    `json:"count"`
	Message string `json:"message"`
	// Rows are the first offending rows, at most MaxExamples.
	Rows []Offense `json:"rows,omitempty"`
}

// Offense is an offending row: its 1-based number and its value as text.
type Offense struct {
	Row   int    `json:"row"`
	Value string `json:"value"`
}

// OK reports whether the frame passed every check.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

// Err returns nil when the report is OK, and otherwise an error naming every
// problem, for pipelines that stop on bad data.
func (r *CheckReport) Err() error {
	if r.OK() {
		return nil
	}
	msgs := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		msgs[i] = fmt.Sprintf("column %q: %s", p.Column, p.Message)
	}
	return fmt.Errorf("dataset check: %s", strings.Join(msgs, "; "))
}

// WriteText renders the report for people:
//
//	1000 rows, 4 columns checked: 2 problems
//	  range           distance  2 values out of [0, 5000]: row 17 (-3), row 45 (7000)
//	  missing-column  hour      column not found
func (r *CheckReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows, %d columns checked: ", r.Rows, r.Columns)
	switch len(r.Problems) {
	case 0:
		b.WriteString("no problems\n")
	case 1:
		b.WriteString("1 problem\n")
	default:
		fmt.Fprintf(&b, "%d problems\n", len(r.Problems))
	}
	wc, wn := 0, 0
	for _, p := range r.Problems {
		wc, wn = max(wc, len(p.Check)), max(wn, len(p.Column))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  %-*s  %-*s  %s", wc, p.Check, wn, p.Column, p.Message)
		for i, o := range p.Rows {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "row %d (%s)", o.Row, o.Value)
		}
		if len(p.Rows) > 0 && p.Count > len(p.Rows) {
			b.WriteString(", …")
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Check checks a frame against a Dataset's features (type, range, allowed values,
// nulls, share of nulls, NaN and Inf), and that its target and time columns
// exist. Columns the Dataset does not name are not checked.
func Check(f *Frame, ds *spec.DatasetSpec) *CheckReport {
	r := &CheckReport{Rows: f.Rows, Counts: make(map[string]int, len(CheckNames)), Problems: []Problem{}}
	for _, n := range CheckNames {
		r.Counts[n] = 0
	}
	add := func(p Problem) {
		r.Problems = append(r.Problems, p)
		r.Counts[p.Check] += p.Count
	}
	checked := map[string]bool{}
	for _, ft := range ds.Features {
		if checked[ft.Name] {
			continue
		}
		checked[ft.Name] = true
		r.Columns++
		c := f.Col(ft.Name)
		if c == nil {
			add(Problem{Check: CheckMissing, Column: ft.Name, Count: 1, Message: "column not found"})
			continue
		}
		for _, p := range checkFeature(c, ft, f.Rows) {
			add(p)
		}
	}
	for _, n := range []string{ds.Target, ds.Time} {
		if n == "" || checked[n] {
			continue
		}
		checked[n] = true
		r.Columns++
		c := f.Col(n)
		if c == nil {
			add(Problem{Check: CheckMissing, Column: n, Count: 1, Message: "column not found"})
			continue
		}
		if n == ds.Target {
			if p, ok := scan(c, CheckNull, func(n int) string { return "target has " + plural(n, "null") }, func(i int) bool { return c.IsNull(i) }); ok {
				add(p)
			}
		}
		for _, p := range checkFinite(c) {
			add(p)
		}
	}
	return r
}

func checkFeature(c *Column, ft spec.Feature, rows int) []Problem {
	var out []Problem
	add := func(p Problem, ok bool) {
		if ok {
			out = append(out, p)
		}
	}
	switch ft.Type {
	case spec.TypeNumber, spec.TypeInteger, spec.TypeBoolean:
		if c.Type != Number {
			return append(out, Problem{Check: CheckType, Column: c.Name, Count: 1,
				Message: fmt.Sprintf("column is %s, want %s", c.Type, ft.Type)})
		}
	}
	valid := func(i int) bool { return !c.IsNull(i) && c.Type == Number && !math.IsNaN(c.Floats[i]) }
	switch ft.Type {
	case spec.TypeInteger:
		add(scan(c, CheckType, func(n int) string { return plural(n, "non-integer value") }, func(i int) bool {
			return valid(i) && !math.IsInf(c.Floats[i], 0) && c.Floats[i] != math.Trunc(c.Floats[i])
		}))
	case spec.TypeBoolean:
		add(scan(c, CheckType, func(n int) string { return plural(n, "value") + " other than 0 and 1" }, func(i int) bool {
			return valid(i) && c.Floats[i] != 0 && c.Floats[i] != 1
		}))
	}
	if c.Type == Number && (ft.Min != nil || ft.Max != nil) {
		lo, hi := math.Inf(-1), math.Inf(1)
		if ft.Min != nil {
			lo = *ft.Min
		}
		if ft.Max != nil {
			hi = *ft.Max
		}
		add(scan(c, CheckRange, func(n int) string { return plural(n, "value") + " out of " + interval(ft.Min, ft.Max) }, func(i int) bool {
			return valid(i) && (c.Floats[i] < lo || c.Floats[i] > hi)
		}))
	}
	if len(ft.Values) > 0 {
		allowed := map[string]bool{}
		for _, v := range ft.Values {
			allowed[v] = true
		}
		msg := func(n int) string { return plural(n, "value") + " outside " + listValues(ft.Values) }
		if c.Type == Category {
			bad := make([]bool, len(c.Levels))
			for k, l := range c.Levels {
				bad[k] = !allowed[l]
			}
			add(scan(c, CheckValues, msg, func(i int) bool { k := c.Codes[i]; return k >= 0 && bad[k] }))
		} else {
			add(scan(c, CheckValues, msg, func(i int) bool { return !c.IsNull(i) && !allowed[c.Value(i)] }))
		}
	}
	if !ft.IsNullable() {
		add(scan(c, CheckNull, func(n int) string { return plural(n, "null") + " in a column that is not nullable" }, c.IsNull))
	}
	if ft.MaxNullShare != nil && rows > 0 {
		if n := c.NullCount(); float64(n)/float64(rows) > *ft.MaxNullShare {
			out = append(out, Problem{Check: CheckNullShare, Column: c.Name, Count: 1,
				Message: fmt.Sprintf("%s in %d rows (%.3g%%), more than maxNullShare %g",
					plural(n, "null"), rows, 100*float64(n)/float64(rows), *ft.MaxNullShare)})
		}
	}
	return append(out, checkFinite(c)...)
}

// checkFinite counts NaN and ±Inf values (nulls aside) in a Number column.
func checkFinite(c *Column) []Problem {
	if c.Type != Number {
		return nil
	}
	var out []Problem
	if p, ok := scan(c, CheckNaN, func(n int) string { return plural(n, "NaN value") }, func(i int) bool { return !c.IsNull(i) && math.IsNaN(c.Floats[i]) }); ok {
		out = append(out, p)
	}
	if p, ok := scan(c, CheckInf, func(n int) string { return plural(n, "infinite value") }, func(i int) bool { return math.IsInf(c.Floats[i], 0) }); ok {
		out = append(out, p)
	}
	return out
}

// scan collects the rows for which bad is true into a Problem whose message msg
// makes from the count. ok is false when no row is bad.
func scan(c *Column, check string, msg func(n int) string, bad func(i int) bool) (p Problem, ok bool) {
	p = Problem{Check: check, Column: c.Name}
	for i := 0; i < c.Len(); i++ {
		if !bad(i) {
			continue
		}
		p.Count++
		if len(p.Rows) < MaxExamples {
			v := c.Value(i)
			if c.IsNull(i) {
				v = "null"
			}
			p.Rows = append(p.Rows, Offense{Row: i + 1, Value: v})
		}
	}
	p.Message = msg(p.Count)
	return p, p.Count > 0
}

func interval(lo, hi *float64) string {
	l, h := "-Inf", "+Inf"
	if lo != nil {
		l = formatFloat(*lo)
	}
	if hi != nil {
		h = formatFloat(*hi)
	}
	return "[" + l + ", " + h + "]"
}

func listValues(vs []string) string {
	q := make([]string, 0, min(len(vs), 10))
	for i, v := range vs {
		if i == 10 {
			q = append(q, fmt.Sprintf("… (%d values)", len(vs)))
			break
		}
		q = append(q, strconv.Quote(v))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// plural says "1 value" or "2 values".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
