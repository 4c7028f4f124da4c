package dataset_test

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

// table renders a frame as rows of text, "∅" for nulls, for comparisons.
func table(f *dataset.Frame) [][]string {
	rows := make([][]string, f.Rows)
	for i := range rows {
		for _, c := range f.Columns {
			v := c.Value(i)
			if c.IsNull(i) {
				v = "∅"
			}
			rows[i] = append(rows[i], v)
		}
	}
	return rows
}

func types(f *dataset.Frame) string {
	var s []string
	for _, c := range f.Columns {
		t := c.Type.String()
		if c.Time {
			t = "time"
		}
		s = append(s, c.Name+":"+t)
	}
	return strings.Join(s, " ")
}

func TestReadFlightsFixtures(t *testing.T) {
	var frames []*dataset.Frame
	for _, name := range []string{"flights-1k.parquet", "flights-1k.csv", "flights-1k.jsonl"} {
		t.Run(name, func(t *testing.T) {
			f, err := dataset.ReadFile(filepath.Join("testdata", name), dataset.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Rows != 1000 {
				t.Errorf("rows = %d, want 1000", f.Rows)
			}
			want := "date:time delay:number distance:number origin:category destination:category"
			if got := types(f); got != want {
				t.Errorf("types = %s, want %s", got, want)
			}
			// The first row of the sample: 2001-01-01 00:01, LAS → PHL.
			if got := f.Col("date").Floats[0]; got != 978307260 {
				t.Errorf("date[0] = %v, want 978307260 (2001-01-01T00:01:00Z)", got)
			}
			if got := table(f)[0]; !reflect.DeepEqual(got, []string{"2001-01-01T00:01:00Z", "33", "2176", "LAS", "PHL"}) {
				t.Errorf("row 1 = %q", got)
			}
			frames = append(frames, f)
		})
	}
	if len(frames) == 3 {
		p, c, j := table(frames[0]), table(frames[1]), table(frames[2])
		for i := range p {
			if !reflect.DeepEqual(p[i], c[i]) || !reflect.DeepEqual(p[i], j[i]) {
				t.Fatalf("row %d differs: parquet %q csv %q jsonl %q", i+1, p[i], c[i], j[i])
			}
		}
	}
}

func TestReadColumns(t *testing.T) {
	for _, name := range []string{"flights-1k.parquet", "flights-1k.csv", "flights-1k.jsonl"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			f, err := dataset.ReadFile(path, dataset.ReadOptions{Columns: []string{"origin", "delay"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := types(f); got != "origin:category delay:number" {
				t.Errorf("types = %s", got)
			}
			_, err = dataset.ReadFile(path, dataset.ReadOptions{Columns: []string{"delay", "hour", "carrier"}})
			want := path + `: no column "hour", "carrier" (have date, delay, distance, origin, destination)`
			if err == nil || err.Error() != want {
				t.Errorf("err = %v, want %s", err, want)
			}
		})
	}
}

func TestReadFeatureTypes(t *testing.T) {
	features := []spec.Feature{
		{Name: "distance", Type: spec.TypeCategory},
		{Name: "origin", Type: spec.TypeCategory},
		{Name: "delay", Type: spec.TypeInteger},
	}
	for _, name := range []string{"flights-1k.parquet", "flights-1k.csv", "flights-1k.jsonl"} {
		t.Run(name, func(t *testing.T) {
			f, err := dataset.ReadFile(filepath.Join("testdata", name), dataset.ReadOptions{Features: features})
			if err != nil {
				t.Fatal(err)
			}
			want := "date:time delay:number distance:category origin:category destination:category"
			if got := types(f); got != want {
				t.Errorf("types = %s, want %s", got, want)
			}
			if got := f.Col("distance").String(0); got != "2176" {
				t.Errorf("distance[0] = %q, want 2176", got)
			}
		})
	}
	// A string column read as a number feature is parsed, and a value that does not
	// parse names its row.
	_, err := dataset.ReadFile("testdata/flights-1k.parquet", dataset.ReadOptions{
		Features: []spec.Feature{{Name: "origin", Type: spec.TypeNumber}}})
	if want := `testdata/flights-1k.parquet: row 1: column "origin": "LAS" is not a number`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestReadCSV(t *testing.T) {
	num := func(n string) spec.Feature { return spec.Feature{Name: n, Type: spec.TypeNumber} }
	tests := []struct {
		name     string
		in       string
		features []spec.Feature
		types    string
		rows     [][]string
	}{
		{"inferred types", "n,s,b,d,t\n1,x,true,2001-01-01,2001-01-01T10:00:00+02:00\n2.5,y,FALSE,2001-03-01,2001-01-01T08:00:00Z\n",
			nil, "n:number s:category b:number d:time t:time",
			[][]string{{"1", "x", "1", "2001-01-01T00:00:00Z", "2001-01-01T08:00:00Z"}, {"2.5", "y", "0", "2001-03-01T00:00:00Z", "2001-01-01T08:00:00Z"}}},
		{"null tokens", "a,b\n1,\nNA,x\nnull,NULL\n,N/A\n", nil, "a:number b:category",
			[][]string{{"1", "∅"}, {"∅", "x"}, {"∅", "∅"}, {"∅", "∅"}}},
		{"only nulls", "a\n\"\"\nNA\n", nil, "a:number", [][]string{{"∅"}, {"∅"}}},
		{"numbers then text", "a\n1.50\n2\nabc\n", nil, "a:category", [][]string{{"1.5"}, {"2"}, {"abc"}}},
		{"booleans then text", "a\ntrue\nmaybe\n", nil, "a:category", [][]string{{"true"}, {"maybe"}}},
		{"dates then text", "a\n2001/01/02 10:30\nsoon\n", nil, "a:category", [][]string{{"2001/01/02 10:30"}, {"soon"}}},
		{"hex and underscores are text", "a\n0x10\n1_000\n", nil, "a:category", [][]string{{"0x10"}, {"1_000"}}},
		{"NaN and Inf are numbers", "a\nNaN\n-Inf\n1e400\n", nil, "a:number", [][]string{{"NaN"}, {"-Inf"}, {"+Inf"}}},
		{"quoted fields and BOM", "\ufeff\"a\",b\n\"1,5\",\"say \"\"hi\"\"\"\n", nil, "a:category b:category", [][]string{{"1,5", `say "hi"`}}},
		{"unnamed index column", ",a\n0,x\n", nil, "column1:number a:category", [][]string{{"0", "x"}}},
		{"category feature keeps text", "zip\n02134\n10001\n", []spec.Feature{{Name: "zip", Type: spec.TypeCategory}},
			"zip:category", [][]string{{"02134"}, {"10001"}}},
		{"boolean feature", "b\nyes\nno\n1\nF\n", []spec.Feature{{Name: "b", Type: spec.TypeBoolean}},
			"b:number", [][]string{{"1"}, {"0"}, {"1"}, {"0"}}},
		{"number feature with nulls", "x\n\"\"\n3\n", []spec.Feature{num("x")}, "x:number", [][]string{{"∅"}, {"3"}}},
		{"header only", "a,b\n", nil, "a:number b:number", [][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := dataset.ReadCSV(strings.NewReader(tt.in), dataset.ReadOptions{Features: tt.features})
			if err != nil {
				t.Fatal(err)
			}
			if got := types(f); got != tt.types {
				t.Errorf("types = %s, want %s", got, tt.types)
			}
			if got := table(f); !reflect.DeepEqual(got, tt.rows) {
				t.Errorf("rows = %q, want %q", got, tt.rows)
			}
			for _, c := range f.Columns {
				if c.Len() != f.Rows || c.Null != nil && len(c.Null) != f.Rows {
					t.Errorf("column %s has %d values, %d nulls for %d rows", c.Name, c.Len(), len(c.Null), f.Rows)
				}
				if c.Null != nil && c.NullCount() == 0 {
					t.Errorf("column %s: Null is set but holds no null", c.Name)
				}
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	dist := []spec.Feature{{Name: "distance", Type: spec.TypeNumber}}
	tests := []struct {
		name     string
		in       string
		features []spec.Feature
		want     string
	}{
		{"empty", "", nil, "data.csv: empty file: no header row"},
		{"not a number", "origin,distance\nSEA,1\nLAX,abc\n", dist, `data.csv:3: column "distance": "abc" is not a number`},
		{"not a boolean", "b\ntrue\nperhaps\n", []spec.Feature{{Name: "b", Type: spec.TypeBoolean}}, `data.csv:3: column "b": "perhaps" is not a boolean`},
		{"ragged row", "a,b\n1,2\n3\n", nil, "data.csv:3: wrong number of fields"},
		{"long row", "a,b\n1,2,3\n", nil, "data.csv:2: wrong number of fields"},
		{"bare quote", "a\nx\"y\n", nil, `data.csv:2: bare " in non-quoted-field`},
		{"invalid UTF-8", "a,b\n1,\xff\xfe\n", nil, `data.csv:2: column "b": invalid UTF-8`},
		{"invalid UTF-8 header", "a,\xff\n", nil, `data.csv:1: header field 2: invalid UTF-8`},
		{"duplicate column", "a,b,a\n", nil, `data.csv:1: column "a" appears twice (fields 1 and 3)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dataset.ReadCSV(strings.NewReader(tt.in), dataset.ReadOptions{Name: "data.csv", Features: tt.features})
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestReadJSONL(t *testing.T) {
	tests := []struct {
		name, in string
		features []spec.Feature
		types    string
		rows     [][]string
	}{
		{"lines", "{\"a\":1,\"b\":\"x\",\"c\":true}\n\n{\"a\":2.5,\"b\":\"y\",\"c\":false}\n", nil,
			"a:number b:category c:number", [][]string{{"1", "x", "1"}, {"2.5", "y", "0"}}},
		{"array", " [ {\"a\":1}, {\"a\":null,\"b\":\"z\"} ]\n", nil,
			"a:number b:category", [][]string{{"1", "∅"}, {"∅", "z"}}},
		{"missing keys and late columns", "{\"a\":1}\n{\"b\":\"x\"}\n{\"a\":3}\n", nil,
			"a:number b:category", [][]string{{"1", "∅"}, {"∅", "x"}, {"3", "∅"}}},
		{"strings stay text", "{\"zip\":\"02134\"}\n{\"zip\":\"NA\"}\n", nil, "zip:category", [][]string{{"02134"}, {"∅"}}},
		{"numbers then strings", "{\"a\":1}\n{\"a\":\"x\"}\n", nil, "a:category", [][]string{{"1"}, {"x"}}},
		{"date strings", "{\"d\":\"2001/01/01 06:55\"}\n", nil, "d:time", [][]string{{"2001-01-01T06:55:00Z"}}},
		{"number feature from strings", "{\"x\":\"1.5\"}\n{\"x\":2}\n", []spec.Feature{{Name: "x", Type: spec.TypeNumber}},
			"x:number", [][]string{{"1.5"}, {"2"}}},
		{"category feature from numbers", "{\"x\":1}\n{\"x\":true}\n", []spec.Feature{{Name: "x", Type: spec.TypeCategory}},
			"x:category", [][]string{{"1"}, {"true"}}},
		{"CRLF", "{\"a\":1}\r\n{\"a\":2}\r\n", nil, "a:number", [][]string{{"1"}, {"2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := dataset.ReadJSONL(strings.NewReader(tt.in), dataset.ReadOptions{Features: tt.features})
			if err != nil {
				t.Fatal(err)
			}
			if got := types(f); got != tt.types {
				t.Errorf("types = %s, want %s", got, tt.types)
			}
			if got := table(f); !reflect.DeepEqual(got, tt.rows) {
				t.Errorf("rows = %q, want %q", got, tt.rows)
			}
		})
	}
}

func TestReadJSONLErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "  \n", "d.jsonl: empty file"},
		{"bad line", "{\"a\":1}\n{\"a\":}\n", "d.jsonl:2: invalid character '}' looking for beginning of value"},
		{"not an object", "{\"a\":1}\n[1]\n", "d.jsonl:2: want a JSON object, found ["},
		{"two objects on a line", "{\"a\":1}{\"a\":2}\n", "d.jsonl:1: more than one JSON value on the line"},
		{"nested", "{\"a\":{\"b\":1}}\n", `d.jsonl:1: column "a": nested objects and arrays are not supported`},
		{"duplicate key", "{\"a\":1,\"a\":2}\n", `d.jsonl:1: column "a": key appears twice in the object`},
		{"truncated", "{\"a\":1", "d.jsonl:1: unexpected end of JSON"},
		{"typed", "{\"d\":1}\n{\"d\":\"far\"}\n", `d.jsonl:2: column "d": "far" is not a number`},
		{"array truncated", "[{\"a\":1},{\"a\":", "d.jsonl: row 2: unexpected end of JSON"},
		{"array garbage after", "[{\"a\":1}] x", "d.jsonl: data after the closing ]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dataset.ReadJSONL(strings.NewReader(tt.in), dataset.ReadOptions{Name: "d.jsonl",
				Features: []spec.Feature{{Name: "d", Type: spec.TypeNumber}}})
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestReadParquetNulls(t *testing.T) {
	f, err := dataset.ReadFile("testdata/nulls.parquet", dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := types(f), "i:number x:number b:number s:category t:time d:time"; got != want {
		t.Errorf("types = %s, want %s", got, want)
	}
	want := [][]string{
		{"1", "1.5", "1", "a", "2001-01-01T00:00:00Z", "2001-01-01T00:00:00Z"},
		{"∅", "2.5", "0", "b", "2001-01-01T00:00:01.5Z", "2001-01-02T00:00:00Z"},
		{"3", "∅", "1", "a", "1970-01-01T00:00:00Z", "2001-01-03T00:00:00Z"},
		{"4", "4.5", "∅", "c", "2001-01-02T00:00:00Z", "2001-01-04T00:00:00Z"},
		{"5", "5.5", "1", "∅", "2001-01-03T00:00:00Z", "∅"},
		{"6", "6.5", "0", "b", "∅", "2001-01-06T00:00:00Z"},
	}
	if got := table(f); !reflect.DeepEqual(got, want) {
		t.Errorf("rows =\n%q\nwant\n%q", got, want)
	}
	if !math.IsNaN(f.Col("i").Floats[1]) || f.Col("s").Codes[4] != -1 {
		t.Errorf("null storage: i[1] = %v (want NaN), s[4] code = %d (want -1)", f.Col("i").Floats[1], f.Col("s").Codes[4])
	}
}

func TestReadParquetBad(t *testing.T) {
	good, err := os.ReadFile("testdata/flights-1k.parquet")
	if err != nil {
		t.Fatal(err)
	}
	corrupt := func(at int) []byte {
		b := append([]byte(nil), good...)
		for i := at; i < at+64 && i < len(b); i++ {
			b[i] ^= 0x5a
		}
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not parquet", []byte("date,delay\n2001-01-01,3\n")},
		{"truncated", good[:len(good)/2]},
		{"footer cut", good[:len(good)-3]},
		{"corrupt pages", corrupt(100)},
		{"corrupt middle", corrupt(len(good) / 2)},
		{"corrupt footer", corrupt(len(good) - 200)},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".parquet")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := dataset.ReadFile(path, dataset.ReadOptions{})
			if err == nil {
				// Flipped bits in compressed data can decode to other valid data;
				// then the frame must still be whole.
				if strings.HasPrefix(tt.name, "corrupt") {
					for _, c := range f.Columns {
						if c.Len() != f.Rows {
							t.Errorf("column %s: %d values for %d rows", c.Name, c.Len(), f.Rows)
						}
					}
					return
				}
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("err = %v, want it to start with the path", err)
			}
		})
	}
}

func TestReadFileFormat(t *testing.T) {
	if _, err := dataset.ReadFile("testdata/flights-1k.csv", dataset.ReadOptions{Format: "xlsx"}); err == nil ||
		!strings.Contains(err.Error(), `unknown format "xlsx"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := dataset.ReadFile("testdata/missing.csv", dataset.ReadOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
	for path, want := range map[string]spec.Format{"a.CSV": spec.FormatCSV, "b.pq": spec.FormatParquet, "c.json": spec.FormatJSONL, "d.txt": ""} {
		if got := dataset.FormatOf(path); got != want {
			t.Errorf("FormatOf(%s) = %q, want %q", path, got, want)
		}
	}
}

func TestReadParquetTypes(t *testing.T) {
	_, err := dataset.ReadFile("testdata/types.parquet", dataset.ReadOptions{})
	if want := `testdata/types.parquet: column "list": nested columns are not supported; list the columns to read`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	f, err := dataset.ReadFile("testdata/types.parquet", dataset.ReadOptions{Columns: []string{"dec", "u32", "u64", "i8", "f32", "bin"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := types(f), "dec:number u32:number u64:number i8:number f32:number bin:category"; got != want {
		t.Errorf("types = %s, want %s", got, want)
	}
	want := [][]string{
		{"1.25", "4000000000", "9223372036854776000", "-5", "1.5", "ab"},
		{"∅", "∅", "∅", "∅", "-0.25", "∅"},
		{"-3.5", "7", "9", "127", "3", "ab"},
	}
	if got := table(f); !reflect.DeepEqual(got, want) {
		t.Errorf("rows =\n%q\nwant\n%q", got, want)
	}
}
