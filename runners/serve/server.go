package serve

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferryml/ferry/store"
)

// Options configure a Server. Zero values get the defaults noted.
type Options struct {
	Load    Loader
	Resolve Resolver
	Limits  Limits
	// AdminToken guards /admin/*. Without one the admin API answers only
	// loopback clients.
	AdminToken string
	// Predictions receives the prediction log; nil logs nothing.
	Predictions store.Sink
	// Queue is the log queue's length in requests (default 10,000) and OnFull
	// what happens when it is full.
	Queue  int
	OnFull store.Policy
	// Timeouts of the HTTP server (defaults 30s read, 60s write, 120s idle).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds draining requests and flushing the log (default 30s).
	ShutdownTimeout time.Duration
	// Registry receives the Prometheus metrics (default: a new registry).
	Registry *prometheus.Registry
	Log      *slog.Logger
	// Version is reported by GET /v2.
	Version string
}

// Server is ferry's serving runtime.
type Server struct {
	opts     Options
	lim      Limits
	mgr      *Manager
	metrics  *metrics
	writer   *store.Writer
	handler  http.Handler
	shutting atomic.Bool
}

// New returns a Server without deployments; add them with Manager().Apply or
// the admin API.
func New(opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	opts.ReadTimeout = orDefault(opts.ReadTimeout, 30*time.Second)
	opts.WriteTimeout = orDefault(opts.WriteTimeout, 60*time.Second)
	opts.IdleTimeout = orDefault(opts.IdleTimeout, 120*time.Second)
	opts.ShutdownTimeout = orDefault(opts.ShutdownTimeout, 30*time.Second)
	s := &Server{opts: opts, lim: opts.Limits.withDefaults(), metrics: newMetrics(opts.Registry)}
	s.mgr = NewManager(ManagerOptions{Load: opts.Load, Resolve: opts.Resolve, Log: opts.Log, metrics: s.metrics})
	if opts.Predictions != nil {
		s.writer = store.NewWriter(opts.Predictions, store.WriterOptions{
			Queue: opts.Queue, OnFull: opts.OnFull, Log: opts.Log,
			OnDrop: func(d string, n int) { s.metrics.dropped.WithLabelValues(d).Add(float64(n)) },
		})
		opts.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ferry_serve_log_queue_depth",
			Help: "Requests waiting in the prediction log queue.",
		}, func() float64 { return float64(s.writer.Len()) }))
	}
	s.handler = s.routes()
	return s
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Manager returns the server's deployments.
func (s *Server) Manager() *Manager { return s.mgr }

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until ctx ends, then shuts down in order: stop
// accepting, finish in-flight requests, flush the prediction log, close the
// model sessions.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadTimeout:       s.opts.ReadTimeout,
		ReadHeaderTimeout: min(s.opts.ReadTimeout, 10*time.Second),
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.opts.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.shutting.Store(true)
	s.opts.Log.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	errs := []error{}
	if err := hs.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("drain requests: %w", err))
	}
	if err := s.Close(sctx); err != nil {
		errs = append(errs, err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, serveErr)
	}
	return errors.Join(errs...)
}

// Close flushes the prediction log and closes every model version. Serve calls
// it; a caller driving Handler itself calls it after its HTTP server stopped.
func (s *Server) Close(ctx context.Context) error {
	s.shutting.Store(true)
	var errs []error
	if s.writer != nil {
		if err := s.writer.Close(ctx); err != nil {
			errs = append(errs, err)
		}
		s.opts.Log.Info("prediction log flushed", "rows", s.writer.Written(), "dropped", s.writer.Dropped())
	}
	if err := s.mgr.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close models: %w", err))
	}
	return errors.Join(errs...)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/health/live", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"live": true})
	})
	mux.HandleFunc("GET /v2/health/ready", s.serverReady)
	mux.HandleFunc("GET /v2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "ferry", "version": s.opts.Version, "extensions": []string{}})
	})
	mux.HandleFunc("GET /v2/models/{name}", s.modelMetadata)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}", s.modelMetadata)
	mux.HandleFunc("GET /v2/models/{name}/ready", s.modelReady)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}/ready", s.modelReady)
	mux.HandleFunc("POST /v2/models/{name}/infer", s.infer)
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", s.infer)
	mux.HandleFunc("POST /invocations", s.invocations)
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /admin/deployments", s.admin(s.listDeployments))
	mux.HandleFunc("GET /admin/deployments/{name}", s.admin(s.getDeployment))
	mux.HandleFunc("PUT /admin/deployments/{name}", s.admin(s.putDeployment))
	mux.HandleFunc("DELETE /admin/deployments/{name}", s.admin(s.deleteDeployment))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			// Unknown paths and wrong methods answer JSON like everything else.
			w = &statusRecorder{ResponseWriter: w}
		}
		mux.ServeHTTP(w, r)
	})
}

