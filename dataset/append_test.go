package dataset

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// nullMark stands for a null row in the tests' tables.
const nullMark = "∅"

// appendNum is a Number column; NaN marks a null.
func appendNum(name string, vs ...float64) *Column {
	c := &Column{Name: name, Type: Number, Floats: vs}
	for i, v := range vs {
		if math.IsNaN(v) {
			if c.Null == nil {
				c.Null = make([]bool, len(vs))
			}
			c.Null[i] = true
		}
	}
	return c
}

// appendTime is a Time column of Unix seconds; NaN marks a null.
func appendTime(name string, vs ...float64) *Column {
	c := appendNum(name, vs...)
	c.Time = true
	return c
}

// appendCat is a Category column with the given levels, in that order; codes
// -1 are nulls.
func appendCat(name string, levels []string, codes ...int32) *Column {
	c := &Column{Name: name, Type: Category, Levels: levels, Codes: codes}
	for i, k := range codes {
		if k < 0 {
			if c.Null == nil {
				c.Null = make([]bool, len(codes))
			}
			c.Null[i] = true
		}
	}
	return c
}

// appendText is a Category column of the given values, levels in the order
// they first appear; nullMark is a null.
func appendText(name string, vs ...string) *Column {
	var levels []string
	var codes []int32
	index := map[string]int32{}
	for _, v := range vs {
		if v == nullMark {
			codes = append(codes, -1)
			continue
		}
		k, ok := index[v]
		if !ok {
			k = int32(len(levels))
			levels = append(levels, v)
			index[v] = k
		}
		codes = append(codes, k)
	}
	return appendCat(name, levels, codes...)
}

func appendFrame(cols ...*Column) *Frame {
	f := &Frame{Columns: cols}
	if len(cols) > 0 {
		f.Rows = cols[0].Len()
	}
	return f
}

