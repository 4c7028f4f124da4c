package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
)

// DriftStamp is how a drift report's file name encodes its window end
// (records/drift/<monitor>/<stamp>.json); runners/monitor.Stamp writes it.
const DriftStamp = "2006-01-02T15-04-05Z"

// defaultDriftWindow is a Monitor's window when its spec sets none.
const defaultDriftWindow = 7 * 24 * time.Hour

// maxDriftLookback bounds how far back Diff looks for a schedule tick, so a
// fine-grained schedule costs little when reports are old or missing.
const maxDriftLookback = 400 * 24 * time.Hour

// DriftPlan is the window a ComputeDrift action reports on.
type DriftPlan struct {
	Monitor     string `json:"monitor"`
	Deployment  string `json:"deployment"`
	Version     int    `json:"version"`
	WindowStart string `json:"windowStart"`
	WindowEnd   string `json:"windowEnd"`
}

// Monitorer computes one drift report: what `ferry monitor` does for one
// Monitor and window. Files are the report's records, keyed by their path in
// the repository (records/drift/<monitor>/<stamp>.json, .md, plots).
type Monitorer interface {
	ComputeDrift(ctx context.Context, req DriftRequest) (*DriftResult, error)
}

// DriftRequest is one window of one Monitor.
type DriftRequest struct {
	Monitor   *spec.Monitor
	WindowEnd time.Time
}

// DriftResult is a computed drift report.
type DriftResult struct {
	Drift   bool
	Summary string
	Files   map[string][]byte
	// Retrain is the window's labelled rows, kept for retraining.
	Retrain *records.WindowData
}

// DriftReport is what a plan needs of a Monitor's newest drift report (the
// JSON runners/monitor records): which version served the window, the
// verdict, the performance test, and the labelled rows kept for retraining.
type DriftReport struct {
	WindowEnd   string              `json:"windowEnd"`
	Version     int                 `json:"version,omitempty"`
	Drift       bool                `json:"drift"`
	Summary     string              `json:"summary,omitempty"`
	Performance *DriftPerformance   `json:"performance,omitempty"`
	Retrain     *records.WindowData `json:"retrain,omitempty"`
	// RetrainUnavailable says why the kept rows cannot be trained on (the
	// artifact store does not have them); set by Observe, not recorded.
	RetrainUnavailable string `json:"retrainUnavailable,omitempty"`
}

// DriftPerformance is a report's performance test: how far the metric fell
// on the window's labelled rows since registration.
type DriftPerformance struct {
	Metric string  `json:"metric"`
	Drop   float64 `json:"drop"`
	Rows   int     `json:"rows"`
}

// observeDrift finds, per Monitor, the window end of its newest report under
// recordsDir/drift/<monitor>/ in fsys, and reads that report.
func observeDrift(fsys fs.FS, recordsDir string, monitors []*spec.Monitor) (map[string]time.Time, map[string]*DriftReport, error) {
	ends, reports := map[string]time.Time{}, map[string]*DriftReport{}
	for _, m := range monitors {
		dir := path.Join(recordsDir, "drift", m.Metadata.Name)
		es, err := fs.ReadDir(fsys, dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, nil, fmt.Errorf("read drift reports %s: %w", dir, err)
		}
		newest := ""
		for _, e := range es {
			stamp, ok := strings.CutSuffix(e.Name(), ".json")
			if !ok || e.IsDir() {
				continue
			}
			t, err := time.Parse(DriftStamp, stamp)
			if err != nil {
				continue // not a report
			}
			if t.After(ends[m.Metadata.Name]) {
				ends[m.Metadata.Name] = t.UTC()
				newest = e.Name()
			}
		}
		if newest == "" {
			continue
		}
		p := path.Join(dir, newest)
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, nil, fmt.Errorf("read drift report %s: %w", p, err)
		}
		var r DriftReport
		if err := json.Unmarshal(data, &r); err != nil {
			// A report ferry cannot read does not stop the plan; it only
			// cannot trigger a retrain.
			r = DriftReport{Summary: fmt.Sprintf("unreadable report %s: %v", p, err)}
		}
		r.WindowEnd = ends[m.Metadata.Name].Format(time.RFC3339)
		reports[m.Metadata.Name] = &r
	}
	return ends, reports, nil
}

