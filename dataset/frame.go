package dataset

import "fmt"

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
