package records_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/reconcile/records"
)

func sampleRun() *records.Run {
	return &records.Run{
		Schema: records.Schema, ID: "0123456789ab", Experiment: "delay-gbt", Model: "delay",
		Key: "k", InputsHash: "h", SpecHash: "s", Trigger: "no run yet",
		Trainer:    records.Trainer{Builtin: "gradient-boosting", Version: "1"},
		Params:     map[string]any{"trees": 200, "learningRate": 0.1, "depth": 6},
		Seed:       42,
		Dataset:    records.DatasetRef{Name: "flights", Digest: "sha256:ab", Rows: 1000, TrainRows: 800, EvalRows: 200},
		Code:       records.Code{Commit: "c0ffee"},
		Metrics:    map[string]float64{"auc": 0.71, "logloss": 0.5},
		Evaluation: &eval.Report{Rows: 200, Task: "binary-classification", Metrics: map[string]float64{"auc": 0.7123456789}},
		Timings:    records.Timings{StartedAt: "2026-01-02T03:04:05Z", TrainSeconds: 1.5},
		Versions:   map[string]string{"ferry": "dev"},
	}
}

func TestMarshalDeterministicAndRoundTrips(t *testing.T) {
	a, err := records.Marshal(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := records.Marshal(sampleRun())
	if string(a) != string(b) {
		t.Fatal("same record, different bytes")
	}
	s := string(a)
	// keys sorted at every level; numbers and timestamps written exactly
	for _, want := range []string{"artifact: \"\"\n", "params:\n  depth: 6\n  learningRate: 0.1\n  trees: 200", "auc: 0.7123456789", "startedAt: \"2026-01-02T03:04:05Z\"", "schema: 1\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in:\n%s", want, s)
		}
	}
	if strings.Index(s, "code:") > strings.Index(s, "dataset:") {
		t.Errorf("keys not sorted:\n%s", s)
	}
	var back records.Run
	if err := records.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	c, _ := records.Marshal(&back)
	if string(c) != s {
		t.Fatalf("round trip changed bytes:\n%s\nvs\n%s", c, s)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	for name, in := range map[string]string{
		"newer schema":  "schema: 2\nid: x\n",
		"no schema":     "id: x\n",
		"unknown field": "schema: 1\nidd: x\n",
		"not a mapping": "- 1\n",
	} {
		var r records.Run
		if err := records.Unmarshal([]byte(in), &r); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestRead(t *testing.T) {
	run, _ := records.Marshal(sampleRun())
	v1, _ := records.Marshal(&records.ModelVersion{Schema: 1, Model: "delay", Version: 1})
	v2, _ := records.Marshal(&records.ModelVersion{Schema: 1, Model: "delay", Version: 2})
	v10, _ := records.Marshal(&records.ModelVersion{Schema: 1, Model: "delay", Version: 10})
	dep, _ := records.Marshal(&records.Deployment{Schema: 1, Name: "prod", Model: "delay", Live: []records.LiveVersion{{Version: 2, Weight: 100}}})
	fsys := fstest.MapFS{
		"records/runs/delay-gbt/0123456789ab.yaml": {Data: run},
		"records/models/delay/v1.yaml":             {Data: v1},
		"records/models/delay/v10.yaml":            {Data: v10},
		"records/models/delay/v2.yaml":             {Data: v2},
		"records/deployments/prod.yaml":            {Data: dep},
		"records/README.md":                        {Data: []byte("hi")},
	}
	s, err := records.Read(fsys, "records")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs["delay-gbt"]) != 1 || s.LatestVersion("delay") != 10 || s.Versions["delay"][1].Version != 2 || s.Deployments["prod"] == nil {
		t.Fatalf("read %+v", s)
	}
	if p := records.Primary(s.Deployments["prod"].Live); p != 2 {
		t.Fatalf("primary %d", p)
	}
	empty, err := records.Read(fstest.MapFS{}, "records")
	if err != nil || len(empty.Runs) != 0 {
		t.Fatalf("missing folder: %v", err)
	}
	fsys["records/models/delay/v3.yaml"] = &fstest.MapFile{Data: []byte("schema: [\n")}
	if _, err := records.Read(fsys, "records"); err == nil || !strings.Contains(err.Error(), "records/models/delay/v3.yaml") {
		t.Fatalf("want an error naming the bad record, got %v", err)
	}
}

func TestCache(t *testing.T) {
	run, _ := records.Marshal(sampleRun())
	fsys := fstest.MapFS{"records/runs/delay-gbt/0123456789ab.yaml": {Data: run}}
	path := t.TempDir() + "/cache.json"
	c := records.OpenCache(path)
	a, err := records.ReadCached(fsys, "records", c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	b, err := records.ReadCached(fsys, "records", records.OpenCache(path))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := records.Marshal(a.Runs["delay-gbt"][0])
	y, _ := records.Marshal(b.Runs["delay-gbt"][0])
	if string(x) != string(y) || string(x) != string(run) {
		t.Fatalf("cached record differs:\n%s\nvs\n%s", x, y)
	}
	// Changed bytes are parsed again, not served from the cache.
	fsys["records/runs/delay-gbt/0123456789ab.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(string(run), "seed: 42", "seed: 43", 1))}
	d, err := records.ReadCached(fsys, "records", records.OpenCache(path))
	if err != nil || d.Runs["delay-gbt"][0].Seed != 43 {
		t.Fatalf("stale cache entry used: %v", err)
	}
}
