package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"text/template"
	"time"

	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
)

var update = flag.Bool("update", false, "rewrite the expected plan.json of the fixtures")

// readObserved reads a fixture's observed.json. Hashes that depend on the
// specs are written as template calls ({{inputs `exp` `digest` `tree` `ver`}},
// {{spec `exp`}}, {{gate `model`}}), so the fixtures stay readable and follow
// the specs beside them.
func readObserved(t *testing.T, file string, set *spec.Set) *Observed {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	experiment := func(name string) (*spec.Experiment, *spec.Dataset, *spec.Model) {
		e := set.Experiment(name)
		if e == nil {
			t.Fatalf("%s: no experiment %q", file, name)
		}
		m := set.Model(e.Spec.Model)
		ds := e.Spec.Dataset
		if ds == "" {
			ds = m.Spec.Dataset
		}
		return e, set.Dataset(ds), m
	}
	tmpl, err := template.New("observed").Funcs(template.FuncMap{
		"spec": func(name string) string { return specHash(experiment(name)) },
		"inputs": func(name, digest, tree, version string) string {
			return inputsHash(specHash(experiment(name)), digest, tree, version)
		},
		"gate": func(model string) string { return gateParamsHash(set.Model(model)) },
		// The key of a run retrained on a drift window's rows.
		"window": func(name, digest, tree, version, artifact string) string {
			return hashOf("window", inputsHash(specHash(experiment(name)), digest, tree, version), artifact)
		},
	}).Parse(string(raw))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var o Observed
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &o
}

// TestPlanFixtures runs Diff on each testdata/plan/<case>: specs/ is the
// desired state, observed.json what exists, plan.json the expected plan.
// go test ./reconcile -run TestPlanFixtures -update rewrites plan.json.
func TestPlanFixtures(t *testing.T) {
	cases, err := filepath.Glob("testdata/plan/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			set, err := spec.LoadDir(filepath.Join(dir, "specs"))
			if err != nil {
				t.Fatal(err)
			}
			obs := readObserved(t, filepath.Join(dir, "observed.json"), set)
			plan, err := Diff(set, obs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(plan, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			want := filepath.Join(dir, "plan.json")
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("plan differs from %s (rerun with -update and review the diff):\n%s", want, got)
			}
			// Diff is pure: a second call gives the same plan.
			again, _ := Diff(set, obs)
			if again.ID != plan.ID {
				t.Errorf("plan id not stable: %s vs %s", plan.ID, again.ID)
			}
			// Destructive actions only where the case says so.
			for _, a := range plan.Actions {
				if a.Kind.IsDestructive() && !strings.Contains(dir, "retire") && !strings.Contains(dir, "rollback") {
					t.Errorf("unexpected destructive action %s %s", a.Kind, a.Object)
				}
			}
		})
	}
}

func TestDiffGuards(t *testing.T) {
	if _, err := Diff(nil, &Observed{}); err != ErrNoDesiredState {
		t.Fatalf("nil desired: %v", err)
	}
	// An empty spec set (no project) with recorded deployments: no Retire.
	set, err := spec.LoadDir("testdata/plan/retire/specs")
	if err != nil {
		t.Fatal(err)
	}
	obs := readObserved(t, "testdata/plan/retire/observed.json", set)
	for name, s := range map[string]*spec.Set{"empty": {}, "project only": {Project: set.Project}} {
		p, err := Diff(s, obs)
		if err != nil {
			t.Fatal(err)
		}
		if n := p.Count()[Retire]; n != 0 {
			t.Errorf("%s spec set: %d Retire actions", name, n)
		}
	}
}

func TestActionKind(t *testing.T) {
	for _, k := range ActionKinds {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back ActionKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("%s: round trip gave %v %v", k, back, err)
		}
		if k.IsDestructive() != (k == Retire || k == Rollback) {
			t.Errorf("%s: IsDestructive %v", k, k.IsDestructive())
		}
	}
	if _, err := ActionKind(0).MarshalText(); err == nil {
		t.Error("zero kind marshals")
	}
}

// TestDriftWithoutSchedule: a Monitor without a schedule reports at every
// reconcile, the window ending now, unless a report already ends there.
func TestDriftWithoutSchedule(t *testing.T) {
	set, err := spec.LoadDir("testdata/plan/drift-due/specs")
	if err != nil {
		t.Fatal(err)
	}
	set.Monitor("delay-drift").Spec.Schedule = ""
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		report time.Time // zero: none
		want   int
	}{
		{"no report", time.Time{}, 1},
		{"older report", now.Add(-time.Minute), 1},
		{"report ends now", now, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			obs := readObserved(t, "testdata/plan/drift-due/observed.json", set)
			if !c.report.IsZero() {
				obs.Drift = map[string]time.Time{"delay-drift": c.report}
			}
			p, err := Diff(set, obs)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Count()[ComputeDrift]; got != c.want {
				t.Fatalf("%d ComputeDrift, want %d: %+v", got, c.want, p.Actions)
			}
			if c.want == 1 && p.Actions[0].Drift.WindowEnd != now.Format(time.RFC3339) {
				t.Fatalf("window end %s", p.Actions[0].Drift.WindowEnd)
			}
		})
	}
}

