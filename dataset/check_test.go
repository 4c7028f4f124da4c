package dataset_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

func ptr[T any](v T) *T { return &v }

func TestCheck(t *testing.T) {
	data := "distance,hour,origin,flag,delay,late\n" +
		"100,3,SEA,1,5,0\n" +
		"-20,25,LAX,0,,1\n" +
		"7000,4.5,XXX,2,NaN,0\n" +
		",5,,1,Inf,\n" +
		"300,6,SEA,0,1,1\n"
	f, err := dataset.ReadCSV(strings.NewReader(data), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds := &spec.DatasetSpec{
		Target: "late",
		Time:   "date",
		Features: []spec.Feature{
			{Name: "distance", Type: spec.TypeNumber, Min: ptr(0.0), Max: ptr(5000.0), MaxNullShare: ptr(0.1)},
			{Name: "hour", Type: spec.TypeInteger, Min: ptr(0.0), Max: ptr(23.0), Nullable: ptr(false)},
			{Name: "origin", Type: spec.TypeCategory, Values: []string{"SEA", "LAX"}, Nullable: ptr(false)},
			{Name: "flag", Type: spec.TypeBoolean},
			{Name: "delay", Type: spec.TypeNumber},
			{Name: "carrier", Type: spec.TypeCategory},
			{Name: "late", Type: spec.TypeCategory}, // Number columns may be categories
		},
	}
	r := dataset.Check(f, ds)
	type row = dataset.Offense
	want := []dataset.Problem{
		{Check: "range", Column: "distance", Count: 2, Message: "2 values out of [0, 5000]", Rows: []row{{2, "-20"}, {3, "7000"}}},
		{Check: "null-share", Column: "distance", Count: 1, Message: "1 null in 5 rows (20%), more than maxNullShare 0.1"},
		{Check: "type", Column: "hour", Count: 1, Message: "1 non-integer value", Rows: []row{{3, "4.5"}}},
		{Check: "range", Column: "hour", Count: 1, Message: "1 value out of [0, 23]", Rows: []row{{2, "25"}}},
		{Check: "values", Column: "origin", Count: 1, Message: `1 value outside ["SEA", "LAX"]`, Rows: []row{{3, "XXX"}}},
		{Check: "null", Column: "origin", Count: 1, Message: "1 null in a column that is not nullable", Rows: []row{{4, "null"}}},
		{Check: "type", Column: "flag", Count: 1, Message: "1 value other than 0 and 1", Rows: []row{{3, "2"}}},
		{Check: "nan", Column: "delay", Count: 1, Message: "1 NaN value", Rows: []row{{3, "NaN"}}},
		{Check: "inf", Column: "delay", Count: 1, Message: "1 infinite value", Rows: []row{{4, "+Inf"}}},
		{Check: "missing-column", Column: "carrier", Count: 1, Message: "column not found"},
		{Check: "missing-column", Column: "date", Count: 1, Message: "column not found"},
	}
	if !reflect.DeepEqual(r.Problems, want) {
		got, _ := json.MarshalIndent(r.Problems, "", " ")
		t.Errorf("problems:\n%s", got)
	}
	wantCounts := map[string]int{"missing-column": 2, "type": 2, "range": 3, "values": 1, "null": 1, "null-share": 1, "nan": 1, "inf": 1}
	if !reflect.DeepEqual(r.Counts, wantCounts) {
		t.Errorf("counts = %v, want %v", r.Counts, wantCounts)
	}
	if r.OK() || r.Err() == nil || r.Rows != 5 || r.Columns != 8 {
		t.Errorf("OK = %v, Err = %v, Rows = %d, Columns = %d", r.OK(), r.Err(), r.Rows, r.Columns)
	}

	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"5 rows, 8 columns checked: 11 problems\n",
		"  range           distance  2 values out of [0, 5000]: row 2 (-20), row 3 (7000)\n",
		"  missing-column  date      column not found\n",
	} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("text lacks %q:\n%s", line, b.String())
		}
	}
}

func TestCheckTargetNullsAndTypes(t *testing.T) {
	f, _ := dataset.ReadCSV(strings.NewReader("y,x\n1,a\n,b\n"), dataset.ReadOptions{})
	r := dataset.Check(f, &spec.DatasetSpec{Target: "y", Features: []spec.Feature{{Name: "x", Type: spec.TypeNumber}}})
	got := []string{}
	for _, p := range r.Problems {
		got = append(got, p.Check+" "+p.Column+": "+p.Message)
	}
	want := []string{"type x: column is category, want number", "null y: target has 1 null"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestCheckOK(t *testing.T) {
	f := readFixture(t, "flights-1k.parquet")
	r := dataset.Check(f, &spec.DatasetSpec{Time: "date", Target: "delay", Features: []spec.Feature{
		{Name: "distance", Type: spec.TypeInteger, Min: ptr(0.0), Nullable: ptr(false), MaxNullShare: ptr(0.0)},
		{Name: "origin", Type: spec.TypeCategory},
	}})
	if !r.OK() || r.Err() != nil {
		t.Errorf("problems: %+v", r.Problems)
	}
	var b strings.Builder
	r.WriteText(&b)
	if b.String() != "1000 rows, 4 columns checked: no problems\n" {
		t.Errorf("text = %q", b.String())
	}
	j, _ := json.Marshal(r)
	if want := `{"rows":1000,"columns":4,"counts":{"inf":0,"missing-column":0,"nan":0,"null":0,"null-share":0,"range":0,"type":0,"values":0},"problems":[]}`; string(j) != want {
		t.Errorf("JSON = %s\nwant %s", j, want)
	}
}

func TestCheckExamplesCapped(t *testing.T) {
	f := readFixture(t, "flights-1k.parquet")
	r := dataset.Check(f, &spec.DatasetSpec{Features: []spec.Feature{{Name: "delay", Type: spec.TypeNumber, Max: ptr(0.0)}}})
	if len(r.Problems) != 1 {
		t.Fatalf("problems: %+v", r.Problems)
	}
	p := r.Problems[0]
	if len(p.Rows) != dataset.MaxExamples || p.Count <= dataset.MaxExamples || p.Rows[0].Row != 1 || p.Rows[0].Value != "33" {
		t.Errorf("problem = %+v", p)
	}
}
