package onnx

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
)

func TestPredictBinary(t *testing.T) {
	tests := []struct {
		model, data, expected string
		opts                  PredictOptions
	}{
		{"percolumn.onnx", "flights.csv", "percolumn.expected.json", PredictOptions{}},
		{"gbt.onnx", "flights.csv", "gbt.expected.json", PredictOptions{ChunkRows: 100}},
		{"zipmap.onnx", "weather.csv", "zipmap.expected.json", PredictOptions{ChunkRows: 64}},
		{"nozipmap.onnx", "weather.csv", "zipmap.expected.json", PredictOptions{ChunkRows: 7}},
		// columns listed explicitly override the metadata
		{"nozipmap.onnx", "weather.csv", "zipmap.expected.json", PredictOptions{Features: []string{"wind", "temp_max", "temp_min"}}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := loadModel(t, tt.model)
			f := csvFrame(t, "testdata/"+tt.data)
			var want struct{ Score []float64 }
			readJSON(t, "testdata/"+tt.expected, &want)
			done := 0
			tt.opts.Progress = func(d, total int) {
				if d <= done || total != f.Rows {
					t.Errorf("progress %d/%d after %d", d, total, done)
				}
				done = d
			}
			p, err := m.PredictWith(f, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if done != f.Rows {
				t.Errorf("progress ended at %d of %d", done, f.Rows)
			}
			if !slices.Equal(p.Classes, []string{"0", "1"}) {
				t.Errorf("classes = %v", p.Classes)
			}
			if len(p.Score) != f.Rows || len(p.Proba) != f.Rows || len(p.Label) != f.Rows {
				t.Fatalf("%d rows: score %d proba %d label %d", f.Rows, len(p.Score), len(p.Proba), len(p.Label))
			}
			for i, s := range p.Score {
				if math.Abs(s-want.Score[i]) > 1e-5 {
					t.Fatalf("row %d: score %v, want %v", i, s, want.Score[i])
				}
				if math.Abs(p.Proba[i][0]+p.Proba[i][1]-1) > 1e-5 || p.Proba[i][1] != s {
					t.Fatalf("row %d: proba %v score %v", i, p.Proba[i], s)
				}
				if wantLabel := map[bool]string{false: "0", true: "1"}[s > 0.5]; p.Label[i] != wantLabel && math.Abs(s-0.5) > 1e-6 {
					t.Fatalf("row %d: label %s for score %v", i, p.Label[i], s)
				}
			}
		})
	}
}

func TestPredictMulticlass(t *testing.T) {
	m := loadModel(t, "multiclass.onnx")
	f := csvFrame(t, "testdata/penguins.csv")
	var want struct {
		Classes []string
		Proba   [][]float64
	}
	readJSON(t, "testdata/multiclass.expected.json", &want)
	// a category named as a feature of a float matrix is mistyped
	if _, err := m.PredictWith(f, PredictOptions{Features: []string{"island", "beak_depth", "flipper_length", "body_mass"}}); err == nil || !strings.Contains(err.Error(), `column "island" is category`) {
		t.Errorf("category in a float matrix: %v", err)
	}
	// metadata has no "features": the frame's Number columns without the target
	// (species, from metadata "target"), in order
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Classes, want.Classes) {
		t.Errorf("classes %v, want %v", p.Classes, want.Classes)
	}
	if p.Score != nil {
		t.Errorf("multiclass has a binary score")
	}
	for i, row := range p.Proba {
		for j := range row {
			if math.Abs(row[j]-want.Proba[i][j]) > 1e-5 {
				t.Fatalf("row %d: proba %v, want %v", i, row, want.Proba[i])
			}
		}
		if p.Label[i] != want.Classes[argmax(want.Proba[i])] {
			t.Fatalf("row %d: label %s, proba %v", i, p.Label[i], want.Proba[i])
		}
	}
}

func TestPredictRegression(t *testing.T) {
	m := loadModel(t, "regression.onnx")
	f := csvFrame(t, "testdata/weather.csv")
	var want struct{ Value []float64 }
	readJSON(t, "testdata/regression.expected.json", &want)
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.Proba != nil || p.Score != nil || p.Label != nil {
		t.Errorf("regression has classifier outputs")
	}
	for i, v := range p.Value {
		if math.Abs(v-want.Value[i]) > 1e-4 {
			t.Fatalf("row %d: %v, want %v", i, v, want.Value[i])
		}
	}
}

