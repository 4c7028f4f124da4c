package reconcile

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store/artifact"
)

// ApplyOptions is everything Apply works with.
type ApplyOptions struct {
	// Root is the repository's worktree root; .ferry/ (lock, journal) lives there.
	Root string
	Repo *gitops.Repo
	// Publish says where records go: the base branch (commit: direct) or a
	// ferry branch (commit: pull-request).
	Publish    gitops.PublishOptions
	RecordsDir string
	Desired    *spec.Set
	// Observed is the state the plan was made from.
	Observed  *Observed
	Store     *artifact.Store
	Trainer   Trainer
	Evaluator Evaluator
	Gate      Gater
	Runtime   Deployer
	// Monitorer computes the drift reports of ComputeDrift actions; without
	// one they are skipped.
	Monitorer Monitorer
	Clock     Clock
	Log       *slog.Logger
	// Versions are recorded in every run (ferry, trainer, onnxruntime...).
	Versions map[string]string
	// Hook is called after each step ("action 3 Gate", "publish runs",
	// "publish deployments"); an error aborts the apply there. Tests use it
	// to crash at every point.
	Hook func(step string) error
}

func (o *ApplyOptions) defaults() {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.RecordsDir == "" {
		o.RecordsDir = "records"
	}
	if o.Runtime == nil {
		o.Runtime = NoRuntime{}
	}
	if o.Hook == nil {
		o.Hook = func(string) error { return nil }
	}
}

// ApplyResult says what an apply did.
type ApplyResult struct {
	// Registered lists "model vN" for each version registered.
	Registered []string
	// Denied lists runs the gate denied, with the failed checks.
	Denied []string
	// Deployed lists "deployment: v1@90%+v2@10%" for each runtime change.
	Deployed []string
	// Drift lists "monitor (window ending T): summary" for each drift report
	// computed.
	Drift []string
	// Windows are the labelled rows drifted windows kept for retraining:
	// the next plan trains the Experiments that asked for it on them.
	Windows []records.WindowData
	// Skipped lists actions that did not run, with why.
	Skipped []string
	// Commits are the pushed commits, oldest first.
	Commits []gitops.Hash
	// WorktreeSynced is true when the checked-out branch moved along.
	WorktreeSynced bool
}

// runState collects what the actions of one run produce.
type runState struct {
	plan       *RunPlan
	experiment *spec.Experiment
	model      *spec.Model
	dataset    *spec.Dataset
	existing   *records.Run
	train      *entry
	report     *eval.Report
	// production is the report the gate compared the candidate with.
	production *eval.Report
	evalSecs   float64
	profile    string
	gate       *records.GateRecord
	register   *Action
	onnx       []byte
}

// Apply executes plan. It holds the repository's lock for its duration.
func Apply(ctx context.Context, plan *Plan, o ApplyOptions) (*ApplyResult, error) {
	a, release, err := newApplier(plan, o)
	if err != nil {
		return nil, err
	}
	defer release()
	res := a.res
	if err := a.runPhase(ctx); err != nil {
		return res, err
	}
	if err := a.deployPhase(ctx); err != nil {
		return res, err
	}
	if err := a.driftPhase(ctx); err != nil {
		return res, err
	}
	a.j.forget(a.journaled)
	return res, nil
}

type applier struct {
	o         ApplyOptions
	plan      *Plan
	j         *journal
	res       *ApplyResult
	runs      map[string]*runState
	order     []*runState
	journaled []string
	// assigned maps a Register's key to the version it got.
	assigned map[string]int
	// artifacts of versions registered by this apply.
	newArtifacts map[string]map[int]string
}

func (a *applier) step(format string, args ...any) error {
	s := fmt.Sprintf(format, args...)
	a.o.Log.Debug("step done", "step", s)
	if err := a.o.Hook(s); err != nil {
		return fmt.Errorf("apply stopped after %s: %w", s, err)
	}
	return nil
}

