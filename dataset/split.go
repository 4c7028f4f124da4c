package dataset

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/ferryml/ferry/spec"
)

// Split divides a frame into train and eval rows, each keeping the frame's row
// order.
//
// By fraction ({eval: 0.2, seed: 42}): exactly round(0.2 × rows) rows go to eval,
// chosen by selection sampling driven by a PCG generator seeded with the seed.
// The same seed and row count give the same rows on every machine and Go release
// (only PCG's raw output is used, which math/rand/v2 specifies).
//
// By ranges of a column ({column: date, train: {before: …}, eval: {from: …,
// before: …}}): ranges are half-open [from, before). Time columns (and text
// columns of dates) compare as Unix seconds, with bounds written as dates
// ("2001-03-01", UTC) or RFC 3339; other columns compare as numbers. Without a
// train range, train is every row before eval's from (or, without a from, every
// row not in eval). Rows whose split value is null go to neither.
func Split(f *Frame, s spec.Split) (train, eval *Frame, err error) {
	if s.Column == "" {
		if s.Train != nil || s.Eval.Range != nil {
			return nil, nil, errors.New("split: ranges need a column")
		}
		return splitFraction(f, s.Eval.Fraction, s.Seed)
	}
	return splitRange(f, s)
}

func splitFraction(f *Frame, frac float64, seed int64) (train, eval *Frame, err error) {
	if !(frac > 0 && frac < 1) {
		return nil, nil, fmt.Errorf("split: eval fraction %g is not between 0 and 1", frac)
	}
	n := f.Rows
	if n < 2 {
		return nil, nil, fmt.Errorf("split: %d rows cannot be split into train and eval", n)
	}
	k := max(1, min(int(math.Round(frac*float64(n))), n-1)) // both sides get a row
	rng := rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)
	tr := make([]int, 0, n-k)
	ev := make([]int, 0, k)
	// Knuth's algorithm S: row i is picked with probability
	// (still needed)/(rows left), which picks exactly k rows.
	for i := 0; i < n; i++ {
		u := float64(rng.Uint64()>>11) / (1 << 53)
		if float64(n-i)*u < float64(k-len(ev)) {
			ev = append(ev, i)
		} else {
			tr = append(tr, i)
		}
	}
	return f.Take(tr), f.Take(ev), nil
}

// bound is a parsed range: [lo, hi) with ±Inf for missing ends.
type bound struct{ lo, hi float64 }

func (b bound) has(v float64) bool { return v >= b.lo && v < b.hi }

func splitRange(f *Frame, s spec.Split) (train, eval *Frame, err error) {
	c := f.Col(s.Column)
	if c == nil {
		return nil, nil, fmt.Errorf("split: no column %q (have %v)", s.Column, f.Names())
	}
	if s.Eval.Range == nil {
		return nil, nil, fmt.Errorf("split: column %q needs an eval range (eval: {from: …, before: …})", s.Column)
	}
	values, isTime, err := splitValues(c)
	if err != nil {
		return nil, nil, err
	}
	ev, err := parseRange(*s.Eval.Range, isTime, "eval")
	if err != nil {
		return nil, nil, err
	}
	var inTrain func(v float64) bool
	switch {
	case s.Train != nil:
		tr, err := parseRange(*s.Train, isTime, "train")
		if err != nil {
			return nil, nil, err
		}
		if tr.lo < ev.hi && ev.lo < tr.hi {
			return nil, nil, fmt.Errorf("split: train and eval ranges of %q overlap", s.Column)
		}
		inTrain = tr.has
	case !math.IsInf(ev.lo, -1):
		inTrain = func(v float64) bool { return v < ev.lo }
	default:
		inTrain = func(v float64) bool { return !ev.has(v) }
	}
	var trRows, evRows []int
	for i, v := range values {
		switch {
		case c.IsNull(i) || math.IsNaN(v):
		case ev.has(v):
			evRows = append(evRows, i)
		case inTrain(v):
			trRows = append(trRows, i)
		}
	}
	if len(trRows) == 0 || len(evRows) == 0 {
		part := "eval"
		if len(trRows) == 0 {
			part = "train"
		}
		return nil, nil, fmt.Errorf("split: no %s rows: column %q holds %s", part, s.Column, spanOf(values, c, isTime))
	}
	return f.Take(trRows), f.Take(evRows), nil
}

// splitValues returns a column's values as numbers to compare: the values of a
// Number column, and the levels of a Category column read as dates or numbers.
func splitValues(c *Column) (values []float64, isTime bool, err error) {
	if c.Type == Number {
		return c.Floats, c.Time, nil
	}
	lv := make([]float64, len(c.Levels))
	isTime = true
	for k, s := range c.Levels {
		v, _, ok := parseTime(s, "")
		if !ok {
			isTime = false
			break
		}
		lv[k] = v
	}
	if !isTime {
		for k, s := range c.Levels {
			v, ok := parseNumber(s)
			if !ok {
				return nil, false, fmt.Errorf("split: column %q holds %q, which is neither a date nor a number", c.Name, s)
			}
			lv[k] = v
		}
	}
	values = make([]float64, len(c.Codes))
	for i, k := range c.Codes {
		if k < 0 {
			values[i] = math.NaN()
		} else {
			values[i] = lv[k]
		}
	}
	return values, isTime, nil
}

func parseRange(r spec.Range, isTime bool, part string) (bound, error) {
	b := bound{math.Inf(-1), math.Inf(1)}
	for _, e := range []struct {
		text string
		dst  *float64
		name string
	}{{r.From, &b.lo, "from"}, {r.Before, &b.hi, "before"}} {
		if e.text == "" {
			continue
		}
		var ok bool
		if isTime {
			*e.dst, _, ok = parseTime(e.text, "")
		} else {
			*e.dst, ok = parseNumber(e.text)
		}
		if !ok {
			want := "a number"
			if isTime {
				want = "a date (2001-03-01) or RFC 3339 time"
			}
			return b, fmt.Errorf("split: %s.%s %s is not %s", part, e.name, strconv.Quote(e.text), want)
		}
	}
	if r.From == "" && r.Before == "" {
		return b, fmt.Errorf("split: %s range needs from or before", part)
	}
	if b.lo >= b.hi {
		return b, fmt.Errorf("split: %s range is empty (from %s is not before %s)", part, r.From, r.Before)
	}
	return b, nil
}

func spanOf(values []float64, c *Column, isTime bool) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range values {
		if !c.IsNull(i) && !math.IsNaN(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return "only nulls"
	}
	if isTime {
		return "values from " + formatTime(lo) + " to " + formatTime(hi)
	}
	return "values from " + formatFloat(lo) + " to " + formatFloat(hi)
}
