package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/policy"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/runners/exec"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/runners/train"
	"github.com/ferryml/ferry/spec"
)

// BuiltinTrainerVersion is part of every builtin run's inputs hash. Bump it
// when a builtin trainer's output changes for the same inputs, so existing
// experiments retrain.
const BuiltinTrainerVersion = "builtin-1"

// Options configure a Runner.
type Options struct {
	// Root is the repository root: dataset and edge-case paths resolve here.
	Root string
	// FS holds the gate policies (the worktree or a revision's tree).
	FS fs.FS
	// LibraryPath is onnxruntime's shared library.
	LibraryPath string
	// Getenv passes PATH, HOME and the spec's env list to exec trainers.
	Getenv func(string) string
	Log    *slog.Logger
	// Artifacts holds the drift windows' labelled rows that drift-triggered
	// runs train on.
	Artifacts Getter
}

// Getter reads an artifact by digest (store/artifact.Store does).
type Getter interface {
	Get(ctx context.Context, digest string) ([]byte, error)
}

// windowEvalFraction is the share of a drift window's labelled rows held out
// for evaluation when the dataset's own split is not a fraction.
const windowEvalFraction = 0.2

// minWindowSplit is the fewest window rows that are split; fewer all train.
const minWindowSplit = 10

// Runner trains, evaluates and gates on this machine.
type Runner struct {
	opts Options

	mu     sync.Mutex
	splits map[string]*split
	gates  map[string]*policy.Gate
}

var (
	_ reconcile.Trainer   = (*Runner)(nil)
	_ reconcile.Evaluator = (*Runner)(nil)
	_ reconcile.Gater     = (*Runner)(nil)
)

type split struct {
	rows        int
	train, eval *dataset.Frame
}

// New returns a Runner.
func New(opts Options) *Runner {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Runner{opts: opts, splits: map[string]*split{}, gates: map[string]*policy.Gate{}}
}

func (r *Runner) path(p string) string { return filepath.Join(r.opts.Root, filepath.FromSlash(p)) }

// split reads and splits a dataset once, and adds a drift window's labelled
// rows when the run has one: a seeded share of them (the dataset's eval
// fraction, else 20%) joins the eval rows, the rest the training rows. The
// window rows are matched to the dataset's columns and types by name.
func (r *Runner) split(ctx context.Context, ds *spec.Dataset, digest string, win *records.WindowData) (*split, error) {
	key := ds.Metadata.Name + "@" + digest
	if win != nil {
		key += "+" + win.Artifact
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.splits[key]; s != nil {
		return s, nil
	}
	src := r.path(ds.Spec.Source)
	if spec.IsURL(ds.Spec.Source) {
		// The object may have changed since the plan: train only on the
		// version the plan recorded.
		p, got, err := reconcile.DatasetFile(ctx, r.opts.Root, ds)
		if err != nil {
			return nil, err
		}
		if digest != "" && got != digest {
			return nil, fmt.Errorf("dataset %s: %s is now %s, the plan was made for %s: plan again", ds.Metadata.Name, ds.Spec.Source, got, digest)
		}
		src = p
	}
	f, err := dataset.ReadFile(src, dataset.ReadOptions{Format: ds.Spec.Format, Features: ds.Spec.Features})
	if err != nil {
		return nil, err
	}
	tr, ev, err := dataset.Split(f, ds.Spec.Split)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", ds.Metadata.Name, err)
	}
	s := &split{rows: f.Rows, train: tr, eval: ev}
	if win != nil {
		if err := r.addWindow(ctx, ds, win, s); err != nil {
			return nil, err
		}
	}
	r.splits[key] = s
	return s, nil
}