// statusRecorder turns the mux's plain-text 404 and 405 into JSON errors.
type statusRecorder struct {
	http.ResponseWriter
	wrote bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.wrote {
		return
	}
	s.wrote = true
	msg := http.StatusText(code)
	if code == http.StatusNotFound {
		msg = "no such endpoint"
	}
	if code == http.StatusMethodNotAllowed {
		msg = "method not allowed; allowed: " + s.Header().Get("Allow")
	}
	s.Header().Set("Content-Type", "application/json")
	s.Header().Del("X-Content-Type-Options")
	s.ResponseWriter.WriteHeader(code)
	b, _ := json.Marshal(map[string]string{"error": msg})
	s.ResponseWriter.Write(append(b, '\n'))
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return len(b), nil // the mux's text body is replaced by the JSON above
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads a request body within the size limit into a pooled buffer.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	if r.ContentLength > s.lim.MaxBodyBytes {
		bufPool.Put(buf)
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("body of %d bytes is over the limit of %d", r.ContentLength, s.lim.MaxBodyBytes)}
	}
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.lim.MaxBodyBytes))
	if err != nil {
		bufPool.Put(buf)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("body is over the limit of %d bytes", s.lim.MaxBodyBytes)}
		}
		return nil, badRequest("read body: %v", err)
	}
	return buf, nil
}

// infer answers POST /v2/models/{name}[/versions/{v}]/infer.
func (s *Server) infer(w http.ResponseWriter, r *http.Request) {
	s.predict(w, r, r.PathValue("name"), false)
}

// invocations answers MLflow's POST /invocations. With several deployments the
// client names one in ?deployment= or the X-Deployment header.
func (s *Server) invocations(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("deployment")
	if name == "" {
		name = r.Header.Get("X-Deployment")
	}
	if name == "" {
		routes := s.mgr.table.Load().routes
		if len(routes) != 1 {
			s.reject(w, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("this server has %d deployments; name one with ?deployment= or the X-Deployment header", len(routes))})
			return
		}
		for n := range routes {
			name = n
		}
	}
	s.predict(w, r, name, true)
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request, name string, mlflow bool) {
	start := time.Now()
	vnum := 0
	if vs := r.PathValue("version"); vs != "" {
		n, err := parseVersion(vs)
		if err != nil {
			s.reject(w, err)
			return
		}
		vnum = n
	}
	body, err := s.readBody(w, r)
	if err != nil {
		s.reject(w, err)
		return
	}
	defer bufPool.Put(body)
	var req *InferRequest
	if mlflow && !json.Valid(body.Bytes()) {
		// Not the version's fault: refuse before routing, as for OIP.
		var v any
		s.reject(w, jsonError(json.Unmarshal(body.Bytes(), &v)))
		return
	}
	if !mlflow {
		if req, err = decodeEnvelope(body.Bytes()); err != nil {
			s.reject(w, err)
			return
		}
	}
	reqID := r.Header.Get("X-Request-Id")
	rt, v, err := s.mgr.acquire(name, vnum, reqID)
	if err != nil {
		s.reject(w, err)
		return
	}
	defer v.release()
	var batch *Batch
	if mlflow {
		batch, err = DecodeMLflow(body.Bytes(), v.inputs, s.lim)
	} else {
		batch, err = req.batch(v.inputs, s.lim)
	}
	if err != nil {
		s.fail(w, rt, v, err)
		return
	}
	outs, err := v.pred.Run(batch.Tensors)
	if err != nil {
		s.fail(w, rt, v, &Error{Status: http.StatusInternalServerError, Msg: fmt.Sprintf("model %s version %d: %v", name, v.number, err)})
		return
	}
	if outs, err = selectOutputs(outs, batch.Outputs); err != nil {
		s.fail(w, rt, v, err)
		return
	}
	out := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(out)
	out.Reset()
	if mlflow {
		out.Write(appendMLflowResponse(out.AvailableBuffer(), outs))
	} else {
		out.Write(appendInferResponse(out.AvailableBuffer(), name, v.number, batch.ID, outs))
	}
	latency := time.Since(start)
	if s.writer != nil && batch.Rows > 0 && (rt.sample >= 1 || rt.sample > 0 && rand.Float64() < rt.sample) {
		id := reqID
		if id == "" {
			id = batch.ID
		}
		// Queued before the answer goes out: an answered request is always
		// either in the log or counted as dropped.
		s.writer.Enqueue(r.Context(), store.Entry{
			Time: start, Deployment: name, Version: v.number, RequestID: id, Latency: latency,
			Rows: batch.Rows, Payload: &logPayload{in: batch.Tensors, out: outs, rows: batch.Rows},
		})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(out.Len()))
	h.Set("X-Model-Version", strconv.Itoa(v.number))
	w.WriteHeader(http.StatusOK)
	w.Write(out.Bytes())
	v.requests.Add(1)
	v.latency.observe(latency)
	v.promRequests.Inc()
	v.promLatency.Observe(latency.Seconds())
}

