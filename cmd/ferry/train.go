package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/local"
	"github.com/ferryml/ferry/runners/exec"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/runners/train"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store/artifact"
)

func init() { register(newTrainCmd) }

// trainOutput is what `ferry train --json` prints.
type trainOutput struct {
	Run        string             `json:"run"`
	Experiment string             `json:"experiment"`
	Model      string             `json:"model"`
	Trainer    string             `json:"trainer"`
	Dataset    trainDataset       `json:"dataset"`
	Artifact   trainArtifact      `json:"artifact"`
	Metrics    map[string]float64 `json:"metrics"`
	// TrainerMetrics are the trainer's own figures on the eval split (the builtin
	// in-memory model, or an exec trainer's metrics.json).
	TrainerMetrics map[string]float64 `json:"trainerMetrics,omitempty"`
	Info           map[string]any     `json:"info,omitempty"`
	Evaluation     *eval.Report       `json:"evaluation"`
	DurationMs     int64              `json:"durationMs"`
	Log            string             `json:"log,omitempty"`

	onnx []byte
}

type trainDataset struct {
	Name      string `json:"name"`
	Digest    string `json:"digest"`
	Rows      int    `json:"rows"`
	TrainRows int    `json:"trainRows"`
	EvalRows  int    `json:"evalRows"`
}

type trainArtifact struct {
	Digest string `json:"digest"`
	Path   string `json:"path"`
	Bytes  int    `json:"bytes"`
}

