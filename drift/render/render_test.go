package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
)

var (
	update      = flag.Bool("update", false, "rewrite the golden files in testdata/golden")
	updateInput = flag.Bool("update-input", false, "recompute testdata/report.input.json from fixed frames")
)

// The renderers are tested on a fixed report (testdata/report.input.json),
// so a change in the statistics does not move these goldens.
func loadReport(t *testing.T) *drift.Report {
	t.Helper()
	if *updateInput {
		writeInput(t)
	}
	b, err := os.ReadFile("testdata/report.input.json")
	if err != nil {
		t.Fatal(err)
	}
	var r drift.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// writeInput computes the fixed report from small deterministic frames: a
// shifted number, a stable number, a category with new levels, an all-null
// column and a feature missing from the current data.
func writeInput(t *testing.T) {
	n := 400
	ref, cur := &dataset.Frame{Rows: n}, &dataset.Frame{Rows: n}
	mk := func(name string, f func(i int) float64) *dataset.Column {
		c := &dataset.Column{Name: name, Type: dataset.Number, Floats: make([]float64, n)}
		for i := range c.Floats {
			c.Floats[i] = f(i)
		}
		return c
	}
	lv := func(name string, levels []string, f func(i int) int32) *dataset.Column {
		c := &dataset.Column{Name: name, Type: dataset.Category, Levels: levels, Codes: make([]int32, n)}
		for i := range c.Codes {
			c.Codes[i] = f(i)
		}
		return c
	}
	nulls := func(c *dataset.Column) *dataset.Column {
		c.Null = make([]bool, n)
		for i := range c.Null {
			c.Null[i], c.Floats[i] = true, math.NaN()
		}
		return c
	}
	ref.Columns = []*dataset.Column{
		mk("delay", func(i int) float64 { return math.Mod(float64(i)*37, 113) - 20 }),
		mk("distance", func(i int) float64 { return 100 + math.Mod(float64(i)*53, 997) }),
		lv("origin", []string{"SEA", "SFO", "LAX"}, func(i int) int32 { return int32(i % 3) }),
		nulls(mk("tail", func(int) float64 { return 0 })),
		mk("hour", func(i int) float64 { return float64(i % 24) }),
	}
	cur.Columns = []*dataset.Column{
		mk("delay", func(i int) float64 { return math.Mod(float64(i)*37, 113) + 5 }),
		mk("distance", func(i int) float64 { return 100 + math.Mod(float64(i)*59, 997) }),
		lv("origin", []string{"SEA", "SFO", "LAX", "PDX", "BOS"}, func(i int) int32 { return int32(i % 5) }),
		nulls(mk("tail", func(int) float64 { return 0 })),
	}
	r, err := drift.CompareFrames(ref, cur, drift.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/report.input.json", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenFiles(t *testing.T) {
	r := loadReport(t)
	files, err := Files(r, MarkdownOptions{Title: "Drift: delay-drift"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Files(r, MarkdownOptions{Title: "Drift: delay-drift"})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if !bytes.Equal(b, again[name]) {
			t.Errorf("%s: two renderings of one report differ", name)
		}
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%s: %v (run go test ./drift/render -update)", name, err)
			continue
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s differs from %s (run go test ./drift/render -update and review the diff):\n%s", name, golden, b)
		}
	}
	// Histograms for the drifted features with bins, the chart, md and json.
	for _, name := range []string{"report.json", "report.md", "statistic.svg", "hist-delay.svg", "hist-origin.svg"} {
		if files[name] == nil {
			t.Errorf("no %s among %d files", name, len(files))
		}
	}
	if files["hist-tail.svg"] != nil || files["hist-distance.svg"] != nil {
		t.Error("a histogram for a feature that did not drift or has no values")
	}
}

func TestJSONRoundTrips(t *testing.T) {
	r := loadReport(t)
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	in, _ := os.ReadFile("testdata/report.input.json")
	if !bytes.Equal(buf.Bytes(), in) {
		t.Error("JSON of a decoded report differs from its input")
	}
	// The SPEC's --json keys.
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"reference", "current", "features", "drifted"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q", k)
		}
	}
	f := m["features"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "type", "psi", "js", "ks", "wasserstein", "test", "threshold", "drift"} {
		if _, ok := f[k]; !ok {
			t.Errorf("feature has no %q", k)
		}
	}
}

func TestMarkdownSortsBySeverity(t *testing.T) {
	r := loadReport(t)
	var buf bytes.Buffer
	if err := Markdown(&buf, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	var order []string
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Feature") {
			order = append(order, strings.Fields(line)[1])
		}
	}
	sorted := BySeverity(r.Features)
	if len(order) != len(sorted) {
		t.Fatalf("table rows %v", order)
	}
	for i, f := range sorted {
		if order[i] != f.Name {
			t.Errorf("row %d is %s, want %s", i, order[i], f.Name)
		}
		if i > 0 && sorted[i-1].Drift == f.Drift && sev(sorted[i-1]) < sev(f) {
			t.Errorf("%s (%g) before %s (%g)", sorted[i-1].Name, sorted[i-1].Severity, f.Name, f.Severity)
		}
	}
	if !sorted[0].Drift || sorted[len(sorted)-1].Drift {
		t.Error("drifted features are not first")
	}
}

func TestHistogramNeedsBins(t *testing.T) {
	var buf bytes.Buffer
	if err := HistogramSVG(&buf, &drift.FeatureResult{Name: "x"}); err == nil {
		t.Error("no error for a feature without bins")
	}
	if err := StatisticSVG(&buf, &drift.Report{}); err == nil {
		t.Error("no error for a report without features")
	}
}

func TestStatisticChartAxes(t *testing.T) {
	r := loadReport(t)
	ks := *r
	ks.Features = nil
	for _, f := range r.Features {
		g := *f
		g.Test, g.Threshold = "ks", 0.01
		if g.Type == drift.TypeCategory {
			g.Test = "chi2"
		}
		ks.Features = append(ks.Features, &g)
	}
	mixed := *r
	mixed.Features = append([]*drift.FeatureResult(nil), ks.Features[:2]...)
	mixed.Features = append(mixed.Features, r.Features[2:]...)
	tests := []struct {
		name   string
		r      *drift.Report
		ylabel string
	}{
		{"one test", r, ">psi<"},
		{"p-values", &drift.Report{Features: ks.Features[:1]}, "−log10 p-value (ks)"},
		{"mixed tests", &mixed, "severity (statistic / threshold)"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := StatisticSVG(&buf, tc.r); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !strings.Contains(buf.String(), tc.ylabel) {
			t.Errorf("%s: no axis label %q", tc.name, tc.ylabel)
		}
	}
}

func TestMarkdownPrediction(t *testing.T) {
	r := loadReport(t)
	p := *r.Features[0]
	p.Name = "score"
	withPrediction := *r
	withPrediction.Prediction = &p
	var buf bytes.Buffer
	if err := Markdown(&buf, &withPrediction, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "### Prediction\n") || !strings.Contains(buf.String(), "\n| score | number | psi |") {
		t.Errorf("no prediction section:\n%s", buf.String())
	}
}
