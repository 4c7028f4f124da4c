package reconcile

import (
	"time"

	"github.com/ferryml/ferry/reconcile/records"
)

// Observed is everything that exists: the records at a revision, what the
// runtime serves, the current datasets and trainer code. Observe builds it;
// fixtures write it as JSON.
type Observed struct {
	// Commit is the spec revision ("" for a worktree); RecordsCommit is where
	// the records were read.
	Commit        string    `json:"commit,omitempty"`
	RecordsCommit string    `json:"recordsCommit,omitempty"`
	Now           time.Time `json:"now"`
	// TrainerVersion is the version of the builtin trainers; a change retrains.
	TrainerVersion string       `json:"trainerVersion"`
	Records        *records.Set `json:"records"`
	// Live is what the runtime reports per deployment. A deployment missing
	// from the map was not observed (no runtime, or unreachable), and plans
	// fall back on its record.
	Live map[string]*Live `json:"live,omitempty"`
	// Datasets are the current digests and row counts, by dataset name.
	Datasets map[string]DatasetState `json:"datasets"`
	// Code maps an exec trainer's folder to its git tree hash.
	Code map[string]string `json:"code,omitempty"`
	// Policies is the digest of each Model's gate policy files (empty for a
	// Model without any): a change re-gates its unregistered runs.
	Policies map[string]string `json:"policies,omitempty"`
	// Drift is the window end of each Monitor's newest drift report; a
	// Monitor without one is missing.
	Drift map[string]time.Time `json:"drift,omitempty"`
	// DriftReports is each Monitor's newest drift report: a drifted window
	// retrains the Experiments that ask for it.
	DriftReports map[string]*DriftReport `json:"driftReports,omitempty"`
	// Notes are observation problems that do not stop a plan.
	Notes []Note `json:"notes,omitempty"`
}

// DatasetState is a dataset as it is now.
type DatasetState struct {
	Digest string `json:"digest"`
	// Rows is -1 when not counted (only the new-data trigger needs it).
	Rows  int    `json:"rows"`
	Error string `json:"error,omitempty"`
}

// Live is what a runtime serves for one deployment, with traffic statistics
// per version for canary analysis.
type Live struct {
	Model      string        `json:"model,omitempty"`
	Versions   []LiveVersion `json:"versions"`
	SampleRate float64       `json:"sampleRate"`
}

// LiveVersion is one serving version and its traffic.
type LiveVersion struct {
	Version      int     `json:"version"`
	Artifact     string  `json:"artifact,omitempty"`
	Weight       int     `json:"weight"`
	Requests     int64   `json:"requests,omitempty"`
	Errors       int64   `json:"errors,omitempty"`
	LatencyP99Ms float64 `json:"latencyP99Ms,omitempty"`
	// PredictionPSI is a canary's prediction PSI against its baseline's on
	// the traffic since its step began, when a Deployment's analysis asks
	// for maxPredictionPSI and the prediction log could tell.
	PredictionPSI *float64 `json:"predictionPSI,omitempty"`
}

// Records returns the live versions as record entries.
func (l *Live) Records() []records.LiveVersion {
	out := make([]records.LiveVersion, 0, len(l.Versions))
	for _, v := range l.Versions {
		out = append(out, records.LiveVersion{Version: v.Version, Artifact: v.Artifact, Weight: v.Weight})
	}
	return sortLive(out)
}

func (l *Live) version(v int) *LiveVersion {
	for i := range l.Versions {
		if l.Versions[i].Version == v {
			return &l.Versions[i]
		}
	}
	return nil
}