func (a *applier) state(act *Action) (*runState, error) {
	if st := a.runs[act.Run.Key]; st != nil {
		return st, nil
	}
	d := a.o.Desired
	e := d.Experiment(act.Run.Experiment)
	m := d.Model(act.Run.Model)
	if e == nil || m == nil {
		return nil, fmt.Errorf("%s %s: experiment %q or model %q is not in the specs", act.Kind, act.Object, act.Run.Experiment, act.Run.Model)
	}
	ds := d.Dataset(act.Run.Dataset.Name)
	if ds == nil {
		return nil, fmt.Errorf("%s %s: dataset %q is not in the specs", act.Kind, act.Object, act.Run.Dataset.Name)
	}
	st := &runState{plan: act.Run, experiment: e, model: m, dataset: ds}
	if act.Run.Existing && a.o.Observed != nil {
		st.existing = a.o.Observed.Records.Run(e.Metadata.Name, act.Run.ID)
		if st.existing == nil {
			return nil, fmt.Errorf("%s %s: run %s is not recorded", act.Kind, act.Object, act.Run.ID)
		}
	}
	a.runs[act.Run.Key] = st
	a.order = append(a.order, st)
	return st, nil
}

// newApplier takes the repository's lock and opens the journal; release
// gives the lock back.
func newApplier(plan *Plan, o ApplyOptions) (a *applier, release func(), err error) {
	o.defaults()
	if o.Desired == nil {
		return nil, nil, ErrNoDesiredState
	}
	lk, err := acquireLock(o.Root)
	if err != nil {
		return nil, nil, err
	}
	j, err := openJournal(o.Root)
	if err != nil {
		lk.release()
		return nil, nil, err
	}
	a = &applier{o: o, plan: plan, j: j, res: &ApplyResult{}, runs: map[string]*runState{}, assigned: map[string]int{}}
	return a, lk.release, nil
}

func (a *applier) runPhase(ctx context.Context) error {
	if err := a.runActions(ctx); err != nil {
		return err
	}
	if len(a.order) == 0 {
		return nil
	}
	if _, err := a.publish(ctx, a.buildRuns); err != nil {
		return err
	}
	for _, st := range a.order {
		switch {
		case st.gate != nil && !st.gate.Allow:
			a.res.Denied = append(a.res.Denied, fmt.Sprintf("%s run %s: %s", st.model.Metadata.Name, st.plan.ID, failedChecks(st.gate)))
		case st.register != nil && a.assigned[st.register.Key] > 0:
			a.res.Registered = append(a.res.Registered, fmt.Sprintf("%s v%d", st.model.Metadata.Name, a.assigned[st.register.Key]))
		}
	}
	return a.step("publish runs")
}

// runActions executes the plan's Train, Evaluate and Gate actions in order and
// notes its Registers; each finished action is a step.
func (a *applier) runActions(ctx context.Context) error {
	for i := range a.plan.Actions {
		act := &a.plan.Actions[i]
		switch act.Kind {
		case Train, Evaluate, Gate, Register:
		default:
			continue
		}
		st, err := a.state(act)
		if err != nil {
			return err
		}
		switch act.Kind {
		case Train:
			err = a.train(ctx, act, st)
		case Evaluate:
			err = a.evaluate(ctx, act, st)
		case Gate:
			err = a.decide(ctx, act, st)
		case Register:
			st.register = act
		}
		if err != nil {
			return err
		}
		if err := a.step("action %d %s %s", i, act.Kind, act.Object); err != nil {
			return err
		}
	}
	return nil
}

func failedChecks(g *records.GateRecord) string {
	var out []string
	for _, c := range g.Checks {
		if !c.Passed && c.Severity == "deny" {
			out = append(out, c.Name+": "+c.Message)
		}
	}
	if g.Error != "" {
		out = append(out, g.Error)
	}
	if len(out) == 0 {
		return "denied"
	}
	return strings.Join(out, "; ")
}

