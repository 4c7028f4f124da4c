// Package monitor is the Monitor runner: it builds a version's reference profile
// at registration (its training rows and its own predictions on them), reads a
// window of production traffic from the prediction log (or a dataset file),
// and compares the two with the Monitor's tests — data drift per feature,
// prediction drift on the model's output, and performance drift when delayed
// labels have arrived — into a drift report with its Markdown and SVG renderings.
//
// The profile is stored as an artifact, so monitoring never reads the training
// data again.
package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
	"github.com/ferryml/ferry/drift/render"
	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store"
)

// PredictionColumn is the name under which the model's output is profiled and
// compared: the positive-class probability of a binary classifier, the value of
// a regression, the label of a multiclass classifier.
const PredictionColumn = "prediction"

// Reference builds the reference profile of a model version from its training
// rows: the features, and the model's own predictions on them for prediction
// drift.
func Reference(m *onnx.Model, train *dataset.Frame, features []string, task spec.Task) (*drift.Profile, error) {
	fr, err := train.Select(features...)
	if err != nil {
		return nil, fmt.Errorf("reference profile: %w", err)
	}
	pred, err := m.PredictWith(fr, onnx.PredictOptions{Impute: true})
	if err != nil {
		return nil, fmt.Errorf("reference profile: predict on the training rows: %w", err)
	}
	col, err := predictionOf(pred, task, fr.Rows)
	if err != nil {
		return nil, fmt.Errorf("reference profile: %w", err)
	}
	withPred := &dataset.Frame{Rows: fr.Rows, Columns: append(append([]*dataset.Column{}, fr.Columns...), col)}
	return drift.BuildProfile(withPred, drift.ProfileOptions{Features: features, Prediction: PredictionColumn})
}

func predictionOf(p *onnx.Prediction, task spec.Task, rows int) (*dataset.Column, error) {
	switch {
	case task == spec.TaskBinary && len(p.Score) == rows:
		return &dataset.Column{Name: PredictionColumn, Type: dataset.Number, Floats: p.Score}, nil
	case task == spec.TaskRegression && len(p.Value) == rows:
		return &dataset.Column{Name: PredictionColumn, Type: dataset.Number, Floats: p.Value}, nil
	case len(p.Label) == rows:
		return dataset.CategoryOf(PredictionColumn, p.Label), nil
	}
	return nil, fmt.Errorf("the model gave no output usable as a %s prediction", task)
}

// FromLog reads the logged predictions of a deployment in [since, until) as a
// frame whose columns are the model's inputs, with the model's output renamed
// to PredictionColumn.
func FromLog(ctx context.Context, db *store.DB, deployment string, since, until time.Time, task spec.Task) (*dataset.Frame, error) {
	f, err := db.Frame(ctx, store.Filter{Deployment: deployment, Since: since, Until: until})
	if err != nil {
		return nil, err
	}
	if out := loggedPrediction(f, task); out != "" {
		f.Col(out).Name = PredictionColumn
	}
	return f, nil
}

// loggedPrediction finds the logged output column that holds what Reference
// profiles: the last probability column of a binary classifier (the positive
// class), a regression's first value, or the label.
func loggedPrediction(f *dataset.Frame, task spec.Task) string {
	var probs, values []string
	label := ""
	for _, c := range f.Columns {
		n := c.Name
		switch {
		case !strings.HasPrefix(n, "out_"):
		case strings.HasPrefix(n, "out_prob") && c.Type == dataset.Number:
			probs = append(probs, n)
		case strings.HasPrefix(n, "out_label"):
			label = n
		case c.Type == dataset.Number:
			values = append(values, n)
		}
	}
	sort.Strings(probs)
	switch {
	case task == spec.TaskBinary && len(probs) > 0:
		return probs[len(probs)-1]
	case task == spec.TaskBinary && len(values) > 0:
		return values[0]
	case task == spec.TaskRegression && len(values) > 0:
		return values[0]
	}
	return label
}

// Request is one monitoring run.
type Request struct {
	Monitor *spec.Monitor
	Task    spec.Task
	// Profile is the reference profile of the version that served the window.
	Profile *drift.Profile
	// Current is the window's data: logged predictions (FromLog) or a file.
	Current *dataset.Frame
	// WindowEnd names the report.
	WindowEnd time.Time
	// Labels, when the Monitor has a performance test, are the delayed labels:
	// a request_id column and a label column (the dataset's target, or "label").
	Labels *dataset.Frame
	Target string
	// Baseline is the version's evaluation metric the performance test
	// compares with.
	Baseline map[string]float64
	// Deployment and Version say what served the window; WindowStart is
	// where it began. They are recorded in the report.
	Deployment  string
	Version     int
	WindowStart time.Time
	// SaveRows, when set, keeps the window's labelled rows for retraining
	// once the window drifted: it is given them as CSV (the reference's
	// features and the target) and returns the stored artifact's digest.
	SaveRows func(csv []byte) (digest string, err error)
}