func TestPredictBadFrames(t *testing.T) {
	per := loadModel(t, "percolumn.onnx")
	mat := loadModel(t, "zipmap.onnx")
	flights := func() *dataset.Frame { return csvFrame(t, "testdata/flights.csv") }
	weather := func() *dataset.Frame { return csvFrame(t, "testdata/weather.csv") }
	drop := func(f *dataset.Frame, names ...string) *dataset.Frame {
		out := &dataset.Frame{Rows: f.Rows}
		for _, c := range f.Columns {
			if !slices.Contains(names, c.Name) {
				out.Columns = append(out.Columns, c)
			}
		}
		return out
	}
	rename := func(f *dataset.Frame, from, to string) *dataset.Frame {
		f.Col(from).Name = to
		return f
	}
	tests := []struct {
		name  string
		m     *Model
		f     *dataset.Frame
		wants []string
	}{
		{"no rows", per, &dataset.Frame{}, []string{"no rows"}},
		{"two missing", per, drop(flights(), "distance", "hour"), []string{`missing column "distance"`, `missing column "hour"`}},
		{"mistyped", per, rename(rename(drop(flights(), "origin", "hour"), "date", "hour"), "distance", "origin"),
			[]string{`missing column "distance"`, `column "origin" is number`, `column "hour" is category`}},
		{"matrix missing", mat, drop(weather(), "wind", "temp_min"), []string{`missing column "wind"`, `missing column "temp_min"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.m.Predict(tt.f)
			if err == nil {
				t.Fatal("Predict succeeded")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want %q", err, w)
				}
			}
		})
	}
}

func TestPredictNonFinite(t *testing.T) {
	m := loadModel(t, "percolumn.onnx")
	f := csvFrame(t, "testdata/flights.csv")
	d := f.Col("distance")
	d.Floats[3], d.Floats[10] = math.NaN(), math.Inf(1)
	f.Col("hour").Floats[5] = math.Inf(-1)
	_, err := m.Predict(f)
	if err == nil || !strings.Contains(err.Error(), "distance 2, hour 1") {
		t.Fatalf("err = %v, want counts per column", err)
	}
	p, err := m.PredictWith(f, PredictOptions{Impute: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.NonFinite["distance"] != 2 || p.NonFinite["hour"] != 1 {
		t.Errorf("NonFinite = %v", p.NonFinite)
	}
	// the imputed row is scored as the row with the mean distance
	sum, n := 0.0, 0
	for i, v := range d.Floats {
		if i != 3 && i != 10 {
			sum += v
			n++
		}
	}
	d.Floats[3] = sum / float64(n)
	p2, err := m.PredictWith(f, PredictOptions{Impute: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Score[3] != p2.Score[3] {
		t.Errorf("imputed score %v, mean-distance score %v", p.Score[3], p2.Score[3])
	}
}

func TestClassesFromLabels(t *testing.T) {
	proba := Tensor{Shape: []int64{3, 3}, Data: []float32{0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 0.2, 0.5, 0.3}}
	tests := []struct {
		labels any
		want   string
	}{
		{[]string{"a", "c", "b"}, "[a b c]"},
		{[]int64{4, 9, 7}, "[4 7 9]"},
		{[]string{"a", "c", "c"}, "[0 1 2]"}, // labels disagree with the probabilities
	}
	for _, tt := range tests {
		outs := []Tensor{{Shape: []int64{3}, Data: tt.labels}, proba}
		got := classesFromLabels(outs, outputRoles{proba: 1, label: 0, score: -1}, 3, 3)
		if fmt.Sprint(got) != tt.want {
			t.Errorf("labels %v: classes %v, want %s", tt.labels, got, tt.want)
		}
	}
}

func TestPredictInputTypes(t *testing.T) {
	m := loadModel(t, "types.onnx")
	f := recordsFrame([]string{"flag", "count", "x"}, [][]string{{"1", "2", "0.25"}, {"0", "7", "-1.5"}, {"1", "-3", "1e10"}})
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{3.25, 5.5, 1e10 - 2}
	if !slices.Equal(p.Value, want) {
		t.Errorf("values %v, want %v", p.Value, want)
	}
}
