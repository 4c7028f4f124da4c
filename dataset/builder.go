package dataset

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/ferryml/ferry/spec"
)

// kind says where a value came from, which decides how its text is read.
type kind uint8

const (
	kText   kind = iota // a CSV field: its type is read from the text
	kNumber             // a JSON number literal
	kBool               // a JSON true or false ("true"/"false")
	kString             // a JSON string
)

// state is what an inferred column holds so far.
type state uint8

const (
	stEmpty state = iota // only nulls so far
	stNumber
	stBool
	stTime
	stCategory
)

// builder accumulates one column row by row. A column with a feature type has its
// state fixed from the start; an inferred column starts empty, takes the type of
// its first value and falls back to Category when a later value does not fit.
type builder struct {
	name   string
	typ    spec.FeatureType // "" when inferred
	st     state
	n      int // rows so far
	floats []float64
	codes  []int32
	levels []string
	index  map[string]int32
	null   []bool
	layout string // time layout of the last time value
	time   bool   // a typed number column read from timestamps
}

func newBuilder(name string, typ spec.FeatureType) *builder {
	b := &builder{name: name, typ: typ}
	switch typ {
	case spec.TypeNumber, spec.TypeInteger:
		b.st = stNumber
	case spec.TypeBoolean:
		b.st = stBool
	case spec.TypeCategory:
		b.st = stCategory
		b.index = map[string]int32{}
	}
	return b
}

func (b *builder) addNull() {
	if b.null == nil {
		b.null = make([]bool, b.n, max(b.n*2, 16))
	}
	b.null = append(b.null, true)
	switch b.st {
	case stCategory:
		b.codes = append(b.codes, -1)
	case stEmpty:
	default:
		b.floats = append(b.floats, math.NaN())
	}
	b.n++
}

func (b *builder) appendFloat(v float64) {
	b.floats = append(b.floats, v)
	if b.null != nil {
		b.null = append(b.null, false)
	}
	b.n++
}

func (b *builder) appendLevel(s string) {
	k, ok := b.index[s]
	if !ok {
		k = int32(len(b.levels))
		b.levels = append(b.levels, s)
		b.index[s] = k
	}
	b.codes = append(b.codes, k)
	if b.null != nil {
		b.null = append(b.null, false)
	}
	b.n++
}

// errValue is the error for a value that does not fit a typed column.
type errValue struct {
	text string
	want string
}

func (e *errValue) Error() string { return fmt.Sprintf("%s is not %s", strconv.Quote(e.text), e.want) }

// add appends one non-null value. Null tokens in text and strings become nulls.
func (b *builder) add(text string, k kind) error {
	if (k == kText || k == kString) && isNull(text) {
		b.addNull()
		return nil
	}
	if b.st == stEmpty {
		b.start(text, k)
	}
	switch b.st {
	case stNumber:
		if k == kNumber || k == kText || k == kString && b.typ != "" {
			if v, ok := parseNumber(text); ok {
				b.appendFloat(v)
				return nil
			}
		}
		if k != kNumber {
			if v, l, ok := parseTime(text, b.layout); ok && (b.typ != "" || b.time) {
				b.layout, b.time = l, true
				b.appendFloat(v)
				return nil
			}
		}
		if k == kBool && b.typ != "" {
			v, _ := isBoolWord(text)
			b.appendFloat(v)
			return nil
		}
		if b.typ != "" {
			return &errValue{text, "a number"}
		}
	case stBool:
		if b.typ != "" {
			if v, ok := parseBool(text); ok {
				b.appendFloat(v)
				return nil
			}
			return &errValue{text, "a boolean"}
		}
		if k == kBool || k == kText {
			if v, ok := isBoolWord(text); ok {
				b.appendFloat(v)
				return nil
			}
		}
	case stTime:
		if k != kNumber && k != kBool {
			if v, l, ok := parseTime(text, b.layout); ok {
				b.layout = l
				b.appendFloat(v)
				return nil
			}
		}
	case stCategory:
		b.appendLevel(text)
		return nil
	}
	b.toCategory()
	b.appendLevel(text)
	return nil
}

// start sets an inferred column's state from its first non-null value.
func (b *builder) start(text string, k kind) {
	nan := func() {
		b.floats = make([]float64, b.n, max(b.n*2, 16))
		for i := range b.floats {
			b.floats[i] = math.NaN()
		}
	}
	switch {
	case k == kNumber:
		b.st = stNumber
	case k == kBool:
		b.st = stBool
	case k == kText && isNumber(text):
		b.st = stNumber
	case k == kText && isBool(text):
		b.st = stBool
	case isTime(text):
		b.st = stTime
	default:
		b.st = stCategory
		b.index = map[string]int32{}
		b.codes = make([]int32, b.n, max(b.n*2, 16))
		for i := range b.codes {
			b.codes[i] = -1
		}
		return
	}
	nan()
}

func isNumber(s string) bool { _, ok := parseNumber(s); return ok }
func isBool(s string) bool   { _, ok := isBoolWord(s); return ok }
func isTime(s string) bool   { _, _, ok := parseTime(s, ""); return ok }

// toCategory turns an inferred column into a Category column when a value does not
// fit its type. Earlier values become their canonical text: 1.50 becomes "1.5",
// TRUE becomes "true", and times are printed in the layout they were read in.
func (b *builder) toCategory() {
	b.index = map[string]int32{}
	b.codes = make([]int32, 0, cap(b.floats))
	for i, v := range b.floats {
		if b.null != nil && b.null[i] {
			b.codes = append(b.codes, -1)
			continue
		}
		var s string
		switch b.st {
		case stBool:
			s = strconv.FormatBool(v != 0)
		case stTime:
			s = timeText(v, b.layout)
		default:
			s = formatFloat(v)
		}
		k, ok := b.index[s]
		if !ok {
			k = int32(len(b.levels))
			b.levels = append(b.levels, s)
			b.index[s] = k
		}
		b.codes = append(b.codes, k)
	}
	b.floats = nil
	b.st = stCategory
}

func (b *builder) column() *Column {
	c := &Column{Name: b.name}
	switch b.st {
	case stCategory:
		c.Type = Category
		c.Codes = b.codes
		c.Levels = b.levels
		if c.Levels == nil {
			c.Levels = []string{}
		}
	case stEmpty:
		// Only nulls: a number column of NaN, unless the feature says category.
		c.Type = Number
		c.Floats = make([]float64, b.n)
		for i := range c.Floats {
			c.Floats[i] = math.NaN()
		}
	default:
		c.Type = Number
		c.Floats = b.floats
		c.Time = b.st == stTime || b.time
	}
	if b.null != nil {
		c.Null = b.null
	}
	return c
}

var errNested = errors.New("nested objects and arrays are not supported")
