package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Metric names per task, as the evaluation reports them (see package eval).
var taskMetrics = map[Task][]string{
	TaskBinary:     {"auc", "prAuc", "logloss", "accuracy", "precision", "recall", "f1", "brier"},
	TaskMulticlass: {"accuracy", "logloss", "macroF1"},
	TaskRegression: {"rmse", "mae", "r2", "mape"},
}

// MetricsFor returns the metric names an evaluation reports for a task.
func MetricsFor(t Task) []string { return taskMetrics[t] }

// ProfileKeys are the gate keys of an evaluation's latency and memory profile.
var ProfileKeys = []string{"latencyP50Ms", "latencyP95Ms", "latencyP99Ms", "memoryMB"}

// GateKeys returns the keys a Model's gate (min, max, tolerance) may name for a
// task: its metrics and the profile keys; nil for an unknown task.
func GateKeys(t Task) []string {
	m := taskMetrics[t]
	if m == nil {
		return nil
	}
	return append(append([]string(nil), m...), ProfileKeys...)
}

// Blob URL schemes accepted for artifacts and dataset sources.
var blobSchemes = []string{"file", "s3", "gs", "azblob", "mem"}

// check runs every semantic check on a decoded, defaulted Set.
func check(s *Set, fsys fs.FS, errs *ErrorList) {
	c := &checker{s: s, fsys: fsys, errs: errs, paths: map[string]pathInfo{}, idx: newIndex(s)}
	if s.Project != nil {
		c.project(s.Project)
	}
	for _, d := range s.Datasets {
		c.dataset(d)
	}
	for _, m := range s.Models {
		c.model(m)
	}
	for _, e := range s.Experiments {
		c.experiment(e)
	}
	env := map[[2]string]*Deployment{}
	for _, d := range s.Deployments {
		c.deployment(d)
		if d.Spec.Environment == "" || d.Spec.Model == "" {
			continue
		}
		k := [2]string{d.Spec.Model, d.Spec.Environment}
		if prev, ok := env[k]; ok {
			c.errf(d, "spec.environment", "model %q already has a deployment in environment %q (%s at %s)", d.Spec.Model, d.Spec.Environment, prev.Metadata.Name, s.Pos(prev, "spec.environment"))
			continue
		}
		env[k] = d
	}
	for _, m := range s.Monitors {
		c.monitor(m)
	}
}

type checker struct {
	s     *Set
	fsys  fs.FS
	errs  *ErrorList
	paths map[string]pathInfo // many specs name the same files
	idx   index
}

// index finds objects by name in O(1); Set's lookups scan, which is quadratic over
// thousands of specs.
type index struct {
	datasets    map[string]*Dataset
	models      map[string]*Model
	deployments map[string]*Deployment
	monitors    map[string]*Monitor
	names       map[Kind]string // " (have a, b)" per kind, for messages
}

func (c *checker) findDataset(name string) *Dataset       { return c.idx.datasets[name] }
func (c *checker) findModel(name string) *Model           { return c.idx.models[name] }
func (c *checker) findDeployment(name string) *Deployment { return c.idx.deployments[name] }
func (c *checker) findMonitor(name string) *Monitor       { return c.idx.monitors[name] }

func newIndex(s *Set) index {
	idx := index{datasets: map[string]*Dataset{}, models: map[string]*Model{}, deployments: map[string]*Deployment{}, monitors: map[string]*Monitor{}, names: map[Kind]string{}}
	for _, d := range s.Datasets {
		idx.datasets[d.Metadata.Name] = d
	}
	for _, m := range s.Models {
		idx.models[m.Metadata.Name] = m
	}
	for _, d := range s.Deployments {
		idx.deployments[d.Metadata.Name] = d
	}
	for _, m := range s.Monitors {
		idx.monitors[m.Metadata.Name] = m
	}
	return idx
}

type pathInfo struct {
	info fs.FileInfo
	err  error
}

// errf reports a problem with a field of obj at the field's position, unless the
// field already failed to decode.
func (c *checker) errf(obj any, field, format string, args ...any) {
	if c.s.failed(obj, field) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	c.errs.Add(c.s.Pos(obj, field), "%s", msg)
}

