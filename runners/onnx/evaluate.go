package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/spec"
)

// DefaultLatencyRuns is how many single-row inferences Evaluate times.
const DefaultLatencyRuns = 200

// latencyWarmup runs come before the timed ones.
const latencyWarmup = 10

// Edge-case file columns besides the model's inputs.
const (
	ExpectedColumn  = "expected"
	ToleranceColumn = "tolerance"
	NameColumn      = "name"
)

// EvalOptions configure Evaluate.
type EvalOptions struct {
	// Target is the label column. Required.
	Target string
	// Task defaults to the model's metadata "task", else it is inferred from the
	// outputs: probabilities over two classes → binary, more → multiclass, a
	// float value only → regression.
	Task spec.Task
	// Segments are columns whose values get metrics of their own.
	Segments []string
	// TopSegments is how many values per segment column get their own metrics
	// (eval.DefaultTopSegments when 0); the rest are "other".
	TopSegments int
	// EdgeCases is a frame of model inputs with an "expected" column and optional
	// "tolerance" and "name" columns; EdgeCasesName names it in messages.
	EdgeCases     *dataset.Frame
	EdgeCasesName string
	// EdgeCasesPath is a file (CSV, Parquet, JSONL) to read EdgeCases from when
	// EdgeCases is nil. Its columns are read with the types of the data's columns,
	// and "expected" as text.
	EdgeCasesPath string
	// Positive is the positive class of a binary classifier. Default: the second
	// of the model's classes ("1", "true", or the later in sort order).
	Positive string
	// Features, Impute and ChunkRows are passed to PredictWith.
	Features  []string
	Impute    bool
	ChunkRows int
	// LatencyRuns single-row inferences are timed (DefaultLatencyRuns when 0;
	// negative skips the latency profile).
	LatencyRuns int
	// Progress, when set, is called as rows are predicted.
	Progress func(done, total int)
}

// evalStats are timings a benchmark reads: inside onnxruntime and in total, as
// wall time and as CPU time (onnxruntime's calling thread; the whole process).
type evalStats struct {
	runtime                  runTime
	predict, total, totalCPU time.Duration
}

// Evaluate predicts over f and scores the predictions against opts.Target.
func Evaluate(m *Model, f *dataset.Frame, opts EvalOptions) (*eval.Report, error) {
	r, _, err := evaluate(m, f, opts)
	return r, err
}

