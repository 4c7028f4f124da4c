package monitor

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
	"github.com/ferryml/ferry/spec"
)

// frame makes n rows: x ~ N(shift, 1), a category, and a prediction column.
func frame(n int, shift float64, seed uint64) *dataset.Frame {
	r := rand.New(rand.NewPCG(seed, 1))
	x := &dataset.Column{Name: "x", Type: dataset.Number, Floats: make([]float64, n)}
	c := &dataset.Column{Name: "c", Type: dataset.Category, Codes: make([]int32, n), Levels: []string{"a", "b"}}
	p := &dataset.Column{Name: PredictionColumn, Type: dataset.Number, Floats: make([]float64, n)}
	id := &dataset.Column{Name: "request_id", Type: dataset.Category, Codes: make([]int32, n)}
	for i := 0; i < n; i++ {
		x.Floats[i] = r.NormFloat64() + shift
		c.Codes[i] = int32(r.IntN(2))
		p.Floats[i] = 1 / (1 + r.ExpFloat64())
		id.Levels = append(id.Levels, "req-"+strconv.Itoa(i))
		id.Codes[i] = int32(i)
	}
	return &dataset.Frame{Rows: n, Columns: []*dataset.Column{x, c, p, id}}
}

func profile(t *testing.T) *drift.Profile {
	t.Helper()
	p, err := drift.BuildProfile(frame(5000, 0, 1), drift.ProfileOptions{Features: []string{"x", "c"}, Prediction: PredictionColumn})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mon(onDrift ...spec.DriftAction) *spec.Monitor {
	th := 0.2
	return &spec.Monitor{Metadata: spec.Metadata{Name: "m"}, Spec: spec.MonitorSpec{
		Deployment: "d", Features: spec.FeatureTests{Default: spec.DriftTest{Test: spec.TestPSI, Threshold: &th}}, OnDrift: onDrift,
	}}
}

func TestRunFindsShiftAndNamesFilesByWindow(t *testing.T) {
	end := time.Date(2001, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		shift float64
		drift bool
	}{{0, false}, {1.5, true}} {
		res, err := Run(Request{Monitor: mon(), Task: spec.TaskBinary, Profile: profile(t), Current: frame(3000, tc.shift, 2), WindowEnd: end})
		if err != nil {
			t.Fatal(err)
		}
		if res.Drift != tc.drift {
			t.Errorf("shift %v: drift = %v, want %v (%s)", tc.shift, res.Drift, tc.drift, res.Summary)
		}
		if tc.drift && !strings.Contains(res.Summary, "x") {
			t.Errorf("summary %q does not name the drifted feature", res.Summary)
		}
		for _, name := range []string{"2001-05-01T00-00-00Z.json", "2001-05-01T00-00-00Z.md", "2001-05-01T00-00-00Z-statistic.svg"} {
			if res.Files[name] == nil {
				t.Errorf("no %s among %v", name, keys(res.Files))
			}
		}
		paths := RecordPaths("records", res)
		if paths["records/drift/m/2001-05-01T00-00-00Z.json"] == nil {
			t.Errorf("record paths %v", keys(paths))
		}
		if tc.drift && !strings.Contains(string(res.Files["2001-05-01T00-00-00Z.md"]), "2001-05-01T00-00-00Z-hist-x.svg") {
			t.Error("the Markdown does not link the drifted feature's histogram under its record name")
		}
	}
}

func TestRunEmptyWindowIsDefined(t *testing.T) {
	res, err := Run(Request{Monitor: mon(), Task: spec.TaskBinary, Profile: profile(t), Current: frame(0, 0, 3), WindowEnd: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drift {
		t.Error("an empty window drifted")
	}
	if !strings.Contains(strings.Join(res.Report.Notes, " "), "empty") {
		t.Errorf("notes %v do not say the window is empty", res.Report.Notes)
	}
}

func TestPerformanceJoinsLabelsByRequestID(t *testing.T) {
	cur := frame(1000, 0, 4)
	// Labels that the predictions rank perfectly for half the rows, inverted
	// for the other half: AUC well below the baseline.
	lab := &dataset.Column{Name: "delayed", Type: dataset.Number}
	ids := &dataset.Column{Name: "request_id", Type: dataset.Category}
	pred := cur.Col(PredictionColumn).Floats
	for i := 0; i < 600; i++ {
		y := 0.0
		if pred[i] > 0.6 == (i%2 == 0) {
			y = 1
		}
		lab.Floats = append(lab.Floats, y)
		ids.Levels = append(ids.Levels, "req-"+strconv.Itoa(i))
		ids.Codes = append(ids.Codes, int32(i))
	}
	m := mon()
	m.Spec.Performance = &spec.PerformanceTest{Labels: "labels.csv", Metric: "auc", MaxDrop: 0.05}
	res, err := Run(Request{Monitor: m, Task: spec.TaskBinary, Profile: profile(t), Current: cur, WindowEnd: time.Unix(0, 0),
		Labels: &dataset.Frame{Rows: 600, Columns: []*dataset.Column{ids, lab}}, Target: "delayed", Baseline: map[string]float64{"auc": 0.8}})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Performance
	if p == nil || p.Rows != 600 {
		t.Fatalf("performance = %+v, want 600 joined rows", p)
	}
	if !p.Drift || !res.Drift || p.Drop < 0.2 {
		t.Errorf("performance %+v: want a drop past maxDrop flagged as drift", p)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A drifted window keeps its labelled rows for retraining: joined by
// request_id and row (batched requests share an id), with the reference's
// features and the label under the target's name, and the record says so.
func TestKeepsLabelledRowsOfADriftedWindow(t *testing.T) {
	cur := frame(300, 1.5, 5)
	// Two rows per request: ids repeat, the row column tells them apart.
	ids, rows := cur.Col("request_id"), &dataset.Column{Name: "row", Type: dataset.Number, Floats: make([]float64, cur.Rows)}
	ids.Levels = ids.Levels[:0]
	for i := 0; i < cur.Rows; i++ {
		if i%2 == 0 {
			ids.Levels = append(ids.Levels, "req-"+strconv.Itoa(i/2))
		}
		ids.Codes[i], rows.Floats[i] = int32(i/2), float64(i%2)
	}
	cur.Columns = append(cur.Columns, rows)
	// Labels for the first 100 requests' second rows only, and one for a
	// request that is not in the window.
	var b strings.Builder
	b.WriteString("request_id,row,delayed\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "req-%d,1,%d\n", i, i%2)
	}
	b.WriteString("req-9999,0,1\n")
	labels, err := dataset.ReadCSV(strings.NewReader(b.String()), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var saved []byte
	req := Request{Monitor: mon(spec.OnDriftRetrain), Task: spec.TaskBinary, Profile: profile(t), Current: cur,
		WindowEnd: time.Date(2001, 5, 1, 0, 0, 0, 0, time.UTC), Labels: labels, Target: "delayed", Deployment: "d", Version: 3,
		SaveRows: func(csv []byte) (string, error) { saved = csv; return "sha256:feed", nil }}
	res, err := Run(req)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Drift || res.Retrain == nil || res.Retrain.Rows != 100 || res.Retrain.Artifact != "sha256:feed" {
		t.Fatalf("drift %v, retrain %+v", res.Drift, res.Retrain)
	}
	kept, err := dataset.ReadCSV(strings.NewReader(string(saved)), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kept.Names(), ","); got != "x,c,delayed" || kept.Rows != 100 {
		t.Fatalf("kept columns %s, %d rows", got, kept.Rows)
	}
	// Row k of the kept rows is the second row of request k.
	for k := 0; k < kept.Rows; k++ {
		if want := cur.Col("x").Floats[2*k+1]; kept.Col("x").Floats[k] != want || kept.Col("delayed").Floats[k] != float64(k%2) {
			t.Fatalf("kept row %d: x %v delayed %v, want x %v delayed %d", k, kept.Col("x").Floats[k], kept.Col("delayed").Floats[k], want, k%2)
		}
	}
	rec, err := UnmarshalRecord(res.Files["2001-05-01T00-00-00Z.json"])
	if err != nil {
		t.Fatal(err)
	}
	if rec.Version != 3 || rec.Deployment != "d" || !rec.Drift || rec.Retrain == nil || *rec.Retrain != *res.Retrain || rec.Report == nil || len(rec.Features) != 2 {
		t.Fatalf("record %+v", rec)
	}

	// No labels joined: nothing is kept, and the report says why.
	req.Labels, saved = nil, nil
	res, err = Run(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Retrain != nil || saved != nil || !strings.Contains(strings.Join(res.Report.Notes, " "), "no new rows to retrain on") {
		t.Fatalf("retrain %+v, notes %v", res.Retrain, res.Report.Notes)
	}
	// An undrifted window keeps nothing.
	req.Current, req.Labels = frame(300, 0, 6), labels
	if res, err = Run(req); err != nil || res.Retrain != nil || saved != nil {
		t.Fatalf("no drift: retrain %+v, err %v", res.Retrain, err)
	}
}

// No feature drifted, but the metric fell on the labelled rows: the rows are
// kept all the same, for an Experiment whose onPerformanceDrop asks for less
// than the Monitor's maxDrop.
func TestKeepsLabelledRowsWhenOnlyTheMetricFell(t *testing.T) {
	cur := frame(600, 0, 7)
	pred := cur.Col(PredictionColumn).Floats
	var b strings.Builder
	b.WriteString("request_id,delayed\n")
	for i := 0; i < 600; i++ {
		// Inverted for a third of the rows: the AUC falls, a little.
		y := pred[i] > 0.6
		if i%3 == 0 {
			y = !y
		}
		fmt.Fprintf(&b, "req-%d,%t\n", i, y)
	}
	labels, err := dataset.ReadCSV(strings.NewReader(b.String()), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := mon(spec.OnDriftReport)
	m.Spec.Performance = &spec.PerformanceTest{Labels: "labels.csv", Metric: "auc", MaxDrop: 0.9}
	var saved []byte
	res, err := Run(Request{Monitor: m, Task: spec.TaskBinary, Profile: profile(t), Current: cur, WindowEnd: time.Unix(0, 0),
		Labels: labels, Target: "delayed", Baseline: map[string]float64{"auc": 0.95},
		SaveRows: func(csv []byte) (string, error) { saved = csv; return "sha256:cafe", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drift || res.Performance == nil || res.Performance.Drop <= 0 {
		t.Fatalf("drift %v, performance %+v: want no drift and a drop within maxDrop", res.Drift, res.Performance)
	}
	if res.Retrain == nil || res.Retrain.Rows != 600 || !strings.HasPrefix(string(saved), "x,c,delayed\n") {
		t.Fatalf("retrain %+v, saved %.40q", res.Retrain, saved)
	}
}

// A reference feature the window lacks (the model does not read it) does not
// stop the report or the kept rows; it is named.
func TestKeptRowsWithoutAFeature(t *testing.T) {
	cur := frame(300, 1.5, 8)
	cur.Columns = cur.Columns[1:] // no x
	cur.Columns = append(cur.Columns, &dataset.Column{Name: "delayed", Type: dataset.Number, Floats: make([]float64, cur.Rows)})
	var saved []byte
	res, err := Run(Request{Monitor: mon(spec.OnDriftRetrain), Task: spec.TaskBinary, Profile: profile(t), Current: cur,
		WindowEnd: time.Unix(0, 0), Target: "delayed",
		SaveRows: func(csv []byte) (string, error) { saved = csv; return "sha256:beef", nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary)
	if res.Retrain == nil || !strings.HasPrefix(string(saved), "c,delayed\n") || !strings.Contains(strings.Join(res.Report.Notes, " "), "have no x") {
		t.Fatalf("retrain %+v, saved %.30q, notes %v", res.Retrain, saved, res.Report.Notes)
	}
}

// An empty prediction log has no columns at all; that is no traffic, not
// features gone missing.
func TestRunEmptyLogDoesNotDrift(t *testing.T) {
	res, err := Run(Request{Monitor: mon(), Task: spec.TaskBinary, Profile: profile(t), Current: &dataset.Frame{}, WindowEnd: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drift || res.Report.Drifted != 0 {
		t.Fatalf("an empty log drifted: %s", res.Summary)
	}
}