// Record is a drift report as records/drift/<monitor>/<stamp>.json holds it:
// what served the window, the verdict, the drift report's fields, the
// performance test, and the labelled rows kept for retraining.
type Record struct {
	Monitor     string `json:"monitor"`
	Deployment  string `json:"deployment,omitempty"`
	Version     int    `json:"version,omitempty"`
	WindowStart string `json:"windowStart,omitempty"`
	WindowEnd   string `json:"windowEnd"`
	Drift       bool   `json:"drift"`
	Summary     string `json:"summary"`
	*drift.Report
	Performance *Performance        `json:"performance,omitempty"`
	Retrain     *records.WindowData `json:"retrain,omitempty"`
}

// Performance is the result of the performance (delayed labels) test.
type Performance struct {
	Metric   string  `json:"metric"`
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	Drop     float64 `json:"drop"`
	MaxDrop  float64 `json:"maxDrop"`
	Rows     int     `json:"rows"`
	Drift    bool    `json:"drift"`
	Note     string  `json:"note,omitempty"`
}

// Result is a drift report and its files.
type Result struct {
	Monitor     string        `json:"monitor"`
	WindowEnd   string        `json:"windowEnd"`
	Report      *drift.Report `json:"report"`
	Performance *Performance  `json:"performance,omitempty"`
	Drift       bool          `json:"drift"`
	Summary     string        `json:"summary"`
	// Retrain is the window's labelled rows, kept when the window drifted
	// and Request.SaveRows was set.
	Retrain *records.WindowData `json:"retrain,omitempty"`
	Files   map[string][]byte   `json:"-"`
}

// Stamp is how a window end names report files: sortable and path-safe.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15-04-05Z") }

// Run compares the window with the reference and renders the report as the
// files of records/drift/<monitor>/: <stamp>.json, <stamp>.md and the plots
// <stamp>-*.svg beside them.
func Run(req Request) (*Result, error) {
	if req.Monitor == nil || req.Profile == nil || req.Current == nil {
		return nil, fmt.Errorf("monitor: missing monitor, profile or current window")
	}
	cfg := drift.ConfigFromMonitor(req.Monitor.Spec)
	// Compare only the features the reference has; the log also holds ids,
	// times and outputs.
	for _, f := range req.Profile.Features {
		cfg.Features = append(cfg.Features, f.Name)
	}
	rep, err := drift.Compare(req.Profile, req.Current, cfg)
	if err != nil {
		return nil, fmt.Errorf("monitor %s: %w", req.Monitor.Metadata.Name, err)
	}
	res := &Result{Monitor: req.Monitor.Metadata.Name, WindowEnd: req.WindowEnd.UTC().Format(time.RFC3339), Report: rep}
	if req.Current.Rows == 0 {
		rep.Notes = append(rep.Notes, "the window is empty: no traffic was logged in it, so nothing can have drifted")
	}
	res.Drift = rep.Drifted > 0 || rep.Prediction != nil && rep.Prediction.Drift
	if pt := req.Monitor.Spec.Performance; pt != nil && req.Labels != nil {
		res.Performance = performance(pt, req)
		if res.Performance.Drift {
			res.Drift = true
		}
	}
	// Keep the labelled rows when the window drifted, or when the metric
	// fell at all: an Experiment's onPerformanceDrop may ask for less than
	// the Monitor's maxDrop.
	if req.SaveRows != nil && (res.Drift || res.Performance != nil && res.Performance.Rows > 0 && res.Performance.Drop > 0) {
		if err := keepRows(req, res); err != nil {
			return nil, fmt.Errorf("monitor %s: keep the window's labelled rows: %w", req.Monitor.Metadata.Name, err)
		}
	}
	res.Summary = summary(res)

	stamp := Stamp(req.WindowEnd)
	images := map[string]string{}
	files, err := render.Files(rep, render.MarkdownOptions{Title: fmt.Sprintf("Drift: %s, window ending %s", res.Monitor, res.WindowEnd)})
	if err != nil {
		return nil, err
	}
	res.Files = map[string][]byte{}
	for name, data := range files {
		switch name {
		case "report.json", "report.md":
		default:
			images[name] = stamp + "-" + name
			res.Files[stamp+"-"+name] = data
		}
	}
	// Render the Markdown again with the images under their record names.
	md, err := render.Files(rep, render.MarkdownOptions{Title: fmt.Sprintf("Drift: %s, window ending %s", res.Monitor, res.WindowEnd), Images: renamed(images)})
	if err != nil {
		return nil, err
	}
	var perf string
	if p := res.Performance; p != nil {
		perf = fmt.Sprintf("\n## Performance\n\n%s on %d labelled rows: %.4f against %.4f at registration (drop %.4f, at most %.4f allowed): %s\n",
			p.Metric, p.Rows, p.Current, p.Baseline, p.Drop, p.MaxDrop, map[bool]string{true: "**drift**", false: "ok"}[p.Drift])
		if p.Note != "" {
			perf += "\n" + p.Note + "\n"
		}
	}
	if w := res.Retrain; w != nil {
		perf += fmt.Sprintf("\n## Retraining data\n\n%d labelled rows of this window kept as %s for the experiments that retrain on drift.\n", w.Rows, w.Artifact)
	}
	res.Files[stamp+".md"] = append(md["report.md"], perf...)
	rec := Record{Monitor: res.Monitor, Deployment: req.Deployment, Version: req.Version, WindowEnd: res.WindowEnd,
		Drift: res.Drift, Summary: res.Summary, Report: rep, Performance: res.Performance, Retrain: res.Retrain}
	if !req.WindowStart.IsZero() {
		rec.WindowStart = req.WindowStart.UTC().Format(time.RFC3339)
	}
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal drift report: %w", err)
	}
	res.Files[stamp+".json"] = append(js, '\n')
	return res, nil
}

