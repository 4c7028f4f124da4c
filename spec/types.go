package spec

import "time"

// APIVersion is the apiVersion of every ferry document. YAML documents with any
// other apiVersion are not ferry's and are skipped by Load.
const APIVersion = "ferry.dev/v1"

// Kind names one of the six document kinds.
type Kind string

const (
	KindProject    Kind = "Project"
	KindDataset    Kind = "Dataset"
	KindModel      Kind = "Model"
	KindExperiment Kind = "Experiment"
	KindDeployment Kind = "Deployment"
	KindMonitor    Kind = "Monitor"
)

// Kinds lists every kind in the order documentation and schemas present them.
var Kinds = []Kind{KindProject, KindDataset, KindModel, KindExperiment, KindDeployment, KindMonitor}

// Metadata is the part of the envelope shared by every kind.
type Metadata struct {
	Name   string            `yaml:"name" json:"name"`
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
}

// Source is where a document was read from: a slash-separated path relative to the
// root of the tree given to Load, and the position of the document's first line.
type Source struct {
	File   string `yaml:"-" json:"file"`
	Line   int    `yaml:"-" json:"line"`
	Column int    `yaml:"-" json:"column"`
}

// Project is ferry.yaml: where artifacts, predictions and records live, how results go
// back to git, and the default serving runtime. A tree has exactly one.
type Project struct {
	Metadata Metadata    `yaml:"metadata" json:"metadata"`
	Spec     ProjectSpec `yaml:"spec" json:"spec"`
	Source   Source      `yaml:"-" json:"-"`
}

type ProjectSpec struct {
	// Artifacts is a gocloud.dev/blob URL: file://, s3://, gs:// or mem://.
	// Relative file:// paths are relative to the repository root.
	Artifacts string `yaml:"artifacts,omitempty" json:"artifacts,omitempty"`
	// Predictions is the prediction log: sqlite://PATH or postgres://...
	Predictions string `yaml:"predictions,omitempty" json:"predictions,omitempty"`
	// Records is the folder ferry writes its records into.
	Records string      `yaml:"records,omitempty" json:"records,omitempty"`
	Git     GitSpec     `yaml:"git,omitempty" json:"git,omitempty"`
	GitHub  GitHubSpec  `yaml:"github,omitempty" json:"github,omitempty"`
	Runtime RuntimeSpec `yaml:"runtime,omitempty" json:"runtime,omitempty"`
}

// CommitMode says how records go back to git.
type CommitMode string

const (
	CommitPullRequest CommitMode = "pull-request"
	CommitDirect      CommitMode = "direct"
)

type GitSpec struct {
	Remote string     `yaml:"remote,omitempty" json:"remote,omitempty"`
	Base   string     `yaml:"base,omitempty" json:"base,omitempty"`
	Commit CommitMode `yaml:"commit,omitempty" json:"commit,omitempty"`
	// Author of ferry's commits, "Name <email>".
	Author string `yaml:"author,omitempty" json:"author,omitempty"`
}

type GitHubSpec struct {
	// Repository is "owner/name".
	Repository string `yaml:"repository,omitempty" json:"repository,omitempty"`
}

// RuntimeKind names a serving runtime.
type RuntimeKind string

const (
	RuntimeLocal  RuntimeKind = "local"
	RuntimeKServe RuntimeKind = "kserve"
)

type RuntimeSpec struct {
	Kind RuntimeKind `yaml:"kind,omitempty" json:"kind,omitempty"`
	// URL of the local runtime (ferry serve), e.g. http://127.0.0.1:8080.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// TokenEnv names the environment variable holding the admin API's bearer token.
	TokenEnv string `yaml:"tokenEnv,omitempty" json:"tokenEnv,omitempty"`
	// Namespace for kind: kserve.
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
}

// Dataset describes a table: where it is, its label and features with their
// constraints, and how it splits into train and eval.
type Dataset struct {
	Metadata Metadata    `yaml:"metadata" json:"metadata"`
	Spec     DatasetSpec `yaml:"spec" json:"spec"`
	Source   Source      `yaml:"-" json:"-"`
}

// Format is a dataset file format.
type Format string

const (
	FormatCSV     Format = "csv"
	FormatParquet Format = "parquet"
	FormatJSONL   Format = "jsonl"
)

