package records

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/ferryml/ferry/eval"
)

// Schema is the version of the record format written by this ferry.
const Schema = 1

// Run is one training run of an Experiment.
type Run struct {
	Schema     int    `json:"schema"`
	ID         string `json:"id"`
	Experiment string `json:"experiment"`
	Model      string `json:"model"`
	// Key is the run's idempotency key: the inputs hash, plus the schedule slot
	// for a scheduled retrain.
	Key string `json:"key"`
	// InputsHash hashes everything that determines the trained model.
	InputsHash string `json:"inputsHash"`
	// SpecHash hashes the experiment and dataset specs alone, so a plan can
	// tell which input changed.
	SpecHash string `json:"specHash"`
	// Trigger says why the run happened.
	Trigger string         `json:"trigger"`
	Trainer Trainer        `json:"trainer"`
	Params  map[string]any `json:"params,omitempty"`
	Seed    int64          `json:"seed"`
	Dataset DatasetRef     `json:"dataset"`
	// Window is the labelled production traffic a drift-triggered run
	// trained on besides the dataset.
	Window *WindowData `json:"window,omitempty"`
	Code   Code        `json:"code"`
	// Artifact is the digest of the trained ONNX model.
	Artifact string `json:"artifact"`
	// Metrics are the trainer's own metrics on the eval split.
	Metrics    map[string]float64 `json:"metrics,omitempty"`
	Info       map[string]any     `json:"info,omitempty"`
	Evaluation *eval.Report       `json:"evaluation,omitempty"`
	Gate       *GateRecord        `json:"gate,omitempty"`
	// Version is the registered version number, 0 when the gate denied it.
	Version  int               `json:"version,omitempty"`
	Timings  Timings           `json:"timings"`
	Versions map[string]string `json:"versions,omitempty"`
}

// Trainer names the trainer of a run and its version.
type Trainer struct {
	Builtin string   `json:"builtin,omitempty"`
	Exec    []string `json:"exec,omitempty"`
	Version string   `json:"version,omitempty"`
}

// String is the builtin name or the exec command.
func (t Trainer) String() string {
	if t.Builtin != "" {
		return t.Builtin
	}
	return strings.Join(t.Exec, " ")
}

// DatasetRef is the data a run trained on.
type DatasetRef struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	// Rows of the whole dataset (-1 when not counted), then of each split.
	Rows      int `json:"rows"`
	TrainRows int `json:"trainRows,omitempty"`
	EvalRows  int `json:"evalRows,omitempty"`
}

// WindowData is the labelled traffic of one drift window, kept for
// retraining: the logged inputs of the window's predictions joined with their
// delayed labels (by request id and row), stored as a CSV artifact whose
// columns are the model's features and the dataset's target. A drift report
// names it; a run trained on it records it.
type WindowData struct {
	Monitor   string `json:"monitor"`
	WindowEnd string `json:"windowEnd"`
	// Artifact is the CSV's digest in the artifact store.
	Artifact string `json:"artifact"`
	Rows     int    `json:"rows"`
}

// Code is the commit of the specs a run came from and, for exec trainers, the
// git tree hash of the trainer's folder.
type Code struct {
	Commit string `json:"commit,omitempty"`
	Dir    string `json:"dir,omitempty"`
	Tree   string `json:"tree,omitempty"`
}

// Timings are wall-clock times; they differ between otherwise identical runs.
type Timings struct {
	StartedAt    string  `json:"startedAt,omitempty"`
	FinishedAt   string  `json:"finishedAt,omitempty"`
	TrainSeconds float64 `json:"trainSeconds,omitempty"`
	EvalSeconds  float64 `json:"evalSeconds,omitempty"`
}

// GateRecord is one gate decision: against which production version, with
// which parameters (hashed, so a plan sees a changed gate), and the verdict.
type GateRecord struct {
	// Against is the production version the candidate was compared with, 0 for none.
	Against    int     `json:"against"`
	ParamsHash string  `json:"paramsHash"`
	Allow      bool    `json:"allow"`
	Checks     []Check `json:"checks"`
	Error      string  `json:"error,omitempty"`
	// Input is the gate's full input document (model versions only).
	Input any `json:"input,omitempty"`
}