func (r *Runner) addWindow(ctx context.Context, ds *spec.Dataset, win *records.WindowData, s *split) error {
	what := fmt.Sprintf("window rows of monitor %s ending %s (%s)", win.Monitor, win.WindowEnd, win.Artifact)
	if r.opts.Artifacts == nil {
		return fmt.Errorf("%s: no artifact store to read them from", what)
	}
	b, err := r.opts.Artifacts.Get(ctx, win.Artifact)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	w, err := dataset.ReadCSV(bytes.NewReader(b), dataset.ReadOptions{Features: ds.Spec.Features})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if w.Col(ds.Spec.Target) == nil {
		return fmt.Errorf("%s: no %q (target) column", what, ds.Spec.Target)
	}
	wtr, wev := w, (*dataset.Frame)(nil)
	if w.Rows >= minWindowSplit {
		frac := windowEvalFraction
		if ds.Spec.Split.Column == "" && ds.Spec.Split.Eval.Fraction > 0 {
			frac = ds.Spec.Split.Eval.Fraction
		}
		if wtr, wev, err = dataset.Split(w, spec.Split{Eval: spec.SplitPart{Fraction: frac}, Seed: ds.Spec.Split.Seed}); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if s.train, err = dataset.Append(s.train, wtr); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if s.eval, err = dataset.Append(s.eval, wev); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	s.rows += w.Rows
	return nil
}

// Train runs a builtin trainer.
func (r *Runner) Train(ctx context.Context, req reconcile.TrainRequest) (*reconcile.TrainResult, error) {
	s, err := r.split(ctx, req.Dataset, req.DatasetDigest, req.Window)
	if err != nil {
		return nil, err
	}
	treq := train.Request{
		Experiment: req.Experiment, Model: req.Model, Dataset: req.Dataset,
		Train: s.train, Eval: s.eval, RunID: req.RunID, DatasetDigest: req.DatasetDigest,
		Log: r.opts.Log.With("experiment", req.Experiment.Metadata.Name, "run", req.RunID),
	}
	var res *train.Result
	if req.Experiment.Spec.Trainer.Exec != nil {
		res, err = exec.Run(ctx, treq, exec.Options{Root: r.opts.Root, Getenv: r.opts.Getenv, Log: treq.Log})
	} else {
		res, err = train.Train(ctx, treq)
	}
	if err != nil {
		return nil, err
	}
	return &reconcile.TrainResult{ONNX: res.ONNX, Metrics: res.Metrics, Info: res.Info, Duration: res.Duration,
		Rows: s.rows, TrainRows: s.train.Rows, EvalRows: s.eval.Rows}, nil
}

// Evaluate runs the model through onnxruntime on the dataset's eval split.
func (r *Runner) Evaluate(ctx context.Context, req reconcile.EvalRequest) (*eval.Report, error) {
	if err := onnx.Init(r.opts.LibraryPath); err != nil {
		return nil, err
	}
	m, err := onnx.Load(req.ONNX, onnx.Options{ExpectedDigest: req.Artifact, IntraOpThreads: 1, InterOpThreads: 1})
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", req.Artifact, err)
	}
	defer m.Close()
	digest := req.DatasetDigest
	if md := m.Metadata(); md != nil && digest == "" {
		digest = md["datasetDigest"]
	}
	s, err := r.split(ctx, req.Dataset, digest, req.Window)
	if err != nil {
		return nil, err
	}
	opts := onnx.EvalOptions{Target: req.Dataset.Spec.Target, Task: req.Model.Spec.Task, Segments: req.Model.Spec.Segments}
	if ec := req.Model.Spec.Gate.EdgeCases; ec != "" {
		f, err := dataset.ReadFile(r.path(ec), dataset.ReadOptions{Features: req.Dataset.Spec.Features})
		if err != nil {
			return nil, fmt.Errorf("edge cases: %w", err)
		}
		opts.EdgeCases, opts.EdgeCasesName = f, ec
	}
	return onnx.Evaluate(m, s.eval, opts)
}

// Decide runs the model's gate (compiled once per model).
func (r *Runner) Decide(ctx context.Context, req reconcile.GateRequest) (*records.GateRecord, error) {
	name := req.Model.Metadata.Name
	r.mu.Lock()
	g := r.gates[name]
	if g == nil {
		var err error
		g, err = policy.New(policy.Options{Policies: req.Model.Spec.Gate.Policies, FS: r.opts.FS})
		if err != nil {
			r.mu.Unlock()
			return nil, fmt.Errorf("gate of model %s: %w", name, err)
		}
		r.gates[name] = g
	}
	r.mu.Unlock()
	in := policy.Input{Candidate: req.Candidate, Production: req.Production, Params: req.Model.Spec.Gate,
		Lineage: policy.Lineage{Model: name, Version: req.Version, ProductionVersion: req.ProductionVersion}}
	if run := req.Run; run != nil {
		in.Lineage.Experiment, in.Lineage.Run = run.Experiment, run.ID
		in.Lineage.DatasetDigest, in.Lineage.CodeCommit = run.Dataset.Digest, run.Code.Commit
		in.Lineage.Trainer, in.Lineage.ArtifactDigest = run.Trainer.String(), run.Artifact
	}
	d, err := g.Decide(ctx, in)
	if err != nil {
		return nil, err
	}
	out := &records.GateRecord{Allow: d.Allow, Error: d.Error, Input: d.Input, Checks: []records.Check{}}
	for _, c := range d.Checks {
		out.Checks = append(out.Checks, records.Check{Name: c.Name, Passed: c.Passed, Severity: c.Severity, Message: strings.TrimSpace(c.Message)})
	}
	return out, nil
}