type DatasetSpec struct {
	// Source is a path relative to the repository root, or a URL: s3://, gs://,
	// file:// or http(s)://, fetched into .ferry/cache/datasets.
	Source string `yaml:"source" json:"source"`
	// Format defaults from Source's extension.
	Format Format `yaml:"format,omitempty" json:"format,omitempty"`
	// Digest pins the source bytes ("sha256:<hex>"); a mismatch is an error.
	Digest   string    `yaml:"digest,omitempty" json:"digest,omitempty"`
	Target   string    `yaml:"target,omitempty" json:"target,omitempty"`
	Time     string    `yaml:"time,omitempty" json:"time,omitempty"`
	Features []Feature `yaml:"features,omitempty" json:"features,omitempty"`
	Split    Split     `yaml:"split,omitempty" json:"split,omitempty"`
}

// FeatureType is a feature column's type.
type FeatureType string

const (
	TypeNumber   FeatureType = "number"
	TypeInteger  FeatureType = "integer"
	TypeCategory FeatureType = "category"
	TypeBoolean  FeatureType = "boolean"
)

type Feature struct {
	Name string      `yaml:"name" json:"name"`
	Type FeatureType `yaml:"type" json:"type"`
	Min  *float64    `yaml:"min,omitempty" json:"min,omitempty"`
	Max  *float64    `yaml:"max,omitempty" json:"max,omitempty"`
	// Values is the allowed set for a category.
	Values []string `yaml:"values,omitempty" json:"values,omitempty"`
	// Nullable defaults to true.
	Nullable *bool `yaml:"nullable,omitempty" json:"nullable,omitempty"`
	// MaxNullShare bounds the share of nulls, in [0, 1].
	MaxNullShare *float64 `yaml:"maxNullShare,omitempty" json:"maxNullShare,omitempty"`
}

// IsNullable reports whether nulls are allowed in the column.
func (f Feature) IsNullable() bool { return f.Nullable == nil || *f.Nullable }

// Split says how a dataset divides into train and eval rows: either a fraction with
// a seed ({eval: 0.2, seed: 42}) or ranges of a column ({column: date, train:
// {before: ...}, eval: {from: ..., before: ...}}).
type Split struct {
	Column string    `yaml:"column,omitempty" json:"column,omitempty"`
	Train  *Range    `yaml:"train,omitempty" json:"train,omitempty"`
	Eval   SplitPart `yaml:"eval,omitempty" json:"eval,omitempty"`
	Seed   int64     `yaml:"seed,omitempty" json:"seed,omitempty"`
}

// SplitPart is the eval part of a split: a fraction of rows, or a range of the split
// column. In YAML it is a number or a mapping.
type SplitPart struct {
	Fraction float64
	Range    *Range
}

// Range is a half-open interval [From, Before) of a column's values. Values are dates
// or timestamps (RFC 3339 or YYYY-MM-DD) for time columns, numbers otherwise.
type Range struct {
	From   string `yaml:"from,omitempty" json:"from,omitempty"`
	Before string `yaml:"before,omitempty" json:"before,omitempty"`
}

// Model is what gets registered and promoted: its task, primary metric, segments for
// sliced metrics, and the evaluation gate every version must pass.
type Model struct {
	Metadata Metadata  `yaml:"metadata" json:"metadata"`
	Spec     ModelSpec `yaml:"spec" json:"spec"`
	Source   Source    `yaml:"-" json:"-"`
}

// Task is a model's learning task.
type Task string

const (
	TaskBinary     Task = "binary-classification"
	TaskMulticlass Task = "multiclass-classification"
	TaskRegression Task = "regression"
)

type ModelSpec struct {
	Task     Task     `yaml:"task" json:"task"`
	Dataset  string   `yaml:"dataset,omitempty" json:"dataset,omitempty"`
	Metric   string   `yaml:"metric,omitempty" json:"metric,omitempty"`
	Segments []string `yaml:"segments,omitempty" json:"segments,omitempty"`
	Gate     Gate     `yaml:"gate,omitempty" json:"gate,omitempty"`
}