func (a *applier) train(ctx context.Context, act *Action, st *runState) error {
	if e, ok := a.j.get(act.Key); ok {
		if has, err := a.o.Store.Has(ctx, e.Artifact); err == nil && has {
			st.train = e
			a.journaled = append(a.journaled, act.Key)
			return nil
		}
	}
	start := a.o.Clock.Now()
	r, err := a.o.Trainer.Train(ctx, TrainRequest{
		Experiment: st.experiment, Model: st.model, Dataset: st.dataset,
		RunID: st.plan.ID, DatasetDigest: st.plan.Dataset.Digest, Window: st.plan.Window,
	})
	if err != nil {
		return fmt.Errorf("train %s (run %s): %w", st.experiment.Metadata.Name, st.plan.ID, err)
	}
	digest, err := a.o.Store.Put(ctx, r.ONNX)
	if err != nil {
		return fmt.Errorf("train %s: store artifact: %w", st.experiment.Metadata.Name, err)
	}
	end := a.o.Clock.Now()
	secs := r.Duration.Seconds()
	if secs == 0 {
		secs = end.Sub(start).Seconds()
	}
	e := &entry{Key: act.Key, Kind: Train, Plan: a.plan.ID, Artifact: digest, Metrics: r.Metrics, Info: r.Info,
		Rows: r.Rows, TrainRows: r.TrainRows, EvalRows: r.EvalRows,
		StartedAt: start.UTC().Format(time.RFC3339), FinishedAt: end.UTC().Format(time.RFC3339), Seconds: round(secs)}
	if err := a.j.put(e); err != nil {
		return err
	}
	st.train, st.onnx = e, r.ONNX
	a.journaled = append(a.journaled, act.Key)
	return nil
}

func round(s float64) float64 { return float64(int64(s*1000+0.5)) / 1000 }

func (a *applier) artifactOf(st *runState) string {
	if st.train != nil {
		return st.train.Artifact
	}
	if st.existing != nil {
		return st.existing.Artifact
	}
	return ""
}

func (a *applier) evaluate(ctx context.Context, act *Action, st *runState) error {
	if e, ok := a.j.get(act.Key); ok && e.Report != nil {
		st.report, st.evalSecs, st.profile = e.Report, e.Seconds, e.Profile
		a.journaled = append(a.journaled, act.Key)
		return nil
	}
	digest := a.artifactOf(st)
	if digest == "" {
		return fmt.Errorf("evaluate %s run %s: no artifact (the Train action did not run)", st.model.Metadata.Name, st.plan.ID)
	}
	if st.onnx == nil {
		b, err := a.o.Store.Get(ctx, digest)
		if err != nil {
			return fmt.Errorf("evaluate %s run %s: %w", st.model.Metadata.Name, st.plan.ID, err)
		}
		st.onnx = b
	}
	start := time.Now()
	req := EvalRequest{Experiment: st.experiment, Model: st.model, Dataset: st.dataset, ONNX: st.onnx, Artifact: digest, Window: st.plan.Window}
	if st.plan.Window != nil {
		req.DatasetDigest = st.plan.Dataset.Digest
	}
	rep, err := a.o.Evaluator.Evaluate(ctx, req)
	if err != nil {
		return fmt.Errorf("evaluate %s run %s: %w", st.model.Metadata.Name, st.plan.ID, err)
	}
	st.report, st.evalSecs = rep, round(time.Since(start).Seconds())
	st.profile = a.profile(ctx, st, req)
	if err := a.j.put(&entry{Key: act.Key, Kind: Evaluate, Plan: a.plan.ID, Report: rep, Seconds: st.evalSecs, Profile: st.profile}); err != nil {
		return err
	}
	a.journaled = append(a.journaled, act.Key)
	return nil
}

func (a *applier) production(model string, v int) *eval.Report {
	if v == 0 || a.o.Observed == nil {
		return nil
	}
	if mv := a.o.Observed.Records.Version(model, v); mv != nil {
		return mv.Evaluation
	}
	return nil
}