// UnmarshalRecord reads a drift report's record.
func UnmarshalRecord(data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("drift report: %w", err)
	}
	return &r, nil
}

// renamed maps render's plot keys to the record file names: the statistic plot
// under its key, each histogram under its feature.
func renamed(images map[string]string) map[string]string {
	out := map[string]string{}
	for name, rec := range images {
		switch {
		case name == "statistic.svg":
			out[render.StatisticPlot] = rec
		case strings.HasPrefix(name, "hist-"):
			feature := strings.TrimSuffix(strings.TrimPrefix(name, "hist-"), ".svg")
			out[feature] = rec
		}
	}
	return out
}

func summary(r *Result) string {
	var parts []string
	if n := r.Report.Drifted; n > 0 {
		var names []string
		for _, f := range r.Report.Features {
			if f.Drift {
				names = append(names, f.Name)
			}
		}
		parts = append(parts, fmt.Sprintf("%d of %d features drifted (%s)", n, len(r.Report.Features), strings.Join(names, ", ")))
	} else {
		parts = append(parts, fmt.Sprintf("no feature drifted (%d compared on %d rows)", len(r.Report.Features), r.Report.Current.Rows))
	}
	if p := r.Report.Prediction; p != nil {
		parts = append(parts, fmt.Sprintf("prediction %s %s %.4g", p.Test, map[bool]string{true: "drifted:", false: "ok:"}[p.Drift], p.Statistic()))
	}
	if p := r.Performance; p != nil && p.Drift {
		parts = append(parts, fmt.Sprintf("%s fell by %.4f", p.Metric, p.Drop))
	}
	return strings.Join(parts, "; ")
}

// performance joins delayed labels to the logged predictions by request id and
// scores the window with the test's metric.
func performance(pt *spec.PerformanceTest, req Request) *Performance {
	p := &Performance{Metric: pt.Metric, MaxDrop: pt.MaxDrop, Baseline: math.NaN()}
	if v, ok := req.Baseline[pt.Metric]; ok {
		p.Baseline = v
	}
	j := joinLabels(req.Current, req.Labels, req.Target)
	pred := req.Current.Col(PredictionColumn)
	if j == nil || pred == nil || pred.Type != dataset.Number {
		p.Note = "performance not computed: the labels need request_id and label (or the target) columns, and the log a numeric prediction"
		return p
	}
	var y, score []float64
	for k, i := range j.rows {
		v, ok := labelValue(j.label, j.from[k])
		if ok && !math.IsNaN(pred.Floats[i]) {
			y = append(y, v)
			score = append(score, pred.Floats[i])
		}
	}
	p.Rows = len(y)
	if p.Rows == 0 {
		p.Note = "performance not computed: no logged prediction has a label yet"
		return p
	}
	var m eval.Metrics
	switch req.Task {
	case spec.TaskRegression:
		m, _ = eval.Regression(y, score)
	default:
		pos := make([]bool, len(y))
		for i, v := range y {
			pos[i] = v == 1
		}
		m, _ = eval.Binary(pos, score)
	}
	cur2, ok := m[pt.Metric]
	if !ok || math.IsNaN(p.Baseline) {
		p.Note = fmt.Sprintf("performance not computed: %s is undefined on the window or has no baseline", pt.Metric)
		return p
	}
	p.Current = cur2
	p.Drop = p.Baseline - cur2
	if eval.LowerIsBetter(pt.Metric) {
		p.Drop = -p.Drop
	}
	p.Drift = p.Drop > pt.MaxDrop
	return p
}

