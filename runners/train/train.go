package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/internal/version"
	"github.com/ferryml/ferry/runners/train/onnxpb"
	"github.com/ferryml/ferry/spec"
)

// Request is one training job: the experiment (trainer, params, seed), its model
// (task) and dataset (target, features), and the split frames.
type Request struct {
	Experiment *spec.Experiment
	Model      *spec.Model
	Dataset    *spec.Dataset
	Train      *dataset.Frame
	Eval       *dataset.Frame
	// RunID and DatasetDigest go into the ONNX metadata.
	RunID         string
	DatasetDigest string
	Log           *slog.Logger
}

// Result is a trained model as ONNX bytes with what was learned about it.
type Result struct {
	ONNX []byte
	// Metrics are measured on the eval split with the in-memory model (which agrees
	// with the ONNX graph to 1e-6).
	Metrics map[string]float64
	// Info holds trainer facts: iterations, convergence, gradient norm, tree counts,
	// rows used, and the resolved parameters.
	Info     map[string]any
	Duration time.Duration
}

// Trainers lists the builtin trainer names.
var Trainers = []string{spec.TrainerGradientBoosting, spec.TrainerLinearRegression, spec.TrainerLogisticRegression}

// Params returns the parameter names a builtin trainer accepts, sorted, or nil for an
// unknown trainer.
func Params(trainer string) []string {
	defs := paramDefs(trainer)
	if defs == nil {
		return nil
	}
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.name
	}
	sort.Strings(names)
	return names
}

func paramDefs(trainer string) []paramDef {
	switch trainer {
	case spec.TrainerLogisticRegression:
		return logisticParams
	case spec.TrainerLinearRegression:
		return ridgeParams
	case spec.TrainerGradientBoosting:
		return gbtParams
	}
	return nil
}

// CheckParams validates a builtin trainer's parameters without training: unknown
// names (with the known ones listed), wrong types and out-of-range values.
func CheckParams(trainer string, raw map[string]any) error {
	defs := paramDefs(trainer)
	if defs == nil {
		return fmt.Errorf("unknown trainer %q (want %s)", trainer, strings.Join(Trainers, ", "))
	}
	_, err := resolveParams(trainer, defs, raw)
	return err
}

// model is a trained builtin model: it predicts in memory exactly as its ONNX graph
// does under onnxruntime, and exports that graph.
type model interface {
	predict(f *dataset.Frame) (*prediction, error)
	graph() (onnxpb.Graph, error)
}

// prediction is the in-memory model's output: Proba (rows × classes) and Label for
// classifiers, Value for regression. Values are float32 results widened to float64.
type prediction struct {
	Proba [][]float64
	Label []string
	Value []float64
}