// monitors plans a ComputeDrift for each Monitor whose deployment serves
// something and whose schedule has a tick after its newest report's window
// end (no schedule: every reconcile, the window ending now). The window end
// is that tick, the most recent one at or before now.
func (d *differ) monitors() {
	for _, m := range d.desired.Monitors {
		name := m.Metadata.Name
		ref := Ref{spec.KindMonitor, name}
		dep := d.desired.Deployment(m.Spec.Deployment)
		if dep == nil {
			d.note(ref, "deployment %q not found: skipped", m.Spec.Deployment)
			continue
		}
		version := records.Primary(d.serving(dep.Metadata.Name))
		if version == 0 {
			continue // nothing serves: nothing to monitor
		}
		last, reported := d.obs.Drift[name]
		window := m.Spec.Window.D()
		if window <= 0 {
			window = defaultDriftWindow
		}
		now := d.obs.Now.UTC().Truncate(time.Second)
		var end time.Time
		var why string
		if expr := m.Spec.Schedule; expr == "" {
			end, why = now, "no schedule: every reconcile"
			if reported && !end.After(last) {
				continue
			}
		} else {
			sched, err := cron.ParseStandard(expr)
			if err != nil {
				d.note(ref, "schedule %q: %v", expr, err)
				continue
			}
			from := now.Add(-window)
			if reported {
				from = last
			}
			if lb := now.Add(-maxDriftLookback); from.Before(lb) {
				from = lb
			}
			for t := sched.Next(from); !t.IsZero() && !t.After(now); t = sched.Next(t) {
				end = t.UTC()
			}
			if end.IsZero() {
				continue
			}
			why = fmt.Sprintf("schedule %q: due at %s", expr, end.Format(time.RFC3339))
		}
		if reported {
			why += fmt.Sprintf("; newest report ends %s", last.Format(time.RFC3339))
		} else {
			why += "; no report yet"
		}
		stamp := end.Format(DriftStamp)
		dir := d.rec(path.Join("drift", name))
		d.add(Action{Kind: ComputeDrift, Object: ref, Reason: why,
			Key:    hashOf("drift", name, stamp),
			Writes: []string{path.Join(dir, stamp+".json"), path.Join(dir, stamp+".md")},
			Drift: &DriftPlan{Monitor: name, Deployment: dep.Metadata.Name, Version: version,
				WindowStart: end.Add(-window).Format(time.RFC3339), WindowEnd: end.Format(time.RFC3339)}})
	}
}

// driftPhase computes the plan's drift reports through the Monitorer and
// commits them together, after the runs and deployments. A report another
// apply committed first is not written again.
func (a *applier) driftPhase(ctx context.Context) error {
	var acts []*Action
	for i := range a.plan.Actions {
		if act := &a.plan.Actions[i]; act.Kind == ComputeDrift && act.Drift != nil {
			acts = append(acts, act)
		}
	}
	if len(acts) == 0 {
		return nil
	}
	if a.o.Monitorer == nil {
		for _, act := range acts {
			a.res.Skipped = append(a.res.Skipped, fmt.Sprintf("%s %s: no drift monitor configured", act.Kind, act.Object))
		}
		return nil
	}
	type report struct {
		json    string // the report's JSON path: it exists once the window is reported
		files   map[string][]byte
		line    string
		retrain *records.WindowData
	}
	var reports []report
	for i, act := range acts {
		m := a.o.Desired.Monitor(act.Drift.Monitor)
		if m == nil {
			return fmt.Errorf("%s %s: monitor %q is not in the specs", act.Kind, act.Object, act.Drift.Monitor)
		}
		end, err := time.Parse(time.RFC3339, act.Drift.WindowEnd)
		if err != nil {
			return fmt.Errorf("%s %s: window end: %w", act.Kind, act.Object, err)
		}
		r, err := a.o.Monitorer.ComputeDrift(ctx, DriftRequest{Monitor: m, WindowEnd: end})
		if err != nil {
			return fmt.Errorf("%s %s: %w", act.Kind, act.Object, err)
		}
		line := fmt.Sprintf("drift report %s (window ending %s): %s", act.Drift.Monitor, act.Drift.WindowEnd, r.Summary)
		a.res.Drift = append(a.res.Drift, line)
		if len(r.Files) > 0 {
			reports = append(reports, report{json: act.Writes[0], files: r.Files, line: line, retrain: r.Retrain})
		}
		if err := a.step("drift %d %s", i, act.Object); err != nil {
			return err
		}
	}
	if len(reports) == 0 {
		return nil
	}
	// A window someone else reported first (a racing apply, ferry monitor)
	// is not written again.
	var windows []records.WindowData
	pub, err := a.o.Repo.Publish(ctx, a.o.Publish, func(ctx context.Context, parent gitops.Hash) (*gitops.Changeset, error) {
		var fsys fs.FS
		if !parent.IsZero() {
			t, err := a.o.Repo.FSAt(parent)
			if err != nil {
				return nil, fmt.Errorf("read records at %s: %w", parent, err)
			}
			fsys = t
		}
		cs := &gitops.Changeset{Files: map[string][]byte{}}
		var lines []string
		windows = nil // built again on each attempt
		for _, r := range reports {
			if fsys != nil {
				if _, err := fs.Stat(fsys, r.json); err == nil {
					continue
				}
			}
			for k, v := range r.files {
				cs.Files[k] = v
			}
			lines = append(lines, r.line)
			if r.retrain != nil {
				windows = append(windows, *r.retrain)
			}
		}
		sort.Strings(lines)
		cs.Message = commitMessage(lines, a.plan.ID)
		return cs, nil
	})
	if err != nil {
		return fmt.Errorf("publish drift reports: %w", err)
	}
	a.res.Windows = append(a.res.Windows, windows...)
	if !pub.Commit.IsZero() {
		a.res.Commits = append(a.res.Commits, pub.Commit)
		a.res.WorktreeSynced = pub.WorktreeSynced
	}
	return a.step("publish drift")
}
