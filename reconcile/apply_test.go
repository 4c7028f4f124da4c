package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/store/artifact"
)

// fakes stand in for the trainer, evaluator, gate and runtime. They are
// deterministic and count their calls, so tests can tell work from reuse.
type fakes struct {
	mu                     sync.Mutex
	trains, evals, deploys int
	auc                    float64
	// metrics, when set for an experiment, are what Evaluate reports for it.
	metrics map[string]map[string]float64
	live    map[string]*reconcile.Live
}

func newFakes() *fakes { return &fakes{auc: 0.8, live: map[string]*reconcile.Live{}} }

func (f *fakes) Train(ctx context.Context, req reconcile.TrainRequest) (*reconcile.TrainResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trains++
	return &reconcile.TrainResult{
		ONNX:    []byte("onnx:" + req.Experiment.Metadata.Name + ":" + req.RunID + ":" + req.DatasetDigest),
		Metrics: map[string]float64{"auc": f.auc}, Rows: 2, TrainRows: 1, EvalRows: 1, Duration: time.Second,
	}, nil
}

func (f *fakes) Evaluate(ctx context.Context, req reconcile.EvalRequest) (*eval.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evals++
	metrics := map[string]float64{"auc": f.auc}
	if m, ok := f.metrics[req.Experiment.Metadata.Name]; ok {
		metrics = m
	}
	return &eval.Report{Rows: 1, Task: string(req.Model.Spec.Task), Metrics: metrics,
		Model: &eval.ModelInfo{Digest: req.Artifact}}, nil
}

func (f *fakes) Decide(ctx context.Context, req reconcile.GateRequest) (*records.GateRecord, error) {
	floor := req.Model.Spec.Gate.Min["auc"]
	got := req.Candidate.Metrics["auc"]
	ok := got >= floor
	return &records.GateRecord{Allow: ok, Checks: []records.Check{{Name: "min", Passed: ok, Severity: "deny",
		Message: fmt.Sprintf("auc %.3f, floor %.3f", got, floor)}}}, nil
}

func (f *fakes) Status(ctx context.Context, name string) (*reconcile.Live, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.live[name]
	if !ok {
		return nil, nil
	}
	c := *l
	return &c, nil
}