// productionReport is what the gate compares the candidate with: the
// production version's evaluation at registration, or, for a run trained on
// a drift window, production evaluated now on the candidate's own eval rows
// (the dataset's eval split plus the window's held-out rows), so both are
// measured on the traffic that drifted.
func (a *applier) productionReport(ctx context.Context, st *runState) (*eval.Report, error) {
	model := st.model.Metadata.Name
	rec := a.production(model, st.plan.Against)
	if st.plan.Window == nil || rec == nil {
		return rec, nil
	}
	mv := a.o.Observed.Records.Version(model, st.plan.Against)
	b, err := a.o.Store.Get(ctx, mv.Artifact)
	if err != nil {
		return nil, fmt.Errorf("production v%d: %w", st.plan.Against, err)
	}
	return a.o.Evaluator.Evaluate(ctx, EvalRequest{Experiment: st.experiment, Model: st.model, Dataset: st.dataset,
		ONNX: b, Artifact: mv.Artifact, DatasetDigest: st.plan.Dataset.Digest, Window: st.plan.Window})
}

func (a *applier) decide(ctx context.Context, act *Action, st *runState) error {
	if e, ok := a.j.get(act.Key); ok && e.Gate != nil {
		st.gate, st.production = e.Gate, e.Production
		if st.production == nil {
			st.production = a.production(st.model.Metadata.Name, st.plan.Against)
		}
		a.journaled = append(a.journaled, act.Key)
		return nil
	}
	if st.report == nil {
		return fmt.Errorf("gate %s run %s: no evaluation (the Evaluate action did not run)", st.model.Metadata.Name, st.plan.ID)
	}
	version := 0
	if r := a.plan.registerFor(st.plan.Key); r != nil {
		version = r.Version
	}
	prod, err := a.productionReport(ctx, st)
	if err != nil {
		return fmt.Errorf("gate %s run %s: %w", st.model.Metadata.Name, st.plan.ID, err)
	}
	g, err := a.o.Gate.Decide(ctx, GateRequest{
		Model: st.model, Candidate: st.report, Production: prod,
		ProductionVersion: st.plan.Against, Version: version, Run: a.runRecord(st),
	})
	if err != nil {
		return fmt.Errorf("gate %s run %s: %w", st.model.Metadata.Name, st.plan.ID, err)
	}
	g.Against, g.ParamsHash = st.plan.Against, st.plan.GateParamsHash
	st.gate, st.production = g, prod
	e := &entry{Key: act.Key, Kind: Gate, Plan: a.plan.ID, Gate: g}
	if st.plan.Window != nil {
		e.Production = prod
	}
	if err := a.j.put(e); err != nil {
		return err
	}
	a.journaled = append(a.journaled, act.Key)
	return nil
}

func (p *Plan) registerFor(runKey string) *Action {
	for i := range p.Actions {
		if a := &p.Actions[i]; a.Kind == Register && a.Run != nil && a.Run.Key == runKey {
			return a
		}
	}
	return nil
}

// runRecord builds the run's record from what the actions produced.
func (a *applier) runRecord(st *runState) *records.Run {
	if st.existing != nil {
		r := *st.existing
		if st.report != nil {
			r.Evaluation = st.report
		}
		if st.gate != nil {
			g := *st.gate
			g.Input = nil // the full input lives in the version record
			r.Gate = &g
		}
		return &r
	}
	e := st.experiment
	tr := records.Trainer{Builtin: e.Spec.Trainer.Builtin, Version: a.o.Observed.TrainerVersion}
	if x := e.Spec.Trainer.Exec; x != nil {
		tr = records.Trainer{Exec: x.Command, Version: "exec"}
	}
	ds := st.plan.Dataset
	r := &records.Run{
		Schema: records.Schema, ID: st.plan.ID, Experiment: e.Metadata.Name, Model: st.model.Metadata.Name,
		Key: st.plan.Key, InputsHash: st.plan.InputsHash, SpecHash: st.plan.SpecHash, Trigger: st.plan.Trigger,
		Trainer: tr, Params: e.Spec.Trainer.Params, Seed: e.Spec.Seed, Dataset: ds, Window: st.plan.Window, Code: st.plan.Code,
		Evaluation: st.report, Versions: a.o.Versions,
	}
	if t := st.train; t != nil {
		r.Artifact, r.Metrics, r.Info = t.Artifact, t.Metrics, t.Info
		if t.Rows > 0 {
			r.Dataset.Rows = t.Rows
		}
		r.Dataset.TrainRows, r.Dataset.EvalRows = t.TrainRows, t.EvalRows
		r.Timings = records.Timings{StartedAt: t.StartedAt, FinishedAt: t.FinishedAt, TrainSeconds: t.Seconds, EvalSeconds: st.evalSecs}
	}
	if st.gate != nil {
		g := *st.gate
		g.Input = nil
		r.Gate = &g
	}
	return r
}

