package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/runners/monitor"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store"
	"github.com/ferryml/ferry/store/artifact"
)

func init() { register(newMonitorCmd) }

// monitorOut is one monitor's entry in `ferry monitor --json`.
type monitorOut struct {
	Monitor     string               `json:"monitor"`
	Deployment  string               `json:"deployment"`
	Version     int                  `json:"version"`
	WindowStart string               `json:"windowStart"`
	WindowEnd   string               `json:"windowEnd"`
	Rows        int                  `json:"rows"`
	Drift       bool                 `json:"drift"`
	Summary     string               `json:"summary"`
	Skipped     string               `json:"skipped,omitempty"`
	Report      *drift.Report        `json:"report,omitempty"`
	Performance *monitor.Performance `json:"performance,omitempty"`
	Files       []string             `json:"files"`
	Retrain     []string             `json:"retrain"`
	RetrainData *records.WindowData  `json:"retrainData,omitempty"`
	Alert       string               `json:"alert,omitempty"`
	Notes       []string             `json:"notes"`
}

func newMonitorCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON, dryRun, force bool
	var at string
	cmd := &cobra.Command{
		Use:   "monitor [NAME]",
		Short: "Compute drift of production traffic against the training data; write the report to records",
		Long: `Monitor runs the project's Monitors (or the one named): for each, it takes the
window of traffic the Monitor's deployment logged in the prediction log — the
'window' before --at (default now) — or the Monitor's 'data' file, and compares
it with the reference profile of the version that serves: every feature with
its test (PSI by default; per-feature overrides), the model's output
(prediction drift) and, when 'performance.labels' names a file of delayed
labels (request_id, optional row, and the label), the metric on the labelled rows against
the one measured at registration.

The report is written under records/drift/<monitor>/<window-end>.json and .md,
with SVG plots beside them, and committed like every record (a direct commit or
the records pull request). A window is reported once: a report that exists is
not computed again unless --force. The Monitor's onDrift says what else
happens on drift: 'alert' opens (or updates) one GitHub issue per monitor
when github.repository and GITHUB_TOKEN are set, else prints the alert on
stderr; 'retrain' keeps the window's labelled rows (the logged inputs joined
with the delayed labels) as an artifact named in the report, and the next
ferry plan/apply/reconcile trains the Experiments whose triggers.onDrift list
this Monitor on their dataset plus those rows. Experiments with
triggers.onPerformanceDrop retrain the same way when the Monitor's
performance test finds the metric fell by more than their drop.

The reference profile is computed at registration; for a version registered
without one, monitor computes it from the version's training rows (and says
so).

Exit codes: 0 no drift, 1 error, 2 drift found.`,
		Example: `  ferry monitor
  ferry monitor delay-drift --json
  ferry monitor delay-drift --at 2001-05-01T00:00:00Z --dry-run`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := openProject(e, &f)
			if err != nil {
				return err
			}
			end := time.Now().UTC()
			if at != "" {
				if end, err = parseTime(at); err != nil {
					return fmt.Errorf("--at: %w", err)
				}
			}
			mons := p.set.Monitors
			if len(args) == 1 {
				m := p.set.Monitor(args[0])
				if m == nil {
					return fmt.Errorf("no monitor %q (have %s)", args[0], monitorNames(p.set))
				}
				mons = []*spec.Monitor{m}
			}
			if len(mons) == 0 {
				fmt.Fprintln(e.stderr, "no monitors in the project")
				return nil
			}
			mr := &monitorRun{e: e, p: p, force: force}
			if mr.store, err = artifact.Open(ctx, p.set.Project.Spec.Artifacts, p.root); err != nil {
				return err
			}
			defer mr.store.Close()
			recs, _, err := p.readRecords(ctx)
			if err != nil {
				return err
			}
			mr.recs = recs
			var outs []*monitorOut
			files := map[string][]byte{}
			drifted := false
			for _, m := range mons {
				out, fs, err := mr.run(ctx, m, end)
				if err != nil {
					return fmt.Errorf("monitor %s: %w", m.Metadata.Name, err)
				}
				outs = append(outs, out)
				for k, v := range fs {
					files[k] = v
				}
				drifted = drifted || out.Drift
			}
			if len(files) > 0 && !dryRun {
				if err := mr.publish(ctx, files, outs); err != nil {
					return err
				}
			}
			for _, out := range outs {
				if out.Drift && !dryRun {
					mr.alert(ctx, out)
				}
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"monitors": outs, "drift": drifted}); err != nil {
					return err
				}
			} else {
				for _, out := range outs {
					printMonitor(e, out, dryRun)
				}
			}
			if drifted {
				return errAction
			}
			return nil
		},
	}
	f.add(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable output on stdout")
	cmd.Flags().StringVar(&at, "at", "", "end of the window, RFC 3339 or YYYY-MM-DD (default now)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "compute and print, but write no records and raise no alerts")
	cmd.Flags().BoolVar(&force, "force", false, "compute a window again even when its report exists")
	return cmd
}

// retrainers are the Experiments that retrain on a Monitor's drift: those
// whose triggers.onDrift name it when its onDrift says retrain, and those
// with an onPerformanceDrop trigger on the model the Monitor watches, when
// it has a performance test.
func retrainers(s *spec.Set, m *spec.Monitor) []string {
	out := []string{}
	model := ""
	if dep := s.Deployment(m.Spec.Deployment); dep != nil {
		model = dep.Spec.Model
	}
	retrain := slices.Contains(m.Spec.OnDrift, spec.OnDriftRetrain)
	for _, x := range s.Experiments {
		t := x.Spec.Triggers
		onDrift := retrain && slices.Contains(t.OnDrift, m.Metadata.Name)
		onDrop := t.OnPerformanceDrop != nil && m.Spec.Performance != nil && x.Spec.Model == model
		if onDrift || onDrop {
			out = append(out, x.Metadata.Name)
		}
	}
	return out
}

func monitorNames(s *spec.Set) string {
	var names []string
	for _, m := range s.Monitors {
		names = append(names, m.Metadata.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

type monitorRun struct {
	e     *env
	p     *ferryProject
	recs  *records.Set
	store *artifact.Store
	db    *store.DB
	force bool
}

func (mr *monitorRun) run(ctx context.Context, m *spec.Monitor, end time.Time) (*monitorOut, map[string][]byte, error) {
	window := m.Spec.Window.D()
	if window <= 0 {
		window = 7 * 24 * time.Hour
	}
	start := end.Add(-window)
	out := &monitorOut{Monitor: m.Metadata.Name, Deployment: m.Spec.Deployment,
		WindowStart: start.Format(time.RFC3339), WindowEnd: end.Format(time.RFC3339),
		Files: []string{}, Retrain: []string{}, Notes: []string{}}
	out.Retrain = retrainers(mr.p.set, m)
	stamp := monitor.Stamp(end)
	jsonPath := path.Join(mr.p.records, "drift", m.Metadata.Name, stamp+".json")
	if _, err := os.Stat(filepath.Join(mr.p.root, filepath.FromSlash(jsonPath))); err == nil && !mr.force {
		out.Skipped = "a report for this window exists: " + jsonPath + " (--force computes it again)"
		out.Summary = out.Skipped
		return out, nil, nil
	}
	dep := mr.recs.Deployments[m.Spec.Deployment]
	if dep == nil || len(dep.Live) == 0 || dep.Retired {
		out.Skipped = fmt.Sprintf("deployment %s serves nothing yet", m.Spec.Deployment)
		out.Summary = out.Skipped
		return out, nil, nil
	}
	out.Version = records.Primary(dep.Live)
	mv := mr.recs.Version(dep.Model, out.Version)
	if mv == nil {
		return nil, nil, fmt.Errorf("deployment %s serves %s v%d, which has no registry record", dep.Name, dep.Model, out.Version)
	}
	model := mr.p.set.Model(dep.Model)
	if model == nil {
		return nil, nil, fmt.Errorf("deployment %s serves model %s, which has no spec", dep.Name, dep.Model)
	}
	prof, note, err := mr.profile(ctx, model, mv)
	if err != nil {
		return nil, nil, err
	}
	if note != "" {
		out.Notes = append(out.Notes, note)
	}

	var cur *dataset.Frame
	if m.Spec.Data != "" {
		cur, err = dataset.ReadFile(filepath.Join(mr.p.root, filepath.FromSlash(m.Spec.Data)), dataset.ReadOptions{})
		if err != nil {
			return nil, nil, err
		}
		out.Notes = append(out.Notes, "current window read from "+m.Spec.Data)
	} else {
		if mr.db == nil {
			url := mr.p.set.Project.Spec.Predictions
			if mr.db, err = store.Open(ctx, url, mr.p.root); err != nil {
				return nil, nil, err
			}
		}
		cur, err = monitor.FromLog(ctx, mr.db, dep.Name, start, end, model.Spec.Task)
		if err != nil {
			return nil, nil, err
		}
		if v := cur.Col("version"); v != nil && cur.Rows > 0 {
			keep := cur.Filter(func(i int) bool { return int(v.Floats[i]) == out.Version })
			if keep.Rows < cur.Rows {
				out.Notes = append(out.Notes, fmt.Sprintf("%d of %d logged rows came from other versions (a canary) and are left out", cur.Rows-keep.Rows, cur.Rows))
				cur = keep
			}
		}
	}
	out.Rows = cur.Rows
	req := monitor.Request{Monitor: m, Task: model.Spec.Task, Profile: prof, Current: cur, WindowEnd: end,
		Deployment: dep.Name, Version: out.Version, WindowStart: start}
	if ds := mr.p.set.Dataset(model.Spec.Dataset); ds != nil {
		req.Target = ds.Spec.Target
	}
	if len(out.Retrain) > 0 {
		// Experiments retrain on this window when it drifts: keep its
		// labelled rows (content-addressed, so a window computed again
		// keeps the same artifact).
		req.SaveRows = func(csv []byte) (string, error) { return mr.store.Put(ctx, csv) }
	}
	if pt := m.Spec.Performance; pt != nil {
		lf, err := mr.labelsFile(ctx, pt.Labels)
		switch {
		case err != nil:
			out.Notes = append(out.Notes, fmt.Sprintf("no delayed labels: %v", err))
		case lf == "":
			out.Notes = append(out.Notes, "no delayed labels yet at "+pt.Labels)
		default:
			if req.Labels, err = dataset.ReadFile(lf, dataset.ReadOptions{}); err != nil {
				return nil, nil, err
			}
			if mv.Evaluation != nil {
				req.Baseline = mv.Evaluation.Metrics
			}
		}
	}
	res, err := monitor.Run(req)
	if err != nil {
		return nil, nil, err
	}
	out.Drift, out.Summary, out.Report, out.Performance, out.RetrainData = res.Drift, res.Summary, res.Report, res.Performance, res.Retrain
	files := monitor.RecordPaths(mr.p.records, res)
	for k := range files {
		out.Files = append(out.Files, k)
	}
	sort.Strings(out.Files)
	return out, files, nil
}

// labelsFile returns the local file of a Monitor's delayed labels: the
// repository path, or the copy of a URL (fetched like a dataset's), "" when
// no labels have arrived at a repository path yet.
func (mr *monitorRun) labelsFile(ctx context.Context, labels string) (string, error) {
	if spec.IsURL(labels) {
		f := &artifact.Fetcher{Root: mr.p.root, Dir: filepath.Join(mr.p.root, ".ferry", "cache", "labels")}
		got, err := f.Fetch(ctx, labels)
		if err != nil {
			return "", err
		}
		return got.Path, nil
	}
	p := filepath.Join(mr.p.root, filepath.FromSlash(labels))
	if _, err := os.Stat(p); err != nil {
		return "", nil
	}
	return p, nil
}

// profile returns the reference profile of a version: the stored one, or one
// computed now from the version's training rows for versions registered
// without.
func (mr *monitorRun) profile(ctx context.Context, model *spec.Model, mv *records.ModelVersion) (*drift.Profile, string, error) {
	if d := mv.ReferenceProfile; d != "" {
		data, err := mr.store.Get(ctx, d)
		if err != nil {
			return nil, "", fmt.Errorf("reference profile of %s v%d: %w", mv.Model, mv.Version, err)
		}
		p, err := drift.UnmarshalProfile(data)
		return p, "", err
	}
	ds := mr.p.set.Dataset(mv.Lineage.Dataset.Name)
	if ds == nil {
		return nil, "", fmt.Errorf("%s v%d has no reference profile and its dataset %q has no spec to compute one from", mv.Model, mv.Version, mv.Lineage.Dataset.Name)
	}
	src, digest, err := reconcile.DatasetFile(ctx, mr.p.root, ds)
	if err != nil {
		return nil, "", err
	}
	if digest != mv.Lineage.Dataset.Digest {
		return nil, "", fmt.Errorf("%s v%d has no reference profile, and %s changed since it was trained (%s, trained on %s)", mv.Model, mv.Version, ds.Spec.Source, digest, mv.Lineage.Dataset.Digest)
	}
	f, err := dataset.ReadFile(src, dataset.ReadOptions{Format: ds.Spec.Format, Features: ds.Spec.Features})
	if err != nil {
		return nil, "", err
	}
	train, _, err := dataset.Split(f, ds.Spec.Split)
	if err != nil {
		return nil, "", err
	}
	onnxBytes, err := mr.store.Get(ctx, mv.Artifact)
	if err != nil {
		return nil, "", err
	}
	if err := onnx.Init(onnx.DefaultLibraryPath(mr.e.getenv)); err != nil {
		return nil, "", err
	}
	m, err := onnx.Load(onnxBytes, onnx.Options{ExpectedDigest: mv.Artifact})
	if err != nil {
		return nil, "", err
	}
	defer m.Close()
	var features []string
	for _, ft := range ds.Spec.Features {
		features = append(features, ft.Name)
	}
	p, err := monitor.Reference(m, train, features, model.Spec.Task)
	if err != nil {
		return nil, "", err
	}
	return p, fmt.Sprintf("%s v%d was registered without a reference profile; computed it now from its %d training rows", mv.Model, mv.Version, train.Rows), nil
}

func (mr *monitorRun) publish(ctx context.Context, files map[string][]byte, outs []*monitorOut) error {
	var lines []string
	for _, o := range outs {
		if o.Skipped == "" {
			lines = append(lines, fmt.Sprintf("%s (window ending %s): %s", o.Monitor, o.WindowEnd, o.Summary))
		}
	}
	msg := "ferry: drift report " + lines[0]
	if len(lines) > 1 {
		msg = fmt.Sprintf("ferry: drift reports of %d monitors\n\n%s", len(lines), strings.Join(lines, "\n"))
	}
	pub, err := mr.p.repo.Publish(ctx, mr.p.publish, func(ctx context.Context, parent gitops.Hash) (*gitops.Changeset, error) {
		return &gitops.Changeset{Files: files, Message: msg}, nil
	})
	if err != nil {
		return fmt.Errorf("publish drift reports: %w", err)
	}
	if !pub.Commit.IsZero() {
		where := mr.p.publish.Branch
		if mr.p.publish.Remote != "" {
			where = mr.p.publish.Remote + "/" + where
		}
		fmt.Fprintf(mr.e.stderr, "committed %s to %s\n", pub.Commit.String()[:12], where)
	}
	return nil
}

// alert raises the drift alert of a monitor whose onDrift asks for one.
func (mr *monitorRun) alert(ctx context.Context, out *monitorOut) {
	m := mr.p.set.Monitor(out.Monitor)
	wants := false
	for _, a := range m.Spec.OnDrift {
		wants = wants || a == spec.OnDriftAlert
	}
	if !wants {
		return
	}
	title := fmt.Sprintf("Drift in %s (monitor %s)", out.Deployment, out.Monitor)
	body := fmt.Sprintf("ferry found drift in the window ending %s: %s.\n\nReport: %s\n", out.WindowEnd, out.Summary, strings.Join(out.Files, ", "))
	if len(out.Retrain) > 0 {
		body += fmt.Sprintf("\nExperiments that retrain on it: %s", strings.Join(out.Retrain, ", "))
		if d := out.RetrainData; d != nil {
			body += fmt.Sprintf(", on their dataset plus the window's %d labelled rows (%s), at the next ferry plan/apply/reconcile", d.Rows, d.Artifact)
		} else {
			body += " — but the window has no labelled rows yet, so nothing new to train on"
		}
		body += ".\n"
	}
	repo, token := mr.p.set.Project.Spec.GitHub.Repository, mr.e.getenv("GITHUB_TOKEN")
	if repo != "" && token != "" {
		gh, err := gitops.NewGitHub(gitops.GitHubOptions{Repository: repo, Token: token, APIURL: mr.e.getenv("GITHUB_API_URL")})
		if err == nil {
			var n int
			var created bool
			if n, created, err = gh.RaiseAlert(ctx, gitops.Alert{Key: "drift " + out.Monitor, Title: title, Body: body, Labels: []string{"ferry", "drift"}}); err == nil {
				out.Alert = fmt.Sprintf("%s#%d", repo, n)
				verb := map[bool]string{true: "opened", false: "updated"}[created]
				fmt.Fprintf(mr.e.stderr, "alert: %s issue %s\n", verb, out.Alert)
				return
			}
		}
		fmt.Fprintf(mr.e.stderr, "ferry: warning: could not raise the alert on GitHub (%v); here it is:\n", err)
	}
	out.Alert = "stderr"
	fmt.Fprintf(mr.e.stderr, "ALERT: %s\n%s", title, body)
}

func printMonitor(e *env, o *monitorOut, dryRun bool) {
	w := e.stdout
	fmt.Fprintf(w, "monitor %s → deployment %s", o.Monitor, o.Deployment)
	if o.Version > 0 {
		fmt.Fprintf(w, " v%d", o.Version)
	}
	fmt.Fprintf(w, ", window %s → %s\n", o.WindowStart, o.WindowEnd)
	if o.Skipped != "" {
		fmt.Fprintf(w, "  skipped: %s\n", o.Skipped)
		return
	}
	verdict := "no drift"
	if o.Drift {
		verdict = "DRIFT"
	}
	fmt.Fprintf(w, "  %s: %s\n", verdict, o.Summary)
	if r := o.Report; r != nil {
		fmt.Fprintf(w, "  %-14s %-9s %-12s %-10s %s\n", "FEATURE", "TEST", "STATISTIC", "THRESHOLD", "DRIFT")
		fs := append([]*drift.FeatureResult{}, r.Features...)
		if r.Prediction != nil {
			fs = append(fs, r.Prediction)
		}
		for _, f := range fs {
			value := fmt.Sprintf("%.4g", f.Statistic())
			if p := pValueOf(f); p != nil {
				value = fmt.Sprintf("p=%.3g", *p)
			}
			fmt.Fprintf(w, "  %-14s %-9s %-12s %-10g %v\n", f.Name, f.Test, value, f.Threshold, f.Drift)
		}
	}
	if p := o.Performance; p != nil {
		fmt.Fprintf(w, "  performance: %s %.4f vs %.4f at registration (drop %.4f, max %.4f) on %d labelled rows\n", p.Metric, p.Current, p.Baseline, p.Drop, p.MaxDrop, p.Rows)
	}
	if len(o.Retrain) > 0 && o.Drift {
		fmt.Fprintf(w, "  retrain: %s (triggers.onDrift, onPerformanceDrop)", strings.Join(o.Retrain, ", "))
		if d := o.RetrainData; d != nil {
			fmt.Fprintf(w, " on %d labelled rows of the window (%s); ferry plan/apply/reconcile trains them", d.Rows, d.Artifact)
		}
		fmt.Fprintln(w)
	}
	for _, n := range o.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	verb := "wrote"
	if dryRun {
		verb = "would write"
	}
	for _, f := range o.Files {
		fmt.Fprintf(w, "  %s %s\n", verb, f)
	}
}

// pValueOf returns the p-value a p-value test decided on, or nil.
func pValueOf(f *drift.FeatureResult) *float64 {
	switch {
	case f.Test == spec.TestKS && f.KS != nil:
		return (*float64)(&f.KS.PValue)
	case f.Test == spec.TestChi2 && f.Chi2 != nil:
		return (*float64)(&f.Chi2.PValue)
	}
	return nil
}

// projectMonitorer computes the drift reports ferry apply and ferry reconcile
// plan (ComputeDrift), with the same code as ferry monitor.
type projectMonitorer struct {
	e *env
	p *ferryProject
}

var _ reconcile.Monitorer = (*projectMonitorer)(nil)

func (pm *projectMonitorer) ComputeDrift(ctx context.Context, req reconcile.DriftRequest) (*reconcile.DriftResult, error) {
	// The plan decided the window is due; a report file left in the
	// worktree does not stop it.
	mr := &monitorRun{e: pm.e, p: pm.p, force: true}
	var err error
	if mr.store, err = artifact.Open(ctx, pm.p.set.Project.Spec.Artifacts, pm.p.root); err != nil {
		return nil, err
	}
	defer mr.store.Close()
	defer func() {
		if mr.db != nil {
			mr.db.Close()
		}
	}()
	// The records as this apply left them: what serves now.
	if mr.recs, _, err = pm.p.readRecords(ctx); err != nil {
		return nil, err
	}
	out, files, err := mr.run(ctx, req.Monitor, req.WindowEnd.UTC())
	if err != nil {
		return nil, err
	}
	if out.Drift {
		mr.alert(ctx, out)
	}
	return &reconcile.DriftResult{Drift: out.Drift, Summary: out.Summary, Files: files, Retrain: out.RetrainData}, nil
}
