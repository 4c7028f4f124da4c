package dataset

import (
	"math"

	"github.com/ferryml/ferry/spec"
)

// applyFeatures converts columns whose stored type differs from their feature's:
// a numeric Parquet column that is a category feature becomes Category, and a
// string column that is a number or boolean feature is parsed. A value that does
// not parse is an error naming its row.
func applyFeatures(f *Frame, opts ReadOptions) error {
	for _, ft := range opts.Features {
		c := f.Col(ft.Name)
		if c == nil {
			continue // Check reports missing columns
		}
		switch ft.Type {
		case spec.TypeCategory:
			if c.Type == Number {
				toCategory(c)
			}
		case spec.TypeNumber, spec.TypeInteger, spec.TypeBoolean:
			if c.Type == Category {
				if err := toNumber(c, ft.Type); err != nil {
					err.File = opts.Name
					return err
				}
			}
		}
	}
	return nil
}

// toCategory turns a Number column into a Category column of its values as text.
func toCategory(c *Column) {
	index := map[string]int32{}
	codes := make([]int32, len(c.Floats))
	levels := []string{}
	for i := range c.Floats {
		if c.IsNull(i) {
			codes[i] = -1
			continue
		}
		s := c.Value(i)
		k, ok := index[s]
		if !ok {
			k = int32(len(levels))
			levels = append(levels, s)
			index[s] = k
		}
		codes[i] = k
	}
	c.Type, c.Codes, c.Levels, c.Floats, c.Time = Category, codes, levels, nil, false
}

// toNumber parses a Category column's levels as numbers (or dates) or booleans.
func toNumber(c *Column, t spec.FeatureType) *ParseError {
	vals := make([]float64, len(c.Levels))
	ok := make([]bool, len(c.Levels))
	bad := false
	time := false
	for k, s := range c.Levels {
		if t == spec.TypeBoolean {
			vals[k], ok[k] = parseBool(s)
		} else if vals[k], ok[k] = parseNumber(s); !ok[k] {
			vals[k], _, ok[k] = parseTime(s, "")
			time = time || ok[k]
		}
		bad = bad || !ok[k]
	}
	if bad {
		// Report the first row holding a bad value.
		want := "a number"
		if t == spec.TypeBoolean {
			want = "a boolean"
		}
		for i, k := range c.Codes {
			if k >= 0 && !ok[k] {
				return &ParseError{Row: i + 1, Column: c.Name, Err: &errValue{c.Levels[k], want}}
			}
		}
	}
	floats := make([]float64, len(c.Codes))
	for i, k := range c.Codes {
		if k < 0 {
			floats[i] = math.NaN()
			continue
		}
		floats[i] = vals[k]
	}
	c.Type, c.Floats, c.Codes, c.Levels, c.Time = Number, floats, nil, nil, time
	return nil
}
