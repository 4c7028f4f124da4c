package reconcile

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
)

// ErrNoDesiredState is returned by Diff without a spec set: a missing or
// unreadable desired state is an error, never "delete everything".
var ErrNoDesiredState = errors.New("no desired state (specs not loaded)")

// Diff computes the plan that brings observed to desired. It is a pure
// function of its two arguments: no I/O, no clock (observed.Now is the time).
//
// Rules, per object:
//   - Experiment: Train when no run exists for its key: the hash of its inputs
//     (experiment and dataset spec, dataset digest, exec trainer code, trainer
//     version), throttled by a new-data trigger's minRows, plus the slot of a
//     due schedule. A new run is then Evaluated and Gated against the version
//     serving production, and Registered if the gate allows. An existing
//     unregistered run is re-evaluated when the model's gate changed.
//   - Deployment: Rollout when the desired version (a number, or latest) is
//     not what serves, or the runtime lost what the records say; canaries
//     start at their first step and advance (or roll back) once an interval
//     has passed and the analysis holds (requests, error rate, p99 latency,
//     and the prediction PSI against the baseline, observed from the
//     prediction log).
//   - Monitor: ComputeDrift when its deployment serves something and its
//     schedule (none: every reconcile) has a tick after the window end of its
//     newest report; the window ends at that tick.
//   - A deployment record without a spec is Retired, unless the spec set is
//     empty (a guard against a broken checkout retiring production).
func Diff(desired *spec.Set, obs *Observed) (*Plan, error) {
	if desired == nil {
		return nil, ErrNoDesiredState
	}
	if obs == nil || obs.Records == nil {
		return nil, errors.New("no observed state")
	}
	d := &differ{desired: desired, obs: obs, recordsDir: "records", registers: map[string][]*Action{}}
	if desired.Project != nil && desired.Project.Spec.Records != "" {
		d.recordsDir = desired.Project.Spec.Records
	}
	d.plan.Notes = append(d.plan.Notes, obs.Notes...)
	for _, e := range desired.Experiments {
		d.experiment(e)
	}
	for _, dep := range desired.Deployments {
		d.deployment(dep)
	}
	d.retire()
	d.monitors()
	p := &d.plan
	p.Schema = PlanSchema
	p.Commit, p.RecordsCommit = obs.Commit, obs.RecordsCommit
	p.Desired = DesiredHash(desired)
	p.Observed = ObservedHash(obs)
	keys := make([]string, len(p.Actions))
	for i, a := range p.Actions {
		keys[i] = a.Key
		// Lists are [] rather than null in JSON: the schema stays stable.
		if r := a.Rollout; r != nil {
			if r.From == nil {
				r.From = []records.LiveVersion{}
			}
			if r.To == nil {
				r.To = []records.LiveVersion{}
			}
		}
	}
	p.ID = hashOf("plan", p.Desired, p.Observed, keys)
	if p.Actions == nil {
		p.Actions = []Action{}
	}
	return p, nil
}

type differ struct {
	desired    *spec.Set
	obs        *Observed
	recordsDir string
	plan       Plan
	// registers planned per model, in order.
	registers map[string][]*Action
	// rollouts are appended after all run actions; kept apart for ordering.
}

func (d *differ) note(ref Ref, format string, args ...any) {
	d.plan.Notes = append(d.plan.Notes, Note{Object: ref, Message: fmt.Sprintf(format, args...)})
}

func (d *differ) add(a Action) *Action {
	if a.Writes == nil {
		a.Writes = []string{}
	}
	d.plan.Actions = append(d.plan.Actions, a)
	return &d.plan.Actions[len(d.plan.Actions)-1]
}

func (d *differ) rec(p string) string { return path.Join(d.recordsDir, p) }

// production returns the version serving model in the production environment
// (the stable version during a canary), 0 for none.
func (d *differ) production(model string) int {
	for _, dep := range d.desired.Deployments {
		if dep.Spec.Model != model || dep.Spec.Environment != "production" {
			continue
		}
		if v := records.Primary(d.serving(dep.Metadata.Name)); v != 0 {
			return v
		}
	}
	return 0
}