// written reports whether field was written in the YAML (rather than defaulted).
func (c *checker) written(obj any, field string) bool {
	fp := c.s.pos[obj]
	if fp == nil {
		return false
	}
	_, ok := fp.fields[field]
	return ok
}

var (
	githubRepoRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	authorRE     = regexp.MustCompile(`^[^<>]+ <[^<>\s]+@[^<>\s]+>$`)
	digestRE     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (c *checker) project(p *Project) {
	ps := p.Spec
	if !hasScheme(ps.Artifacts, blobSchemes...) {
		c.errf(p, "spec.artifacts", "unsupported artifact store %q (want a file://, s3://, gs://, azblob:// or mem:// URL)", ps.Artifacts)
	}
	if !hasScheme(ps.Predictions, "sqlite", "postgres", "postgresql") {
		c.errf(p, "spec.predictions", "unsupported prediction log %q (want a sqlite:// or postgres:// URL)", ps.Predictions)
	}
	c.relPath(p, "spec.records", ps.Records)
	if ps.GitHub.Repository != "" && !githubRepoRE.MatchString(ps.GitHub.Repository) {
		c.errf(p, "spec.github.repository", "invalid repository %q (want owner/name)", ps.GitHub.Repository)
	}
	if ps.Git.Author != "" && !authorRE.MatchString(ps.Git.Author) {
		c.errf(p, "spec.git.author", "invalid author %q (want \"Name <email>\")", ps.Git.Author)
	}
	if ps.Runtime.Kind == RuntimeLocal {
		if u, err := url.Parse(ps.Runtime.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.errf(p, "spec.runtime.url", "invalid runtime URL %q (want http://host:port)", ps.Runtime.URL)
		}
	}
	if !envNameRE.MatchString(ps.Runtime.TokenEnv) {
		c.errf(p, "spec.runtime.tokenEnv", "invalid environment variable name %q", ps.Runtime.TokenEnv)
	}
	if ps.Runtime.Namespace != "" && ps.Runtime.Kind != RuntimeKServe {
		c.errf(p, "spec.runtime.namespace", "namespace applies only to runtime kind kserve")
	}
}

func hasScheme(u string, schemes ...string) bool {
	i := strings.Index(u, "://")
	return i > 0 && contains(schemes, strings.ToLower(u[:i])) && len(u) > i+3
}

func (c *checker) dataset(d *Dataset) {
	ds := d.Spec
	if IsURL(ds.Source) {
		if !hasScheme(ds.Source, append(blobSchemes, "http", "https")...) {
			c.errf(d, "spec.source", "unsupported URL %q (want a repository path or an s3://, gs://, azblob://, file://, mem:// or https:// URL)", ds.Source)
		}
	} else {
		c.repoPath(d, "spec.source", ds.Source, wantFile)
	}
	if ds.Format == "" && ds.Source != "" {
		c.errf(d, "spec.source", "cannot tell the format of %q from its extension; set spec.format (csv, parquet, jsonl)", ds.Source)
	}
	if ds.Digest != "" && !digestRE.MatchString(ds.Digest) {
		c.errf(d, "spec.digest", "invalid digest %q (want sha256: and 64 lowercase hex digits)", ds.Digest)
	}
	names := map[string]int{}
	for i, f := range ds.Features {
		at := fmt.Sprintf("spec.features[%d]", i)
		if j, dup := names[f.Name]; dup && f.Name != "" {
			c.errf(d, at+".name", "duplicate feature %q (first at %s)", f.Name, c.s.Pos(d, fmt.Sprintf("spec.features[%d].name", j)))
		}
		names[f.Name] = i
		if f.Name != "" && f.Name == ds.Target {
			c.errf(d, at+".name", "feature %q is the target column; the target is not a feature", f.Name)
		}
		// Checks that depend on the type wait until the type itself is right.
		typed := f.Type != "" && !c.s.failed(d, at+".type")
		if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
			c.errf(d, at+".min", "min %v is greater than max %v", *f.Min, *f.Max)
		}
		if typed && (f.Min != nil || f.Max != nil) && (f.Type == TypeCategory || f.Type == TypeBoolean) {
			field := at + ".min"
			if f.Min == nil {
				field = at + ".max"
			}
			c.errf(d, field, "min and max apply to number and integer features, not %s", f.Type)
		}
		if typed && len(f.Values) > 0 && f.Type != TypeCategory {
			c.errf(d, at+".values", "values apply to category features, not %s", f.Type)
		}
		if f.MaxNullShare != nil && (*f.MaxNullShare < 0 || *f.MaxNullShare > 1) {
			c.errf(d, at+".maxNullShare", "%v is out of range [0, 1]", *f.MaxNullShare)
		}
	}
	// Columns named elsewhere must be read too: with features listed, they are the
	// features, the target and the time column.
	known := func(col string) bool {
		_, ok := names[col]
		return len(ds.Features) == 0 || ok || col == ds.Target || col == ds.Time
	}
	c.split(d, ds.Split, known)
}