// Check is one gate check's verdict.
type Check struct {
	Name     string `json:"name"`
	Passed   bool   `json:"passed"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// ModelVersion is a registered version: the registry.
type ModelVersion struct {
	Schema     int          `json:"schema"`
	Model      string       `json:"model"`
	Version    int          `json:"version"`
	Artifact   string       `json:"artifact"`
	Lineage    Lineage      `json:"lineage"`
	Evaluation *eval.Report `json:"evaluation,omitempty"`
	Gate       GateRecord   `json:"gate"`
	// ReferenceProfile is the digest of the drift reference profile, when computed.
	ReferenceProfile string `json:"referenceProfile,omitempty"`
	RegisteredAt     string `json:"registeredAt"`
}

// Lineage is where a version came from.
type Lineage struct {
	Experiment string         `json:"experiment"`
	Run        string         `json:"run"`
	Trainer    Trainer        `json:"trainer"`
	Params     map[string]any `json:"params,omitempty"`
	Seed       int64          `json:"seed"`
	Dataset    DatasetRef     `json:"dataset"`
	Window     *WindowData    `json:"window,omitempty"`
	Code       Code           `json:"code"`
}

// Deployment is the recorded state of a Deployment.
type Deployment struct {
	Schema      int    `json:"schema"`
	Name        string `json:"name"`
	Model       string `json:"model"`
	Environment string `json:"environment,omitempty"`
	Runtime     string `json:"runtime,omitempty"`
	// Live is what serves, highest weight first.
	Live       []LiveVersion `json:"live"`
	SampleRate float64       `json:"sampleRate"`
	Canary     *Canary       `json:"canary,omitempty"`
	Retired    bool          `json:"retired,omitempty"`
	UpdatedAt  string        `json:"updatedAt,omitempty"`
	// History is newest last, at most MaxHistory entries.
	History []Event `json:"history,omitempty"`
}

// MaxHistory bounds a deployment record's history; git keeps the rest.
const MaxHistory = 50

// LiveVersion is one version serving with its traffic weight (percent).
type LiveVersion struct {
	Version  int    `json:"version"`
	Artifact string `json:"artifact"`
	Weight   int    `json:"weight"`
}

// Canary is a rollout in progress from Baseline to Version.
type Canary struct {
	Version   int    `json:"version"`
	Baseline  int    `json:"baseline"`
	Step      int    `json:"step"`
	Steps     []int  `json:"steps"`
	StartedAt string `json:"startedAt"`
}

// Event is one change of a deployment.
type Event struct {
	Time   string        `json:"time"`
	Action string        `json:"action"`
	Live   []LiveVersion `json:"live"`
	Reason string        `json:"reason,omitempty"`
}

// Primary returns the version with the highest weight (the stable one during a
// canary), or 0 when nothing serves.
func Primary(live []LiveVersion) int {
	best, w := 0, -1
	for _, l := range live {
		if l.Weight > w || l.Weight == w && l.Version < best {
			best, w = l.Version, l.Weight
		}
	}
	return best
}

// Paths of records relative to the records folder.

func RunPath(experiment, id string) string {
	return path.Join("runs", experiment, id+".yaml")
}

func VersionPath(model string, v int) string {
	return path.Join("models", model, "v"+strconv.Itoa(v)+".yaml")
}

func DeploymentPath(name string) string {
	return path.Join("deployments", name+".yaml")
}

// Marshal encodes a record as YAML with sorted keys.
func Marshal(rec any) ([]byte, error) {
	j, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(toNode(v)); err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return buf.Bytes(), nil
}

// toNode builds a YAML node tree with mapping keys sorted and numbers kept
// exactly as JSON wrote them.
func toNode(v any) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, toNode(v[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range v {
			n.Content = append(n.Content, toNode(e))
		}
		return n
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(v), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(v)}
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	panic(fmt.Sprintf("records: unexpected %T", v))
}

// Unmarshal decodes a record written by Marshal (or by hand) into rec. It
// rejects a record of a newer schema than this ferry understands.
func Unmarshal(data []byte, rec any) error {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return err
	}
	v, err := jsonable(v)
	if err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("not a mapping")
	}
	switch s := m["schema"].(type) {
	case nil:
		return fmt.Errorf("no schema field")
	case int:
		if s > Schema {
			return fmt.Errorf("schema %d is newer than this ferry understands (%d): upgrade ferry", s, Schema)
		}
	default:
		return fmt.Errorf("schema is %v, want a number", s)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(rec)
}

// jsonable converts what yaml.v3 decodes into values encoding/json accepts.
func jsonable(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			v[k] = c
		}
		return v, nil
	case []any:
		for i, e := range v {
			c, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			v[i] = c
		}
		return v, nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("non-finite number %v", v)
		}
		return v, nil
	case map[any]any:
		return nil, fmt.Errorf("mapping with a non-string key")
	}
	return v, nil
}

// Set is every record found under a records folder.
type Set struct {
	// Runs by experiment, oldest first (by start time, then id).
	Runs map[string][]*Run `json:"runs"`
	// Versions by model, ascending.
	Versions map[string][]*ModelVersion `json:"versions"`
	// Deployments by name.
	Deployments map[string]*Deployment `json:"deployments"`
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{Runs: map[string][]*Run{}, Versions: map[string][]*ModelVersion{}, Deployments: map[string]*Deployment{}}
}

// Read reads every record under dir of fsys. A missing dir is an empty set; a
// record that does not parse is an error naming its path.
func Read(fsys fs.FS, dir string) (*Set, error) { return ReadCached(fsys, dir, nil) }

// ReadCached is Read through a cache of decoded records (nil for none).
func ReadCached(fsys fs.FS, dir string, cache *Cache) (*Set, error) {
	s := NewSet()
	if dir == "" {
		dir = "records"
	}
	if _, err := fs.Stat(fsys, dir); err != nil {
		return s, nil
	}
	// List first, then read and decode in parallel: decoding dominates.
	type job struct {
		path  string
		group string
		rec   any
		err   error
	}
	var jobs []*job
	each := func(sub, group string, mk func() any) {
		entries, err := fs.ReadDir(fsys, path.Join(dir, sub))
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
				continue
			}
			jobs = append(jobs, &job{path: path.Join(dir, sub, e.Name()), group: group, rec: mk()})
		}
	}
	groups := func(sub string) []string {
		entries, _ := fs.ReadDir(fsys, path.Join(dir, sub))
		var names []string
		for _, e := range entries {
			if e.IsDir() {
				names = append(names, e.Name())
			}
		}
		return names
	}
	for _, exp := range groups("runs") {
		each(path.Join("runs", exp), exp, func() any { return new(Run) })
	}
	for _, model := range groups("models") {
		each(path.Join("models", model), model, func() any { return new(ModelVersion) })
	}
	each("deployments", "", func() any { return new(Deployment) })

	next := make(chan *job)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 8, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				data, err := fs.ReadFile(fsys, j.path)
				if err == nil {
					err = cache.decode(data, j.rec)
				}
				j.err = err
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()

	var errs []string
	for _, j := range jobs {
		if j.err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", j.path, j.err))
			continue
		}
		switch r := j.rec.(type) {
		case *Run:
			s.Runs[j.group] = append(s.Runs[j.group], r)
		case *ModelVersion:
			s.Versions[j.group] = append(s.Versions[j.group], r)
		case *Deployment:
			s.Deployments[strings.TrimSuffix(path.Base(j.path), ".yaml")] = r
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("read records: %s", strings.Join(errs, "; "))
	}
	for _, runs := range s.Runs {
		SortRuns(runs)
	}
	for _, vs := range s.Versions {
		sort.Slice(vs, func(i, j int) bool { return vs[i].Version < vs[j].Version })
	}
	return s, nil
}

// SortRuns orders runs oldest first.
func SortRuns(runs []*Run) {
	sort.Slice(runs, func(i, j int) bool {
		a, b := runs[i], runs[j]
		if a.Timings.StartedAt != b.Timings.StartedAt {
			return a.Timings.StartedAt < b.Timings.StartedAt
		}
		return a.ID < b.ID
	})
}

// Run returns the run with id of experiment, or nil.
func (s *Set) Run(experiment, id string) *Run {
	for _, r := range s.Runs[experiment] {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Version returns version v of model, or nil.
func (s *Set) Version(model string, v int) *ModelVersion {
	for _, mv := range s.Versions[model] {
		if mv.Version == v {
			return mv
		}
	}
	return nil
}

// LatestVersion returns the highest version number of model, 0 for none.
func (s *Set) LatestVersion(model string) int {
	vs := s.Versions[model]
	if len(vs) == 0 {
		return 0
	}
	return vs[len(vs)-1].Version
}
