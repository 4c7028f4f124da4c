package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/reconcile/render"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fixture(t *testing.T, name string) *reconcile.Plan {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "plan", name, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := reconcile.ReadPlan(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The renderers are checked against golden files made from the reconcile
// plan fixtures; go test ./reconcile/render -update rewrites them.
func TestGolden(t *testing.T) {
	renderers := map[string]func(*bytes.Buffer, *reconcile.Plan) error{
		"txt":  func(b *bytes.Buffer, p *reconcile.Plan) error { return render.Text(b, p) },
		"md":   func(b *bytes.Buffer, p *reconcile.Plan) error { return render.Markdown(b, p) },
		"json": func(b *bytes.Buffer, p *reconcile.Plan) error { return render.JSON(b, p) },
	}
	for _, name := range []string{"first-run", "retire", "no-changes", "new-data-below-threshold", "canary-rollback"} {
		p := fixture(t, name)
		for ext, fn := range renderers {
			var b bytes.Buffer
			if err := fn(&b, p); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+"."+ext)
			if *update {
				os.MkdirAll("testdata", 0o755)
				os.WriteFile(golden, b.Bytes(), 0o644)
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("%s differs:\n%s", golden, b.String())
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	p := fixture(t, "first-run")
	var b bytes.Buffer
	if err := render.JSON(&b, p); err != nil {
		t.Fatal(err)
	}
	back, err := reconcile.ReadPlan(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != p.ID || len(back.Actions) != len(p.Actions) || back.Actions[0].Kind != reconcile.Train {
		t.Fatalf("round trip: %+v", back)
	}
}

func TestTextSaysWhatWhyAndWrites(t *testing.T) {
	var b bytes.Buffer
	render.Text(&b, fixture(t, "retire"))
	s := b.String()
	for _, want := range []string{"Retire", "Deployment/delay-prod", "[destructive]", "why:    deployment spec was deleted", "records/deployments/delay-prod.yaml", "1 retire (1 destructive)"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
}

// A candidate trained on a drift window says what it and production were
// scored on, in the terminal and in the pull request comment; others do not.
func TestCandidateOnAWindowSaysWhatItWasScoredOn(t *testing.T) {
	allow := &records.GateRecord{Allow: true, Checks: []records.Check{}}
	rep := &eval.Report{Metrics: eval.Metrics{"auc": 0.7}}
	win := &records.WindowData{Monitor: "delay-drift", WindowEnd: "2026-11-23T06:00:00Z", Artifact: "sha256:ab", Rows: 420}
	cs := []*reconcile.Candidate{
		{Model: "delay", Experiment: "gbt", Run: "r2", ProductionVersion: 3, Metric: "auc", Candidate: rep, Production: rep, Gate: allow, Window: win},
		{Model: "delay", Experiment: "lr", Run: "r3", ProductionVersion: 3, Metric: "auc", Candidate: rep, Production: rep, Gate: allow},
	}
	want := "trained on the dataset plus 420 labelled rows of monitor delay-drift's window ending 2026-11-23T06:00:00Z; candidate and production v3 scored on the dataset's eval rows plus the window's held-out rows"
	var text, md bytes.Buffer
	if err := render.CandidatesText(&text, cs); err != nil {
		t.Fatal(err)
	}
	if err := render.Comment(&md, &reconcile.Plan{Actions: []reconcile.Action{}}, cs); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "comment": md.String()} {
		if strings.Count(out, want) != 1 {
			t.Errorf("%s: want the window note once:\n%s", name, out)
		}
	}
}