func (c *checker) split(d *Dataset, sp Split, known func(string) bool) {
	if sp.Column != "" {
		if !known(sp.Column) {
			c.errf(d, "spec.split.column", "column %q is not a feature, the target or the time column", sp.Column)
		}
		if sp.Eval.Range == nil {
			c.errf(d, "spec.split.eval", "with split.column, eval is a range {from, before}")
		} else {
			c.rng(d, "spec.split.eval", *sp.Eval.Range)
		}
		if sp.Train != nil {
			c.rng(d, "spec.split.train", *sp.Train)
			if sp.Eval.Range != nil && sp.Train.Before != "" && sp.Eval.Range.From != "" {
				if cmp, ok := compareBounds(sp.Eval.Range.From, sp.Train.Before); ok && cmp < 0 {
					c.errf(d, "spec.split.train.before", "train (before %s) overlaps eval (from %s)", sp.Train.Before, sp.Eval.Range.From)
				}
			}
		}
		return
	}
	if sp.Train != nil {
		c.errf(d, "spec.split.train", "train ranges need split.column")
	}
	if sp.Eval.Range != nil {
		c.errf(d, "spec.split.eval", "eval is a range; set split.column to the column it ranges over")
	} else if c.written(d, "spec.split.eval") && (sp.Eval.Fraction <= 0 || sp.Eval.Fraction >= 1) {
		c.errf(d, "spec.split.eval", "eval fraction %v is out of range (0, 1)", sp.Eval.Fraction)
	}
}

func (c *checker) rng(d *Dataset, field string, r Range) {
	if r.From == "" && r.Before == "" {
		c.errf(d, field, "a range needs from, before or both")
		return
	}
	for _, b := range []struct{ name, v string }{{"from", r.From}, {"before", r.Before}} {
		if b.v != "" && !isBound(b.v) {
			c.errf(d, field+"."+b.name, "invalid bound %q (want a date YYYY-MM-DD, an RFC 3339 time or a number)", b.v)
		}
	}
	if r.From != "" && r.Before != "" {
		if cmp, ok := compareBounds(r.From, r.Before); ok && cmp >= 0 {
			c.errf(d, field+".before", "before %s is not after from %s", r.Before, r.From)
		}
	}
}

// bound parses a range bound as a time or a number.
func bound(s string) (float64, bool, bool) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return float64(t.Unix()), true, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return float64(t.Unix()), true, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, false, true
	}
	return 0, false, false
}

func isBound(s string) bool { _, _, ok := bound(s); return ok }