func (a *applier) recPath(p string) string { return path.Join(a.o.RecordsDir, p) }

func (a *applier) readRecords(parent gitops.Hash) (*records.Set, error) {
	if parent.IsZero() {
		return records.NewSet(), nil
	}
	fsys, err := a.o.Repo.FSAt(parent)
	if err != nil {
		return nil, err
	}
	return records.Read(fsys, a.o.RecordsDir)
}

func (a *applier) publish(ctx context.Context, build func(*records.Set) (*gitops.Changeset, error)) (*gitops.Published, error) {
	pub, err := a.o.Repo.Publish(ctx, a.o.Publish, func(ctx context.Context, parent gitops.Hash) (*gitops.Changeset, error) {
		recs, err := a.readRecords(parent)
		if err != nil {
			return nil, fmt.Errorf("re-read records at %s: %w", parent, err)
		}
		return build(recs)
	})
	if err != nil {
		return nil, fmt.Errorf("publish records: %w", err)
	}
	if !pub.Commit.IsZero() {
		a.res.Commits = append(a.res.Commits, pub.Commit)
		a.res.WorktreeSynced = pub.WorktreeSynced
	}
	return pub, nil
}

// buildRuns writes run and version records on top of recs, the records at
// the head being pushed onto. Version numbers are assigned here, so a
// re-build after a lost push race numbers from the winner's versions, and a
// run someone else already recorded is not written twice. Several candidates
// of one model registered together are numbered from the worst to the best
// primary metric (numberCandidates): the plan's numbers are provisional.
func (a *applier) buildRuns(recs *records.Set) (*gitops.Changeset, error) {
	a.assigned = map[string]int{}
	a.newArtifacts = map[string]map[int]string{}
	cs := &gitops.Changeset{Files: map[string][]byte{}}
	var msg []string
	now := a.o.Clock.Now().UTC().Format(time.RFC3339)
	type built struct {
		st  *runState
		run *records.Run
	}
	var pending []built
	var fresh []*runState
	for _, st := range a.order {
		model := st.model.Metadata.Name
		run := a.runRecord(st)
		prior := recs.Run(run.Experiment, run.ID)
		if prior == nil {
			prior = registeredRun(recs, model, run.ID)
		}
		if prior != nil && prior.Key == run.Key && (prior.Version != 0 || sameGate(prior.Gate, run.Gate)) {
			// Already recorded by an earlier apply that won the race.
			if st.register != nil && prior.Version != 0 {
				a.assigned[st.register.Key] = prior.Version
				a.noteArtifact(model, prior.Version, prior.Artifact)
			}
			continue
		}
		if mv := versionOfRun(recs, model, run.ID); mv != nil {
			run.Version = mv.Version
			if st.register != nil {
				a.assigned[st.register.Key] = mv.Version
				a.noteArtifact(model, mv.Version, mv.Artifact)
			}
		} else if st.gate != nil && st.gate.Allow && st.register != nil {
			fresh = append(fresh, st)
		}
		pending = append(pending, built{st, run})
	}
	numbers := numberCandidates(fresh, recs.LatestVersion)
	for _, b := range pending {
		st, run := b.st, b.run
		model := st.model.Metadata.Name
		if n, ok := numbers[st]; ok {
			run.Version = n
			mv := a.versionRecord(st, run, n, now)
			y, err := records.Marshal(mv)
			if err != nil {
				return nil, err
			}
			cs.Files[a.recPath(records.VersionPath(model, n))] = y
			a.assigned[st.register.Key] = n
			a.noteArtifact(model, n, run.Artifact)
			msg = append(msg, fmt.Sprintf("register %s v%d (run %s of %s)", model, n, run.ID, run.Experiment))
		} else if st.gate != nil && !st.gate.Allow {
			msg = append(msg, fmt.Sprintf("gate denied %s run %s of %s", model, run.ID, run.Experiment))
		}
		y, err := records.Marshal(run)
		if err != nil {
			return nil, err
		}
		cs.Files[a.recPath(records.RunPath(run.Experiment, run.ID))] = y
		if st.existing == nil {
			msg = append(msg, fmt.Sprintf("record run %s of %s", run.ID, run.Experiment))
		}
	}
	cs.Message = commitMessage(msg, a.plan.ID)
	return cs, nil
}