// join pairs the window's rows with their delayed labels: rows[k] of the
// window has the label in row from[k] of label.
type join struct {
	label     *dataset.Column
	rows      []int
	from      []int
	labelName string
}

// joinLabels joins delayed labels to the window by request_id, and by row
// within the request when both sides have a row column (batched requests).
// The label column is the target's name, else "label". It returns nil when
// either side lacks the columns.
func joinLabels(cur, labels *dataset.Frame, target string) *join {
	if cur == nil || labels == nil {
		return nil
	}
	ids, curIDs := labels.Col("request_id"), cur.Col("request_id")
	j := &join{label: labels.Col(target), labelName: target}
	if j.label == nil || target == "" {
		j.label, j.labelName = labels.Col("label"), "label"
	}
	if ids == nil || curIDs == nil || j.label == nil {
		return nil
	}
	lrow, crow := labels.Col("row"), cur.Col("row")
	if lrow == nil || crow == nil {
		lrow, crow = nil, nil
	}
	key := func(id *dataset.Column, row *dataset.Column, i int) string {
		if row == nil {
			return id.Value(i)
		}
		return id.Value(i) + "\x00" + row.Value(i)
	}
	index := make(map[string]int, labels.Rows)
	for i := 0; i < labels.Rows; i++ {
		if !ids.IsNull(i) && !j.label.IsNull(i) {
			index[key(ids, lrow, i)] = i
		}
	}
	for i := 0; i < cur.Rows; i++ {
		if k, ok := index[key(curIDs, crow, i)]; ok {
			j.rows = append(j.rows, i)
			j.from = append(j.from, k)
		}
	}
	return j
}

// keepRows stores the window's labelled rows through req.SaveRows: the
// reference's features from the log and the label under the target's name.
// A Monitor reading a data file that holds the target keeps its labelled
// rows directly.
func keepRows(req Request, res *Result) error {
	target := req.Target
	if target == "" {
		target = "label"
	}
	var features []string
	for _, f := range req.Profile.Features {
		features = append(features, f.Name)
	}
	var rows, from []int
	var label *dataset.Column
	if j := joinLabels(req.Current, req.Labels, target); j != nil {
		rows, from, label = j.rows, j.from, j.label
	} else if c := req.Current.Col(target); c != nil && req.Labels == nil {
		label = c
		for i := 0; i < req.Current.Rows; i++ {
			if !c.IsNull(i) {
				rows = append(rows, i)
				from = append(from, i)
			}
		}
	}
	if len(rows) == 0 {
		res.Report.Notes = append(res.Report.Notes, "no logged prediction of the window has a label yet: there are no new rows to retrain on")
		return nil
	}
	// The features the window has; one it lacks (a model that does not read
	// it) is left out, and is null in those rows when they are trained on.
	var have, missing []string
	for _, f := range features {
		if req.Current.Col(f) != nil {
			have = append(have, f)
		} else {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		res.Report.Notes = append(res.Report.Notes, fmt.Sprintf("the rows kept for retraining have no %s (not in the window)", strings.Join(missing, ", ")))
	}
	fr, err := req.Current.Select(have...)
	if err != nil {
		return err
	}
	out := fr.Take(rows)
	values := make([]string, len(from))
	for k, i := range from {
		values[k] = label.Value(i)
	}
	out.Columns = append(out.Columns, dataset.CategoryOf(target, values))
	var buf bytes.Buffer
	if err := dataset.WriteCSV(&buf, out); err != nil {
		return err
	}
	digest, err := req.SaveRows(buf.Bytes())
	if err != nil {
		return err
	}
	res.Retrain = &records.WindowData{Monitor: req.Monitor.Metadata.Name, WindowEnd: res.WindowEnd, Artifact: digest, Rows: out.Rows}
	return nil
}

func labelValue(c *dataset.Column, i int) (float64, bool) {
	if c.Type == dataset.Number {
		return c.Floats[i], !math.IsNaN(c.Floats[i])
	}
	switch strings.ToLower(c.Value(i)) {
	case "1", "true", "yes":
		return 1, true
	case "0", "false", "no":
		return 0, true
	}
	return 0, false
}

// RecordPaths returns the record paths of a result's files under the records
// folder: records/drift/<monitor>/<file>.
func RecordPaths(recordsDir string, r *Result) map[string][]byte {
	out := make(map[string][]byte, len(r.Files))
	for name, data := range r.Files {
		out[path.Join(recordsDir, "drift", r.Monitor, name)] = data
	}
	return out
}