// serving is what a deployment serves: the runtime's report when observed,
// else the record's.
func (d *differ) serving(name string) []records.LiveVersion {
	if l, ok := d.obs.Live[name]; ok && l != nil {
		return l.Records()
	}
	if r := d.obs.Records.Deployments[name]; r != nil && !r.Retired {
		return sortLive(append([]records.LiveVersion(nil), r.Live...))
	}
	return nil
}

func (d *differ) experiment(e *spec.Experiment) {
	ref := Ref{spec.KindExperiment, e.Metadata.Name}
	m := d.desired.Model(e.Spec.Model)
	if m == nil {
		d.note(ref, "model %q not found: skipped", e.Spec.Model)
		return
	}
	dsName := e.Spec.Dataset
	if dsName == "" {
		dsName = m.Spec.Dataset
	}
	ds := d.desired.Dataset(dsName)
	if ds == nil {
		d.note(ref, "dataset %q not found: skipped", dsName)
		return
	}
	state, ok := d.obs.Datasets[dsName]
	if !ok || state.Digest == "" {
		msg := "not observed"
		if state.Error != "" {
			msg = state.Error
		}
		d.note(ref, "dataset %s: %s: cannot tell whether to train", dsName, msg)
		return
	}
	sh := specHash(e, ds, m)
	code := records.Code{Commit: d.obs.Commit}
	trainerVersion := d.obs.TrainerVersion
	if x := e.Spec.Trainer.Exec; x != nil {
		code.Dir = path.Clean(x.Dir)
		if x.Dir == "" {
			code.Dir = "."
		}
		code.Tree = d.obs.Code[code.Dir]
		trainerVersion = "exec"
	}
	inputs := inputsHash(sh, state.Digest, code.Tree, trainerVersion)
	runs := d.obs.Records.Runs[e.Metadata.Name]
	var latest *records.Run
	if len(runs) > 0 {
		latest = runs[len(runs)-1]
	}
	byKey := map[string]*records.Run{}
	var current *records.Run // the newest run with today's inputs
	for _, r := range runs {
		byKey[r.Key] = r
		if r.InputsHash == inputs {
			current = r
		}
	}
	against := d.production(m.Metadata.Name)
	gh := gateParamsHash(m)
	if pd := d.obs.Policies[m.Metadata.Name]; pd != "" {
		gh = hashOf("gate+policies", gh, pd)
	}
	dsRef := records.DatasetRef{Name: dsName, Digest: state.Digest, Rows: state.Rows}
	// A drifted window (or a performance drop) retrains on the dataset plus
	// the window's labelled rows, once per window; it also stands in for a
	// throttled new-data change. Once trained on, the window's rows stay in
	// the data of the experiment's runs while its report is the newest, so a
	// later change does not drop them.
	trainedOn := func(artifact string) bool {
		for _, r := range runs {
			if r.Window != nil && r.Window.Artifact == artifact {
				return true
			}
		}
		return false
	}
	win, signal, fresh := d.retrainSignal(ref, e, m, trainedOn)
	withWindow := func(key, trigger string) (string, string) {
		if win == nil {
			return key, trigger
		}
		return hashOf("window", key, win.Artifact), fmt.Sprintf("%s; with the %d labelled rows of monitor %s's window ending %s", trigger, win.Rows, win.Monitor, win.WindowEnd)
	}
	key, trigger := "", ""
	switch {
	case win != nil && fresh:
		key, _ = withWindow(inputs, "")
		trigger = signal
	case current == nil:
		key = inputs
		trigger = d.trainReason(ref, e, latest, sh, state, code, trainerVersion)
		if trigger == "" {
			return // a throttled change, noted
		}
		key, trigger = withWindow(key, trigger)
	default:
		if slot, due := d.scheduleDue(ref, e, latest); due {
			key, _ = withWindow(hashOf("scheduled", inputs, slot.UTC().Format(time.RFC3339)), "")
			if byKey[key] == nil {
				_, trigger = withWindow("", fmt.Sprintf("schedule %q: due at %s", e.Spec.Triggers.Schedule, slot.UTC().Format(time.RFC3339)))
			}
		}
	}
	if trigger != "" {
		run := &RunPlan{
			ID: key[:12], Experiment: e.Metadata.Name, Model: m.Metadata.Name, Key: key,
			InputsHash: inputs, SpecHash: sh, Trigger: trigger, Dataset: dsRef, Window: win, Code: code,
			Against: against, GateParamsHash: gh,
		}
		d.runActions(ref, m, run, true, trigger)
		return
	}
	// Nothing to train. Re-gate the current run when it was never registered
	// and its verdict is stale: it was never gated, or the gate changed.
	if current == nil || current.Version != 0 {
		return
	}
	var why string
	switch g := current.Gate; {
	case g == nil:
		why = "run was never gated"
	case g.ParamsHash != gh:
		why = "the model's gate (its spec or its policy files) changed since the run was gated"
	default:
		// A verdict stands until the run's inputs or the gate change; a new
		// production version alone does not re-open it.
		return
	}
	run := &RunPlan{
		ID: current.ID, Experiment: e.Metadata.Name, Model: m.Metadata.Name, Key: current.Key,
		InputsHash: current.InputsHash, SpecHash: current.SpecHash, Trigger: current.Trigger,
		Existing: true, Dataset: current.Dataset, Window: current.Window, Code: current.Code, Against: against, GateParamsHash: gh,
	}
	d.runActions(ref, m, run, false, why)
}

