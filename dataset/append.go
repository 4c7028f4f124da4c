package dataset

import (
	"errors"
	"fmt"
	"math"
)

// Append returns a new frame holding the rows of base followed by the rows of
// extra. The result has base's columns, in base's order, with base's types.
// extra's columns are matched by name and converted to base's column types:
// text is parsed as a number (booleans as 0/1 — true/false/yes/no, any case),
// a timestamp or date for a Time column (RFC 3339 or YYYY-MM-DD, as the
// readers accept), numbers are formatted as category levels (the shortest
// form, as Column.Value does); a Number extra column into a Time base column
// is taken as Unix seconds. A column extra lacks is null in extra's rows;
// extra's columns that base lacks are dropped. Nulls stay null. A value that
// cannot be converted is an error naming the column, the 1-based row of
// extra and the value, e.g. `column "distance": row 3: "far" is not a number`.
// Neither input is modified; Category levels of base keep their codes, new
// levels from extra are appended after base's.
func Append(base, extra *Frame) (*Frame, error) {
	if base == nil {
		return nil, errors.New("append rows: no base frame")
	}
	if err := checkShape(base); err != nil {
		return nil, fmt.Errorf("append rows: base frame: %w", err)
	}
	n := 0
	if extra != nil {
		if err := checkShape(extra); err != nil {
			return nil, fmt.Errorf("append rows: extra frame: %w", err)
		}
		n = extra.Rows
	}
	out := &Frame{Rows: base.Rows + n, Columns: make([]*Column, len(base.Columns))}
	for k, bc := range base.Columns {
		var ec *Column
		if n > 0 {
			ec = extra.Col(bc.Name)
		}
		c, err := appendColumn(bc, ec, n)
		if err != nil {
			return nil, err
		}
		out.Columns[k] = c
	}
	return out, nil
}

// checkShape reports a frame whose columns disagree with its row count or whose
// codes point past their levels, which would otherwise make Append panic.
func checkShape(f *Frame) error {
	for _, c := range f.Columns {
		if c == nil {
			return errors.New("nil column")
		}
		if c.Len() != f.Rows {
			return fmt.Errorf("column %q has %d rows, frame has %d", c.Name, c.Len(), f.Rows)
		}
		if c.Null != nil && len(c.Null) != f.Rows {
			return fmt.Errorf("column %q has a null mask of %d rows, frame has %d", c.Name, len(c.Null), f.Rows)
		}
		if c.Type == Category {
			for i, k := range c.Codes {
				if int(k) >= len(c.Levels) {
					return fmt.Errorf("column %q: row %d: code %d has no level (%d levels)", c.Name, i+1, k, len(c.Levels))
				}
			}
		}
	}
	return nil
}

// appender builds one result column: a copy of the base column, then n rows
// converted from the extra column.
type appender struct {
	out   *Column
	total int    // rows in the result
	null  []bool // allocated at full length on the first null
	some  bool   // whether any row is null
	// index maps the result's Category levels to their codes, built on first use.
	index map[string]int32
}

func (a *appender) markNull(i int) {
	if a.null == nil {
		a.null = make([]bool, a.total)
	}
	a.null[i] = true
	a.some = true
}

// number appends a Number row (NaN when null).
func (a *appender) number(v float64, null bool) {
	if null {
		a.markNull(len(a.out.Floats))
		v = math.NaN()
	}
	a.out.Floats = append(a.out.Floats, v)
}

// code appends a Category row (-1 when null).
func (a *appender) code(k int32) {
	if k < 0 {
		a.markNull(len(a.out.Codes))
		k = -1
	}
	a.out.Codes = append(a.out.Codes, k)
}

// level returns the result's code of s, adding it as a new level if needed.
func (a *appender) level(s string) int32 {
	if a.index == nil {
		a.index = make(map[string]int32, len(a.out.Levels))
		for k, l := range a.out.Levels {
			if _, dup := a.index[l]; !dup {
				a.index[l] = int32(k)
			}
		}
	}
	k, ok := a.index[s]
	if !ok {
		k = int32(len(a.out.Levels))
		a.out.Levels = append(a.out.Levels, s)
		a.index[s] = k
	}
	return k
}