func TestObserveDrift(t *testing.T) {
	fsys := fstest.MapFS{
		"records/drift/a/2026-02-16T06-00-00Z.json": {},
		"records/drift/a/2026-02-23T06-00-00Z.json": {Data: []byte(`{"monitor": "a", "version": 3, "drift": true, "summary": "1 of 2 features drifted (distance)",
			"features": [], "performance": {"metric": "auc", "baseline": 0.7, "current": 0.6, "drop": 0.1, "maxDrop": 0.05, "rows": 40, "drift": true},
			"retrain": {"monitor": "a", "windowEnd": "2026-02-23T06:00:00Z", "artifact": "sha256:bb", "rows": 40}}`)},
		"records/drift/c/2026-02-23T06-00-00Z.json": {Data: []byte(`{not json`)},
		"records/drift/a/2026-03-02T06-00-00Z.md":   {}, // not a report
		"records/drift/a/notes.json":                {},
		"records/drift/b/plot.svg":                  {},
	}
	mons := []*spec.Monitor{{Metadata: spec.Metadata{Name: "a"}}, {Metadata: spec.Metadata{Name: "b"}}, {Metadata: spec.Metadata{Name: "c"}}}
	got, reports, err := observeDrift(fsys, "records", mons)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["a"].Equal(time.Date(2026, 2, 23, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %v", got)
	}
	a := reports["a"]
	want := DriftReport{WindowEnd: "2026-02-23T06:00:00Z", Version: 3, Drift: true, Summary: "1 of 2 features drifted (distance)",
		Performance: &DriftPerformance{Metric: "auc", Drop: 0.1, Rows: 40},
		Retrain:     &records.WindowData{Monitor: "a", WindowEnd: "2026-02-23T06:00:00Z", Artifact: "sha256:bb", Rows: 40}}
	if a == nil || !reflect.DeepEqual(*a, want) {
		t.Fatalf("report a: %+v", a)
	}
	// An unreadable report keeps its window (so it is not computed again)
	// but cannot trigger anything.
	if c := reports["c"]; c == nil || c.Drift || !strings.Contains(c.Summary, "unreadable report") {
		t.Fatalf("report c: %+v", c)
	}
}

type hasArtifacts map[string]bool

func (h hasArtifacts) Has(_ context.Context, d string) (bool, error) { return h[d], nil }

// Observe checks that the rows a drifted window kept are still in the
// artifact store; rows that are gone cannot be trained on, and say why.
func TestObserveChecksKeptRows(t *testing.T) {
	report := func(digest string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(`{"drift": true, "retrain": {"monitor": "m", "artifact": "` + digest + `", "rows": 3}}`)}
	}
	fsys := fstest.MapFS{
		"records/drift/a/2026-02-23T06-00-00Z.json": report("sha256:gone"),
		"records/drift/b/2026-02-23T06-00-00Z.json": report("sha256:here"),
	}
	set := &spec.Set{Monitors: []*spec.Monitor{{Metadata: spec.Metadata{Name: "a"}}, {Metadata: spec.Metadata{Name: "b"}}}}
	obs, err := Observe(context.Background(), set, ObserveOptions{RecordsFS: fsys, Artifacts: hasArtifacts{"sha256:here": true}})
	if err != nil {
		t.Fatal(err)
	}
	if a := obs.DriftReports["a"]; a == nil || !strings.Contains(a.RetrainUnavailable, "does not hold them") {
		t.Errorf("a: %+v", a)
	}
	if b := obs.DriftReports["b"]; b == nil || b.RetrainUnavailable != "" || b.Retrain == nil {
		t.Errorf("b: %+v", b)
	}
}

// Observe digests each Model's gate policy files from the spec tree; a path
// it cannot read is a note, not an error.
func TestObservePolicies(t *testing.T) {
	specs := fstest.MapFS{"policies/a.rego": {Data: []byte("package ferry.gate\n")}}
	model := func(name string, paths ...string) *spec.Model {
		return &spec.Model{Metadata: spec.Metadata{Name: name}, Spec: spec.ModelSpec{Gate: spec.Gate{Policies: paths}}}
	}
	set := &spec.Set{Models: []*spec.Model{model("a", "policies"), model("b"), model("c", "gone")}}
	obs, err := Observe(context.Background(), set, ObserveOptions{Specs: specs})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(obs.Policies["a"], "sha256:") || obs.Policies["b"] != "" || obs.Policies["c"] != "" {
		t.Fatalf("policies %v", obs.Policies)
	}
	if len(obs.Notes) != 1 || !strings.Contains(obs.Notes[0].Message, "gone") {
		t.Fatalf("notes %+v", obs.Notes)
	}
}