func evaluate(m *Model, f *dataset.Frame, opts EvalOptions) (*eval.Report, evalStats, error) {
	var st evalStats
	start, cpu0 := time.Now(), processCPU()
	if f == nil || f.Rows == 0 {
		return nil, st, errors.New("evaluate: the data has no rows")
	}
	if opts.Target == "" {
		return nil, st, errors.New("evaluate: no target column given")
	}
	target := f.Col(opts.Target)
	if target == nil {
		return nil, st, fmt.Errorf("evaluate: no target column %q (columns: %s)", opts.Target, strings.Join(f.Names(), ", "))
	}
	if n := nullCount(target); n > 0 {
		return nil, st, fmt.Errorf("evaluate: target column %q has %d null rows", opts.Target, n)
	}
	var missing []string
	for _, s := range opts.Segments {
		if f.Col(s) == nil {
			missing = append(missing, strconv.Quote(s))
		}
	}
	if len(missing) > 0 {
		return nil, st, fmt.Errorf("evaluate: no segment column %s", strings.Join(missing, ", "))
	}
	popts := PredictOptions{Target: opts.Target, Features: opts.Features, Impute: opts.Impute, ChunkRows: opts.ChunkRows, Progress: opts.Progress}
	plan, err := m.plan(f, popts)
	if err != nil {
		return nil, st, err
	}
	predStart := time.Now()
	pred, err := plan.predict(popts, true)
	if err != nil {
		return nil, st, err
	}
	st.predict = time.Since(predStart)
	st.runtime = pred.runtime
	popts.Features = plan.features // edge cases and latency rows use the same columns
	popts.Progress = nil

	task := opts.Task
	if task == "" {
		task = inferTask(m, pred)
	}
	sc, err := newScorer(task, target, pred, opts.Positive)
	if err != nil {
		return nil, st, fmt.Errorf("evaluate: %w", err)
	}
	rep := &eval.Report{
		Rows:  f.Rows,
		Task:  string(task),
		Model: &eval.ModelInfo{Digest: m.Digest(), Bytes: m.Size()},
	}
	if len(pred.NonFinite) > 0 {
		rep.Notes = append(rep.Notes, "imputed NaN/Inf feature values with column means: "+formatCounts(pred.NonFinite))
	}
	var notes []string
	rep.Metrics, notes = sc.metrics(nil)
	rep.Notes = append(rep.Notes, notes...)
	for _, name := range opts.Segments {
		codes, levels := segmentCodes(f.Col(name))
		segs := map[string]eval.Segment{}
		groups := eval.TopGroups(codes, levels, opts.TopSegments)
		for i, r := range sc.groupMetrics(groups) {
			g := groups[i]
			for _, n := range r.notes {
				rep.Notes = append(rep.Notes, fmt.Sprintf("segment %s=%s: %s", name, g.Value, n))
			}
			segs[g.Value] = eval.Segment{Rows: len(g.Rows), Metrics: r.metrics}
		}
		if rep.Segments == nil {
			rep.Segments = map[string]map[string]eval.Segment{}
		}
		rep.Segments[name] = segs
	}
	if opts.EdgeCases == nil && opts.EdgeCasesPath != "" {
		opts.EdgeCases, err = dataset.ReadFile(opts.EdgeCasesPath, dataset.ReadOptions{Features: EdgeCaseTypes(f)})
		if err != nil {
			return nil, st, fmt.Errorf("edge cases: %w", err)
		}
		if opts.EdgeCasesName == "" {
			opts.EdgeCasesName = opts.EdgeCasesPath
		}
	}
	if opts.EdgeCases != nil {
		rep.EdgeCases, err = edgeCases(m, task, sc, opts, popts)
		if err != nil {
			return nil, st, err
		}
	}
	rep.Latency = &eval.Latency{BatchRowsPerSec: math.Round(float64(f.Rows) / st.predict.Seconds())}
	if opts.LatencyRuns >= 0 {
		if err := profile(m, f, popts, opts.LatencyRuns, rep.Latency); err != nil {
			return nil, st, err
		}
	}
	// The resident-memory change around session creation is noisy (the heap
	// may shrink meanwhile, or reuse freed pages) and can read 0; a session
	// holds at least the model's own bytes, so that is the floor. A report
	// without memoryMB would fail a gate that bounds it.
	rep.MemoryMB = round(float64(max(m.ResidentBytes(), m.Size()))/(1<<20), 2)
	if rep.MemoryMB == 0 {
		rep.MemoryMB = 0.01
	}
	rep.Clean()
	st.total, st.totalCPU = time.Since(start), processCPU()-cpu0
	return rep, st, nil
}

// nullCount counts null rows (NaN in a Number column counts as null).
func nullCount(c *dataset.Column) int {
	n := 0
	for i := 0; i < c.Len(); i++ {
		if c.IsNull(i) || c.Type == dataset.Number && math.IsNaN(c.Floats[i]) {
			n++
		}
	}
	return n
}

func inferTask(m *Model, p *Prediction) spec.Task {
	switch t := spec.Task(m.meta["task"]); t {
	case spec.TaskBinary, spec.TaskMulticlass, spec.TaskRegression:
		return t
	}
	switch {
	case p.flat != nil && p.nclass == 2:
		return spec.TaskBinary
	case p.flat != nil || p.Label != nil:
		return spec.TaskMulticlass
	}
	return spec.TaskRegression
}

// scorer holds the labels and predictions of every row and scores any subset.
type scorer struct {
	task spec.Task
	// binary
	pos    []bool
	scores []float64
	rows   *eval.BinaryRows // ranking and losses, once needed
	// multiclass
	y, pred []int
	proba   [][]float64
	k       int
	// regression
	yv, value []float64
	// per row, for edge cases
	classes  []string
	positive int
}

