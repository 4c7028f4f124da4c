package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ferryml/ferry/spec"
)

func TestTopGroups(t *testing.T) {
	names := []string{"a", "b", "c", "d", "other"}
	//        a  b  a  c  -1 a  b  d  other
	codes := []int32{0, 1, 0, 2, -1, 0, 1, 3, 4}
	tests := []struct {
		k    int
		want string
	}{
		{2, "a:[0 2 5] b:[1 6] other:[3 4 7 8]"},
		{3, "a:[0 2 5] b:[1 6] (null):[4] other:[3 7 8]"}, // ties by name: (null) < c < d < other
		{10, "a:[0 2 5] b:[1 6] (null):[4] c:[3] d:[7] other:[8]"},
	}
	// a top value named "other" keeps its name; the rest are "(other)"
	if g := TopGroups([]int32{0, 0, 1, 2}, []string{"other", "x", "y"}, 1); fmt.Sprint(g) != "[{other [0 1]} {(other) [2 3]}]" {
		t.Errorf("value named other: %v", g)
	}
	for _, tt := range tests {
		var parts []string
		total := 0
		for _, g := range TopGroups(codes, names, tt.k) {
			parts = append(parts, fmt.Sprintf("%s:%v", g.Value, g.Rows))
			total += len(g.Rows)
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("k=%d: %s, want %s", tt.k, got, tt.want)
		}
		if total != len(codes) {
			t.Errorf("k=%d: %d rows grouped of %d", tt.k, total, len(codes))
		}
	}
}

func TestCheckEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		task   spec.Task
		cases  []EdgeCase
		got    []Output
		failed []int // rows
	}{
		{"labels", spec.TaskBinary,
			[]EdgeCase{{Row: 1, Expected: "1", Tolerance: -1}, {Row: 2, Expected: "0", Tolerance: -1}, {Row: 3, Expected: "1.0", Tolerance: -1}},
			[]Output{{Label: "1"}, {Label: "1"}, {Label: "1"}}, []int{2}},
		{"probability", spec.TaskBinary,
			[]EdgeCase{{Row: 1, Expected: "0.7", Tolerance: 0.05}, {Row: 2, Expected: "0.7", Tolerance: 0.01}, {Row: 3, Expected: "0.7", Tolerance: -1}},
			[]Output{{Label: "1", Score: 0.72, HasScore: true}, {Label: "1", Score: 0.72, HasScore: true}, {Label: "1", Score: 0.7000001, HasScore: true}}, []int{2}},
		{"strings", spec.TaskMulticlass,
			[]EdgeCase{{Row: 1, Expected: "Adelie"}, {Row: 2, Expected: "Gentoo"}},
			[]Output{{Label: "Adelie"}, {Label: "Chinstrap"}}, []int{2}},
		{"regression", spec.TaskRegression,
			[]EdgeCase{{Row: 1, Expected: "10", Tolerance: 0.5}, {Row: 2, Expected: "10", Tolerance: -1}, {Row: 3, Expected: "ten", Tolerance: 1}, {Row: 4, Expected: "-2", Tolerance: -1}},
			[]Output{{Value: 10.4}, {Value: 10.4}, {Value: 10}, {Value: -2.0000001}}, []int{2, 3}},
		{"missing output", spec.TaskRegression, []EdgeCase{{Row: 1, Expected: "1"}}, nil, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckEdgeCases(tt.task, tt.cases, tt.got)
			var rows []int
			for _, f := range res.Failures {
				rows = append(rows, f.Row)
				if f.Message == "" {
					t.Errorf("row %d: no message", f.Row)
				}
			}
			if fmt.Sprint(rows) != fmt.Sprint(tt.failed) || res.Failed != len(tt.failed) || res.Total != len(tt.cases) {
				t.Errorf("failed rows %v (%d of %d), want %v", rows, res.Failed, res.Total, tt.failed)
			}
		})
	}
	b, _ := json.Marshal(CheckEdgeCases(spec.TaskBinary, nil, nil))
	if !strings.Contains(string(b), `"failures":[]`) {
		t.Errorf("no failures encodes as %s, want an empty list", b)
	}
}

func TestReportCleanAndText(t *testing.T) {
	r := &Report{
		Rows: 10, Task: string(spec.TaskBinary),
		Metrics: map[string]float64{AUC: math.NaN(), Accuracy: 0.8},
		Segments: map[string]map[string]Segment{"origin": {
			"LAX":        {Rows: 6, Metrics: map[string]float64{Accuracy: 1, LogLoss: math.Inf(1)}},
			OtherSegment: {Rows: 4, Metrics: map[string]float64{Accuracy: 0.5}},
		}},
		EdgeCases: &EdgeCases{Total: 2, Failed: 1, Failures: []EdgeCaseFailure{{Row: 2, Expected: "1", Got: "0", Message: "predicted \"0\", expected \"1\""}}},
		Latency:   &Latency{P50Ms: 0.05, P95Ms: 0.07, P99Ms: 0.1, BatchRowsPerSec: 1e6},
		MemoryMB:  3.5,
	}
	r.Clean()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"auc"`) || strings.Contains(string(b), `"logloss"`) {
		t.Errorf("undefined metrics kept: %s", b)
	}
	if len(r.Notes) != 2 {
		t.Errorf("notes %q, want one per undefined metric", r.Notes)
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"accuracy  0.8000", "segment origin", "LAX", "row 2: expected 1, got 0", "p99 0.1000 ms", "memory: 3.5000 MB", "auc is undefined"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "LAX") > strings.Index(out, "  other") {
		t.Errorf("other is not last:\n%s", out)
	}
}