// Train fits the experiment's builtin trainer on req.Train, exports it to ONNX with its
// preprocessing inside the graph, and measures it on req.Eval.
func Train(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	log := req.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if req.Experiment == nil || req.Model == nil {
		return nil, errors.New("train: experiment and model are required")
	}
	if req.Train == nil || req.Train.Rows == 0 {
		return nil, errors.New("train: no training rows")
	}
	tr := req.Experiment.Spec.Trainer
	if tr.Builtin == "" {
		return nil, errors.New("train: the experiment has no builtin trainer (exec trainers run through runners/exec)")
	}
	defs := paramDefs(tr.Builtin)
	if defs == nil {
		return nil, fmt.Errorf("unknown trainer %q (want %s)", tr.Builtin, strings.Join(Trainers, ", "))
	}
	p, err := resolveParams(tr.Builtin, defs, tr.Params)
	if err != nil {
		return nil, err
	}
	task := req.Model.Spec.Task
	target := ""
	if req.Dataset != nil {
		target = req.Dataset.Spec.Target
	}
	if target == "" {
		return nil, errors.New("train: the dataset has no target column")
	}
	feats, err := resolveFeatures(req.Train, req.Dataset)
	if err != nil {
		return nil, err
	}
	for _, f := range feats {
		if f.name == "label" || f.name == "probabilities" || f.name == "value" || strings.HasPrefix(f.name, "ferry.") {
			return nil, fmt.Errorf("train: feature %q: the names label, probabilities, value and ferry.* are the graph's own; rename the column", f.name)
		}
	}
	tgt, err := prepareTarget(req.Train, target, task, nil)
	if err != nil {
		return nil, err
	}
	if len(tgt.rows) < 2 {
		return nil, fmt.Errorf("train: %d usable training rows (target %s not null)", len(tgt.rows), target)
	}
	trainRows := req.Train
	if len(tgt.rows) < req.Train.Rows {
		trainRows = req.Train.Take(tgt.rows)
	}
	log.Info("training", "trainer", tr.Builtin, "task", task, "rows", trainRows.Rows, "features", len(feats))

	info := map[string]any{"trainer": tr.Builtin, "rows": trainRows.Rows, "droppedRows": req.Train.Rows - trainRows.Rows}
	paramInfo := map[string]any{}
	for _, d := range defs {
		if d.kind == kindInt {
			paramInfo[d.name] = p.int(d.name)
		} else {
			paramInfo[d.name] = p.f(d.name)
		}
	}
	info["params"] = paramInfo

	var m model
	switch tr.Builtin {
	case spec.TrainerLogisticRegression:
		if task != spec.TaskBinary && task != spec.TaskMulticlass {
			return nil, fmt.Errorf("train: logistic-regression needs a classification task, the model's is %q", task)
		}
		m, err = fitLogistic(ctx, trainRows, feats, tgt, p, info)
	case spec.TrainerLinearRegression:
		if task != spec.TaskRegression {
			return nil, fmt.Errorf("train: linear-regression needs task regression, the model's is %q", task)
		}
		m, err = fitRidge(ctx, trainRows, feats, tgt, p, info)
	case spec.TrainerGradientBoosting:
		m, err = fitGBT(ctx, trainRows, feats, tgt, p, req.Experiment.Spec.Seed, info)
	}
	if err != nil {
		return nil, err
	}
	g, err := m.graph()
	if err != nil {
		return nil, fmt.Errorf("export onnx: %w", err)
	}
	onnxModel := onnxpb.Model{
		IRVersion:       irVersion,
		ProducerName:    "ferry",
		ProducerVersion: version.String(),
		Domain:          "dev.ferry",
		ModelVersion:    1,
		Graph:           g,
		Opsets:          []onnxpb.Opset{{Domain: "", Version: opsetONNX}, {Domain: "ai.onnx.ml", Version: opsetML}},
		Metadata:        metadata(req, feats, target, tgt),
	}
	res := &Result{ONNX: onnxModel.Marshal(), Info: info}
	if req.Eval != nil && req.Eval.Rows > 0 {
		res.Metrics, err = evaluate(m, req.Eval, target, task, tgt.classes)
		if err != nil {
			return nil, fmt.Errorf("evaluate on eval split: %w", err)
		}
	}
	res.Duration = time.Since(start)
	log.Info("trained", "trainer", tr.Builtin, "duration", res.Duration.Round(time.Millisecond), "bytes", len(res.ONNX))
	return res, nil
}

const (
	irVersion = 8
	opsetONNX = 17
	opsetML   = 3
)

