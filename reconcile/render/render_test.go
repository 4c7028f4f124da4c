package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/reconcile"
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