func (a *applier) noteArtifact(model string, v int, digest string) {
	if a.newArtifacts[model] == nil {
		a.newArtifacts[model] = map[int]string{}
	}
	a.newArtifacts[model][v] = digest
}

func registeredRun(recs *records.Set, model, id string) *records.Run {
	for _, r := range recs.Runs {
		for _, x := range r {
			if x.ID == id && x.Model == model {
				return x
			}
		}
	}
	return nil
}

func versionOfRun(recs *records.Set, model, id string) *records.ModelVersion {
	for _, mv := range recs.Versions[model] {
		if mv.Lineage.Run == id {
			return mv
		}
	}
	return nil
}

func sameGate(a, b *records.GateRecord) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Allow == b.Allow && a.Against == b.Against && a.ParamsHash == b.ParamsHash
}

func (a *applier) versionRecord(st *runState, run *records.Run, n int, now string) *records.ModelVersion {
	g := *st.gate
	return &records.ModelVersion{
		Schema: records.Schema, Model: run.Model, Version: n, Artifact: run.Artifact,
		Lineage: records.Lineage{Experiment: run.Experiment, Run: run.ID, Trainer: run.Trainer,
			Params: run.Params, Seed: run.Seed, Dataset: run.Dataset, Window: run.Window, Code: run.Code},
		Evaluation: run.Evaluation, Gate: g, RegisteredAt: now, ReferenceProfile: st.profile,
	}
}

func commitMessage(lines []string, planID string) string {
	if len(lines) == 0 {
		return ""
	}
	subject := "ferry: " + lines[0]
	if len(lines) > 1 {
		subject = fmt.Sprintf("ferry: %s (+%d more)", lines[0], len(lines)-1)
	}
	return subject + "\n\n" + strings.Join(lines, "\n") + "\n\nferry-plan: " + planID + "\n"
}

// deployment is a runtime change to record.
type deployment struct {
	act    *Action
	name   string
	model  string
	to     []records.LiveVersion
	canary *records.Canary
	sample float64
	reason string
}

