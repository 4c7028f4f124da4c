package dataset_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

func readFixture(t *testing.T, name string) *dataset.Frame {
	t.Helper()
	f, err := dataset.ReadFile(filepath.Join("testdata", name), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDigest(t *testing.T) {
	// Known digests, computed with sha256sum on the committed fixtures.
	for name, want := range map[string]string{
		"flights-1k.csv":     "sha256:cdaa51af92b677063db8856f97c8145bcaca4f41e83a7f4810dcc5c92f6a4c18",
		"flights-1k.parquet": "sha256:91abcd07797a7b774c524180745949d2e5799f94958f7a4702e61d01be590552",
	} {
		got, err := dataset.Digest(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Digest(%s) = %s, want %s", name, got, want)
		}
	}
	if _, err := dataset.Digest("testdata/missing.csv"); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("err = %v, want one naming the file", err)
	}
}

func TestFrameOps(t *testing.T) {
	f, err := dataset.ReadCSV(strings.NewReader("a,b\n1,x\n,y\n3,\n4,x\n"), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  *dataset.Frame
		want [][]string
	}{
		{"take", f.Take([]int{3, 1, 1}), [][]string{{"4", "x"}, {"∅", "y"}, {"∅", "y"}}},
		{"filter", f.Filter(func(i int) bool { return i%2 == 0 }), [][]string{{"1", "x"}, {"3", "∅"}}},
		{"slice", f.Slice(1, 3), [][]string{{"∅", "y"}, {"3", "∅"}}},
		{"slice clamps", f.Slice(3, 10), [][]string{{"4", "x"}}},
		{"take none", f.Take(nil), [][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := table(tt.got); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows = %q, want %q", got, tt.want)
			}
			if tt.got.Rows != len(tt.want) {
				t.Errorf("Rows = %d, want %d", tt.got.Rows, len(tt.want))
			}
		})
	}
	// A Take without nulls drops the null mask.
	if c := f.Take([]int{0, 3}).Col("a"); c.Null != nil {
		t.Errorf("Null = %v, want nil", c.Null)
	}
	s, err := f.Select("b", "a")
	if err != nil || strings.Join(s.Names(), ",") != "b,a" {
		t.Errorf("Select = %v, %v", s, err)
	}
	if _, err := f.Select("a", "c"); err == nil || err.Error() != `no column "c" (have a, b)` {
		t.Errorf("err = %v", err)
	}
}

func TestSplitFraction(t *testing.T) {
	f := readFixture(t, "flights-1k.parquet")
	s := spec.Split{Eval: spec.SplitPart{Fraction: 0.2}, Seed: 42}
	tr, ev, err := dataset.Split(f, s)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Rows != 800 || ev.Rows != 200 {
		t.Errorf("rows = %d/%d, want 800/200", tr.Rows, ev.Rows)
	}
	// Same seed, same rows; train and eval partition the frame.
	tr2, ev2, _ := dataset.Split(f, s)
	if !reflect.DeepEqual(table(ev), table(ev2)) || !reflect.DeepEqual(table(tr), table(tr2)) {
		t.Error("the same seed gave different rows")
	}
	_, ev3, _ := dataset.Split(f, spec.Split{Eval: spec.SplitPart{Fraction: 0.2}, Seed: 43})
	if reflect.DeepEqual(table(ev), table(ev3)) {
		t.Error("seeds 42 and 43 gave the same rows")
	}
	// Rows are identified by a row-number column to check the partition.
	ids := &dataset.Column{Name: "id", Type: dataset.Number, Floats: make([]float64, f.Rows)}
	for i := range ids.Floats {
		ids.Floats[i] = float64(i)
	}
	g := &dataset.Frame{Rows: f.Rows, Columns: append([]*dataset.Column{ids}, f.Columns...)}
	gtr, gev, _ := dataset.Split(g, s)
	seen := make([]int, f.Rows)
	for _, part := range []*dataset.Frame{gtr, gev} {
		prev := -1.0
		for _, v := range part.Col("id").Floats {
			seen[int(v)]++
			if v <= prev {
				t.Fatalf("rows out of order: %v after %v", v, prev)
			}
			prev = v
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("row %d is in %d parts", i, n)
		}
	}
	// The split does not depend on the columns, only on seed and row count: the
	// eval rows of seed 42 over 1000 rows start with these (a change here changes
	// every user's split).
	first := gev.Col("id").Floats[:5]
	if want := []float64{2, 3, 6, 10, 21}; !reflect.DeepEqual(first, want) {
		t.Errorf("first eval rows of seed 42 = %v, want %v", first, want)
	}
	if _, _, err := dataset.Split(f.Slice(0, 1), s); err == nil || err.Error() != "split: 1 rows cannot be split into train and eval" {
		t.Errorf("one row: err = %v", err)
	}
	if tr, ev, err := dataset.Split(f.Slice(0, 2), spec.Split{Eval: spec.SplitPart{Fraction: 0.01}}); err != nil || tr.Rows != 1 || ev.Rows != 1 {
		t.Errorf("two rows: %v, %v, %v", tr, ev, err)
	}
	for _, bad := range []float64{0, 1, -0.1, 1.5, math.NaN()} {
		if _, _, err := dataset.Split(f, spec.Split{Eval: spec.SplitPart{Fraction: bad}}); err == nil {
			t.Errorf("fraction %v: no error", bad)
		}
	}
}

