package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/spec"
)

func init() { register(newEvalCmd) }

type evalFlags struct {
	model, data, target, task, edgeCases, positive string
	segments, features                             []string
	asJSON, impute                                 bool
	latencyRuns, threads, top                      int
}

func newEvalCmd(e *env) *cobra.Command {
	var fl evalFlags
	cmd := &cobra.Command{
		Use:   "eval --model M.onnx --data D --target COL",
		Short: "Evaluate an ONNX model on a dataset",
		Long: `Eval runs an ONNX model through onnxruntime over every row of a dataset (CSV,
Parquet or JSONL) and scores its predictions against the target column:

  binary-classification      auc, prAuc, logloss, accuracy, precision, recall, f1, brier
                             (labels predicted at probability >= 0.5)
  multiclass-classification  accuracy, macroF1, logloss
  regression                 rmse, mae, r2, mape

The task comes from --task, else the model's metadata "task", else from its
outputs. With --segment COL the metrics are also given per value of COL (the 20
largest values, the rest as "other"). With --edge-cases F each row of F (model
inputs, an "expected" column, optional "tolerance" and "name" columns) must give
its expected label or value; failures list their 1-based row. The report also
holds the single-row latency (p50/p95/p99, measured in process after a warm-up),
batch throughput and the resident memory added by loading the model.

The model takes either one input per feature column (matched by name) or one
float [N,F] input whose columns are --features, else the model's metadata
"features", else the data's numeric columns without the target, in file order.
Metrics that are undefined on the data (auc with one class present) are left out
and explained in notes.

onnxruntime comes from ONNXRUNTIME_SHARED_LIBRARY_PATH, else from
~/.cache/ferry (install it with: make onnxruntime).

Exit codes: 0 evaluated (edge-case failures included: the gate judges them),
1 error (unreadable or truncated model, columns that do not match the model's
inputs, an empty file, target values the model does not predict).`,
		Example: `  ferry eval --model model.onnx --data data/flights.parquet --target delayed
  ferry eval --model model.onnx --data eval.csv --target delayed --segment origin --json
  ferry eval --model m.onnx --data d.csv --target y --edge-cases data/edge-cases.csv --json | jq .edgeCases`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEval(e, fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.model, "model", "", "ONNX model file (required)")
	f.StringVar(&fl.data, "data", "", "dataset file: .csv, .parquet or .jsonl (required)")
	f.StringVar(&fl.target, "target", "", "label column (required)")
	f.StringVar(&fl.task, "task", "", "binary-classification, multiclass-classification or regression (default: from the model)")
	f.StringArrayVar(&fl.segments, "segment", nil, "column whose values get metrics of their own (repeatable)")
	f.IntVar(&fl.top, "top", eval.DefaultTopSegments, "values per segment column with their own metrics; the rest are \"other\"")
	f.StringVar(&fl.edgeCases, "edge-cases", "", "file of inputs with an expected column (and optional tolerance, name)")
	f.StringVar(&fl.positive, "positive", "", "positive class of a binary classifier (default: the model's second class)")
	f.StringSliceVar(&fl.features, "features", nil, "columns of a single [N,F] model input, in order (default: the model's metadata \"features\")")
	f.BoolVar(&fl.impute, "impute", false, "replace NaN/Inf/null features with column means instead of failing")
	f.IntVar(&fl.latencyRuns, "latency-runs", onnx.DefaultLatencyRuns, "timed single-row inferences; negative skips the latency profile")
	f.IntVar(&fl.threads, "threads", 0, "onnxruntime intra-op threads (0: onnxruntime's default)")
	f.BoolVar(&fl.asJSON, "json", false, "print the report as JSON on stdout")
	for _, name := range []string{"model", "data", "target"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

func runEval(e *env, fl evalFlags) error {
	task := spec.Task(fl.task)
	switch task {
	case "", spec.TaskBinary, spec.TaskMulticlass, spec.TaskRegression:
	default:
		return fmt.Errorf("unknown --task %q (want %s, %s or %s)", fl.task, spec.TaskBinary, spec.TaskMulticlass, spec.TaskRegression)
	}
	if err := onnx.Init(onnx.DefaultLibraryPath(e.getenv)); err != nil {
		return err
	}
	m, err := onnx.LoadFile(fl.model, onnx.Options{IntraOpThreads: fl.threads})
	if err != nil {
		return err
	}
	defer m.Close()

	// Read columns with the types the model's inputs take, so a category that
	// looks numeric still reaches a string input.
	types := inputTypes(m)
	data, err := dataset.ReadFile(fl.data, dataset.ReadOptions{Features: types})
	if err != nil {
		return err
	}
	if data.Rows == 0 {
		return fmt.Errorf("%s: no data rows", fl.data)
	}
	opts := onnx.EvalOptions{
		Target: fl.target, Task: task, Segments: fl.segments, TopSegments: fl.top,
		Positive: fl.positive, Features: fl.features, Impute: fl.impute, LatencyRuns: fl.latencyRuns,
	}
	opts.EdgeCasesPath = fl.edgeCases
	if bar := newProgress(e.stderr, "evaluating"); bar != nil {
		opts.Progress = bar.update
		defer bar.done()
	}
	r, err := onnx.Evaluate(m, data, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", fl.data, err)
	}
	if fl.asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return eval.WriteText(e.stdout, r)
}

// inputTypes are feature types for the columns that per-column model inputs read.
func inputTypes(m *onnx.Model) []spec.Feature {
	var out []spec.Feature
	for _, in := range m.Inputs() {
		switch in.Type {
		case "string":
			out = append(out, spec.Feature{Name: in.Name, Type: spec.TypeCategory})
		case "float", "double", "int64", "int32":
			if len(in.Shape) == 1 || len(in.Shape) == 2 && in.Shape[1] == 1 {
				out = append(out, spec.Feature{Name: in.Name, Type: spec.TypeNumber})
			}
		case "bool":
			out = append(out, spec.Feature{Name: in.Name, Type: spec.TypeBoolean})
		}
	}
	return out
}

// progress draws a bar on a terminal; newProgress returns nil for anything else,
// so pipes and CI logs stay clean.
type progress struct {
	w     io.Writer
	label string
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, label string) *progress {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progress{w: w, label: label}
}

func (p *progress) update(done, total int) {
	if now := time.Now(); done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	} else {
		p.last = now
	}
	const width = 30
	n := width * done / max(total, 1)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d rows", p.label, strings.Repeat("#", n), strings.Repeat(" ", width-n), 100*done/max(total, 1), done, total)
	p.drawn = true
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