// compareBounds compares two bounds of the same kind; ok is false otherwise.
func compareBounds(a, b string) (int, bool) {
	x, xt, ok1 := bound(a)
	y, yt, ok2 := bound(b)
	if !ok1 || !ok2 || xt != yt {
		return 0, false
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

func (c *checker) model(m *Model) {
	ms := m.Spec
	var ds *Dataset
	if ms.Dataset != "" {
		if ds = c.findDataset(ms.Dataset); ds == nil {
			c.errf(m, "spec.dataset", "dataset %q does not exist%s", ms.Dataset, c.names(KindDataset))
		}
	}
	if ms.Metric != "" && ms.Task != "" {
		if want := taskMetrics[ms.Task]; !contains(want, ms.Metric) {
			c.errf(m, "spec.metric", "metric %q does not apply to %s (want %s)", ms.Metric, ms.Task, strings.Join(want, ", "))
		}
	}
	if ds != nil && len(ds.Spec.Features) > 0 {
		for i, seg := range ms.Segments {
			if !featureOrColumn(ds, seg) {
				c.errf(m, fmt.Sprintf("spec.segments[%d]", i), "column %q is not a feature of dataset %q", seg, ds.Metadata.Name)
			}
		}
	}
	g := ms.Gate
	if known := GateKeys(ms.Task); known != nil {
		for _, block := range []struct {
			name string
			m    map[string]float64
		}{{"min", g.Min}, {"max", g.Max}, {"tolerance", g.Tolerance}} {
			for _, k := range sortedKeys(block.m) {
				if !contains(known, k) {
					c.errf(m, "spec.gate."+block.name+"."+k, "unknown metric %q%s for %s (want %s)", k, suggest(k, known), ms.Task, strings.Join(known, ", "))
				}
			}
		}
	}
	for _, k := range sortedKeys(g.Min) {
		if hi, ok := g.Max[k]; ok && g.Min[k] > hi {
			c.errf(m, "spec.gate.min."+k, "min %v is greater than max %v", g.Min[k], hi)
		}
	}
	for _, k := range sortedKeys(g.Tolerance) {
		if g.Tolerance[k] < 0 {
			c.errf(m, "spec.gate.tolerance."+k, "tolerance %v is negative", g.Tolerance[k])
		}
	}
	c.repoPath(m, "spec.gate.edgeCases", g.EdgeCases, wantFile)
	for i, p := range g.Policies {
		c.repoPath(m, fmt.Sprintf("spec.gate.policies[%d]", i), p, wantAny)
	}
}

func featureOrColumn(ds *Dataset, col string) bool {
	if col == ds.Spec.Time || col == ds.Spec.Target {
		return true
	}
	for _, f := range ds.Spec.Features {
		if f.Name == col {
			return true
		}
	}
	return false
}

func (c *checker) experiment(e *Experiment) {
	es := e.Spec
	m := c.findModel(es.Model)
	if m == nil && es.Model != "" {
		c.errf(e, "spec.model", "model %q does not exist%s", es.Model, c.names(KindModel))
	}
	switch {
	case es.Dataset == "" && m != nil:
		c.errf(e, "spec.dataset", "no dataset: set spec.dataset here or in model %q", m.Metadata.Name)
	case es.Dataset != "" && c.findDataset(es.Dataset) == nil:
		if c.written(e, "spec.dataset") {
			c.errf(e, "spec.dataset", "dataset %q does not exist%s", es.Dataset, c.names(KindDataset))
		}
	}
	t := es.Trainer
	switch {
	case t.Builtin == "" && t.Exec == nil:
		c.errf(e, "spec.trainer", "set one of builtin (%s) or exec", strings.Join(BuiltinTrainers, ", "))
	case t.Builtin != "" && t.Exec != nil:
		c.errf(e, "spec.trainer", "set one of builtin or exec, not both")
	case t.Builtin != "":
		if !contains(BuiltinTrainers, t.Builtin) {
			c.errf(e, "spec.trainer.builtin", "unknown trainer %q%s (want %s)", t.Builtin, suggest(t.Builtin, BuiltinTrainers), strings.Join(BuiltinTrainers, ", "))
		} else if m != nil {
			switch {
			case t.Builtin == TrainerLogisticRegression && m.Spec.Task == TaskRegression:
				c.errf(e, "spec.trainer.builtin", "%s trains classifiers; model %q is a regression", t.Builtin, m.Metadata.Name)
			case t.Builtin == TrainerLinearRegression && m.Spec.Task != TaskRegression && m.Spec.Task != "":
				c.errf(e, "spec.trainer.builtin", "%s trains regressions; model %q is a %s", t.Builtin, m.Metadata.Name, m.Spec.Task)
			}
		}
	case t.Exec != nil:
		// params go to an exec trainer as the JSON file FERRY_PARAMS names.
		if len(t.Exec.Command) == 0 && c.written(e, "spec.trainer.exec.command") {
			c.errf(e, "spec.trainer.exec.command", "command is empty")
		}
		c.repoPath(e, "spec.trainer.exec.dir", t.Exec.Dir, wantDir)
		if c.written(e, "spec.trainer.exec.timeout") && t.Exec.Timeout <= 0 {
			c.errf(e, "spec.trainer.exec.timeout", "timeout must be positive")
		}
	}
	tr := es.Triggers
	c.cron(e, "spec.triggers.schedule", tr.Schedule)
	if tr.NewData != nil && tr.NewData.MinRows < 1 {
		c.errf(e, "spec.triggers.newData.minRows", "minRows must be at least 1")
	}
	for i, name := range tr.OnDrift {
		if c.findMonitor(name) == nil {
			c.errf(e, fmt.Sprintf("spec.triggers.onDrift[%d]", i), "monitor %q does not exist%s", name, c.names(KindMonitor))
		}
	}
	if pd := tr.OnPerformanceDrop; pd != nil {
		if m != nil && pd.Metric != "" {
			if want := taskMetrics[m.Spec.Task]; want != nil && !contains(want, pd.Metric) {
				c.errf(e, "spec.triggers.onPerformanceDrop.metric", "metric %q does not apply to %s (want %s)", pd.Metric, m.Spec.Task, strings.Join(want, ", "))
			}
		}
		if pd.Drop <= 0 && c.written(e, "spec.triggers.onPerformanceDrop.drop") {
			c.errf(e, "spec.triggers.onPerformanceDrop.drop", "drop must be positive")
		}
	}
}

func (c *checker) deployment(d *Deployment) {
	ds := d.Spec
	if ds.Model != "" && c.findModel(ds.Model) == nil {
		c.errf(d, "spec.model", "model %q does not exist%s", ds.Model, c.names(KindModel))
	}
	st := ds.Strategy
	switch st.Type {
	case StrategyCanary:
		if len(st.Steps) == 0 {
			c.errf(d, "spec.strategy", "a canary needs steps, e.g. [10, 50, 100]")
		}
		for i, step := range st.Steps {
			at := fmt.Sprintf("spec.strategy.steps[%d]", i)
			switch {
			case step <= 0 || step > 100:
				c.errf(d, at, "step %d is out of range (0, 100]", step)
			case i > 0 && step <= st.Steps[i-1]:
				c.errf(d, at, "steps must ascend: %d follows %d", step, st.Steps[i-1])
			}
		}
		if n := len(st.Steps); n > 0 && st.Steps[n-1] != 100 && st.Steps[n-1] > 0 && st.Steps[n-1] < 100 {
			c.errf(d, fmt.Sprintf("spec.strategy.steps[%d]", n-1), "the last step must be 100, not %d", st.Steps[n-1])
		}
		if st.Interval <= 0 {
			c.errf(d, "spec.strategy.interval", "a canary needs a positive interval between steps, e.g. 1h")
		}
	case StrategyDirect:
		if len(st.Steps) > 0 {
			c.errf(d, "spec.strategy.steps", "steps apply only to strategy type canary")
		}
	}
	a := st.Analysis
	if a.MinRequests < 0 {
		c.errf(d, "spec.strategy.analysis.minRequests", "minRequests is negative")
	}
	c.inRange(d, "spec.strategy.analysis.maxErrorRate", a.MaxErrorRate, 0, 1, true)
	if a.MaxLatencyP99Ms != nil && *a.MaxLatencyP99Ms <= 0 {
		c.errf(d, "spec.strategy.analysis.maxLatencyP99Ms", "must be positive")
	}
	if a.MaxPredictionPSI != nil && *a.MaxPredictionPSI < 0 {
		c.errf(d, "spec.strategy.analysis.maxPredictionPSI", "must not be negative")
	}
	c.inRange(d, "spec.logging.sample", ds.Logging.Sample, 0, 1, true)
}

// inRange checks an optional value against [lo, hi] (closed) or (lo, hi) (open).
func (c *checker) inRange(obj any, field string, v *float64, lo, hi float64, closed bool) {
	if v == nil {
		return
	}
	if closed && (*v < lo || *v > hi) {
		c.errf(obj, field, "%v is out of range [%v, %v]", *v, lo, hi)
	}
	if !closed && (*v <= lo || *v >= hi) {
		c.errf(obj, field, "%v is out of range (%v, %v)", *v, lo, hi)
	}
}

func (c *checker) monitor(m *Monitor) {
	ms := m.Spec
	var ds *Dataset
	var mod *Model
	if d := c.findDeployment(ms.Deployment); d == nil {
		if ms.Deployment != "" {
			c.errf(m, "spec.deployment", "deployment %q does not exist%s", ms.Deployment, c.names(KindDeployment))
		}
	} else if mod = c.findModel(d.Spec.Model); mod != nil {
		ds = c.findDataset(mod.Spec.Dataset)
	}
	if c.written(m, "spec.window") && ms.Window <= 0 {
		c.errf(m, "spec.window", "window must be positive")
	}
	c.cron(m, "spec.schedule", ms.Schedule)
	c.dataPath(m, "spec.data", ms.Data)
	c.driftTest(m, "spec.features.default", ms.Features.Default)
	for _, k := range sortedKeys(ms.Features.Overrides) {
		at := "spec.features.overrides." + k
		if ds != nil && len(ds.Spec.Features) > 0 && !featureOrColumn(ds, k) {
			c.errf(m, at, "%q is not a feature of dataset %q", k, ds.Metadata.Name)
		}
		c.driftTest(m, at, ms.Features.Overrides[k])
		if ds != nil {
			c.testFits(m, at+".test", ms.Features.Overrides[k].Test, ds, k)
		}
	}
	if ms.Prediction != nil {
		c.driftTest(m, "spec.prediction", *ms.Prediction)
	}
	if p := ms.Performance; p != nil {
		// Delayed labels arrive after the predictions: the file need not
		// exist yet, but must stay inside the repository.
		if IsURL(p.Labels) {
			c.dataPath(m, "spec.performance.labels", p.Labels)
		} else {
			c.relPath(m, "spec.performance.labels", p.Labels)
		}
		if mod != nil && p.Metric != "" {
			if want := taskMetrics[mod.Spec.Task]; want != nil && !contains(want, p.Metric) {
				c.errf(m, "spec.performance.metric", "metric %q does not apply to %s (want %s)", p.Metric, mod.Spec.Task, strings.Join(want, ", "))
			}
		}
		if p.MaxDrop < 0 {
			c.errf(m, "spec.performance.maxDrop", "maxDrop is negative")
		}
	}
}

// testFits checks that a drift test suits the feature's type: ks and wasserstein
// compare numbers, chi2 compares categories; psi and js take both.
func (c *checker) testFits(obj any, field, test string, ds *Dataset, col string) {
	var typ FeatureType
	for _, f := range ds.Spec.Features {
		if f.Name == col {
			typ = f.Type
		}
	}
	switch {
	case typ == "":
		return
	case (test == TestKS || test == TestWasserstein) && typ == TypeCategory:
		c.errf(obj, field, "%s compares numbers; %q is a category feature (use chi2, psi or js)", test, col)
	case test == TestChi2 && (typ == TypeNumber || typ == TypeInteger):
		c.errf(obj, field, "chi2 compares categories; %q is a %s feature (use ks, wasserstein, psi or js)", col, typ)
	}
}

func (c *checker) driftTest(obj any, at string, t DriftTest) {
	if t.Test != "" && !contains(DriftTests, t.Test) {
		c.errf(obj, at+".test", "unknown test %q%s (want %s)", t.Test, suggest(t.Test, DriftTests), strings.Join(DriftTests, ", "))
		return
	}
	if t.Threshold != nil {
		switch {
		case *t.Threshold < 0:
			c.errf(obj, at+".threshold", "threshold %v is negative", *t.Threshold)
		case t.Test == TestJS && *t.Threshold > 1:
			c.errf(obj, at+".threshold", "threshold %v is out of range [0, 1] for js", *t.Threshold)
		}
	}
	if t.PValue != nil {
		if t.Test != "" && t.Test != TestKS && t.Test != TestChi2 {
			c.errf(obj, at+".pValue", "pValue applies to ks and chi2; %s takes a threshold", t.Test)
		} else {
			c.inRange(obj, at+".pValue", t.PValue, 0, 1, false)
		}
	}
}

func (c *checker) cron(obj any, field, expr string) {
	if expr == "" {
		return
	}
	if err := parseCron(expr); err != nil {
		c.errf(obj, field, "invalid schedule %q: %v (want five cron fields, e.g. \"0 3 * * *\", or @daily)", expr, err)
	}
}

// parseCron parses a standard five-field cron expression or a descriptor (@daily).
func parseCron(expr string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot parse")
		}
	}()
	_, err = cron.ParseStandard(expr)
	return err
}

