package eval

// Metric names used in reports, gate parameters and policies.
const (
	// binary classification
	AUC       = "auc"
	PRAUC     = "prAuc"
	LogLoss   = "logloss"
	Accuracy  = "accuracy"
	Precision = "precision"
	Recall    = "recall"
	F1        = "f1"
	Brier     = "brier"
	// multiclass classification (also accuracy, logloss)
	MacroF1 = "macroF1"
	// regression
	RMSE = "rmse"
	MAE  = "mae"
	R2   = "r2"
	MAPE = "mape"
	// profile, as gate ceilings (gate.max)
	LatencyP50Ms = "latencyP50Ms"
	LatencyP95Ms = "latencyP95Ms"
	LatencyP99Ms = "latencyP99Ms"
	MemoryMB     = "memoryMB"
)

// Report is an evaluation report: the output of `ferry eval --json`, the candidate and
// production documents of the gate's input, and what the registry stores per version.
type Report struct {
	Rows int    `json:"rows"`
	Task string `json:"task"`
	// Model identifies what was evaluated.
	Model *ModelInfo `json:"model,omitempty"`
	// Metrics over all rows, keyed by the metric names above.
	Metrics map[string]float64 `json:"metrics"`
	// Segments holds metrics per value of a column: segments[column][value].
	Segments  map[string]map[string]Segment `json:"segments,omitempty"`
	EdgeCases *EdgeCases                    `json:"edgeCases,omitempty"`
	Latency   *Latency                      `json:"latency,omitempty"`
	// MemoryMB is the resident memory added by loading the model.
	MemoryMB float64 `json:"memoryMB,omitempty"`
	// Notes are things a reader should know (rows dropped, imputed values, ...).
	Notes []string `json:"notes,omitempty"`
}

// ModelInfo identifies the evaluated model artifact.
type ModelInfo struct {
	Digest string `json:"digest,omitempty"`
	Bytes  int64  `json:"bytes,omitempty"`
}

// Segment is the metrics of the rows whose column has one value.
type Segment struct {
	Rows    int                `json:"rows"`
	Metrics map[string]float64 `json:"metrics"`
}

// EdgeCases is the result of checking rows with expected outputs.
type EdgeCases struct {
	Total    int               `json:"total"`
	Failed   int               `json:"failed"`
	Failures []EdgeCaseFailure `json:"failures"`
}

// EdgeCaseFailure is one edge case whose output was not the expected one.
type EdgeCaseFailure struct {
	// Row is the 1-based data row of the edge-case file (the header is row 0).
	Row       int               `json:"row"`
	Name      string            `json:"name,omitempty"`
	Inputs    map[string]string `json:"inputs,omitempty"`
	Expected  string            `json:"expected"`
	Got       string            `json:"got"`
	Tolerance float64           `json:"tolerance,omitempty"`
	Message   string            `json:"message"`
}

// Latency is the in-process inference latency profile.
type Latency struct {
	P50Ms float64 `json:"p50Ms"`
	P95Ms float64 `json:"p95Ms"`
	P99Ms float64 `json:"p99Ms"`
	// BatchRowsPerSec is the throughput of batched inference.
	BatchRowsPerSec float64 `json:"batchRowsPerSec,omitempty"`
}

// LowerIsBetter reports whether a smaller value of metric is the better one:
// losses, errors and the latency and memory profile. For every other metric
// higher is better.
func LowerIsBetter(metric string) bool {
	switch metric {
	case LogLoss, Brier, RMSE, MAE, MAPE, LatencyP50Ms, LatencyP95Ms, LatencyP99Ms, MemoryMB:
		return true
	}
	return false
}