func (a *applier) deployPhase(ctx context.Context) error {
	var deps []deployment
	for i := range a.plan.Actions {
		act := &a.plan.Actions[i]
		switch act.Kind {
		case Rollout, AdvanceCanary, Rollback, Retire:
		default:
			continue
		}
		r := act.Rollout
		to := append([]records.LiveVersion(nil), r.To...)
		var canary *records.Canary
		if r.Canary != nil {
			c := *r.Canary
			canary = &c
		}
		if r.AfterRegister != "" {
			// "latest" is the newest version this apply registered for the
			// model, whichever of its candidates the gate allowed.
			n, ok := 0, false
			for i := range a.plan.Actions {
				reg := &a.plan.Actions[i]
				if v, done := a.assigned[reg.Key]; done && reg.Kind == Register && reg.Object.Name == r.Model && v > n {
					n, ok = v, true
				}
			}
			if !ok {
				a.res.Skipped = append(a.res.Skipped, fmt.Sprintf("%s %s: the gate did not allow the version it would serve", act.Kind, act.Object))
				continue
			}
			planned := 0
			if reg := a.plan.Action(r.AfterRegister); reg != nil {
				planned = reg.Version
			}
			for k := range to {
				if to[k].Version == planned && to[k].Artifact == "" {
					to[k].Version = n
				}
			}
			if canary != nil && canary.Version == planned {
				canary.Version = n
			}
		}
		for k := range to {
			if to[k].Artifact == "" {
				to[k].Artifact = a.versionArtifact(r.Model, to[k].Version)
			}
			if to[k].Artifact == "" {
				return fmt.Errorf("%s %s: no artifact for %s v%d", act.Kind, act.Object, r.Model, to[k].Version)
			}
		}
		reason := act.Reason
		if r.AfterRegister != "" {
			reason = fmt.Sprintf("%s → %s (registered by this apply)", liveString(r.From), liveString(to))
		}
		d := DeploymentState{Name: r.Deployment, Model: r.Model, Versions: to, SampleRate: r.SampleRate}
		if err := a.o.Runtime.Deploy(ctx, d); err != nil {
			return fmt.Errorf("%s %s: %w", act.Kind, act.Object, err)
		}
		a.res.Deployed = append(a.res.Deployed, fmt.Sprintf("%s: %s", r.Deployment, liveString(to)))
		deps = append(deps, deployment{act: act, name: r.Deployment, model: r.Model, to: to, canary: canary, sample: r.SampleRate, reason: reason})
		if err := a.step("action %d %s %s", i, act.Kind, act.Object); err != nil {
			return err
		}
	}
	if len(deps) == 0 {
		return nil
	}
	if _, err := a.publish(ctx, func(recs *records.Set) (*gitops.Changeset, error) {
		return a.buildDeployments(recs, deps)
	}); err != nil {
		return err
	}
	return a.step("publish deployments")
}

func (a *applier) versionArtifact(model string, v int) string {
	if x := a.newArtifacts[model][v]; x != "" {
		return x
	}
	if a.o.Observed != nil {
		if mv := a.o.Observed.Records.Version(model, v); mv != nil {
			return mv.Artifact
		}
	}
	return ""
}

func (a *applier) buildDeployments(recs *records.Set, deps []deployment) (*gitops.Changeset, error) {
	cs := &gitops.Changeset{Files: map[string][]byte{}}
	now := a.o.Clock.Now().UTC().Format(time.RFC3339)
	var msg []string
	for _, d := range deps {
		rec := recs.Deployments[d.name]
		retire := d.act.Kind == Retire
		if rec != nil && rec.Retired == retire && sameLive(rec.Live, d.to) && rec.SampleRate == d.sample && sameCanary(rec.Canary, d.canary) {
			continue // already recorded
		}
		var r records.Deployment
		if rec != nil {
			r = *rec
			r.History = append([]records.Event(nil), rec.History...)
		}
		r.Schema, r.Name, r.Model = records.Schema, d.name, d.model
		if dep := a.o.Desired.Deployment(d.name); dep != nil {
			r.Environment, r.Runtime = dep.Spec.Environment, string(dep.Spec.Runtime)
		}
		r.Live = sortLive(append([]records.LiveVersion{}, d.to...))
		r.SampleRate, r.Canary, r.Retired, r.UpdatedAt = d.sample, d.canary, retire, now
		r.History = append(r.History, records.Event{Time: now, Action: d.act.Kind.String(), Live: r.Live, Reason: d.reason})
		if n := len(r.History); n > records.MaxHistory {
			r.History = r.History[n-records.MaxHistory:]
		}
		b, err := records.Marshal(&r)
		if err != nil {
			return nil, err
		}
		cs.Files[a.recPath(records.DeploymentPath(d.name))] = b
		msg = append(msg, fmt.Sprintf("%s %s: %s", strings.ToLower(d.act.Kind.String()), d.name, liveString(r.Live)))
	}
	sort.Strings(msg)
	cs.Message = commitMessage(msg, a.plan.ID)
	return cs, nil
}

func sameCanary(a, b *records.Canary) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Version == b.Version && a.Baseline == b.Baseline && a.Step == b.Step
}