func metadata(req Request, feats []feature, target string, tgt *targetData) []onnxpb.KV {
	names := make([]string, len(feats))
	for i, f := range feats {
		names[i] = f.name
	}
	kv := []onnxpb.KV{
		{Key: "classes", Value: listValue(tgt.classes)},
		{Key: "datasetDigest", Value: req.DatasetDigest},
		{Key: "features", Value: listValue(names)},
		{Key: "ferryVersion", Value: version.String()},
		{Key: "producer", Value: "ferry"},
		{Key: "runId", Value: req.RunID},
		{Key: "target", Value: target},
		{Key: "task", Value: string(req.Model.Spec.Task)},
		{Key: "trainer", Value: req.Experiment.Spec.Trainer.Builtin},
	}
	out := kv[:0]
	for _, e := range kv {
		if e.Value != "" {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// listValue writes a metadata list as comma-separated names, or as a JSON array
// when a name would not survive that (a comma, surrounding space, a leading "[").
func listValue(names []string) string {
	for _, n := range names {
		if strings.ContainsRune(n, ',') || strings.TrimSpace(n) != n || strings.HasPrefix(n, "[") || n == "" {
			b, _ := json.Marshal(names)
			return string(b)
		}
	}
	return strings.Join(names, ",")
}

// feature is one raw input column of the model.
type feature struct {
	name     string
	category bool
}

// resolveFeatures picks the model's input columns: the dataset's declared features,
// or else every column but the target and time column. Types come from the frame.
func resolveFeatures(f *dataset.Frame, ds *spec.Dataset) ([]feature, error) {
	var names []string
	if ds != nil && len(ds.Spec.Features) > 0 {
		for _, sf := range ds.Spec.Features {
			names = append(names, sf.Name)
		}
	} else {
		for _, c := range f.Columns {
			if ds != nil && (c.Name == ds.Spec.Target || c.Name == ds.Spec.Time) {
				continue
			}
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("train: no feature columns")
	}
	feats := make([]feature, 0, len(names))
	for _, n := range names {
		c := f.Col(n)
		if c == nil {
			return nil, fmt.Errorf("train: feature column %q is not in the data (columns: %s)", n, strings.Join(f.Names(), ", "))
		}
		feats = append(feats, feature{name: n, category: c.Type == dataset.Category})
	}
	return feats, nil
}

// targetData is the label column prepared for fitting: class indexes (classification)
// or values (regression) of the rows whose label is not null.
type targetData struct {
	rows    []int
	classes []string // sorted; nil for regression
	y       []float64
	unknown int // eval rows whose class the model was not trained on (left out)
}

// prepareTarget reads the target column. For classification the classes are the
// distinct values sorted (numerically for number columns); when classes is given
// (evaluation) labels map onto it and unknown labels are an error.
func prepareTarget(f *dataset.Frame, name string, task spec.Task, classes []string) (*targetData, error) {
	c := f.Col(name)
	if c == nil {
		return nil, fmt.Errorf("target column %q is not in the data", name)
	}
	t := &targetData{}
	if task == spec.TaskRegression {
		if c.Type != dataset.Number {
			return nil, fmt.Errorf("target %q: regression needs a number column, it is a category", name)
		}
		for i, v := range c.Floats {
			if !math.IsNaN(v) {
				t.rows = append(t.rows, i)
				t.y = append(t.y, v)
			}
		}
		return t, nil
	}
	labels := make([]string, f.Rows)
	isNull := make([]bool, f.Rows)
	if c.Type == dataset.Number {
		for i, v := range c.Floats {
			if math.IsNaN(v) {
				isNull[i] = true
				continue
			}
			labels[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	} else {
		for i, k := range c.Codes {
			if k < 0 {
				isNull[i] = true
				continue
			}
			labels[i] = c.Levels[k]
		}
	}
	if classes == nil {
		seen := map[string]bool{}
		for i, l := range labels {
			if !isNull[i] && !seen[l] {
				seen[l] = true
				classes = append(classes, l)
			}
		}
		sortClasses(classes, c.Type == dataset.Number)
		switch {
		case task == spec.TaskBinary && len(classes) != 2:
			return nil, fmt.Errorf("target %q: binary classification needs exactly 2 classes, found %d (%s)", name, len(classes), clip(classes, 10))
		case len(classes) < 2:
			return nil, fmt.Errorf("target %q: classification needs at least 2 classes, found %d", name, len(classes))
		}
	}
	index := make(map[string]int, len(classes))
	for i, cl := range classes {
		index[cl] = i
	}
	t.classes = classes
	for i, l := range labels {
		if isNull[i] {
			continue
		}
		k, ok := index[l]
		if !ok {
			// Only when evaluating: a class the model never saw cannot be scored.
			t.unknown++
			continue
		}
		t.rows = append(t.rows, i)
		t.y = append(t.y, float64(k))
	}
	return t, nil
}

func sortClasses(classes []string, numeric bool) {
	if !numeric {
		sort.Strings(classes)
		return
	}
	sort.Slice(classes, func(i, j int) bool {
		a, _ := strconv.ParseFloat(classes[i], 64)
		b, _ := strconv.ParseFloat(classes[j], 64)
		return a < b
	})
}

func clip(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(", … (%d more)", len(s)-n)
}