func TestSplitRange(t *testing.T) {
	f := readFixture(t, "flights-1k.parquet")
	csv := readFixture(t, "flights-1k.csv")
	month := func(fr *dataset.Frame, i int) string { return fr.Col("date").Value(i)[:7] }
	tests := []struct {
		name       string
		split      spec.Split
		trainMonth []string // first and last month in train
		evalMonth  []string
	}{
		{"dates", spec.Split{Column: "date", Train: &spec.Range{Before: "2001-03-01"},
			Eval: spec.SplitPart{Range: &spec.Range{From: "2001-03-01", Before: "2001-04-01"}}},
			[]string{"2001-01", "2001-02"}, []string{"2001-03", "2001-03"}},
		{"train defaults to before eval", spec.Split{Column: "date",
			Eval: spec.SplitPart{Range: &spec.Range{From: "2001-06-01"}}},
			[]string{"2001-01", "2001-05"}, []string{"2001-06", "2001-06"}},
		{"RFC 3339 bounds", spec.Split{Column: "date", Train: &spec.Range{From: "2001-01-15T00:00:00Z", Before: "2001-02-01T00:00:00+00:00"},
			Eval: spec.SplitPart{Range: &spec.Range{From: "2001-02-01T00:00:00Z", Before: "2001-02-15T00:00:00Z"}}},
			[]string{"2001-01", "2001-01"}, []string{"2001-02", "2001-02"}},
	}
	for _, tt := range tests {
		for name, fr := range map[string]*dataset.Frame{"parquet": f, "csv": csv} {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				tr, ev, err := dataset.Split(fr, tt.split)
				if err != nil {
					t.Fatal(err)
				}
				if got := []string{month(tr, 0), month(tr, tr.Rows-1)}; !reflect.DeepEqual(got, tt.trainMonth) {
					t.Errorf("train months %v, want %v", got, tt.trainMonth)
				}
				if got := []string{month(ev, 0), month(ev, ev.Rows-1)}; !reflect.DeepEqual(got, tt.evalMonth) {
					t.Errorf("eval months %v, want %v", got, tt.evalMonth)
				}
			})
		}
	}
	// The boundary is half-open: a row exactly at "before" is out, at "from" is in.
	g, _ := dataset.ReadCSV(strings.NewReader("d,x\n2001-02-28T23:59:59Z,1\n2001-03-01,2\n2001-03-31T23:59:59Z,3\n2001-04-01,4\n"), dataset.ReadOptions{})
	tr, ev, err := dataset.Split(g, spec.Split{Column: "d", Train: &spec.Range{Before: "2001-03-01"},
		Eval: spec.SplitPart{Range: &spec.Range{From: "2001-03-01", Before: "2001-04-01"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := table(tr); !reflect.DeepEqual(got, [][]string{{"2001-02-28T23:59:59Z", "1"}}) {
		t.Errorf("train = %q", got)
	}
	if got := table(ev); !reflect.DeepEqual(got, [][]string{{"2001-03-01T00:00:00Z", "2"}, {"2001-03-31T23:59:59Z", "3"}}) {
		t.Errorf("eval = %q", got)
	}
	// Numbers.
	tr, ev, err = dataset.Split(g, spec.Split{Column: "x", Eval: spec.SplitPart{Range: &spec.Range{From: "3"}}})
	if err != nil || tr.Rows != 2 || ev.Rows != 2 {
		t.Errorf("number split: %v, %v, %v", tr, ev, err)
	}
}

func TestSplitRangeErrors(t *testing.T) {
	f := readFixture(t, "flights-1k.parquet")
	ev := func(from, before string) spec.SplitPart {
		return spec.SplitPart{Range: &spec.Range{From: from, Before: before}}
	}
	tests := []struct {
		name  string
		split spec.Split
		want  string
	}{
		{"no column", spec.Split{Column: "day", Eval: ev("1", "")}, `split: no column "day"`},
		{"no eval range", spec.Split{Column: "date", Eval: spec.SplitPart{Fraction: 0.2}}, "needs an eval range"},
		{"bad date", spec.Split{Column: "date", Eval: ev("March", "")}, `split: eval.from "March" is not a date`},
		{"empty range", spec.Split{Column: "date", Eval: ev("2001-04-01", "2001-03-01")}, "eval range is empty"},
		{"overlap", spec.Split{Column: "date", Train: &spec.Range{Before: "2001-03-15"}, Eval: ev("2001-03-01", "")}, "overlap"},
		{"no eval rows", spec.Split{Column: "date", Eval: ev("2002-01-01", "")},
			`split: no eval rows: column "date" holds values from 2001-01-01T00:01:00Z to 2001-06-30T18:42:00Z`},
		{"text column", spec.Split{Column: "origin", Eval: ev("A", "")}, `neither a date nor a number`},
		{"ranges without column", spec.Split{Eval: ev("1", "")}, "ranges need a column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := dataset.Split(f, tt.split)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %s", err, tt.want)
			}
		})
	}
}

func TestWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{"flights-1k.parquet", "nulls.parquet"} {
		f := readFixture(t, src)
		for _, ext := range []string{"csv", "jsonl", "parquet"} {
			t.Run(src+"/"+ext, func(t *testing.T) {
				path := filepath.Join(dir, strings.TrimSuffix(src, ".parquet")+"."+ext)
				if err := dataset.WriteFile(path, f); err != nil {
					t.Fatal(err)
				}
				g, err := dataset.ReadFile(path, dataset.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				want, got := table(f), table(g)
				if src == "nulls.parquet" && ext != "parquet" {
					// Text formats cannot say that the all-integer column b is boolean.
					if types(g) != types(f) {
						t.Errorf("types = %s, want %s", types(g), types(f))
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("read back\n%q\nwant\n%q", got, want)
				}
			})
		}
	}
	if err := dataset.WriteFile(filepath.Join(dir, "x.xlsx"), readFixture(t, "nulls.parquet")); err == nil {
		t.Error("no error for .xlsx")
	}
	if err := dataset.WriteFile(filepath.Join(dir, "no", "such", "x.csv"), readFixture(t, "nulls.parquet")); err == nil {
		t.Error("no error for a missing folder")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 6 {
		t.Errorf("%d files in the folder, want 6 (no temporary files left)", len(ents))
	}
}

func TestWriteJSONLValues(t *testing.T) {
	f, _ := dataset.ReadCSV(strings.NewReader("s,x,d\n\"a\"\"b\",NaN,2001-01-01\n,1e21,\n"), dataset.ReadOptions{})
	var b bytes.Buffer
	if err := dataset.WriteJSONL(&b, f); err != nil {
		t.Fatal(err)
	}
	want := `{"s":"a\"b","x":null,"d":"2001-01-01T00:00:00Z"}` + "\n" + `{"s":null,"x":1e+21,"d":null}` + "\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("invalid JSON: %s", line)
		}
	}
}

func TestCategoryOf(t *testing.T) {
	c := dataset.CategoryOf("label", []string{"b", "a", "b", ""})
	if c.Type != dataset.Category || c.Null != nil || len(c.Codes) != 4 {
		t.Fatalf("column %+v", c)
	}
	for i, want := range []string{"b", "a", "b", ""} {
		if got := c.Value(i); got != want {
			t.Errorf("row %d: %q, want %q", i, got, want)
		}
	}
	if strings.Join(c.Levels, ",") != "b,a," {
		t.Errorf("levels %q: want first-seen order", c.Levels)
	}
}
