package reconcile

import (
	"context"
	"errors"
	"time"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
)

// Trainer trains one run. Implementations read the dataset, split it and run
// the builtin or exec trainer.
type Trainer interface {
	Train(ctx context.Context, req TrainRequest) (*TrainResult, error)
}

// TrainRequest is one run to train.
type TrainRequest struct {
	Experiment    *spec.Experiment
	Model         *spec.Model
	Dataset       *spec.Dataset
	RunID         string
	DatasetDigest string
	// Window, for a drift- or performance-triggered run, is labelled
	// production traffic to train on besides the dataset.
	Window *records.WindowData
}

// TrainResult is a trained model and what was measured while training.
type TrainResult struct {
	ONNX     []byte
	Metrics  map[string]float64
	Info     map[string]any
	Duration time.Duration
	// Rows of the dataset and of each split.
	Rows, TrainRows, EvalRows int
}

// Evaluator evaluates a trained model on its dataset's eval split.
type Evaluator interface {
	Evaluate(ctx context.Context, req EvalRequest) (*eval.Report, error)
}

// EvalRequest is one model artifact to evaluate.
type EvalRequest struct {
	Experiment *spec.Experiment
	Model      *spec.Model
	Dataset    *spec.Dataset
	ONNX       []byte
	Artifact   string
	// DatasetDigest is the dataset's version to evaluate on ("": the one
	// the model was trained on, from its metadata); Window adds the held-out
	// rows of a drift window.
	DatasetDigest string
	Window        *records.WindowData
}

// Gater decides whether a candidate may be registered.
type Gater interface {
	Decide(ctx context.Context, req GateRequest) (*records.GateRecord, error)
}

// GateRequest is the gate's input: the candidate's and production's reports,
// the model's gate parameters, and the candidate's lineage.
type GateRequest struct {
	Model             *spec.Model
	Candidate         *eval.Report
	Production        *eval.Report
	ProductionVersion int
	Version           int
	Run               *records.Run
}

// StatusReader reports what a runtime serves for a deployment: nil and no
// error when the deployment is not there.
type StatusReader interface {
	Status(ctx context.Context, deployment string) (*Live, error)
}

// Deployer makes a runtime serve a deployment's versions; an empty version
// list removes the deployment.
type Deployer interface {
	Deploy(ctx context.Context, d DeploymentState) error
}

// Runtime is a serving runtime: ferry serve's admin API, or none.
type Runtime interface {
	StatusReader
	Deployer
}

// DeploymentState is what a deployment should serve.
type DeploymentState struct {
	Name       string
	Model      string
	Versions   []records.LiveVersion
	SampleRate float64
}

// ErrNotObserved is returned by a StatusReader that cannot see the runtime
// (none configured, or unreachable). Plans then trust the deployment records.
var ErrNotObserved = errors.New("runtime not observed")

// DatasetProber observes a dataset's current digest and, when rows is true,
// its row count.
type DatasetProber interface {
	Probe(ctx context.Context, ds *spec.Dataset, rows bool) (DatasetState, error)
}

// PredictionComparer measures how far a canary's predictions are from its
// baseline's, as PSI over the baseline's quantile bins, on the traffic both
// answered since Since (from the prediction log).
type PredictionComparer interface {
	PredictionPSI(ctx context.Context, req PredictionPSIRequest) (float64, error)
}

// PredictionPSIRequest is one canary of one deployment.
type PredictionPSIRequest struct {
	Deployment string
	Task       spec.Task
	Baseline   int
	Canary     int
	Since      time.Time
}

// Clock tells the time; tests pin it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC() }

// NoRuntime is the runtime used when none is configured: it observes nothing
// (plans trust the records) and accepts every deployment without serving it.
type NoRuntime struct{}

var _ Runtime = NoRuntime{}

func (NoRuntime) Status(context.Context, string) (*Live, error) { return nil, ErrNotObserved }
func (NoRuntime) Deploy(context.Context, DeploymentState) error { return nil }