func appendColumn(bc, ec *Column, n int) (*Column, error) {
	rows := bc.Len()
	total := rows + n
	a := &appender{out: &Column{Name: bc.Name, Type: bc.Type, Time: bc.Time}, total: total}
	if bc.Type == Category {
		a.out.Codes = append(make([]int32, 0, total), bc.Codes...)
		a.out.Levels = append(make([]string, 0, len(bc.Levels)), bc.Levels...)
	} else {
		a.out.Floats = append(make([]float64, 0, total), bc.Floats...)
	}
	for i := range bc.Null {
		if bc.Null[i] {
			a.markNull(i)
		}
	}
	var err error
	switch {
	case ec == nil:
		for range n {
			if bc.Type == Category {
				a.code(-1)
			} else {
				a.number(0, true)
			}
		}
	case bc.Type == Category && ec.Type == Category:
		a.categoryFromCategory(ec)
	case bc.Type == Category:
		for i := range n {
			if ec.IsNull(i) {
				a.code(-1)
			} else {
				a.code(a.level(ec.Value(i)))
			}
		}
	case ec.Type == Category:
		err = a.numberFromText(ec)
	default:
		for i := range n {
			a.number(ec.Floats[i], ec.IsNull(i))
		}
	}
	if err != nil {
		return nil, err
	}
	if a.some {
		a.out.Null = a.null
	}
	return a.out, nil
}

// categoryFromCategory appends extra's codes remapped to the result's levels.
// Levels new to base are added in the order extra's rows first use them.
func (a *appender) categoryFromCategory(ec *Column) {
	remap := make([]int32, len(ec.Levels))
	for k := range remap {
		remap[k] = -2 // not looked up yet
	}
	for i, k := range ec.Codes {
		if k < 0 || ec.IsNull(i) {
			a.code(-1)
			continue
		}
		if remap[k] == -2 {
			remap[k] = a.level(ec.Levels[k])
		}
		a.code(remap[k])
	}
}

// Results of reading one extra level as a number or time.
const (
	levelUnread uint8 = iota
	levelValue
	levelNull
	levelBad
)

// numberFromText appends extra's text values read as numbers (or as times for
// a Time column). Each level is read once.
func (a *appender) numberFromText(ec *Column) error {
	state := make([]uint8, len(ec.Levels))
	value := make([]float64, len(ec.Levels))
	layout := ""
	for i, k := range ec.Codes {
		if k < 0 || ec.IsNull(i) {
			a.number(0, true)
			continue
		}
		if state[k] == levelUnread {
			state[k], value[k], layout = a.read(ec.Levels[k], layout)
		}
		switch state[k] {
		case levelNull:
			a.number(0, true)
		case levelBad:
			want := "a number"
			if a.out.Time {
				want = "a timestamp or date"
			}
			return fmt.Errorf("column %q: row %d: %w", a.out.Name, i+1, &errValue{ec.Levels[k], want})
		default:
			a.number(value[k], false)
		}
	}
	return nil
}

// read reads one text value for the result column as the readers would: null
// tokens are nulls, a Time column takes dates and timestamps (hint is the
// layout that worked last), other Number columns take numbers and the words
// true/false/yes/no in any case.
func (a *appender) read(s, hint string) (state uint8, v float64, layout string) {
	if isNull(s) {
		return levelNull, 0, hint
	}
	if a.out.Time {
		if v, l, ok := parseTime(s, hint); ok {
			return levelValue, v, l
		}
		return levelBad, 0, hint
	}
	if v, ok := parseNumber(s); ok {
		return levelValue, v, hint
	}
	// parseBool also takes t/f/y/n; single letters are not booleans here
	// (and "1"/"0" were numbers above).
	if len(s) > 1 {
		if v, ok := parseBool(s); ok {
			return levelValue, v, hint
		}
	}
	return levelBad, 0, hint
}
