package serve

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors, registered on the registry
// the caller passes (never the global one).
type metrics struct {
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	rejected *prometheus.CounterVec
	loads    *prometheus.CounterVec
	dropped  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_serve_requests_total",
			Help: "Inference requests routed to a model version.",
		}, []string{"deployment", "version"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_serve_errors_total",
			Help: "Inference requests routed to a version that were not answered with 2xx, by HTTP status.",
		}, []string{"deployment", "version", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ferry_serve_request_duration_seconds",
			Help:    "Time from reading a request to writing its answer, per version.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"deployment", "version"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_serve_rejected_total",
			Help: "Requests refused before a version was chosen (unknown model, bad JSON, too large), by HTTP status.",
		}, []string{"code"}),
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_serve_version_loads_total",
			Help: "Model version loads, by result (ok, failed).",
		}, []string{"deployment", "result"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_serve_log_dropped_rows_total",
			Help: "Prediction rows not logged because the log queue was full (policy drop) or the log failed.",
		}, []string{"deployment"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.errors, m.latency, m.rejected, m.loads, m.dropped)
	}
	return m
}

func (m *metrics) bind(deployment string, v *version) {
	l := strconv.Itoa(v.number)
	v.promRequests = m.requests.WithLabelValues(deployment, l)
	v.promLatency = m.latency.WithLabelValues(deployment, l)
}