// retrainSignal finds a reason to retrain the experiment on new production
// data: the newest report of a Monitor its triggers.onDrift name drifted
// (and the Monitor's onDrift says retrain), or the newest report of a Monitor
// of its model measured a fall of its onPerformanceDrop metric beyond the
// drop. The report must have kept the window's labelled rows and, unless a
// run already trained on them (fresh is false then), be about the version
// that serves now; otherwise a note says why nothing trains.
func (d *differ) retrainSignal(ref Ref, e *spec.Experiment, m *spec.Model, trainedOn func(artifact string) bool) (win *records.WindowData, why string, fresh bool) {
	t := e.Spec.Triggers
	for _, name := range t.OnDrift {
		mon := d.desired.Monitor(name)
		rep := d.obs.DriftReports[name]
		if mon == nil || rep == nil || !rep.Drift {
			continue
		}
		if !slices.Contains(mon.Spec.OnDrift, spec.OnDriftRetrain) {
			d.note(ref, "monitor %s drifted in the window ending %s, but its onDrift does not include retrain: not retraining", name, rep.WindowEnd)
			continue
		}
		what := fmt.Sprintf("monitor %s drifted in the window ending %s (%s)", name, rep.WindowEnd, rep.Summary)
		if win, fresh := d.windowData(ref, mon, rep, what, trainedOn); win != nil {
			return win, fmt.Sprintf("drift: %s; retraining on the dataset plus %d labelled rows of the window", what, win.Rows), fresh
		}
	}
	if pd := t.OnPerformanceDrop; pd != nil {
		for _, mon := range d.desired.Monitors {
			dep := d.desired.Deployment(mon.Spec.Deployment)
			rep := d.obs.DriftReports[mon.Metadata.Name]
			if dep == nil || dep.Spec.Model != m.Metadata.Name || rep == nil || rep.Performance == nil || rep.Performance.Rows == 0 {
				continue
			}
			p := rep.Performance
			if p.Metric != pd.Metric {
				d.note(ref, "onPerformanceDrop watches %s, but monitor %s measures %s: cannot tell", pd.Metric, mon.Metadata.Name, p.Metric)
				continue
			}
			if !(p.Drop > pd.Drop) {
				continue
			}
			what := fmt.Sprintf("%s fell by %.4f (> onPerformanceDrop %g) on %d labelled rows of the window ending %s (monitor %s)", p.Metric, p.Drop, pd.Drop, p.Rows, rep.WindowEnd, mon.Metadata.Name)
			if win, fresh := d.windowData(ref, mon, rep, what, trainedOn); win != nil {
				return win, fmt.Sprintf("performance drop: %s; retraining on the dataset plus %d labelled rows of the window", what, win.Rows), fresh
			}
		}
	}
	return nil, "", false
}