// names lists the objects of a kind for "does not exist" messages.
func (c *checker) names(k Kind) string {
	if n, ok := c.idx.names[k]; ok {
		return n
	}
	n := c.listNames(k)
	c.idx.names[k] = n
	return n
}

func (c *checker) listNames(k Kind) string {
	var names []string
	switch k {
	case KindDataset:
		for _, d := range c.s.Datasets {
			names = append(names, d.Metadata.Name)
		}
	case KindModel:
		for _, m := range c.s.Models {
			names = append(names, m.Metadata.Name)
		}
	case KindDeployment:
		for _, d := range c.s.Deployments {
			names = append(names, d.Metadata.Name)
		}
	case KindMonitor:
		for _, m := range c.s.Monitors {
			names = append(names, m.Metadata.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf(" (there are no %ss)", strings.ToLower(string(k)))
	}
	sort.Strings(names)
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	return fmt.Sprintf(" (have %s)", strings.Join(names, ", "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type want int

const (
	wantAny want = iota
	wantFile
	wantDir
)

// dataPath checks a path that may also be a blob URL.
func (c *checker) dataPath(obj any, field, p string) {
	if IsURL(p) {
		if !hasScheme(p, append(blobSchemes, "http", "https")...) {
			c.errf(obj, field, "unsupported URL %q", p)
		}
		return
	}
	c.repoPath(obj, field, p, wantFile)
}

// relPath checks that p is a relative path that stays inside the repository.
func (c *checker) relPath(obj any, field, p string) (string, bool) {
	if p == "" {
		return "", false
	}
	if path.IsAbs(p) || filepath.IsAbs(p) || filepath.VolumeName(p) != "" || strings.HasPrefix(p, `\`) {
		c.errf(obj, field, "path %q is absolute; paths in specs are relative to the repository root", p)
		return "", false
	}
	clean := path.Clean(strings.ReplaceAll(p, `\`, "/"))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		c.errf(obj, field, "path %q leaves the repository", p)
		return "", false
	}
	if !fs.ValidPath(clean) {
		c.errf(obj, field, "invalid path %q", p)
		return "", false
	}
	return clean, true
}

// repoPath checks that p is a path inside the repository that exists, following
// symlinks only as long as they stay inside.
func (c *checker) repoPath(obj any, field, p string, w want) {
	clean, ok := c.relPath(obj, field, p)
	if !ok {
		return
	}
	pi, ok := c.paths[clean]
	if !ok {
		resolved, err := resolveInside(c.fsys, clean)
		if err == nil {
			pi.info, pi.err = fs.Stat(c.fsys, resolved)
		} else {
			pi.err = err
		}
		c.paths[clean] = pi
	}
	info, err := pi.info, pi.err
	if errors.Is(err, errLeaves) {
		c.errf(obj, field, "path %q leaves the repository through a symlink", p)
		return
	}
	if err != nil {
		c.errf(obj, field, "path %q does not exist", p)
		return
	}
	switch {
	case w == wantFile && info.IsDir():
		c.errf(obj, field, "path %q is a folder, not a file", p)
	case w == wantDir && !info.IsDir():
		c.errf(obj, field, "path %q is a file, not a folder", p)
	}
}

var errLeaves = errors.New("leaves the repository")

// resolveInside resolves the symlinks of a clean relative path in fsys one element
// at a time, and fails with errLeaves when one points outside the tree. File systems
// without symlinks (fs.ReadLinkFS) resolve to the path itself.
func resolveInside(fsys fs.FS, p string) (string, error) {
	if _, ok := fsys.(fs.ReadLinkFS); !ok || p == "." {
		return p, nil
	}
	rest := strings.Split(p, "/")
	cur := "."
	for hops := 0; len(rest) > 0; {
		next := path.Join(cur, rest[0])
		rest = rest[1:]
		info, err := fs.Lstat(fsys, next)
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("too many symlinks")
		}
		target, err := fs.ReadLink(fsys, next)
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) || filepath.IsAbs(target) {
			return "", errLeaves
		}
		t := path.Clean(path.Join(cur, filepath.ToSlash(target)))
		if t == ".." || strings.HasPrefix(t, "../") {
			return "", errLeaves
		}
		// Start again from the root with the link replaced by its target.
		if t != "." {
			rest = append(strings.Split(t, "/"), rest...)
		}
		cur = "."
	}
	return cur, nil
}