func (f *fakes) Deploy(ctx context.Context, d reconcile.DeploymentState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deploys++
	if len(d.Versions) == 0 {
		delete(f.live, d.Name)
		return nil
	}
	l := &reconcile.Live{Model: d.Model, SampleRate: d.SampleRate}
	for _, v := range d.Versions {
		l.Versions = append(l.Versions, reconcile.LiveVersion{Version: v.Version, Artifact: v.Artifact, Weight: v.Weight})
	}
	f.live[d.Name] = l
	return nil
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// newRemote makes a bare remote holding the first-run fixture's specs.
func newRemote(t *testing.T) string {
	t.Helper()
	return newRemoteWith(t, nil)
}

// newRemoteWith is newRemote with edit applied to the specs before they are
// committed.
func newRemoteWith(t *testing.T, edit func(dir string)) string {
	t.Helper()
	base := t.TempDir()
	remote := filepath.Join(base, "remote.git")
	seed := filepath.Join(base, "seed")
	git(t, base, "init", "-q", "--bare", "-b", "main", remote)
	git(t, base, "clone", "-q", remote, seed)
	git(t, seed, "checkout", "-q", "-b", "main")
	copyDir(t, "testdata/plan/first-run/specs", seed)
	if edit != nil {
		edit(seed)
	}
	os.WriteFile(filepath.Join(seed, ".gitignore"), []byte(".ferry/\n"), 0o644)
	git(t, seed, "add", ".")
	git(t, seed, "commit", "-q", "-m", "specs")
	git(t, seed, "push", "-q", "origin", "main")
	return remote
}

func clone(t *testing.T, remote string) string {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	git(t, filepath.Dir(work), "clone", "-q", remote, work)
	return work
}

func engine(t *testing.T, work string, f *fakes, branch string) *reconcile.Engine {
	t.Helper()
	repo, err := gitops.Open(work)
	if err != nil {
		t.Fatal(err)
	}
	store, err := artifact.Open(context.Background(), "file://.ferry/artifacts", work)
	if err != nil {
		t.Fatal(err)
	}
	return &reconcile.Engine{
		Root: work, Repo: repo, RecordsDir: "records",
		Publish: gitops.PublishOptions{Remote: "origin", Branch: branch, Base: "main", Backoff: time.Millisecond, Attempts: 10},
		Store:   store, Trainer: f, Evaluator: f, Gate: f, Runtime: f,
		Prober: reconcile.FileProber{Root: work}, Clock: fixedClock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		TrainerVersion: "1",
	}
}

func cycle(t *testing.T, e *reconcile.Engine) (*reconcile.Plan, *reconcile.ApplyResult, error) {
	t.Helper()
	p, st, err := e.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Apply(context.Background(), p, st)
	return p, res, err
}

func remoteFiles(t *testing.T, remote, ref, dir string) []string {
	t.Helper()
	out := git(t, remote, "ls-tree", "-r", "--name-only", ref, dir)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func commitCount(t *testing.T, remote, ref string) int {
	n, _ := strconv.Atoi(git(t, remote, "rev-list", "--count", ref))
	return n
}

func versions(t *testing.T, remote, ref string) []string {
	var vs []string
	for _, f := range remoteFiles(t, remote, ref, "records/models") {
		vs = append(vs, filepath.Base(f))
	}
	sort.Strings(vs)
	return vs
}

func TestApplyEndToEndThenNothing(t *testing.T) {
	remote := newRemote(t)
	work := clone(t, remote)
	f := newFakes()
	e := engine(t, work, f, "main")
	p, res, err := cycle(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Count(); got[reconcile.Train] != 1 || got[reconcile.Register] != 1 || got[reconcile.Rollout] != 1 {
		t.Fatalf("first plan: %v", got)
	}
	if len(res.Registered) != 1 || res.Registered[0] != "delay v1" || len(res.Commits) != 2 {
		t.Fatalf("result: %+v", res)
	}
	files := remoteFiles(t, remote, "main", "records")
	if len(files) != 3 {
		t.Fatalf("records on the remote: %v", files)
	}
	if got := f.live["delay-prod"]; got == nil || got.Versions[0].Version != 1 || got.Versions[0].Weight != 100 {
		t.Fatalf("runtime: %+v", got)
	}
	// The checked-out main moved along with the records.
	if !res.WorktreeSynced || git(t, work, "status", "--porcelain") != "" {
		t.Fatalf("worktree: synced=%v status=%q", res.WorktreeSynced, git(t, work, "status", "--porcelain"))
	}
	// The version record carries lineage, evaluation and the gate decision.
	v1 := git(t, remote, "show", "main:records/models/delay/v1.yaml")
	for _, want := range []string{"schema: 1", "lineage:", "experiment: delay-lr", "evaluation:", "allow: true", "artifact: sha256:"} {
		if !strings.Contains(v1, want) {
			t.Errorf("v1.yaml lacks %q:\n%s", want, v1)
		}
	}
	commits := commitCount(t, remote, "main")
	// Same specs, same world: the second apply plans nothing and pushes nothing.
	p2, res2, err := cycle(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Changes() || len(res2.Commits) != 0 || commitCount(t, remote, "main") != commits || f.trains != 1 {
		t.Fatalf("second apply did something: plan %v, commits %v, trains %d", p2.Count(), res2.Commits, f.trains)
	}
	// Nothing left in the journal once the records are in git.
	if es, _ := os.ReadDir(filepath.Join(work, ".ferry", "journal")); len(es) != 0 {
		t.Fatalf("journal not cleaned: %d entries", len(es))
	}
}

func TestGateDeniedRegistersNothing(t *testing.T) {
	remote := newRemote(t)
	f := newFakes()
	f.auc = 0.5 // below the fixture's floor of 0.6
	e := engine(t, clone(t, remote), f, "main")
	_, res, err := cycle(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Registered) != 0 || len(res.Denied) != 1 || len(res.Skipped) != 1 || f.deploys != 0 {
		t.Fatalf("result: %+v deploys %d", res, f.deploys)
	}
	if vs := versions(t, remote, "main"); len(vs) != 0 {
		t.Fatalf("versions: %v", vs)
	}
	run := remoteFiles(t, remote, "main", "records/runs")
	if len(run) != 1 || !strings.Contains(git(t, remote, "show", "main:"+run[0]), "allow: false") {
		t.Fatalf("the denied run is not recorded with its decision: %v", run)
	}
	// The denial is recorded: the next plan does not retrain or re-gate.
	p, _, err := cycle(t, e)
	if err != nil || p.Changes() {
		t.Fatalf("after a denial: %v %v", p.Count(), err)
	}
}

var errCrash = errors.New("simulated crash")

// TestCrashAtEveryStepConverges aborts an apply after each of its steps in
// turn, then applies again: the result is always one version, the same
// records and the same number of commits as an uninterrupted apply, and the
// model is trained once.
func TestCrashAtEveryStepConverges(t *testing.T) {
	// An uninterrupted run lists the steps.
	var steps []string
	{
		remote := newRemote(t)
		e := engine(t, clone(t, remote), newFakes(), "main")
		e.Hook = func(s string) error { steps = append(steps, s); return nil }
		if _, _, err := cycle(t, e); err != nil {
			t.Fatal(err)
		}
	}
	if len(steps) < 7 {
		t.Fatalf("steps: %v", steps)
	}
	for _, crashAt := range steps {
		t.Run(crashAt, func(t *testing.T) {
			remote := newRemote(t)
			base := commitCount(t, remote, "main")
			work := clone(t, remote)
			f := newFakes()
			e := engine(t, work, f, "main")
			e.Hook = func(s string) error {
				if s == crashAt {
					return errCrash
				}
				return nil
			}
			if _, _, err := cycle(t, e); !errors.Is(err, errCrash) {
				t.Fatalf("want the crash, got %v", err)
			}
			if _, err := os.Stat(filepath.Join(work, ".ferry", "apply.lock")); err == nil {
				t.Fatal("lock left behind")
			}
			e.Hook = nil
			if _, _, err := cycle(t, e); err != nil {
				t.Fatal(err)
			}
			p, res, err := cycle(t, e)
			if err != nil || p.Changes() || len(res.Commits) != 0 {
				t.Fatalf("not converged: %v %v", p.Count(), err)
			}
			if vs := versions(t, remote, "main"); len(vs) != 1 || vs[0] != "v1.yaml" {
				t.Fatalf("versions %v", vs)
			}
			if n := commitCount(t, remote, "main") - base; n != 2 {
				t.Fatalf("%d records commits, want 2", n)
			}
			if f.trains != 1 {
				t.Fatalf("trained %d times", f.trains)
			}
			if l := f.live["delay-prod"]; l == nil || len(l.Versions) != 1 || l.Versions[0].Version != 1 {
				t.Fatalf("runtime %+v", l)
			}
		})
	}
}

// TestRacingApplies: two machines apply the same change at once. Whoever
// pushes second re-plans on the winner's records: one version, one run record.
func TestRacingApplies(t *testing.T) {
	t.Run("interleaved", func(t *testing.T) {
		remote := newRemote(t)
		f := newFakes()
		a := engine(t, clone(t, remote), f, "main")
		b := engine(t, clone(t, remote), f, "main")
		ranB := false
		a.Hook = func(s string) error {
			if strings.Contains(s, "Register") && !ranB {
				ranB = true
				if _, _, err := cycle(t, b); err != nil {
					return err
				}
			}
			return nil
		}
		if _, _, err := cycle(t, a); err != nil {
			t.Fatal(err)
		}
		if vs := versions(t, remote, "main"); len(vs) != 1 {
			t.Fatalf("versions %v", vs)
		}
		if runs := remoteFiles(t, remote, "main", "records/runs"); len(runs) != 1 {
			t.Fatalf("runs %v", runs)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		remote := newRemote(t)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		engines := []*reconcile.Engine{engine(t, clone(t, remote), newFakes(), "main"), engine(t, clone(t, remote), newFakes(), "main")}
		for i, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, st, err := e.Plan(context.Background())
				if err == nil {
					_, err = e.Apply(context.Background(), p, st)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if vs := versions(t, remote, "main"); len(vs) != 1 {
			t.Fatalf("versions %v", vs)
		}
	})
}

func TestLock(t *testing.T) {
	remote := newRemote(t)
	work := clone(t, remote)
	e := engine(t, work, newFakes(), "main")
	lock := filepath.Join(work, ".ferry", "apply.lock")
	os.MkdirAll(filepath.Dir(lock), 0o755)
	// A live holder (this test process) blocks a second apply.
	os.WriteFile(lock, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	_, _, err := cycle(t, e)
	if !errors.Is(err, reconcile.ErrLocked) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("want ErrLocked naming the pid, got %v", err)
	}
	// A dead holder's lock is stale and taken over.
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(lock, []byte(strconv.Itoa(done.Process.Pid)+"\n"), 0o644)
	if _, _, err := cycle(t, e); err != nil {
		t.Fatalf("stale lock: %v", err)
	}
}

func TestPullRequestModePushesABranch(t *testing.T) {
	remote := newRemote(t)
	main := git(t, remote, "rev-parse", "main")
	f := newFakes()
	e := engine(t, clone(t, remote), f, "ferry/main")
	if _, _, err := cycle(t, e); err != nil {
		t.Fatal(err)
	}
	if git(t, remote, "rev-parse", "main") != main {
		t.Fatal("pull-request mode moved main")
	}
	if vs := versions(t, remote, "ferry/main"); len(vs) != 1 {
		t.Fatalf("branch versions %v", vs)
	}
	// The pending branch is where records are read: nothing to do again.
	p, res, err := cycle(t, e)
	if err != nil || p.Changes() || len(res.Commits) != 0 {
		t.Fatalf("second apply: %v %v", p.Count(), err)
	}
}

// An empty spec folder or broken specs never retire what serves.
func TestNoRetireFromMissingSpecs(t *testing.T) {
	remote := newRemote(t)
	work := clone(t, remote)
	f := newFakes()
	e := engine(t, work, f, "main")
	if _, _, err := cycle(t, e); err != nil {
		t.Fatal(err)
	}
	// Broken specs: no plan at all.
	os.WriteFile(filepath.Join(work, "specs.yaml"), []byte("apiVersion: ferry.dev/v1\nkind: Model\nmetadata: {name: [\n"), 0o644)
	if _, _, err := e.Plan(context.Background()); err == nil {
		t.Fatal("want a spec error")
	}
	// Only ferry.yaml left: a plan, but the guard holds.
	os.Remove(filepath.Join(work, "specs.yaml"))
	p, _, err := e.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Count()[reconcile.Retire] != 0 || len(p.Notes) == 0 {
		t.Fatalf("plan: %v notes %v", p.Count(), p.Notes)
	}
	// No ferry.yaml at all: an error, not an empty desired state.
	os.Remove(filepath.Join(work, "ferry.yaml"))
	if _, _, err := e.Plan(context.Background()); err == nil {
		t.Fatal("want an error without ferry.yaml")
	}
	if l := f.live["delay-prod"]; l == nil {
		t.Fatal("the runtime lost the deployment")
	}
}

// With the remote gone, plan falls back on the records fetched last and says
// so; apply, which must push, fails.
func TestPlanWithRemoteDown(t *testing.T) {
	remote := newRemote(t)
	e := engine(t, clone(t, remote), newFakes(), "main")
	if _, _, err := cycle(t, e); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(remote, remote+".gone"); err != nil {
		t.Fatal(err)
	}
	p, _, err := e.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Changes() || len(p.Notes) == 0 || !strings.Contains(p.Notes[0].Message, "planning from the records fetched last") {
		t.Fatalf("plan: %v notes %+v", p.Count(), p.Notes)
	}
}

// TestBestCandidateGetsLatest: two experiments of one model pass the gate in
// the same apply. Whatever their order in the plan, the one with the better
// primary metric gets the higher version number, so "version: latest" serves
// it.
func TestBestCandidateGetsLatest(t *testing.T) {
	cases := []struct {
		name   string
		metric string
		lr, gb map[string]float64
		best   string
	}{
		{"auc, delay-lr better", "auc", map[string]float64{"auc": 0.70}, map[string]float64{"auc": 0.65}, "delay-lr"},
		{"auc, delay-gb better", "auc", map[string]float64{"auc": 0.65}, map[string]float64{"auc": 0.70}, "delay-gb"},
		{"logloss is lower-is-better", "logloss",
			map[string]float64{"auc": 0.70, "logloss": 0.61}, map[string]float64{"auc": 0.65, "logloss": 0.58}, "delay-gb"},
		{"a tie keeps plan order", "auc", map[string]float64{"auc": 0.70}, map[string]float64{"auc": 0.70}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			remote := newRemoteWith(t, func(dir string) {
				p := filepath.Join(dir, "specs.yaml")
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				s := strings.Replace(string(b), "metric: auc", "metric: "+c.metric, 1)
				s += "---\napiVersion: ferry.dev/v1\nkind: Experiment\nmetadata: {name: delay-gb}\nspec:\n  model: delay\n  trainer:\n    builtin: gradient-boosting\n  seed: 1\n"
				if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			})
			f := newFakes()
			f.metrics = map[string]map[string]float64{"delay-lr": c.lr, "delay-gb": c.gb}
			e := engine(t, clone(t, remote), f, "main")
			ctx := context.Background()
			p, st, err := e.Plan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The preview numbers the candidates as apply will.
			cands, err := e.Preview(ctx, p, st)
			if err != nil || len(cands) != 2 {
				t.Fatalf("preview: %v %v", cands, err)
			}
			previewed := map[int]string{}
			for _, c := range cands {
				previewed[c.Version] = c.Experiment
			}
			res, err := e.Apply(ctx, p, st)
			if err != nil {
				t.Fatal(err)
			}
			var order []string // experiments in plan order
			for _, a := range p.Actions {
				if a.Kind == reconcile.Register {
					order = append(order, a.Run.Experiment)
				}
			}
			if len(order) != 2 || len(res.Registered) != 2 {
				t.Fatalf("plan registers %v, apply registered %v", order, res.Registered)
			}
			best := c.best
			if best == "" {
				best = order[1] // a tie: the later in the plan gets the higher number
			}
			if previewed[2] != best || previewed[1] == "" {
				t.Fatalf("preview numbered %v, want v2 = %s", previewed, best)
			}
			if f.trains != 2 {
				t.Fatalf("apply did not reuse the preview's models: %d trainings", f.trains)
			}
			v2 := git(t, remote, "show", "main:records/models/delay/v2.yaml")
			if !strings.Contains(v2, "experiment: "+best) {
				t.Fatalf("v2 is not %s:\n%s", best, v2)
			}
			// The deployment serves v2, and v2 is the best run's artifact.
			l := f.live["delay-prod"]
			if l == nil || len(l.Versions) != 1 || l.Versions[0].Version != 2 {
				t.Fatalf("runtime %+v", l)
			}
			if !strings.Contains(v2, "artifact: "+l.Versions[0].Artifact) {
				t.Fatalf("served artifact %s is not v2's:\n%s", l.Versions[0].Artifact, v2)
			}
			dep := git(t, remote, "show", "main:records/deployments/delay-prod.yaml")
			if !strings.Contains(dep, "version: 2") {
				t.Fatalf("deployment record:\n%s", dep)
			}
		})
	}
}

// fakeMonitor writes a drift report per request, as ferry monitor does.
type fakeMonitor struct{ windows []time.Time }

func (m *fakeMonitor) ComputeDrift(ctx context.Context, req reconcile.DriftRequest) (*reconcile.DriftResult, error) {
	m.windows = append(m.windows, req.WindowEnd)
	base := "records/drift/" + req.Monitor.Metadata.Name + "/" + req.WindowEnd.UTC().Format(reconcile.DriftStamp)
	return &reconcile.DriftResult{Summary: "no drift", Files: map[string][]byte{
		base + ".json": []byte(`{"drift": false}` + "\n"), base + ".md": []byte("no drift\n")}}, nil
}

// TestScheduledDrift: once the deployment serves, the weekly Monitor's due
// window is computed and committed once; the next reconcile plans nothing.
func TestScheduledDrift(t *testing.T) {
	remote := newRemoteWith(t, func(dir string) {
		p := filepath.Join(dir, "specs.yaml")
		b, _ := os.ReadFile(p)
		b = append(b, "---\napiVersion: ferry.dev/v1\nkind: Monitor\nmetadata: {name: delay-drift}\nspec:\n  deployment: delay-prod\n  window: 168h\n  schedule: \"0 6 * * 1\"\n"...)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	f := newFakes()
	mon := &fakeMonitor{}
	e := engine(t, clone(t, remote), f, "main")
	e.Monitorer = mon
	p, _, err := cycle(t, e) // registers and deploys v1: nothing served yet to monitor
	if err != nil || p.Count()[reconcile.ComputeDrift] != 0 || len(mon.windows) != 0 {
		t.Fatalf("first cycle: %v %v windows %v", p.Count(), err, mon.windows)
	}
	p, res, err := cycle(t, e)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 2, 23, 6, 0, 0, 0, time.UTC) // the last Monday 06:00 before the clock's Sunday
	if len(p.Actions) != 1 || p.Actions[0].Kind != reconcile.ComputeDrift || len(mon.windows) != 1 || !mon.windows[0].Equal(want) {
		t.Fatalf("second cycle: %v windows %v", p.Count(), mon.windows)
	}
	if len(res.Commits) != 1 || len(res.Drift) != 1 {
		t.Fatalf("result %+v", res)
	}
	files := remoteFiles(t, remote, "main", "records/drift")
	if len(files) != 2 || files[0] != "records/drift/delay-drift/2026-02-23T06-00-00Z.json" {
		t.Fatalf("drift records %v", files)
	}
	commits := commitCount(t, remote, "main")
	p, res, err = cycle(t, e)
	if err != nil || p.Changes() || len(res.Commits) != 0 || len(mon.windows) != 1 || commitCount(t, remote, "main") != commits {
		t.Fatalf("third cycle: %v %v windows %v", p.Count(), err, mon.windows)
	}
}