// windowData returns the labelled rows a report kept: fresh when no run
// trained on them yet and the report is about the version serving now.
func (d *differ) windowData(ref Ref, mon *spec.Monitor, rep *DriftReport, what string, trainedOn func(string) bool) (*records.WindowData, bool) {
	if why := rep.RetrainUnavailable; why != "" && rep.Retrain != nil {
		d.note(ref, "%s and kept %d labelled rows (%s), but %s: not retraining on them", what, rep.Retrain.Rows, rep.Retrain.Artifact, why)
		return nil, false
	}
	if rep.Retrain == nil || rep.Retrain.Artifact == "" || rep.Retrain.Rows == 0 {
		d.note(ref, "%s, but the report kept no labelled rows (no delayed labels joined the logged predictions): nothing new to retrain on, and the same data would reproduce the same model", what)
		return nil, false
	}
	if trainedOn(rep.Retrain.Artifact) {
		return rep.Retrain, false
	}
	if serving := records.Primary(d.serving(mon.Spec.Deployment)); rep.Version != 0 && serving != 0 && rep.Version != serving {
		d.note(ref, "%s about v%d, but v%d serves now: waiting for a report on v%d", what, rep.Version, serving, serving)
		return nil, false
	}
	return rep.Retrain, true
}

// trainReason says why the experiment needs a run for new inputs, or returns
// "" (with a note) when a new-data trigger holds the change back.
func (d *differ) trainReason(ref Ref, e *spec.Experiment, latest *records.Run, sh string, ds DatasetState, code records.Code, trainerVersion string) string {
	if latest == nil {
		return "no run yet"
	}
	var why []string
	if latest.SpecHash != sh {
		why = append(why, "experiment or dataset spec changed")
	}
	if code.Tree != latest.Code.Tree && code.Dir != "" {
		why = append(why, fmt.Sprintf("trainer code in %s changed (tree %s → %s)", code.Dir, short(latest.Code.Tree), short(code.Tree)))
	}
	if latest.Trainer.Version != trainerVersion && latest.Trainer.Version != "" {
		why = append(why, fmt.Sprintf("trainer version %s → %s", latest.Trainer.Version, trainerVersion))
	}
	if latest.Dataset.Digest != ds.Digest {
		dataWhy := fmt.Sprintf("dataset %s changed (%s → %s)", latest.Dataset.Name, short(latest.Dataset.Digest), short(ds.Digest))
		if nd := e.Spec.Triggers.NewData; nd != nil && len(why) == 0 {
			switch added := ds.Rows - latest.Dataset.Rows; {
			case ds.Rows < 0 || latest.Dataset.Rows < 0:
				d.note(ref, "%s but its rows were not counted: newData trigger cannot fire", dataWhy)
				return ""
			case added < nd.MinRows:
				d.note(ref, "%s with %d new rows (< newData.minRows %d): not retraining", dataWhy, added, nd.MinRows)
				return ""
			default:
				dataWhy = fmt.Sprintf("new data: %d new rows in %s (≥ minRows %d)", added, latest.Dataset.Name, nd.MinRows)
			}
		}
		why = append(why, dataWhy)
	}
	if len(why) == 0 {
		why = append(why, "inputs changed")
	}
	return strings.Join(why, "; ")
}

func short(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if h == "" {
		return "none"
	}
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// scheduleDue reports whether the experiment's schedule has a slot between
// its latest run and now.
func (d *differ) scheduleDue(ref Ref, e *spec.Experiment, latest *records.Run) (time.Time, bool) {
	expr := e.Spec.Triggers.Schedule
	if expr == "" || latest == nil {
		return time.Time{}, false
	}
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		d.note(ref, "schedule %q: %v", expr, err)
		return time.Time{}, false
	}
	last, err := time.Parse(time.RFC3339, latest.Timings.StartedAt)
	if err != nil {
		d.note(ref, "schedule %q: latest run %s has no start time", expr, latest.ID)
		return time.Time{}, false
	}
	// The most recent slot at or before now, if it is after the last run.
	var slot time.Time
	for t := sched.Next(last); !t.After(d.obs.Now) && !t.IsZero(); t = sched.Next(t) {
		slot = t
	}
	return slot, !slot.IsZero()
}

