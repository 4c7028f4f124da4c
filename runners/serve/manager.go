package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DeploymentSpec is what the admin API's PUT /admin/deployments/{name} sets:
// the versions of one model to serve with their traffic weights.
type DeploymentSpec struct {
	Model    string        `json:"model"`
	Versions []VersionSpec `json:"versions"`
	// SampleRate is the share of requests written to the prediction log, in
	// [0, 1]; nil means 1.
	SampleRate *float64 `json:"sampleRate,omitempty"`
}

// VersionSpec is one version of a DeploymentSpec. Artifact is a "sha256:..."
// digest in the artifact store or a file path. Weight is its relative share of
// traffic; 0 keeps it loaded for requests that name it.
type VersionSpec struct {
	Version  int     `json:"version"`
	Artifact string  `json:"artifact"`
	Weight   float64 `json:"weight"`
}

// DeploymentStatus is what GET /admin/deployments/{name} answers.
type DeploymentStatus struct {
	Name       string          `json:"name"`
	Model      string          `json:"model"`
	SampleRate float64         `json:"sampleRate"`
	Ready      bool            `json:"ready"`
	Reason     string          `json:"reason,omitempty"`
	Versions   []VersionStatus `json:"versions"`
	UpdatedAt  time.Time       `json:"updatedAt"`
}

// VersionStatus is one version's state and its traffic since it was loaded.
// Errors counts the requests routed to it that were not answered 2xx, input
// that does not fit its model included; latency percentiles cover its 2xx
// answers, from reading the request to writing the answer.
// State is "serving" (weight > 0), "idle" (loaded, weight 0) or "failed"
// (never took traffic; Error says why).
type VersionStatus struct {
	Version      int       `json:"version"`
	Artifact     string    `json:"artifact"`
	Weight       float64   `json:"weight"`
	State        string    `json:"state"`
	Error        string    `json:"error,omitempty"`
	Requests     int64     `json:"requests"`
	Errors       int64     `json:"errors"`
	LatencyP50Ms float64   `json:"latencyP50Ms"`
	LatencyP99Ms float64   `json:"latencyP99Ms"`
	LoadedAt     time.Time `json:"loadedAt,omitzero"`
}

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	Load    Loader
	Resolve Resolver
	Log     *slog.Logger
	metrics *metrics
}

// Manager owns the deployments: it loads versions, publishes routing tables and
// retires versions once their last request has finished. Admin operations are
// serialized; requests never wait on them.
type Manager struct {
	opts ManagerOptions

	mu   sync.Mutex
	deps map[string]*deployment

	table tablePtr
}

type deployment struct {
	spec     DeploymentSpec
	live     []*version
	weights  []float64
	failures map[int]failure
	updated  time.Time
}

type failure struct {
	artifact string
	err      string
}

// NewManager returns a Manager without deployments.
func NewManager(opts ManagerOptions) *Manager {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.metrics == nil {
		opts.metrics = newMetrics(nil)
	}
	m := &Manager{opts: opts, deps: map[string]*deployment{}}
	m.table.Store(&table{routes: map[string]*route{}})
	return m
}

// LoadError reports versions of a deployment that failed to load or warm up.
// The deployment keeps serving what it served before.
type LoadError struct {
	Deployment string
	Failures   map[int]string
}