// Gate is the Model's evaluation gate. It is input.params in the gate's Rego input.
type Gate struct {
	// Min are floors on candidate metrics, e.g. {auc: 0.65}.
	Min map[string]float64 `yaml:"min,omitempty" json:"min,omitempty"`
	// Max are ceilings, e.g. {latencyP99Ms: 5, memoryMB: 256}.
	Max map[string]float64 `yaml:"max,omitempty" json:"max,omitempty"`
	// Tolerance is the allowed drop of a metric against the production version.
	Tolerance map[string]float64 `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
	// EdgeCases is a file of rows with expected outputs that every version must match.
	EdgeCases string `yaml:"edgeCases,omitempty" json:"edgeCases,omitempty"`
	// Policies are extra Rego files or folders.
	Policies []string `yaml:"policies,omitempty" json:"policies,omitempty"`
}

// Experiment trains a Model on a Dataset with a trainer, and says when to retrain.
type Experiment struct {
	Metadata Metadata       `yaml:"metadata" json:"metadata"`
	Spec     ExperimentSpec `yaml:"spec" json:"spec"`
	Source   Source         `yaml:"-" json:"-"`
}

type ExperimentSpec struct {
	Model string `yaml:"model" json:"model"`
	// Dataset defaults to the Model's.
	Dataset  string   `yaml:"dataset,omitempty" json:"dataset,omitempty"`
	Trainer  Trainer  `yaml:"trainer" json:"trainer"`
	Seed     int64    `yaml:"seed,omitempty" json:"seed,omitempty"`
	Triggers Triggers `yaml:"triggers,omitempty" json:"triggers,omitempty"`
}

// Builtin trainer names.
const (
	TrainerLogisticRegression = "logistic-regression"
	TrainerLinearRegression   = "linear-regression"
	TrainerGradientBoosting   = "gradient-boosting"
)

// Trainer is either a builtin algorithm with parameters or an exec command.
type Trainer struct {
	Builtin string         `yaml:"builtin,omitempty" json:"builtin,omitempty"`
	Params  map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
	Exec    *ExecTrainer   `yaml:"exec,omitempty" json:"exec,omitempty"`
}

// ExecTrainer runs any program under the exec contract (see runners/exec).
type ExecTrainer struct {
	Command []string `yaml:"command" json:"command"`
	// Dir is the working directory, relative to the repository root. Its contents are
	// the trainer's code: a change in it is a code change that triggers retraining.
	Dir     string   `yaml:"dir,omitempty" json:"dir,omitempty"`
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Env lists environment variables passed through from ferry's environment.
	Env []string `yaml:"env,omitempty" json:"env,omitempty"`
}

type Triggers struct {
	// Schedule is a five-field cron expression.
	Schedule          string           `yaml:"schedule,omitempty" json:"schedule,omitempty"`
	NewData           *NewDataTrigger  `yaml:"newData,omitempty" json:"newData,omitempty"`
	OnDrift           []string         `yaml:"onDrift,omitempty" json:"onDrift,omitempty"`
	OnPerformanceDrop *PerformanceDrop `yaml:"onPerformanceDrop,omitempty" json:"onPerformanceDrop,omitempty"`
}

type NewDataTrigger struct {
	MinRows int `yaml:"minRows" json:"minRows"`
}

type PerformanceDrop struct {
	Metric string  `yaml:"metric" json:"metric"`
	Drop   float64 `yaml:"drop" json:"drop"`
}

// Deployment serves a Model version in an environment with a rollout strategy.
type Deployment struct {
	Metadata Metadata       `yaml:"metadata" json:"metadata"`
	Spec     DeploymentSpec `yaml:"spec" json:"spec"`
	Source   Source         `yaml:"-" json:"-"`
}

type DeploymentSpec struct {
	Model string `yaml:"model" json:"model"`
	// Version is a version number or "latest" (the newest version that passed the gate).
	Version     VersionRef `yaml:"version,omitempty" json:"version,omitempty"`
	Environment string     `yaml:"environment,omitempty" json:"environment,omitempty"`
	// Runtime defaults to the project's runtime kind.
	Runtime  RuntimeKind `yaml:"runtime,omitempty" json:"runtime,omitempty"`
	Strategy Strategy    `yaml:"strategy,omitempty" json:"strategy,omitempty"`
	Logging  Logging     `yaml:"logging,omitempty" json:"logging,omitempty"`
}

// VersionRef is "latest" or a version number. In YAML it is a scalar.
type VersionRef struct {
	Latest bool
	Number int
}

// StrategyType is a rollout strategy.
type StrategyType string

const (
	StrategyDirect StrategyType = "direct"
	StrategyCanary StrategyType = "canary"
)

type Strategy struct {
	Type StrategyType `yaml:"type,omitempty" json:"type,omitempty"`
	// Steps are canary traffic percentages, ascending, ending at 100.
	Steps    []int    `yaml:"steps,omitempty" json:"steps,omitempty"`
	Interval Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	Analysis Analysis `yaml:"analysis,omitempty" json:"analysis,omitempty"`
}

type Analysis struct {
	MinRequests      int      `yaml:"minRequests,omitempty" json:"minRequests,omitempty"`
	MaxErrorRate     *float64 `yaml:"maxErrorRate,omitempty" json:"maxErrorRate,omitempty"`
	MaxLatencyP99Ms  *float64 `yaml:"maxLatencyP99Ms,omitempty" json:"maxLatencyP99Ms,omitempty"`
	MaxPredictionPSI *float64 `yaml:"maxPredictionPSI,omitempty" json:"maxPredictionPSI,omitempty"`
}

type Logging struct {
	// Sample is the share of predictions logged, in [0, 1]; default 1.
	Sample *float64 `yaml:"sample,omitempty" json:"sample,omitempty"`
}

// SampleRate returns the logging sample rate with its default applied.
func (l Logging) SampleRate() float64 {
	if l.Sample == nil {
		return 1
	}
	return *l.Sample
}

// Monitor watches a Deployment's traffic for data, prediction and concept drift.
type Monitor struct {
	Metadata Metadata    `yaml:"metadata" json:"metadata"`
	Spec     MonitorSpec `yaml:"spec" json:"spec"`
	Source   Source      `yaml:"-" json:"-"`
}

type MonitorSpec struct {
	Deployment string   `yaml:"deployment" json:"deployment"`
	Window     Duration `yaml:"window,omitempty" json:"window,omitempty"`
	Schedule   string   `yaml:"schedule,omitempty" json:"schedule,omitempty"`
	// Data is an optional dataset file used as the current window instead of the
	// prediction log.
	Data        string           `yaml:"data,omitempty" json:"data,omitempty"`
	Features    FeatureTests     `yaml:"features,omitempty" json:"features,omitempty"`
	Prediction  *DriftTest       `yaml:"prediction,omitempty" json:"prediction,omitempty"`
	Performance *PerformanceTest `yaml:"performance,omitempty" json:"performance,omitempty"`
	OnDrift     []DriftAction    `yaml:"onDrift,omitempty" json:"onDrift,omitempty"`
}

type FeatureTests struct {
	Default   DriftTest            `yaml:"default,omitempty" json:"default,omitempty"`
	Overrides map[string]DriftTest `yaml:"overrides,omitempty" json:"overrides,omitempty"`
}

// Drift test names.
const (
	TestPSI         = "psi"
	TestKS          = "ks"
	TestJS          = "js"
	TestWasserstein = "wasserstein"
	TestChi2        = "chi2"
)

// DriftTest is a statistical test with its threshold: a statistic threshold for psi,
// js and wasserstein, a p-value for ks and chi2.
type DriftTest struct {
	Test      string   `yaml:"test,omitempty" json:"test,omitempty"`
	Threshold *float64 `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	PValue    *float64 `yaml:"pValue,omitempty" json:"pValue,omitempty"`
}