// runActions adds Train (for a new run), Evaluate, Gate and Register.
func (d *differ) runActions(ref Ref, m *spec.Model, run *RunPlan, train bool, why string) {
	runRec := d.rec(records.RunPath(run.Experiment, run.ID))
	var needs []string
	if train {
		a := d.add(Action{Kind: Train, Object: ref, Reason: why, Key: hashOf("train", run.Key),
			Writes: []string{"artifact: ONNX model (sha256)", runRec}, Run: run})
		needs = []string{a.Key}
	}
	against := "(no production version: first model)"
	if run.Against != 0 {
		against = fmt.Sprintf("against production v%d", run.Against)
	}
	evalWhy := "new run " + run.ID
	if !train {
		evalWhy = why
	}
	ev := d.add(Action{Kind: Evaluate, Object: Ref{spec.KindModel, m.Metadata.Name}, Reason: evalWhy + " " + against,
		Key: hashOf("evaluate", run.Key, run.Against), Needs: needs, Writes: []string{runRec + " (evaluation)"}, Run: run})
	g := d.add(Action{Kind: Gate, Object: Ref{spec.KindModel, m.Metadata.Name}, Reason: fmt.Sprintf("gate run %s %s", run.ID, against),
		Key: hashOf("gate", run.Key, run.Against, run.GateParamsHash), Needs: []string{ev.Key},
		Writes: []string{runRec + " (gate decision)"}, Run: run})
	next := d.obs.Records.LatestVersion(m.Metadata.Name) + len(d.registers[m.Metadata.Name]) + 1
	r := d.add(Action{Kind: Register, Object: Ref{spec.KindModel, m.Metadata.Name},
		Reason:      fmt.Sprintf("run %s of %s as v%d", run.ID, run.Experiment, next),
		Conditional: "if the gate allows",
		Key:         hashOf("register", m.Metadata.Name, run.Key), Needs: []string{g.Key},
		Writes: []string{d.rec(records.VersionPath(m.Metadata.Name, next))}, Run: run, Version: next})
	d.registers[m.Metadata.Name] = append(d.registers[m.Metadata.Name], r)
}

func (d *differ) deployment(dep *spec.Deployment) {
	name := dep.Metadata.Name
	ref := Ref{spec.KindDeployment, name}
	model := dep.Spec.Model
	rec := d.obs.Records.Deployments[name]
	if rec != nil && rec.Retired {
		rec = nil
	}
	current := d.serving(name)
	live, observed := d.obs.Live[name]
	sample := dep.Spec.Logging.SampleRate()

	// The version the spec asks for.
	target, artifact, afterRegister := 0, "", ""
	switch ref := dep.Spec.Version; {
	case ref.Latest || ref.IsZero():
		if regs := d.registers[model]; len(regs) > 0 {
			r := regs[len(regs)-1]
			target, afterRegister = r.Version, r.Key
		} else if target = d.obs.Records.LatestVersion(model); target == 0 {
			d.note(Ref{spec.KindDeployment, name}, "model %s has no registered version yet: nothing to roll out", model)
			return
		}
	default:
		target = ref.Number
		if d.obs.Records.Version(model, target) == nil {
			d.note(Ref{spec.KindDeployment, name}, "version %d of model %s is not registered: nothing to roll out", target, model)
			return
		}
	}
	if mv := d.obs.Records.Version(model, target); mv != nil {
		artifact = mv.Artifact
	}

	// A canary already heading for the target: advance, roll back or wait.
	if rec != nil && rec.Canary != nil && rec.Canary.Version == target && afterRegister == "" && sameLive(current, rec.Live) {
		d.canary(dep, rec, live, observed)
		return
	}

	to, canary := d.firstStep(dep, current, target, artifact)
	var why string
	switch same := sameLive(current, to); {
	case same && rec == nil:
		why = "no deployment record: recording what serves"
	case same && (rec.SampleRate != sample || observed && live.SampleRate != sample):
		why = fmt.Sprintf("logging sample → %g", sample)
	case same:
		return
	case afterRegister != "":
		why = fmt.Sprintf("%s → v%d (the version registered above)", liveString(current), target)
	default:
		pinned := "latest"
		if !dep.Spec.Version.Latest && dep.Spec.Version.Number > 0 {
			pinned = "pinned"
		}
		why = fmt.Sprintf("desired v%d (%s), serving %s", target, pinned, liveString(current))
		if observed && rec != nil && !sameLive(current, rec.Live) {
			why += fmt.Sprintf(" (the runtime drifted: the record says %s)", liveString(rec.Live))
		}
	}
	if canary != nil {
		why += fmt.Sprintf("; canary step 1 of %d at %d%%", len(canary.Steps), canary.Steps[0])
	}
	writes := []string{fmt.Sprintf("runtime: deployment %s", name), d.rec(records.DeploymentPath(name))}
	var needs []string
	if afterRegister != "" {
		needs = []string{afterRegister}
	}
	d.add(Action{Kind: Rollout, Object: ref, Reason: why, Writes: writes, Needs: needs,
		Conditional: conditional(afterRegister),
		Key:         hashOf("rollout", name, model, to, sample, canary != nil),
		Rollout: &RolloutPlan{Deployment: name, Model: model, From: current, To: to,
			AfterRegister: afterRegister, SampleRate: sample, Canary: canary}})
}