func newTrainCmd(e *env) *cobra.Command {
	var (
		dir     string
		asJSON  bool
		noCheck bool
		verbose bool
		outFile string
	)
	cmd := &cobra.Command{
		Use:   "train EXPERIMENT",
		Short: "Train one experiment, evaluate it and store its ONNX artifact",
		Long: `Train runs one Experiment of the project: it reads the dataset (checking it
against the Dataset spec's features and constraints), splits it as the spec
says, trains with the builtin trainer or the exec command, evaluates the ONNX
model on the eval split with onnxruntime, and stores it, content-addressed, in
the project's artifact store (spec.artifacts of ferry.yaml).

The run id is derived from the inputs — the experiment, dataset and model specs,
the dataset's digest and the trainer's version — as 'ferry plan' derives it
for builtin trainers, so the same inputs give the same id and, for builtin
trainers, byte-identical ONNX.

Progress goes to stderr; the result to stdout (JSON with --json). Nothing is
written to git: 'ferry apply' records runs.

Exit codes: 0 trained, 1 error (bad spec, data failing its checks, a trainer
error).`,
		Example: `  ferry train penguin-sex-logreg
  ferry train delay-gbt --json | jq '{run, digest: .artifact.digest, auc: .metrics.auc}'
  ferry train delay-sklearn -C path/to/project -v
  ferry train delay-gbt -o model.onnx && ferry eval --model model.onnx --data data/feb.parquet --target delayed`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			logLevel := slog.LevelWarn
			if verbose {
				logLevel = slog.LevelInfo
			}
			log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: logLevel}))
			out, err := runTrain(cmd.Context(), e, log, trainArgs{dir: dir, experiment: args[0], check: !noCheck})
			if err != nil {
				return err
			}
			if outFile != "" {
				if err := os.WriteFile(outFile, out.onnx, 0o644); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				fmt.Fprintf(e.stderr, "wrote %s\n", outFile)
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			fmt.Fprintf(e.stdout, "run %s: %s on %s (%d train rows, %d eval rows)\n", out.Run, out.Trainer, out.Dataset.Name, out.Dataset.TrainRows, out.Dataset.EvalRows)
			fmt.Fprintf(e.stdout, "artifact %s (%d bytes)\n  %s\n", out.Artifact.Digest, out.Artifact.Bytes, out.Artifact.Path)
			names := make([]string, 0, len(out.Metrics))
			for k := range out.Metrics {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				fmt.Fprintf(e.stdout, "  %-10s %.4f\n", k, out.Metrics[k])
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", "", "the project folder (default: found from the current folder upwards)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable result on stdout")
	cmd.Flags().BoolVar(&noCheck, "no-check", false, "train even when the data fails the Dataset spec's checks")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log what the trainer does on stderr")
	cmd.Flags().StringVarP(&outFile, "out", "o", "", "also write the ONNX model to this file")
	fixFlagUsages(cmd)
	return cmd
}

type trainArgs struct {
	dir        string
	experiment string
	check      bool
}

func runTrain(ctx context.Context, e *env, log *slog.Logger, a trainArgs) (*trainOutput, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	start := time.Now()
	progress := func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }
	root, set, err := loadProject(a.dir)
	if err != nil {
		return nil, err
	}
	exp := set.Experiment(a.experiment)
	if exp == nil {
		var names []string
		for _, x := range set.Experiments {
			names = append(names, x.Metadata.Name)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no experiment %q: the project has no experiments", a.experiment)
		}
		return nil, fmt.Errorf("no experiment %q (have %s)", a.experiment, strings.Join(names, ", "))
	}
	m := set.Model(exp.Spec.Model)
	if m == nil {
		return nil, fmt.Errorf("experiment %s: model %q does not exist", exp.Metadata.Name, exp.Spec.Model)
	}
	dsName := exp.Spec.Dataset
	if dsName == "" {
		dsName = m.Spec.Dataset
	}
	ds := set.Dataset(dsName)
	if ds == nil {
		return nil, fmt.Errorf("experiment %s: dataset %q does not exist", exp.Metadata.Name, dsName)
	}
	tr := exp.Spec.Trainer
	trainerName := tr.Builtin
	if tr.Exec != nil {
		trainerName = "exec " + strings.Join(tr.Exec.Command, " ")
	} else if err := train.CheckParams(tr.Builtin, tr.Params); err != nil {
		return nil, fmt.Errorf("experiment %s: %w", exp.Metadata.Name, err)
	}

	// Data: digest (pinned or not), read, check, split.
	src, digest, err := reconcile.DatasetFile(ctx, root, ds)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", ds.Metadata.Name, err)
	}
	if ds.Spec.Digest != "" && ds.Spec.Digest != digest {
		return nil, fmt.Errorf("dataset %s: %s has digest %s, the spec pins %s", ds.Metadata.Name, ds.Spec.Source, digest, ds.Spec.Digest)
	}
	progress("reading dataset %s (%s)", ds.Metadata.Name, ds.Spec.Source)
	f, err := dataset.ReadFile(src, dataset.ReadOptions{Format: ds.Spec.Format, Features: ds.Spec.Features})
	if err != nil {
		return nil, err
	}
	if a.check {
		if rep := dataset.Check(f, &ds.Spec); !rep.OK() {
			_ = rep.WriteText(e.stderr)
			return nil, fmt.Errorf("dataset %s fails its checks (%d problems; --no-check trains anyway)", ds.Metadata.Name, len(rep.Problems))
		}
	}
	trainF, evalF, err := dataset.Split(f, ds.Spec.Split)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", ds.Metadata.Name, err)
	}
	if evalF.Rows == 0 {
		return nil, fmt.Errorf("dataset %s: the eval split is empty", ds.Metadata.Name)
	}
	runID := trainRunID(exp, ds, m, digest)
	progress("split %d rows: %d train, %d eval; run %s", f.Rows, trainF.Rows, evalF.Rows, runID)

	req := train.Request{Experiment: exp, Model: m, Dataset: ds, Train: trainF, Eval: evalF,
		RunID: runID, DatasetDigest: digest, Log: log.With("experiment", exp.Metadata.Name, "run", runID)}
	progress("training %s", trainerName)
	var res *train.Result
	logPath := ""
	if tr.Exec != nil {
		logPath = filepath.Join(root, ".ferry", "logs", exp.Metadata.Name+"-"+runID+".log")
		if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
			return nil, err
		}
		res, err = exec.Run(ctx, req, exec.Options{Root: root, LogFile: logPath, Getenv: e.getenv, Log: req.Log})
		if logPath != "" {
			progress("trainer log: %s", logPath)
		}
	} else {
		res, err = train.Train(ctx, req)
	}
	if err != nil {
		return nil, fmt.Errorf("train %s: %w", exp.Metadata.Name, err)
	}
	progress("trained in %s", res.Duration.Round(time.Millisecond))

	// Evaluate the artifact itself, as serving will run it.
	if err := onnx.Init(onnx.DefaultLibraryPath(e.getenv)); err != nil {
		return nil, err
	}
	model, err := onnx.Load(res.ONNX, onnx.Options{})
	if err != nil {
		return nil, fmt.Errorf("load the trained model: %w", err)
	}
	defer model.Close()
	opts := onnx.EvalOptions{Target: ds.Spec.Target, Task: m.Spec.Task, Segments: m.Spec.Segments}
	if ec := m.Spec.Gate.EdgeCases; ec != "" {
		ef, err := dataset.ReadFile(filepath.Join(root, filepath.FromSlash(ec)), dataset.ReadOptions{Features: ds.Spec.Features})
		if err != nil {
			return nil, fmt.Errorf("edge cases: %w", err)
		}
		opts.EdgeCases, opts.EdgeCasesName = ef, ec
	}
	progress("evaluating on %d rows", evalF.Rows)
	report, err := onnx.Evaluate(model, evalF, opts)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", exp.Metadata.Name, err)
	}

	store, err := artifact.Open(ctx, set.Project.Spec.Artifacts, root)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	sum, err := store.Put(ctx, res.ONNX)
	if err != nil {
		return nil, fmt.Errorf("store the model: %w", err)
	}
	progress("stored %s", sum)
	return &trainOutput{
		Run: runID, Experiment: exp.Metadata.Name, Model: m.Metadata.Name, Trainer: trainerLabel(tr),
		Dataset:        trainDataset{Name: ds.Metadata.Name, Digest: digest, Rows: f.Rows, TrainRows: trainF.Rows, EvalRows: evalF.Rows},
		Artifact:       trainArtifact{Digest: sum, Path: store.Path(sum), Bytes: len(res.ONNX)},
		Metrics:        report.Metrics,
		TrainerMetrics: res.Metrics,
		Info:           res.Info,
		Evaluation:     report,
		DurationMs:     time.Since(start).Milliseconds(),
		Log:            logPath,
		onnx:           res.ONNX,
	}, nil
}

func trainerLabel(t spec.Trainer) string {
	if t.Exec != nil {
		return "exec"
	}
	return t.Builtin
}

// trainRunID derives a run's id from its inputs as reconcile's planner does (see
// reconcile/hash.go): the first 12 hex digits of the inputs hash over the spec
// hash, the dataset digest, the code tree and the trainer version. Builtin
// trainers have no code tree and version local.BuiltinTrainerVersion, so their
// ids match 'ferry plan'. Exec trainers' code tree is a git tree hash there; here
// it is left empty, so their ids are ferry train's own.
func trainRunID(e *spec.Experiment, ds *spec.Dataset, m *spec.Model, digest string) string {
	es := e.Spec
	es.Triggers = spec.Triggers{}
	sh := hashJSON("spec", es, ds.Spec, m.Spec.Task)
	version := local.BuiltinTrainerVersion
	if e.Spec.Trainer.Exec != nil {
		version = "exec"
	}
	return hashJSON("inputs", sh, digest, "", version)[:12]
}

// hashJSON hashes the canonical JSON of vs (16 hex digits).
func hashJSON(vs ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			panic("train: hash: " + err.Error())
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
