package dataset

import (
	"fmt"
	"strconv"
	"strings"
)

// ColumnType is the in-memory kind of a column.
type ColumnType int

const (
	// Number columns hold float64 values (integers and booleans included).
	Number ColumnType = iota
	// Category columns hold dictionary-encoded strings.
	Category
)

func (t ColumnType) String() string {
	switch t {
	case Number:
		return "number"
	case Category:
		return "category"
	}
	return fmt.Sprintf("ColumnType(%d)", int(t))
}

// Column is one column of a Frame.
//
// A Number column keeps its values in Floats; a null is NaN in Floats and true in
// Null. A Category column is dictionary encoded: Codes index Levels, and a null is
// code -1 (and true in Null). Null is nil when the column has no nulls.
type Column struct {
	Name   string
	Type   ColumnType
	Floats []float64
	Codes  []int32
	Levels []string
	Null   []bool
	// Time marks a Number column of Unix seconds read from timestamps or dates.
	// Writers print it as RFC 3339 and splits compare it with dates.
	Time bool
}

// CategoryOf returns a Category column of the given values, dictionary
// encoded in the order values first appear. It has no nulls.
func CategoryOf(name string, values []string) *Column {
	c := &Column{Name: name, Type: Category, Codes: make([]int32, len(values))}
	index := map[string]int32{}
	for i, v := range values {
		k, ok := index[v]
		if !ok {
			k = int32(len(c.Levels))
			index[v] = k
			c.Levels = append(c.Levels, v)
		}
		c.Codes[i] = k
	}
	return c
}

// Len is the number of rows in the column.
func (c *Column) Len() int {
	if c.Type == Category {
		return len(c.Codes)
	}
	return len(c.Floats)
}

// IsNull reports whether row i is null.
func (c *Column) IsNull(i int) bool { return c.Null != nil && c.Null[i] }

// String returns row i of a Category column as a string ("" when null).
func (c *Column) String(i int) string {
	if k := c.Codes[i]; k >= 0 {
		return c.Levels[k]
	}
	return ""
}

// Frame is a table held as columns. All columns have Rows rows.
type Frame struct {
	Columns []*Column
	Rows    int
}

// Col returns the column called name, or nil.
func (f *Frame) Col(name string) *Column {
	for _, c := range f.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Names returns the column names in order.
func (f *Frame) Names() []string {
	names := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		names[i] = c.Name
	}
	return names
}

// NullCount is the number of null rows in the column.
func (c *Column) NullCount() int {
	n := 0
	for _, b := range c.Null {
		if b {
			n++
		}
	}
	return n
}

// Value returns row i as text: a Category's level, a Number in the shortest form
// that reads back the same (RFC 3339 for Time columns), and "" for a null.
func (c *Column) Value(i int) string {
	if c.IsNull(i) {
		return ""
	}
	if c.Type == Category {
		return c.String(i)
	}
	if c.Time {
		return formatTime(c.Floats[i])
	}
	return formatFloat(c.Floats[i])
}

// take returns a new column holding the given rows of c, in that order.
func (c *Column) take(rows []int) *Column {
	out := &Column{Name: c.Name, Type: c.Type, Time: c.Time}
	if c.Type == Category {
		out.Levels = c.Levels
		out.Codes = make([]int32, len(rows))
		for j, i := range rows {
			out.Codes[j] = c.Codes[i]
		}
	} else {
		out.Floats = make([]float64, len(rows))
		for j, i := range rows {
			out.Floats[j] = c.Floats[i]
		}
	}
	if c.Null != nil {
		null := make([]bool, len(rows))
		some := false
		for j, i := range rows {
			null[j] = c.Null[i]
			some = some || null[j]
		}
		if some {
			out.Null = null
		}
	}
	return out
}

// Take returns a new frame holding the given rows (0-based, in that order; a row
// may repeat). Category columns share their Levels with f.
func (f *Frame) Take(rows []int) *Frame {
	out := &Frame{Rows: len(rows), Columns: make([]*Column, len(f.Columns))}
	for k, c := range f.Columns {
		out.Columns[k] = c.take(rows)
	}
	return out
}

// Filter returns a new frame holding the rows for which keep returns true.
func (f *Frame) Filter(keep func(i int) bool) *Frame {
	var rows []int
	for i := 0; i < f.Rows; i++ {
		if keep(i) {
			rows = append(rows, i)
		}
	}
	return f.Take(rows)
}

// Select returns a frame of the named columns, in that order. The columns are
// shared with f, not copied.
func (f *Frame) Select(names ...string) (*Frame, error) {
	out := &Frame{Rows: f.Rows, Columns: make([]*Column, 0, len(names))}
	var missing []string
	for _, n := range names {
		c := f.Col(n)
		if c == nil {
			missing = append(missing, strconv.Quote(n))
			continue
		}
		out.Columns = append(out.Columns, c)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no column %s (have %s)", strings.Join(missing, ", "), strings.Join(f.Names(), ", "))
	}
	return out, nil
}

// Slice returns rows [lo, hi) of f. It shares storage with f: it is a view, cheap
// to make, and must not be written to.
func (f *Frame) Slice(lo, hi int) *Frame {
	lo = max(0, min(lo, f.Rows))
	hi = max(lo, min(hi, f.Rows))
	out := &Frame{Rows: hi - lo, Columns: make([]*Column, len(f.Columns))}
	for k, c := range f.Columns {
		s := &Column{Name: c.Name, Type: c.Type, Time: c.Time, Levels: c.Levels}
		if c.Type == Category {
			s.Codes = c.Codes[lo:hi:hi]
		} else {
			s.Floats = c.Floats[lo:hi:hi]
		}
		if c.Null != nil {
			s.Null = c.Null[lo:hi:hi]
		}
		out.Columns[k] = s
	}
	return out
}