func conditional(afterRegister string) string {
	if afterRegister == "" {
		return ""
	}
	return "if the gate allows"
}

// firstStep is where a rollout to target starts: all traffic for a direct
// strategy or when nothing serves, the first canary step otherwise.
func (d *differ) firstStep(dep *spec.Deployment, current []records.LiveVersion, target int, artifact string) ([]records.LiveVersion, *records.Canary) {
	full := []records.LiveVersion{{Version: target, Artifact: artifact, Weight: 100}}
	primary := records.Primary(current)
	st := dep.Spec.Strategy
	if st.Type != spec.StrategyCanary || len(st.Steps) == 0 || primary == 0 || primary == target || st.Steps[0] >= 100 {
		return full, nil
	}
	base := artifactOf(current, primary)
	w := st.Steps[0]
	to := sortLive([]records.LiveVersion{
		{Version: primary, Artifact: base, Weight: 100 - w},
		{Version: target, Artifact: artifact, Weight: w},
	})
	return to, &records.Canary{Version: target, Baseline: primary, Step: 0, Steps: st.Steps,
		StartedAt: d.obs.Now.UTC().Format(time.RFC3339)}
}

func artifactOf(l []records.LiveVersion, v int) string {
	for _, x := range l {
		if x.Version == v {
			return x.Artifact
		}
	}
	return ""
}

// canary decides the next move of a canary in progress.
func (d *differ) canary(dep *spec.Deployment, rec *records.Deployment, live *Live, observed bool) {
	name := dep.Metadata.Name
	ref := Ref{spec.KindDeployment, name}
	c := rec.Canary
	st := dep.Spec.Strategy
	started, err := time.Parse(time.RFC3339, c.StartedAt)
	if err != nil {
		d.note(ref, "canary record has a bad startedAt %q", c.StartedAt)
		return
	}
	if due := started.Add(st.Interval.D()); d.obs.Now.Before(due) {
		d.note(ref, "canary v%d at %d%%: next analysis after %s", c.Version, c.Steps[c.Step], due.UTC().Format(time.RFC3339))
		return
	}
	if !observed || live == nil {
		d.note(ref, "canary v%d at %d%%: the runtime was not observed, cannot analyse", c.Version, c.Steps[c.Step])
		return
	}
	stats := live.version(c.Version)
	if stats == nil {
		d.note(ref, "canary v%d: the runtime does not serve it", c.Version)
		return
	}
	an := st.Analysis
	if stats.Requests < int64(an.MinRequests) {
		d.note(ref, "canary v%d at %d%%: %d requests (< minRequests %d): waiting", c.Version, c.Steps[c.Step], stats.Requests, an.MinRequests)
		return
	}
	var bad []string
	if an.MaxErrorRate != nil && stats.Requests > 0 {
		if rate := float64(stats.Errors) / float64(stats.Requests); rate > *an.MaxErrorRate {
			bad = append(bad, fmt.Sprintf("error rate %.4f > %g", rate, *an.MaxErrorRate))
		}
	}
	if an.MaxLatencyP99Ms != nil && stats.LatencyP99Ms > *an.MaxLatencyP99Ms {
		bad = append(bad, fmt.Sprintf("p99 latency %.2fms > %gms", stats.LatencyP99Ms, *an.MaxLatencyP99Ms))
	}
	if bound := an.MaxPredictionPSI; bound != nil {
		switch psi := stats.PredictionPSI; {
		case psi == nil && len(bad) == 0:
			// A bound that cannot be checked holds the canary where it is.
			d.note(ref, "canary v%d at %d%%: its prediction PSI against v%d was not measured (no prediction log, or too few logged predictions): waiting", c.Version, c.Steps[c.Step], c.Baseline)
			return
		case psi != nil && *psi > *bound:
			bad = append(bad, fmt.Sprintf("prediction PSI %.4f against v%d > %g", *psi, c.Baseline, *bound))
		}
	}
	sample := dep.Spec.Logging.SampleRate()
	writes := []string{fmt.Sprintf("runtime: deployment %s", name), d.rec(records.DeploymentPath(name))}
	if len(bad) > 0 {
		to := []records.LiveVersion{{Version: c.Baseline, Artifact: artifactOf(rec.Live, c.Baseline), Weight: 100}}
		d.add(Action{Kind: Rollback, Object: ref, Writes: writes,
			Reason:  fmt.Sprintf("canary v%d failed analysis at %d%%: %s; back to v%d", c.Version, c.Steps[c.Step], strings.Join(bad, ", "), c.Baseline),
			Key:     hashOf("rollback", name, c, to),
			Rollout: &RolloutPlan{Deployment: name, Model: dep.Spec.Model, From: rec.Live, To: to, SampleRate: sample}})
		return
	}
	next := c.Step + 1
	var to []records.LiveVersion
	var nc *records.Canary
	if next >= len(c.Steps) || c.Steps[next] >= 100 {
		to = []records.LiveVersion{{Version: c.Version, Artifact: artifactOf(rec.Live, c.Version), Weight: 100}}
	} else {
		w := c.Steps[next]
		to = sortLive([]records.LiveVersion{
			{Version: c.Baseline, Artifact: artifactOf(rec.Live, c.Baseline), Weight: 100 - w},
			{Version: c.Version, Artifact: artifactOf(rec.Live, c.Version), Weight: w},
		})
		nc = &records.Canary{Version: c.Version, Baseline: c.Baseline, Step: next, Steps: c.Steps, StartedAt: d.obs.Now.UTC().Format(time.RFC3339)}
	}
	d.add(Action{Kind: AdvanceCanary, Object: ref, Writes: writes,
		Reason:  fmt.Sprintf("canary v%d healthy at %d%% (%d requests): → %s", c.Version, c.Steps[c.Step], stats.Requests, liveString(to)),
		Key:     hashOf("advance", name, c, to),
		Rollout: &RolloutPlan{Deployment: name, Model: dep.Spec.Model, From: rec.Live, To: to, SampleRate: sample, Canary: nc}})
}