func newScorer(task spec.Task, target *dataset.Column, p *Prediction, positive string) (*scorer, error) {
	sc := &scorer{task: task}
	switch task {
	case spec.TaskRegression:
		if target.Type != dataset.Number {
			return nil, fmt.Errorf("target column %q holds categories; a regression target must be numbers", target.Name)
		}
		if p.Value == nil {
			return nil, fmt.Errorf("the model gives no [N] or [N,1] float output to score as a regression")
		}
		sc.yv, sc.value = target.Floats, p.Value
		return sc, nil
	case spec.TaskBinary, spec.TaskMulticlass:
	default:
		return nil, fmt.Errorf("unknown task %q (want %s, %s or %s)", task, spec.TaskBinary, spec.TaskMulticlass, spec.TaskRegression)
	}
	if task == spec.TaskBinary && p.flat == nil && p.Label == nil && p.Value != nil {
		// a score-only model that declares no task: its output is the probability
		// of the positive class
		p.Classes, p.nclass = []string{"0", "1"}, 2
		p.flat = make([]float64, 2*len(p.Value))
		for i, v := range p.Value {
			p.flat[2*i], p.flat[2*i+1] = 1-v, v
		}
	}
	classes := p.Classes
	if len(classes) == 0 {
		return nil, fmt.Errorf("the model gives no class probabilities or labels to score as %s", task)
	}
	if task == spec.TaskBinary && len(classes) != 2 {
		return nil, fmt.Errorf("task %s, but the model predicts %d classes (%s)", task, len(classes), strings.Join(classes, ", "))
	}
	sc.classes = classes
	y, err := targetIndex(target, classes)
	if err != nil {
		return nil, err
	}
	if task == spec.TaskMulticlass {
		sc.y, sc.k = make([]int, len(y)), len(classes)
		for i, c := range y {
			sc.y[i] = int(c)
		}
		if p.flat != nil {
			sc.proba = make([][]float64, len(y))
			for i := range sc.proba {
				sc.proba[i] = p.flat[i*sc.k : (i+1)*sc.k : (i+1)*sc.k]
			}
		}
		sc.pred = make([]int, len(y))
		idx := labelIndex(classes)
		for i := range sc.pred {
			if sc.proba != nil {
				sc.pred[i] = argmax(sc.proba[i])
			} else if j, ok := idx[p.Label[i]]; ok {
				sc.pred[i] = j
			} else {
				return nil, fmt.Errorf("row %d: the model predicted %q, which is not among its classes (%s)", i+1, p.Label[i], strings.Join(classes, ", "))
			}
		}
		return sc, nil
	}
	sc.positive = 1 // index into classes
	if positive != "" {
		switch {
		case sameValue(positive, classes[1]):
		case sameValue(positive, classes[0]):
			sc.positive = 0
		default:
			return nil, fmt.Errorf("positive class %q is not one of the model's classes (%s)", positive, strings.Join(classes, ", "))
		}
	}
	sc.pos = make([]bool, len(y))
	for i, c := range y {
		sc.pos[i] = int(c) == sc.positive
	}
	switch {
	case p.flat != nil:
		sc.scores = make([]float64, len(y))
		for i := range sc.scores {
			sc.scores[i] = p.flat[2*i+sc.positive]
		}
	case p.Label != nil:
		sc.scores = make([]float64, len(y))
		for i, l := range p.Label {
			if sameValue(l, classes[sc.positive]) {
				sc.scores[i] = 1
			}
		}
	}
	return sc, nil
}

func labelIndex(classes []string) map[string]int {
	idx := make(map[string]int, len(classes))
	for i, c := range classes {
		idx[c] = i
	}
	return idx
}

// sameValue compares labels as numbers when both are numbers, and true/false
// with 1/0.
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := parseLabelNumber(a)
	y, err2 := parseLabelNumber(b)
	return err1 == nil && err2 == nil && x == y
}

func parseLabelNumber(s string) (float64, error) {
	switch strings.ToLower(s) {
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	}
	return strconv.ParseFloat(s, 64)
}

// targetIndex maps every target value to the index of its class, naming the
// values the model does not predict.
func targetIndex(target *dataset.Column, classes []string) ([]int32, error) {
	n := target.Len()
	y := make([]int32, n)
	unknown := map[string]int{}
	lookup := func(v string) int32 {
		for i, c := range classes {
			if sameValue(v, c) {
				return int32(i)
			}
		}
		return -1
	}
	if target.Type == dataset.Category {
		perLevel := make([]int32, len(target.Levels))
		for i, l := range target.Levels {
			perLevel[i] = lookup(l)
		}
		for i, c := range target.Codes {
			y[i] = perLevel[c]
			if y[i] < 0 {
				unknown[target.Levels[c]]++
			}
		}
	} else {
		// targets hold few distinct values: remember the last ones before a map
		var lastV [4]float64
		var lastJ [4]int32
		seen := 0
		cache := map[float64]int32{}
		for i, v := range target.Floats {
			j, hit := int32(-1), false
			for k := 0; k < seen; k++ {
				if lastV[k] == v {
					j, hit = lastJ[k], true
					break
				}
			}
			if !hit {
				var ok bool
				if j, ok = cache[v]; !ok {
					j = lookup(strconv.FormatFloat(v, 'g', -1, 64))
					cache[v] = j
				}
				if seen < len(lastV) {
					lastV[seen], lastJ[seen] = v, j
					seen++
				}
			}
			y[i] = j
			if j < 0 {
				unknown[strconv.FormatFloat(v, 'g', -1, 64)]++
			}
		}
	}
	if len(unknown) > 0 {
		vals := make([]string, 0, len(unknown))
		for v := range unknown {
			vals = append(vals, v)
		}
		sort.Slice(vals, func(i, j int) bool {
			if unknown[vals[i]] != unknown[vals[j]] {
				return unknown[vals[i]] > unknown[vals[j]]
			}
			return vals[i] < vals[j]
		})
		parts := make([]string, 0, 5)
		for _, v := range vals[:min(5, len(vals))] {
			parts = append(parts, fmt.Sprintf("%q (%s)", v, plural(unknown[v], "row")))
		}
		more := ""
		if len(vals) > 5 {
			more = fmt.Sprintf(" and %d more", len(vals)-5)
		}
		return nil, fmt.Errorf("target column %q has values the model does not predict: %s%s (model classes: %s)",
			target.Name, strings.Join(parts, ", "), more, strings.Join(classes, ", "))
	}
	return y, nil
}

