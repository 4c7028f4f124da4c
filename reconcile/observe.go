package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/policy"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store/artifact"
)

// ObserveOptions say where to look.
type ObserveOptions struct {
	// Specs is the tree the desired state was loaded from; exec trainers'
	// folders are hashed from it.
	Specs fs.FS
	// Commit is the spec revision, "" for a worktree.
	Commit string
	// Records are the records at RecordsCommit.
	Records       *records.Set
	RecordsCommit string
	// RecordsFS is the tree the records were read from, and RecordsDir their
	// folder in it: drift reports are found there. Nil: none are observed.
	RecordsFS  fs.FS
	RecordsDir string
	Prober     DatasetProber
	Runtime    StatusReader
	// Artifacts tells whether the labelled rows drift reports kept are
	// still there; nil: not checked.
	Artifacts interface {
		Has(ctx context.Context, digest string) (bool, error)
	}
	// Predictions compares canaries' predictions with their baselines' for
	// Deployments whose analysis sets maxPredictionPSI; nil: not observed.
	Predictions PredictionComparer
	Clock       Clock
	// TrainerVersion is the builtin trainers' version.
	TrainerVersion string
}

// Observe gathers what exists for the objects of desired.
func Observe(ctx context.Context, desired *spec.Set, o ObserveOptions) (*Observed, error) {
	if desired == nil {
		return nil, ErrNoDesiredState
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Runtime == nil {
		o.Runtime = NoRuntime{}
	}
	if o.Records == nil {
		o.Records = records.NewSet()
	}
	obs := &Observed{
		Commit: o.Commit, RecordsCommit: o.RecordsCommit, Now: o.Clock.Now().UTC(),
		TrainerVersion: o.TrainerVersion, Records: o.Records,
		Live: map[string]*Live{}, Datasets: map[string]DatasetState{}, Code: map[string]string{},
	}
	// Datasets used by experiments; rows only where a newData trigger needs them.
	needRows := map[string]bool{}
	used := map[string]bool{}
	for _, e := range desired.Experiments {
		ds := e.Spec.Dataset
		if m := desired.Model(e.Spec.Model); ds == "" && m != nil {
			ds = m.Spec.Dataset
		}
		used[ds] = true
		if e.Spec.Triggers.NewData != nil {
			needRows[ds] = true
		}
		if x := e.Spec.Trainer.Exec; x != nil && o.Specs != nil {
			dir := path.Clean(x.Dir)
			if x.Dir == "" {
				dir = "."
			}
			if _, ok := obs.Code[dir]; !ok {
				h, err := hashDir(o.Specs, dir)
				if err != nil {
					return nil, fmt.Errorf("observe trainer code %s: %w", dir, err)
				}
				obs.Code[dir] = h
			}
		}
	}
	// Gate policy files, per Model that names some.
	for _, m := range desired.Models {
		if len(m.Spec.Gate.Policies) == 0 || o.Specs == nil {
			continue
		}
		d, err := policy.PoliciesDigest(o.Specs, m.Spec.Gate.Policies)
		if err != nil {
			// The gate itself will fail closed on them; the plan goes on.
			obs.Notes = append(obs.Notes, Note{Object: Ref{spec.KindModel, m.Metadata.Name}, Message: fmt.Sprintf("gate policies: %v", err)})
			continue
		}
		if obs.Policies == nil {
			obs.Policies = map[string]string{}
		}
		obs.Policies[m.Metadata.Name] = d
	}
	for _, ds := range desired.Datasets {
		name := ds.Metadata.Name
		if !used[name] {
			continue
		}
		if o.Prober == nil {
			obs.Datasets[name] = DatasetState{Rows: -1, Error: "no dataset prober"}
			continue
		}
		st, err := o.Prober.Probe(ctx, ds, needRows[name])
		if err != nil {
			st = DatasetState{Rows: -1, Error: err.Error()}
		}
		obs.Datasets[name] = st
	}
	if o.RecordsFS != nil && len(desired.Monitors) > 0 {
		dir := o.RecordsDir
		if dir == "" {
			dir = "records"
		}
		ends, reports, err := observeDrift(o.RecordsFS, dir, desired.Monitors)
		if err != nil {
			return nil, err
		}
		obs.Drift, obs.DriftReports = ends, reports
		if o.Artifacts != nil {
			for _, r := range reports {
				if w := r.Retrain; w != nil && w.Artifact != "" {
					if has, err := o.Artifacts.Has(ctx, w.Artifact); err != nil {
						r.RetrainUnavailable = fmt.Sprintf("the artifact store cannot tell whether it holds them: %v", err)
					} else if !has {
						r.RetrainUnavailable = "the artifact store does not hold them (kept in a file:// store on another machine? use a shared store: s3://, gs://)"
					}
				}
			}
		}
	}
	// The runtime, for every deployment in the specs or the records.
	names := map[string]bool{}
	for _, d := range desired.Deployments {
		names[d.Metadata.Name] = true
	}
	for n, r := range o.Records.Deployments {
		if !r.Retired {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		live, err := o.Runtime.Status(ctx, n)
		switch {
		case errors.Is(err, ErrNotObserved):
			if _, isNone := o.Runtime.(NoRuntime); !isNone {
				obs.Notes = append(obs.Notes, Note{Object: Ref{spec.KindDeployment, n}, Message: fmt.Sprintf("%v; planning from the deployment record", err)})
			}
		case err != nil:
			obs.Notes = append(obs.Notes, Note{Object: Ref{spec.KindDeployment, n}, Message: fmt.Sprintf("runtime status: %v; planning from the deployment record", err)})
		case live == nil:
			obs.Live[n] = &Live{Versions: []LiveVersion{}}
		default:
			obs.Live[n] = live
		}
	}
	observePredictionPSI(ctx, desired, o, obs)
	return obs, nil
}

// observePredictionPSI measures each observed canary's prediction PSI when
// its Deployment's analysis bounds it.
func observePredictionPSI(ctx context.Context, desired *spec.Set, o ObserveOptions, obs *Observed) {
	for _, dep := range desired.Deployments {
		name := dep.Metadata.Name
		rec, live := o.Records.Deployments[name], obs.Live[name]
		if dep.Spec.Strategy.Analysis.MaxPredictionPSI == nil || rec == nil || rec.Canary == nil || live == nil || o.Predictions == nil {
			continue
		}
		c := rec.Canary
		v := live.version(c.Version)
		since, err := time.Parse(time.RFC3339, c.StartedAt)
		if v == nil || err != nil {
			continue
		}
		m := desired.Model(dep.Spec.Model)
		if m == nil {
			continue
		}
		psi, err := o.Predictions.PredictionPSI(ctx, PredictionPSIRequest{Deployment: name, Task: m.Spec.Task, Baseline: c.Baseline, Canary: c.Version, Since: since})
		if err != nil {
			obs.Notes = append(obs.Notes, Note{Object: Ref{spec.KindDeployment, name}, Message: fmt.Sprintf("canary v%d: prediction PSI against v%d: %v", c.Version, c.Baseline, err)})
			continue
		}
		v.PredictionPSI = &psi
	}
}

// hashDir hashes every file under dir (paths and contents), so any change to
// an exec trainer's code changes it, whether read from a worktree or a commit.
func hashDir(fsys fs.FS, dir string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if b := d.Name(); p != dir && (b == ".git" || b == ".ferry" || b == "__pycache__") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// DatasetFile returns the local file holding a dataset's source, and its
// digest: the file under root for a repository path, or, for a blob or
// http(s) URL, the copy in root/.ferry/cache/datasets, fetched again only when
// the object's version (ETag, else size and time) changed.
func DatasetFile(ctx context.Context, root string, ds *spec.Dataset) (path, digest string, err error) {
	src := ds.Spec.Source
	if spec.IsURL(src) {
		f := &artifact.Fetcher{Root: root, Dir: filepath.Join(root, ".ferry", "cache", "datasets")}
		got, err := f.Fetch(ctx, src)
		if err != nil {
			return "", "", fmt.Errorf("dataset %s: %w", ds.Metadata.Name, err)
		}
		return got.Path, got.Digest, nil
	}
	path = filepath.Join(root, filepath.FromSlash(src))
	digest, err = dataset.Digest(path)
	return path, digest, err
}

// FileProber observes datasets stored as files under Root, or at URLs.
type FileProber struct {
	Root string
}

var _ DatasetProber = FileProber{}

func (p FileProber) Probe(ctx context.Context, ds *spec.Dataset, rows bool) (DatasetState, error) {
	src := ds.Spec.Source
	full, digest, err := DatasetFile(ctx, p.Root, ds)
	if err != nil {
		return DatasetState{Rows: -1}, err
	}
	if ds.Spec.Digest != "" && ds.Spec.Digest != digest {
		return DatasetState{Rows: -1}, fmt.Errorf("dataset %s: %s has digest %s, the spec pins %s", ds.Metadata.Name, src, digest, ds.Spec.Digest)
	}
	st := DatasetState{Digest: digest, Rows: -1}
	if rows {
		opts := dataset.ReadOptions{Format: ds.Spec.Format}
		if ds.Spec.Target != "" {
			opts.Columns = []string{ds.Spec.Target}
		}
		f, err := dataset.ReadFile(full, opts)
		if err != nil {
			return st, err
		}
		st.Rows = f.Rows
	}
	return st, nil
}