// retire plans a Retire for each recorded deployment whose spec is gone.
func (d *differ) retire() {
	var names []string
	for name, r := range d.obs.Records.Deployments {
		if !r.Retired && d.desired.Deployment(name) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	s := d.desired
	empty := s.Project == nil || len(s.Datasets)+len(s.Models)+len(s.Experiments)+len(s.Deployments)+len(s.Monitors) == 0
	for _, name := range names {
		ref := Ref{spec.KindDeployment, name}
		if empty {
			d.note(ref, "deployment record has no spec, but the spec set is empty: not retiring (guard)")
			continue
		}
		r := d.obs.Records.Deployments[name]
		d.add(Action{Kind: Retire, Object: ref, Reason: "deployment spec was deleted",
			Key:     hashOf("retire", name, r.Live),
			Writes:  []string{fmt.Sprintf("runtime: deployment %s (removed)", name), d.rec(records.DeploymentPath(name))},
			Rollout: &RolloutPlan{Deployment: name, Model: r.Model, From: d.serving(name), To: []records.LiveVersion{}, SampleRate: r.SampleRate}})
	}
}

func sameLive(a, b []records.LiveVersion) bool {
	wa, wb := weights(a), weights(b)
	if len(wa) != len(wb) {
		return false
	}
	for v, w := range wa {
		if wb[v] != w {
			return false
		}
	}
	return true
}

func weights(l []records.LiveVersion) map[int]int {
	m := map[int]int{}
	for _, x := range l {
		if x.Weight > 0 {
			m[x.Version] += x.Weight
		}
	}
	return m
}

func liveString(l []records.LiveVersion) string {
	if len(l) == 0 {
		return "nothing"
	}
	var parts []string
	for _, x := range sortLive(append([]records.LiveVersion(nil), l...)) {
		parts = append(parts, fmt.Sprintf("v%d@%d%%", x.Version, x.Weight))
	}
	return strings.Join(parts, "+")
}