// metrics computes the task's metrics over rows (all rows when nil).
func (sc *scorer) metrics(rows []int) (eval.Metrics, []string) {
	switch sc.task {
	case spec.TaskBinary:
		if rows == nil {
			return sc.binaryRows().Metrics()
		}
		return eval.BinarySubset(sc.pos, sc.scores, rows, nil)
	case spec.TaskMulticlass:
		if rows == nil {
			return eval.Multiclass(sc.y, sc.pred, sc.proba, sc.k)
		}
		var proba [][]float64
		if sc.proba != nil {
			proba = gather(sc.proba, rows)
		}
		return eval.Multiclass(gather(sc.y, rows), gather(sc.pred, rows), proba, sc.k)
	default:
		if rows == nil {
			return eval.Regression(sc.yv, sc.value)
		}
		return eval.Regression(gather(sc.yv, rows), gather(sc.value, rows))
	}
}

type groupResult struct {
	metrics eval.Metrics
	notes   []string
}

// groupMetrics scores each group (disjoint rows in ascending order). A binary
// task ranks each group by filtering the ranking of all rows.
func (sc *scorer) groupMetrics(groups []eval.Group) []groupResult {
	out := make([]groupResult, len(groups))
	if sc.task == spec.TaskBinary {
		ms, notes := sc.binaryRows().Groups(groups)
		for i := range out {
			out[i] = groupResult{ms[i], notes[i]}
		}
		return out
	}
	for i, g := range groups {
		out[i].metrics, out[i].notes = sc.metrics(g.Rows)
	}
	return out
}

// binaryRows ranks the rows and computes their losses once for all metrics.
func (sc *scorer) binaryRows() *eval.BinaryRows {
	if sc.rows == nil {
		sc.rows = eval.NewBinaryRows(sc.pos, sc.scores)
	}
	return sc.rows
}

func gather[T any](xs []T, rows []int) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = xs[r]
	}
	return out
}

// segmentCodes gives every row of c a group code: a Category's own codes, or the
// distinct values of a Number column.
func segmentCodes(c *dataset.Column) ([]int32, []string) {
	if c.Type == dataset.Category {
		return c.Codes, c.Levels
	}
	codes := make([]int32, len(c.Floats))
	idx := map[float64]int32{}
	var levels []string
	for i, v := range c.Floats {
		if math.IsNaN(v) || c.IsNull(i) {
			codes[i] = -1
			continue
		}
		k, ok := idx[v]
		if !ok {
			k = int32(len(levels))
			idx[v] = k
			levels = append(levels, strconv.FormatFloat(v, 'g', -1, 64))
		}
		codes[i] = k
	}
	return codes, levels
}

