package reconcile

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store/artifact"
)

// Engine wires observe, plan and apply for one repository. The CLI builds one
// from the project's settings; tests build one with fakes.
type Engine struct {
	// Root is the worktree root: specs are read there (unless Rev is set),
	// datasets resolve against it, and .ferry/ lives in it.
	Root string
	// Rev reads the specs at a git revision instead of the worktree.
	Rev        string
	Repo       *gitops.Repo
	Publish    gitops.PublishOptions
	RecordsDir string

	Store     *artifact.Store
	Trainer   Trainer
	Evaluator Evaluator
	Gate      Gater
	Runtime   Runtime
	Monitorer Monitorer
	// Predictions measures canaries' prediction PSI (maxPredictionPSI).
	Predictions PredictionComparer
	Prober      DatasetProber
	Clock       Clock
	Log         *slog.Logger
	// TrainerVersion of the builtin trainers; Versions go into run records.
	TrainerVersion string
	Versions       map[string]string
	Hook           func(step string) error
}

// State is what a plan was computed from.
type State struct {
	Desired  *spec.Set
	Observed *Observed
}

// LoadSpecs loads the desired state. A spec error is returned as is (a
// spec.ErrorList with positions); nothing is planned from a broken tree.
func (e *Engine) LoadSpecs() (*spec.Set, fs.FS, string, error) {
	var fsys fs.FS = os.DirFS(e.Root)
	commit := ""
	if e.Rev != "" {
		t, err := e.Repo.FS(e.Rev)
		if err != nil {
			return nil, nil, "", err
		}
		fsys, commit = t, t.Commit().String()
	} else if e.Repo != nil {
		if h, err := e.Repo.Resolve("HEAD"); err == nil {
			commit = h.String()
		}
	}
	set, err := spec.Load(fsys)
	if err != nil {
		return nil, nil, "", err
	}
	if set.Project == nil {
		return nil, nil, "", fmt.Errorf("no Project (ferry.yaml) in %s", e.Root)
	}
	return set, fsys, commit, nil
}

// RecordsHead returns the commit ferry's records are read from.
func (e *Engine) RecordsHead(ctx context.Context) (gitops.Hash, error) {
	return e.Repo.Head(ctx, e.Publish)
}

// Observe loads the specs and observes what exists.
func (e *Engine) Observe(ctx context.Context) (*State, error) {
	set, fsys, commit, err := e.LoadSpecs()
	if err != nil {
		return nil, err
	}
	var notes []Note
	head, err := e.RecordsHead(ctx)
	if err != nil && e.Publish.Remote != "" && !e.Publish.Offline {
		// Offline, or the remote is down: plan from what was fetched last,
		// and say so. Apply fetches again before it pushes anything.
		offline := e.Publish
		offline.Offline = true
		if h, err2 := e.Repo.Head(ctx, offline); err2 == nil {
			notes = append(notes, Note{Object: Ref{Kind: spec.KindProject, Name: set.Project.Metadata.Name},
				Message: fmt.Sprintf("%v; planning from the records fetched last", err)})
			head, err = h, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("find records: %w", err)
	}
	rfs, err := e.Repo.FSAt(head)
	if err != nil {
		return nil, err
	}
	// Decoded records are cached by content under .ferry/cache: most records
	// do not change between two plans.
	cache := records.OpenCache(filepath.Join(e.Root, ".ferry", "cache", "records.json"))
	recs, err := records.ReadCached(rfs, e.recordsDir(), cache)
	if err != nil {
		return nil, err
	}
	_ = cache.Save() // a cache that cannot be written only costs speed
	obs, err := Observe(ctx, set, ObserveOptions{
		Specs: fsys, Commit: commit, Records: recs, RecordsCommit: head.String(),
		RecordsFS: rfs, RecordsDir: e.recordsDir(),
		Prober: e.Prober, Runtime: e.Runtime, Predictions: e.Predictions, Clock: e.Clock, TrainerVersion: e.TrainerVersion,
		Artifacts: e.artifacts(),
	})
	if err != nil {
		return nil, err
	}
	obs.Notes = append(notes, obs.Notes...)
	return &State{Desired: set, Observed: obs}, nil
}

// artifacts is the store Observe checks kept rows in; nil without one (a nil
// *artifact.Store must not become a non-nil interface).
func (e *Engine) artifacts() interface {
	Has(ctx context.Context, digest string) (bool, error)
} {
	if e.Store == nil {
		return nil
	}
	return e.Store
}

func (e *Engine) recordsDir() string {
	if e.RecordsDir == "" {
		return "records"
	}
	return e.RecordsDir
}

// Plan observes and diffs.
func (e *Engine) Plan(ctx context.Context) (*Plan, *State, error) {
	st, err := e.Observe(ctx)
	if err != nil {
		return nil, nil, err
	}
	p, err := Diff(st.Desired, st.Observed)
	if err != nil {
		return nil, nil, err
	}
	return p, st, nil
}

// Apply applies p, made from st.
func (e *Engine) Apply(ctx context.Context, p *Plan, st *State) (*ApplyResult, error) {
	var dep Deployer
	if e.Runtime != nil {
		dep = e.Runtime
	}
	return Apply(ctx, p, ApplyOptions{
		Root: e.Root, Repo: e.Repo, Publish: e.Publish, RecordsDir: e.recordsDir(),
		Desired: st.Desired, Observed: st.Observed, Store: e.Store,
		Trainer: e.Trainer, Evaluator: e.Evaluator, Gate: e.Gate, Runtime: dep, Monitorer: e.Monitorer,
		Clock: e.Clock, Log: e.Log, Versions: e.Versions, Hook: e.Hook,
	})
}