// reject answers a request refused before a version was chosen.
func (s *Server) reject(w http.ResponseWriter, err error) {
	status := writeError(w, err)
	s.metrics.rejected.WithLabelValues(strconv.Itoa(status)).Inc()
}

// fail answers a request a version could not answer and counts it against it.
func (s *Server) fail(w http.ResponseWriter, rt *route, v *version, err error) {
	w.Header().Set("X-Model-Version", strconv.Itoa(v.number))
	status := writeError(w, err)
	v.requests.Add(1)
	v.errors.Add(1)
	v.promRequests.Inc()
	s.metrics.errors.WithLabelValues(rt.name, strconv.Itoa(v.number), strconv.Itoa(status)).Inc()
}

func writeError(w http.ResponseWriter, err error) int {
	status := http.StatusInternalServerError
	var e *Error
	if errors.As(err, &e) {
		status = e.Status
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (s *Server) serverReady(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.shutting.Load():
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": "shutting down"})
	case !s.mgr.Ready():
		var reasons []string
		for _, st := range s.mgr.List() {
			if !st.Ready {
				reasons = append(reasons, st.Name+": "+st.Reason)
			}
		}
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": strings.Join(reasons, "; ")})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ready": true})
	}
}

type tensorMeta struct {
	Name     string   `json:"name"`
	Datatype Datatype `json:"datatype"`
	Shape    []int64  `json:"shape"`
}

func metas(infos []IOInfo) []tensorMeta {
	out := make([]tensorMeta, len(infos))
	for i, in := range infos {
		out[i] = tensorMeta{Name: in.Name, Datatype: datatypeOf(in.Type), Shape: in.Shape}
	}
	return out
}

// lookup finds the version a metadata or readiness request is about: the one
// named, else the one with the most traffic.
func (s *Server) lookup(r *http.Request) (*route, *version, error) {
	name := r.PathValue("name")
	rt := s.mgr.table.Load().routes[name]
	if rt == nil {
		return nil, nil, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("unknown model %q", name)}
	}
	if vs := r.PathValue("version"); vs != "" {
		n, err := parseVersion(vs)
		if err != nil {
			return nil, nil, err
		}
		if v := rt.byNumber[n]; v != nil {
			return rt, v, nil
		}
		if st := s.mgr.Status(name); st != nil {
			for _, vs := range st.Versions {
				if vs.Version == n && vs.State == "failed" {
					return rt, nil, &Error{Status: http.StatusServiceUnavailable, Msg: fmt.Sprintf("model %q version %d failed to load: %s", name, n, vs.Error)}
				}
			}
		}
		return nil, nil, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("model %q has no version %d", name, n)}
	}
	if len(rt.serving) == 0 {
		return rt, nil, &Error{Status: http.StatusServiceUnavailable, Msg: fmt.Sprintf("model %q is not ready: %s", name, rt.reason)}
	}
	best := rt.serving[0]
	prev := 0.0
	bestShare := -1.0
	for i, v := range rt.serving {
		if share := rt.cum[i] - prev; share > bestShare {
			best, bestShare = v, share
		}
		prev = rt.cum[i]
	}
	return rt, best, nil
}