func (e *LoadError) Error() string {
	nums := make([]int, 0, len(e.Failures))
	for n := range e.Failures {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var parts []string
	for _, n := range nums {
		parts = append(parts, fmt.Sprintf("version %d: %s", n, e.Failures[n]))
	}
	return fmt.Sprintf("deployment %s: %s", e.Deployment, strings.Join(parts, "; "))
}

func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (s *DeploymentSpec) validate(name string) error {
	if !validName(name) {
		return badRequest("deployment name %q: want lowercase letters, digits, '-', '_' or '.', at most 63", name)
	}
	if len(s.Versions) == 0 {
		return badRequest("deployment %s: no versions", name)
	}
	if s.SampleRate != nil && (*s.SampleRate < 0 || *s.SampleRate > 1) {
		return badRequest("deployment %s: sampleRate %v is outside [0, 1]", name, *s.SampleRate)
	}
	var total float64
	seen := map[int]bool{}
	for _, v := range s.Versions {
		if v.Version <= 0 {
			return badRequest("deployment %s: version %d: want a number ≥ 1", name, v.Version)
		}
		if seen[v.Version] {
			return badRequest("deployment %s: version %d appears twice", name, v.Version)
		}
		seen[v.Version] = true
		if v.Artifact == "" {
			return badRequest("deployment %s: version %d has no artifact", name, v.Version)
		}
		if v.Weight < 0 || v.Weight != v.Weight {
			return badRequest("deployment %s: version %d: weight %v is negative", name, v.Version, v.Weight)
		}
		total += v.Weight
	}
	if total <= 0 {
		return badRequest("deployment %s: the weights add up to 0; at least one version must take traffic", name)
	}
	return nil
}

// Apply makes a deployment serve spec. New versions (or versions whose artifact
// changed) are loaded and warmed up before the routing table switches, in one
// atomic step; versions that leave are closed after their in-flight requests.
// If any version fails to load, nothing switches: the deployment keeps serving
// what it served, Apply returns a *LoadError, and the status shows the failure.
func (m *Manager) Apply(ctx context.Context, name string, spec DeploymentSpec) (*DeploymentStatus, error) {
	if err := spec.validate(name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.deps[name]
	if d == nil {
		d = &deployment{failures: map[int]failure{}}
	}
	var (
		live    []*version
		weights []float64
		fresh   []*version
		failed  = map[int]string{}
	)
	for _, vs := range spec.Versions {
		if old := findVersion(d.live, vs.Version); old != nil && old.artifact == vs.Artifact {
			live = append(live, old)
			weights = append(weights, vs.Weight)
			continue
		}
		v, err := m.load(ctx, vs)
		if err != nil {
			failed[vs.Version] = err.Error()
			m.opts.metrics.loads.WithLabelValues(name, "failed").Inc()
			m.opts.Log.Warn("version failed to load", "deployment", name, "version", vs.Version, "artifact", vs.Artifact, "err", err)
			continue
		}
		m.opts.metrics.loads.WithLabelValues(name, "ok").Inc()
		m.opts.metrics.bind(name, v)
		fresh = append(fresh, v)
		live = append(live, v)
		weights = append(weights, vs.Weight)
	}
	if len(failed) > 0 {
		for _, v := range fresh {
			v.release()
		}
		for n, e := range failed {
			d.failures[n] = failure{artifact: artifactOf(spec, n), err: e}
		}
		d.updated = time.Now()
		if m.deps[name] == nil {
			// A new deployment that cannot serve still shows up, with the reason.
			d.spec = spec
			m.deps[name] = d
		}
		// The same versions keep serving; the new table only carries the reason.
		m.publish()
		return m.status(name, d), &LoadError{Deployment: name, Failures: failed}
	}
	retired := slices.DeleteFunc(slices.Clone(d.live), func(v *version) bool { return slices.Contains(live, v) })
	for _, v := range live {
		delete(d.failures, v.number)
	}
	d.spec, d.live, d.weights, d.updated = spec, live, weights, time.Now()
	m.deps[name] = d
	m.publish()
	for _, v := range retired {
		v.release()
	}
	m.opts.Log.Info("deployment updated", "deployment", name, "versions", describeVersions(spec))
	return m.status(name, d), nil
}

func artifactOf(spec DeploymentSpec, n int) string {
	for _, v := range spec.Versions {
		if v.Version == n {
			return v.Artifact
		}
	}
	return ""
}

func describeVersions(spec DeploymentSpec) string {
	var parts []string
	for _, v := range spec.Versions {
		parts = append(parts, fmt.Sprintf("v%d=%g", v.Version, v.Weight))
	}
	return strings.Join(parts, ",")
}

func findVersion(vs []*version, n int) *version {
	for _, v := range vs {
		if v.number == n {
			return v
		}
	}
	return nil
}

// load resolves, loads and warms one version.
func (m *Manager) load(ctx context.Context, vs VersionSpec) (*version, error) {
	if m.opts.Resolve == nil || m.opts.Load == nil {
		return nil, errors.New("this server cannot load models (no resolver or loader)")
	}
	data, err := m.opts.Resolve(ctx, vs.Artifact)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", vs.Artifact, err)
	}
	p, err := m.opts.Load(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", vs.Artifact, err)
	}
	if err := warm(p); err != nil {
		p.Close()
		return nil, fmt.Errorf("warm up %s: %w", vs.Artifact, err)
	}
	return newVersion(vs.Version, vs.Artifact, p), nil
}

// warm runs one row of zeros through a new version so its first real request
// does not pay for lazy initialization, and so a model that cannot run at all
// never takes traffic.
func warm(p Predictor) error {
	ins := p.Inputs()
	if len(ins) == 0 {
		return errors.New("model has no inputs")
	}
	tensors := make([]Tensor, len(ins))
	for i, in := range ins {
		shape := make([]int64, len(in.Shape))
		n := 1
		for j, d := range in.Shape {
			if d < 0 {
				d = 1
			}
			shape[j] = d
			n *= int(d)
		}
		data, err := zeroData(in.Type, n)
		if err != nil {
			return fmt.Errorf("input %s: %w", in.Name, err)
		}
		tensors[i] = Tensor{Name: in.Name, Shape: shape, Data: data}
	}
	_, err := p.Run(tensors)
	return err
}

// Delete stops serving a deployment; its versions close after their in-flight
// requests. It reports whether the deployment existed.
func (m *Manager) Delete(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.deps[name]
	if d == nil {
		return false
	}
	delete(m.deps, name)
	m.publish()
	for _, v := range d.live {
		v.release()
	}
	m.opts.Log.Info("deployment deleted", "deployment", name)
	return true
}

// Close retires every deployment and waits until their versions have closed
// (their in-flight requests finished) or ctx ends.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	var all []*version
	for name, d := range m.deps {
		all = append(all, d.live...)
		delete(m.deps, name)
	}
	m.publish()
	m.mu.Unlock()
	for _, v := range all {
		v.release()
	}
	var errs []error
	for _, v := range all {
		select {
		case <-v.closed:
			if v.closeErr != nil {
				errs = append(errs, v.closeErr)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// publish builds and stores a new routing table from m.deps; m.mu is held.
func (m *Manager) publish() {
	t := &table{routes: make(map[string]*route, len(m.deps))}
	for name, d := range m.deps {
		reason := ""
		if len(d.live) == 0 {
			reason = failureReason(d)
		}
		t.routes[name] = buildRoute(name, d.spec.Model, sampleRate(d.spec), d.live, d.weights, reason)
	}
	m.table.Store(t)
}

func sampleRate(s DeploymentSpec) float64 {
	if s.SampleRate == nil {
		return 1
	}
	return *s.SampleRate
}

func failureReason(d *deployment) string {
	nums := make([]int, 0, len(d.failures))
	for n := range d.failures {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var parts []string
	for _, n := range nums {
		parts = append(parts, fmt.Sprintf("version %d failed: %s", n, d.failures[n].err))
	}
	if len(parts) == 0 {
		return "no version loaded"
	}
	return strings.Join(parts, "; ")
}

// Status returns one deployment's status, or nil.
func (m *Manager) Status(name string) *DeploymentStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.deps[name]
	if d == nil {
		return nil
	}
	return m.status(name, d)
}

// List returns every deployment's status, sorted by name.
func (m *Manager) List() []DeploymentStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]DeploymentStatus, 0, len(m.deps))
	for name, d := range m.deps {
		out = append(out, *m.status(name, d))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (m *Manager) status(name string, d *deployment) *DeploymentStatus {
	st := &DeploymentStatus{Name: name, Model: d.spec.Model, SampleRate: sampleRate(d.spec), UpdatedAt: d.updated.UTC()}
	for i, v := range d.live {
		state := "serving"
		if d.weights[i] <= 0 {
			state = "idle"
		}
		if d.weights[i] > 0 {
			st.Ready = true
		}
		st.Versions = append(st.Versions, VersionStatus{
			Version: v.number, Artifact: v.artifact, Weight: d.weights[i], State: state,
			Requests: v.requests.Load(), Errors: v.errors.Load(),
			LatencyP50Ms: v.latency.quantile(0.5), LatencyP99Ms: v.latency.quantile(0.99),
			LoadedAt: v.loadedAt.UTC(),
		})
	}
	for n, f := range d.failures {
		st.Versions = append(st.Versions, VersionStatus{Version: n, Artifact: f.artifact, State: "failed", Error: f.err})
	}
	sort.SliceStable(st.Versions, func(i, j int) bool { return st.Versions[i].Version < st.Versions[j].Version })
	if len(d.failures) > 0 {
		st.Reason = failureReason(d)
	}
	if !st.Ready && st.Reason == "" {
		st.Reason = "no version loaded"
	}
	return st
}

// Ready reports whether every deployment has a version taking traffic.
func (m *Manager) Ready() bool {
	for _, r := range m.table.Load().routes {
		if len(r.serving) == 0 {
			return false
		}
	}
	return true
}

// acquire routes a request: to version n when n > 0, else by the deployment's
// weights (sticky on key). The caller must release the version.
func (m *Manager) acquire(name string, n int, key string) (*route, *version, error) {
	for {
		r := m.table.Load().routes[name]
		if r == nil {
			return nil, nil, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("unknown model %q", name)}
		}
		var v *version
		if n > 0 {
			v = r.byNumber[n]
			if v == nil {
				return nil, nil, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("model %q has no loaded version %d", name, n)}
			}
		} else {
			if len(r.serving) == 0 {
				return nil, nil, &Error{Status: http.StatusServiceUnavailable, Msg: fmt.Sprintf("model %q is not ready: %s", name, r.reason)}
			}
			v = r.pick(key)
		}
		if v.acquire() {
			return r, v, nil
		}
		// The version retired between reading the table and taking a
		// reference; the table now in place no longer lists it.
	}
}

func parseVersion(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, badRequest("version %q: want a number ≥ 1", s)
	}
	return n, nil
}