func appendCSV(t *testing.T, text string) *Frame {
	t.Helper()
	f, err := ReadCSV(strings.NewReader(text), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// appendTable renders a frame's columns as their Values, nullMark for nulls.
func appendTable(f *Frame) map[string][]string {
	out := map[string][]string{}
	for _, c := range f.Columns {
		vs := make([]string, c.Len())
		for i := range vs {
			if c.IsNull(i) {
				vs[i] = nullMark
			} else {
				vs[i] = c.Value(i)
			}
		}
		out[c.Name] = vs
	}
	return out
}

// appendSnapshot prints every field of every column, NaN included (which
// reflect.DeepEqual would never find equal).
func appendSnapshot(f *Frame) string {
	if f == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rows=%d\n", f.Rows)
	for _, c := range f.Columns {
		fmt.Fprintf(&b, "%+v\n", *c)
	}
	return b.String()
}

func TestAppend(t *testing.T) {
	const jan1 = 978307200 // 2001-01-01T00:00:00Z
	flights := "distance,origin,date\n" +
		"500,SEA,2001-01-01T00:00:00Z\n" +
		",LAX,2001-01-01T06:00:00Z\n" +
		"1200,,2001-01-02T00:00:00Z\n"
	tests := []struct {
		name  string
		base  func(t *testing.T) *Frame
		extra func(t *testing.T) *Frame
		want  map[string][]string
		// levels are the wanted Levels of Category columns.
		levels map[string][]string
		// codes are the wanted Codes of Category columns, where the codes matter.
		codes map[string][]int32
	}{
		{
			name: "same types",
			base: func(t *testing.T) *Frame {
				return appendCSV(t, "distance,origin,date\n500,SEA,2001-01-01\n900,LAX,2001-01-02\n")
			},
			extra: func(t *testing.T) *Frame {
				return appendCSV(t, "distance,origin,date\n700,LAX,2001-02-01\n1.5,SFO,2001-02-02T12:30:00Z\n")
			},
			want: map[string][]string{
				"distance": {"500", "900", "700", "1.5"},
				"origin":   {"SEA", "LAX", "LAX", "SFO"},
				"date":     {"2001-01-01T00:00:00Z", "2001-01-02T00:00:00Z", "2001-02-01T00:00:00Z", "2001-02-02T12:30:00Z"},
			},
			levels: map[string][]string{"origin": {"SEA", "LAX", "SFO"}},
			codes:  map[string][]int32{"origin": {0, 1, 1, 2}},
		},
		{
			name: "category levels remapped, new level appended",
			base: func(*testing.T) *Frame {
				return appendFrame(appendCat("origin", []string{"SEA", "LAX", "PDX"}, 0, 1, 0))
			},
			extra: func(*testing.T) *Frame {
				// Another order, an unused level (BOS) and a new one (SFO).
				return appendFrame(appendCat("origin", []string{"BOS", "LAX", "SFO", "SEA"}, 1, 2, 3, 2, 1))
			},
			want:   map[string][]string{"origin": {"SEA", "LAX", "SEA", "LAX", "SFO", "SEA", "SFO", "LAX"}},
			levels: map[string][]string{"origin": {"SEA", "LAX", "PDX", "SFO"}},
			codes:  map[string][]int32{"origin": {0, 1, 0, 1, 3, 0, 3, 1}},
		},
		{
			name: "number from text and booleans",
			base: func(t *testing.T) *Frame { return appendCSV(t, "x\n1\n2\n") },
			extra: func(*testing.T) *Frame {
				return appendFrame(appendText("x", "2.5", "TRUE", "no", "Yes", "false", "-3", "1e3", "0", "yes"))
			},
			want: map[string][]string{"x": {"1", "2", "2.5", "1", "0", "1", "0", "-3", "1000", "0", "1"}},
		},
		{
			name: "category from numbers and times",
			base: func(*testing.T) *Frame {
				return appendFrame(appendText("code", "1.5", "a"), appendText("when", "x", nullMark))
			},
			extra: func(*testing.T) *Frame {
				return appendFrame(appendNum("code", 1.5, 4e9, 0.1, 2), appendTime("when", jan1, jan1+0.25, math.NaN(), jan1))
			},
			want: map[string][]string{
				"code": {"1.5", "a", "1.5", "4000000000", "0.1", "2"},
				"when": {"x", nullMark, "2001-01-01T00:00:00Z", "2001-01-01T00:00:00.25Z", nullMark, "2001-01-01T00:00:00Z"},
			},
			levels: map[string][]string{
				"code": {"1.5", "a", "4000000000", "0.1", "2"},
				"when": {"x", "2001-01-01T00:00:00Z", "2001-01-01T00:00:00.25Z"},
			},
			codes: map[string][]int32{"code": {0, 1, 0, 2, 3, 4}, "when": {0, -1, 1, 2, -1, 1}},
		},
		{
			name: "time from RFC 3339 text, date text and Unix seconds",
			base: func(t *testing.T) *Frame { return appendCSV(t, "date,n\n2001-01-01T00:00:00Z,1\n") },
			extra: func(*testing.T) *Frame {
				return appendFrame(
					appendText("date", "2001-03-04T05:06:07Z", "2001-03-05", "2001-03-04T07:06:07+02:00", "2001-03-05"),
					appendNum("n", 2, 3, 4, 5),
				)
			},
			want: map[string][]string{
				"date": {"2001-01-01T00:00:00Z", "2001-03-04T05:06:07Z", "2001-03-05T00:00:00Z", "2001-03-04T05:06:07Z", "2001-03-05T00:00:00Z"},
				"n":    {"1", "2", "3", "4", "5"},
			},
		},
		{
			name: "time from a Number column as Unix seconds",
			base: func(t *testing.T) *Frame { return appendCSV(t, "date\n2001-01-01\n") },
			extra: func(*testing.T) *Frame {
				return appendFrame(appendNum("date", jan1+86400, jan1+90061.5))
			},
			want: map[string][]string{"date": {"2001-01-01T00:00:00Z", "2001-01-02T00:00:00Z", "2001-01-02T01:01:01.5Z"}},
		},
		{
			name: "number from a Time column keeps Unix seconds",
			base: func(*testing.T) *Frame { return appendFrame(appendNum("t", 1)) },
			extra: func(t *testing.T) *Frame {
				return appendCSV(t, "t\n2001-01-01\n")
			},
			want: map[string][]string{"t": {"1", "978307200"}},
		},
		{
			name:  "missing columns are null, extra-only columns dropped",
			base:  func(t *testing.T) *Frame { return appendCSV(t, "distance,origin,date\n500,SEA,2001-01-01\n") },
			extra: func(t *testing.T) *Frame { return appendCSV(t, "carrier,distance,delay\nAS,700,3\nUA,800,4\n") },
			want: map[string][]string{
				"distance": {"500", "700", "800"},
				"origin":   {"SEA", nullMark, nullMark},
				"date":     {"2001-01-01T00:00:00Z", nullMark, nullMark},
			},
			levels: map[string][]string{"origin": {"SEA"}},
		},
		{
			name: "nulls on both sides",
			base: func(t *testing.T) *Frame { return appendCSV(t, flights) },
			extra: func(*testing.T) *Frame {
				return appendFrame(
					appendText("distance", "800", nullMark, "NA", "900"),
					appendText("origin", nullMark, "SEA", "BOS", nullMark),
					appendNum("date", math.NaN(), jan1, math.NaN(), jan1),
				)
			},
			want: map[string][]string{
				"distance": {"500", nullMark, "1200", "800", nullMark, nullMark, "900"},
				"origin":   {"SEA", "LAX", nullMark, nullMark, "SEA", "BOS", nullMark},
				"date": {"2001-01-01T00:00:00Z", "2001-01-01T06:00:00Z", "2001-01-02T00:00:00Z",
					nullMark, "2001-01-01T00:00:00Z", nullMark, "2001-01-01T00:00:00Z"},
			},
			levels: map[string][]string{"origin": {"SEA", "LAX", "BOS"}},
			codes:  map[string][]int32{"origin": {0, 1, -1, -1, 0, 2, -1}},
		},
		{
			name:  "nil extra copies base",
			base:  func(t *testing.T) *Frame { return appendCSV(t, flights) },
			extra: func(*testing.T) *Frame { return nil },
			want: map[string][]string{
				"distance": {"500", nullMark, "1200"},
				"origin":   {"SEA", "LAX", nullMark},
				"date":     {"2001-01-01T00:00:00Z", "2001-01-01T06:00:00Z", "2001-01-02T00:00:00Z"},
			},
		},
		{
			name: "extra without rows copies base",
			base: func(t *testing.T) *Frame { return appendCSV(t, "x,y\n1,a\n") },
			// Its types would not convert, but there is nothing to convert.
			extra: func(t *testing.T) *Frame { return appendFrame(appendText("x"), appendNum("y")) },
			want:  map[string][]string{"x": {"1"}, "y": {"a"}},
		},
		{
			name:  "base without rows",
			base:  func(*testing.T) *Frame { return appendFrame(appendNum("x"), appendCat("y", []string{})) },
			extra: func(t *testing.T) *Frame { return appendCSV(t, "y,x\nb,2\n") },
			want:  map[string][]string{"x": {"2"}, "y": {"b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, extra := tt.base(t), tt.extra(t)
			baseBefore, extraBefore := appendSnapshot(base), appendSnapshot(extra)
			got, err := Append(base, extra)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Names(), base.Names()) {
				t.Errorf("columns = %q, want base's %q", got.Names(), base.Names())
			}
			if table := appendTable(got); !reflect.DeepEqual(table, tt.want) {
				t.Errorf("rows =\n%q\nwant\n%q", table, tt.want)
			}
			wantRows := base.Rows
			if extra != nil {
				wantRows += extra.Rows
			}
			if got.Rows != wantRows {
				t.Errorf("Rows = %d, want %d", got.Rows, wantRows)
			}
			for k, c := range got.Columns {
				b := base.Columns[k]
				if c.Type != b.Type || c.Time != b.Time {
					t.Errorf("column %s is %v (time %v), base's is %v (time %v)", c.Name, c.Type, c.Time, b.Type, b.Time)
				}
				if c.Len() != got.Rows {
					t.Errorf("column %s has %d rows, frame %d", c.Name, c.Len(), got.Rows)
				}
				// Null is nil exactly when no row is null, and nulls are NaN or -1.
				anyNull := false
				for i, v := range tt.want[c.Name] {
					null := v == nullMark
					anyNull = anyNull || null
					if c.Type == Number && null && !math.IsNaN(c.Floats[i]) {
						t.Errorf("column %s row %d: null is %v, want NaN", c.Name, i, c.Floats[i])
					}
					if c.Type == Category && null != (c.Codes[i] == -1) {
						t.Errorf("column %s row %d: code %d, null %v", c.Name, i, c.Codes[i], null)
					}
				}
				if (c.Null != nil) != anyNull {
					t.Errorf("column %s: Null = %v, want nil only without nulls", c.Name, c.Null)
				}
				if want, ok := tt.levels[c.Name]; ok && !reflect.DeepEqual(c.Levels, want) {
					t.Errorf("column %s: levels = %q, want %q", c.Name, c.Levels, want)
				}
				if want, ok := tt.codes[c.Name]; ok && !reflect.DeepEqual(c.Codes, want) {
					t.Errorf("column %s: codes = %v, want %v", c.Name, c.Codes, want)
				}
			}
			if s := appendSnapshot(base); s != baseBefore {
				t.Errorf("base modified:\n%s\nwas\n%s", s, baseBefore)
			}
			if s := appendSnapshot(extra); s != extraBefore {
				t.Errorf("extra modified:\n%s\nwas\n%s", s, extraBefore)
			}
			// The result shares no storage with base: writing to it leaves base be.
			for _, c := range got.Columns {
				for i := range c.Floats {
					c.Floats[i] = -7
				}
				for i := range c.Codes {
					c.Codes[i] = 0
				}
				for i := range c.Levels {
					c.Levels[i] = "changed"
				}
				for i := range c.Null {
					c.Null[i] = !c.Null[i]
				}
			}
			if s := appendSnapshot(base); s != baseBefore {
				t.Errorf("base changed through the result:\n%s\nwas\n%s", s, baseBefore)
			}
		})
	}
}

func TestAppendErrors(t *testing.T) {
	tests := []struct {
		name  string
		base  *Frame
		extra *Frame
		want  string
	}{
		{
			name:  "text that is not a number",
			base:  appendFrame(appendNum("origin_id", 1), appendNum("distance", 1)),
			extra: appendFrame(appendText("distance", "12", "7.5", "far", "near")),
			want:  `column "distance": row 3: "far" is not a number`,
		},
		{
			// parseBool would take "y"; Append takes only the words.
			name:  "single letter is not a boolean",
			base:  appendFrame(appendNum("ok", 1)),
			extra: appendFrame(appendText("ok", "yes", "y")),
			want:  `column "ok": row 2: "y" is not a number`,
		},
		{
			name:  "a time is not a number",
			base:  appendFrame(appendNum("n", 1)),
			extra: appendFrame(appendText("n", "2001-01-01")),
			want:  `column "n": row 1: "2001-01-01" is not a number`,
		},
		{
			name:  "text that is not a time",
			base:  appendFrame(appendTime("date", 0)),
			extra: appendFrame(appendText("date", "2001-01-01", nullMark, "soon")),
			want:  `column "date": row 3: "soon" is not a timestamp or date`,
		},
		{
			name:  "a number in text is not a time",
			base:  appendFrame(appendTime("date", 0)),
			extra: appendFrame(appendText("date", "978307200")),
			want:  `column "date": row 1: "978307200" is not a timestamp or date`,
		},
		{
			name:  "no base",
			extra: appendFrame(appendNum("x", 1)),
			want:  `append rows: no base frame`,
		},
		{
			name:  "extra column shorter than its frame",
			base:  appendFrame(appendNum("x", 1)),
			extra: &Frame{Rows: 2, Columns: []*Column{appendNum("x", 1)}},
			want:  `append rows: extra frame: column "x" has 1 rows, frame has 2`,
		},
		{
			name:  "extra code without a level",
			base:  appendFrame(appendText("c", "a")),
			extra: appendFrame(appendCat("c", []string{"a"}, 0, 1)),
			want:  `append rows: extra frame: column "c": row 2: code 1 has no level (1 levels)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := appendSnapshot(tt.base)
			got, err := Append(tt.base, tt.extra)
			if err == nil {
				t.Fatalf("Append = %v, want error %q", appendTable(got), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
			if s := appendSnapshot(tt.base); s != before {
				t.Errorf("base modified:\n%s\nwas\n%s", s, before)
			}
		})
	}
}