func (s *Server) modelMetadata(w http.ResponseWriter, r *http.Request) {
	rt, v, err := s.lookup(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var versions []string
	for _, sv := range rt.serving {
		versions = append(versions, strconv.Itoa(sv.number))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": rt.name, "versions": versions, "platform": "onnxruntime_onnx",
		"model_version": strconv.Itoa(v.number),
		"inputs":        metas(v.inputs), "outputs": metas(v.outputs),
	})
}

func (s *Server) modelReady(w http.ResponseWriter, r *http.Request) {
	rt, v, err := s.lookup(r)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusServiceUnavailable {
			writeJSON(w, e.Status, map[string]any{"name": r.PathValue("name"), "ready": false, "reason": e.Msg})
			return
		}
		writeError(w, err)
		return
	}
	resp := map[string]any{"name": rt.name, "ready": true, "model_version": strconv.Itoa(v.number)}
	if st := s.mgr.Status(rt.name); st != nil && st.Reason != "" {
		// Serving, but a newer version failed: say so.
		resp["reason"] = st.Reason
	}
	writeJSON(w, http.StatusOK, resp)
}

// admin wraps an admin handler with the bearer-token check.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.AdminToken == "" {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				writeError(w, &Error{Status: http.StatusForbidden, Msg: "the admin API without a token answers only loopback clients"})
				return
			}
		} else {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.AdminToken)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ferry admin"`)
				writeError(w, &Error{Status: http.StatusUnauthorized, Msg: "missing or wrong bearer token"})
				return
			}
		}
		h(w, r)
	}
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"deployments": s.mgr.List()})
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) {
	st := s.mgr.Status(r.PathValue("name"))
	if st == nil {
		writeError(w, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("unknown deployment %q", r.PathValue("name"))})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) putDeployment(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeError(w, badRequest("read body: %v", err))
		return
	}
	var spec DeploymentSpec
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		writeError(w, jsonError(err))
		return
	}
	st, err := s.mgr.Apply(r.Context(), r.PathValue("name"), spec)
	var le *LoadError
	if errors.As(err, &le) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": le.Error(), "status": st})
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) deleteDeployment(w http.ResponseWriter, r *http.Request) {
	if !s.mgr.Delete(r.PathValue("name")) {
		writeError(w, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("unknown deployment %q", r.PathValue("name"))})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// logPayload renders a request's rows for the prediction log, on the log
// writer's goroutine.
type logPayload struct {
	in, out []Tensor
	rows    int
}

var _ store.Payload = (*logPayload)(nil)

func (p *logPayload) AppendInputs(dst []byte, row int) []byte {
	return appendRow(dst, p.in, row, p.rows)
}
func (p *logPayload) AppendOutputs(dst []byte, row int) []byte {
	return appendRow(dst, p.out, row, p.rows)
}

// appendRow appends {"name": value-or-array, ...} for one row. A tensor whose
// first dim is not the batch's rows is logged whole with every row.
func appendRow(dst []byte, ts []Tensor, row, rows int) []byte {
	dst = append(dst, '{')
	for i, t := range ts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, t.Name)
		dst = append(dst, ':')
		n, width := rowsWidth(t)
		switch {
		case n != rows:
			dst = appendValues(dst, t.Data, 0, dataLen(t.Data))
		case width == 1:
			dst = appendValue(dst, t.Data, row)
		default:
			dst = appendValues(dst, t.Data, row*width, (row+1)*width)
		}
	}
	return append(dst, '}')
}