// edgeCases predicts the edge-case frame and checks each row's expected output.
func edgeCases(m *Model, task spec.Task, sc *scorer, opts EvalOptions, popts PredictOptions) (*eval.EdgeCases, error) {
	f := opts.EdgeCases
	where := opts.EdgeCasesName
	if where == "" {
		where = "edge cases"
	}
	exp := f.Col(ExpectedColumn)
	if exp == nil {
		return nil, fmt.Errorf("%s: no %q column (columns: %s)", where, ExpectedColumn, strings.Join(f.Names(), ", "))
	}
	if f.Rows == 0 {
		return &eval.EdgeCases{Failures: []eval.EdgeCaseFailure{}}, nil
	}
	tol := f.Col(ToleranceColumn)
	if tol != nil && tol.Type != dataset.Number {
		return nil, fmt.Errorf("%s: column %q must hold numbers", where, ToleranceColumn)
	}
	names := f.Col(NameColumn)
	popts.Target = ExpectedColumn
	p, err := m.PredictWith(f, popts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	inputs := m.inputColumns(popts.Features)
	cases := make([]eval.EdgeCase, f.Rows)
	got := make([]eval.Output, f.Rows)
	for i := range cases {
		c := eval.EdgeCase{Row: i + 1, Expected: cellText(exp, i), Tolerance: -1, Inputs: map[string]string{}}
		if tol != nil && !tol.IsNull(i) && !math.IsNaN(tol.Floats[i]) {
			c.Tolerance = tol.Floats[i]
		}
		if names != nil {
			c.Name = cellText(names, i)
		}
		for _, in := range inputs {
			if col := f.Col(in); col != nil {
				c.Inputs[in] = cellText(col, i)
			}
		}
		cases[i] = c
		var o eval.Output
		if p.Label != nil {
			o.Label = p.Label[i]
		}
		if p.Value != nil {
			o.Value = p.Value[i]
		}
		if task == spec.TaskBinary && p.Proba != nil {
			o.Score, o.HasScore = p.Proba[i][sc.positive], true
		}
		got[i] = o
	}
	return eval.CheckEdgeCases(task, cases, got), nil
}

// inputColumns are the frame columns the model reads.
func (m *Model) inputColumns(features []string) []string {
	if len(features) > 0 {
		return features
	}
	return names(m.inputs)
}

func cellText(c *dataset.Column, i int) string {
	if c.IsNull(i) {
		return ""
	}
	if c.Type == dataset.Category {
		return c.String(i)
	}
	return strconv.FormatFloat(c.Floats[i], 'g', -1, 64)
}

// profile times single-row inference (conversion included, as serving sees it)
// after a warm-up, and fills the percentiles of lat.
func profile(m *Model, f *dataset.Frame, popts PredictOptions, runs int, lat *eval.Latency) error {
	if runs == 0 {
		runs = DefaultLatencyRuns
	}
	rows := make([]*dataset.Frame, min(runs, f.Rows))
	for i := range rows {
		rows[i] = rowFrame(f, i*f.Rows/len(rows))
	}
	plans := make([]*predictPlan, len(rows))
	for i, r := range rows {
		p, err := m.plan(r, popts)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		plans[i] = p
	}
	for i := 0; i < latencyWarmup; i++ {
		if _, err := plans[i%len(plans)].predict(popts, false); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
	}
	ms := make([]float64, runs)
	for i := range ms {
		start := time.Now()
		if _, err := plans[i%len(plans)].predict(popts, false); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		ms[i] = float64(time.Since(start)) / float64(time.Millisecond)
	}
	slices.Sort(ms)
	lat.P50Ms, lat.P95Ms, lat.P99Ms = round(percentile(ms, 50), 4), round(percentile(ms, 95), 4), round(percentile(ms, 99), 4)
	return nil
}

// round keeps d decimals: measurements carry no more precision than that.
func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(x*p) / p
}

// percentile interpolates linearly between the closest ranks of sorted xs, as
// numpy.percentile does by default.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	pos := p / 100 * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(xs)-1)
	return xs[lo] + (xs[hi]-xs[lo])*(pos-float64(lo))
}

// rowFrame is row i of f as a one-row frame sharing f's dictionaries.
func rowFrame(f *dataset.Frame, i int) *dataset.Frame {
	out := &dataset.Frame{Rows: 1, Columns: make([]*dataset.Column, len(f.Columns))}
	for j, c := range f.Columns {
		r := &dataset.Column{Name: c.Name, Type: c.Type, Levels: c.Levels}
		if c.Type == dataset.Category {
			r.Codes = c.Codes[i : i+1 : i+1]
		} else {
			r.Floats = c.Floats[i : i+1 : i+1]
		}
		if c.Null != nil {
			r.Null = c.Null[i : i+1 : i+1]
		}
		out.Columns[j] = r
	}
	return out
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// EdgeCaseTypes are the feature types to read an edge-case file with: each column
// of data as it was read, and the expected and name columns as text.
func EdgeCaseTypes(data *dataset.Frame) []spec.Feature {
	out := []spec.Feature{{Name: ExpectedColumn, Type: spec.TypeCategory}, {Name: NameColumn, Type: spec.TypeCategory}}
	for _, c := range data.Columns {
		switch c.Name {
		case ExpectedColumn, NameColumn, ToleranceColumn:
			continue
		}
		t := spec.TypeNumber
		if c.Type == dataset.Category {
			t = spec.TypeCategory
		}
		out = append(out, spec.Feature{Name: c.Name, Type: t})
	}
	return out
}
