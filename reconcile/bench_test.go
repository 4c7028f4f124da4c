package reconcile

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
)

const benchDigest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

type constProber struct{}

func (constProber) Probe(context.Context, *spec.Dataset, bool) (DatasetState, error) {
	return DatasetState{Digest: benchDigest, Rows: 1000}, nil
}

type fixedNow struct{}

func (fixedNow) Now() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// benchRepo writes a project with n models, n experiments and n deployments,
// and the records of a world that already matches it.
func benchRepo(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	write := func(p, s string) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("ferry.yaml", "apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: big}\nspec: {git: {commit: direct}}\n")
	write("data/d.csv", "x,y\n1,0\n")
	write("datasets.yaml", "apiVersion: ferry.dev/v1\nkind: Dataset\nmetadata: {name: d}\nspec:\n  source: data/d.csv\n  target: y\n  features: [{name: x, type: number}]\n  split: {eval: 0.2, seed: 1}\n")
	for i := 0; i < n; i++ {
		write(fmt.Sprintf("models/m%d.yaml", i), fmt.Sprintf("apiVersion: ferry.dev/v1\nkind: Model\nmetadata: {name: m%d}\nspec:\n  task: binary-classification\n  dataset: d\n  metric: auc\n  gate: {min: {auc: 0.6}}\n", i))
		write(fmt.Sprintf("experiments/e%d.yaml", i), fmt.Sprintf("apiVersion: ferry.dev/v1\nkind: Experiment\nmetadata: {name: e%d}\nspec:\n  model: m%d\n  trainer: {builtin: logistic-regression, params: {C: %d}}\n  seed: 1\n", i, i, i+1))
		write(fmt.Sprintf("deployments/p%d.yaml", i), fmt.Sprintf("apiVersion: ferry.dev/v1\nkind: Deployment\nmetadata: {name: p%d}\nspec:\n  model: m%d\n  environment: production\n  strategy: {type: canary, steps: [10, 100], interval: 1h}\n", i, i))
	}
	set, err := spec.LoadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		e := set.Experiments[0]
		for _, x := range set.Experiments {
			if x.Metadata.Name == fmt.Sprintf("e%d", i) {
				e = x
			}
		}
		m := set.Model(e.Spec.Model)
		sh := specHash(e, set.Dataset("d"), m)
		in := inputsHash(sh, benchDigest, "", "1")
		art := fmt.Sprintf("sha256:%064x", i)
		run := &records.Run{Schema: 1, ID: in[:12], Experiment: e.Metadata.Name, Model: m.Metadata.Name, Key: in, InputsHash: in, SpecHash: sh,
			Trainer: records.Trainer{Builtin: "logistic-regression", Version: "1"}, Dataset: records.DatasetRef{Name: "d", Digest: benchDigest, Rows: 1000},
			Artifact: art, Version: 1, Gate: &records.GateRecord{Allow: true, ParamsHash: gateParamsHash(m), Checks: []records.Check{}},
			Timings: records.Timings{StartedAt: "2026-02-01T00:00:00Z"}}
		mv := &records.ModelVersion{Schema: 1, Model: m.Metadata.Name, Version: 1, Artifact: art, Lineage: records.Lineage{Run: run.ID, Experiment: e.Metadata.Name}}
		dep := &records.Deployment{Schema: 1, Name: fmt.Sprintf("p%d", i), Model: m.Metadata.Name, Environment: "production", SampleRate: 1,
			Live: []records.LiveVersion{{Version: 1, Artifact: art, Weight: 100}}}
		for p, rec := range map[string]any{
			records.RunPath(run.Experiment, run.ID): run,
			records.VersionPath(m.Metadata.Name, 1): mv,
			records.DeploymentPath(dep.Name):        dep,
		} {
			data, err := records.Marshal(rec)
			if err != nil {
				b.Fatal(err)
			}
			write("records/"+p, string(data))
		}
	}
	return dir
}

// planDir is a whole plan of a folder: load the specs, read the records,
// observe (datasets probed by a constant prober, no runtime), diff.
func planDir(b *testing.B, dir string) *Plan {
	fsys := os.DirFS(dir)
	set, err := spec.Load(fsys)
	if err != nil {
		b.Fatal(err)
	}
	// As the CLI does: decoded records come from .ferry/cache when unchanged.
	cache := records.OpenCache(filepath.Join(dir, ".ferry", "cache", "records.json"))
	recs, err := records.ReadCached(fsys, "records", cache)
	if err != nil {
		b.Fatal(err)
	}
	cache.Save()
	obs, err := Observe(context.Background(), set, ObserveOptions{Specs: fsys, Records: recs, Prober: constProber{}, Clock: fixedNow{}, TrainerVersion: "1"})
	if err != nil {
		b.Fatal(err)
	}
	p, err := Diff(set, obs)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkPlan1000NoChanges: 1,000 models, experiments and deployments
// whose records match: the plan is empty.
func BenchmarkPlan1000NoChanges(b *testing.B) {
	dir := benchRepo(b, 1000)
	if p := planDir(b, dir); p.Changes() {
		b.Fatalf("benchmark repo is not in sync: %v", p.Count())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		planDir(b, dir)
	}
}

// BenchmarkPlan1000OneFileChange: the same repository after one experiment's
// parameters changed: one Train, Evaluate, Gate, Register and Rollout.
func BenchmarkPlan1000OneFileChange(b *testing.B) {
	dir := benchRepo(b, 1000)
	p := filepath.Join(dir, "experiments", "e500.yaml")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(string(data)+"  # changed\n"), 0o644)
	os.WriteFile(p, []byte(fmt.Sprintf("apiVersion: ferry.dev/v1\nkind: Experiment\nmetadata: {name: e500}\nspec:\n  model: m500\n  trainer: {builtin: logistic-regression, params: {C: 0.5}}\n  seed: 1\n")), 0o644)
	if got := planDir(b, dir).Count(); got[Train] != 1 || got[Rollout] != 1 {
		b.Fatalf("plan after one change: %v", got)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		planDir(b, dir)
	}
}

// BenchmarkDiff1000 is the pure diff alone, with specs and records in memory.
func BenchmarkDiff1000(b *testing.B) {
	dir := benchRepo(b, 1000)
	fsys := os.DirFS(dir)
	set, _ := spec.Load(fsys)
	recs, _ := records.Read(fsys, "records")
	obs, _ := Observe(context.Background(), set, ObserveOptions{Specs: fsys, Records: recs, Prober: constProber{}, Clock: fixedNow{}, TrainerVersion: "1"})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Diff(set, obs); err != nil {
			b.Fatal(err)
		}
	}
}

var _ fs.FS = os.DirFS(".")