type PerformanceTest struct {
	Labels  string  `yaml:"labels" json:"labels"`
	Metric  string  `yaml:"metric" json:"metric"`
	MaxDrop float64 `yaml:"maxDrop" json:"maxDrop"`
}

// DriftAction is what a Monitor does when it finds drift.
type DriftAction string

const (
	OnDriftReport  DriftAction = "report"
	OnDriftRetrain DriftAction = "retrain"
	OnDriftAlert   DriftAction = "alert"
)

// Duration is a time.Duration written as "90s", "30m", "168h" or "7d".
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Set is every ferry document of a tree, each kind sorted by name.
type Set struct {
	Project     *Project
	Datasets    []*Dataset
	Models      []*Model
	Experiments []*Experiment
	Deployments []*Deployment
	Monitors    []*Monitor

	// pos holds the field positions of every loaded object (see Pos).
	pos map[any]*fieldPos
}

// Dataset returns the dataset called name, or nil.
func (s *Set) Dataset(name string) *Dataset {
	for _, d := range s.Datasets {
		if d.Metadata.Name == name {
			return d
		}
	}
	return nil
}

// Model returns the model called name, or nil.
func (s *Set) Model(name string) *Model {
	for _, m := range s.Models {
		if m.Metadata.Name == name {
			return m
		}
	}
	return nil
}

// Experiment returns the experiment called name, or nil.
func (s *Set) Experiment(name string) *Experiment {
	for _, e := range s.Experiments {
		if e.Metadata.Name == name {
			return e
		}
	}
	return nil
}

// Deployment returns the deployment called name, or nil.
func (s *Set) Deployment(name string) *Deployment {
	for _, d := range s.Deployments {
		if d.Metadata.Name == name {
			return d
		}
	}
	return nil
}

// Monitor returns the monitor called name, or nil.
func (s *Set) Monitor(name string) *Monitor {
	for _, m := range s.Monitors {
		if m.Metadata.Name == name {
			return m
		}
	}
	return nil
}
