package serve

import (
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// version is one loaded model version. It is shared by every routing table that
// lists it and reference counted: the Manager holds one reference while the
// version is live, each request holds one while it runs, and the last release
// closes the predictor.
type version struct {
	number   int
	artifact string
	pred     Predictor
	inputs   []IOInfo
	outputs  []IOInfo
	loadedAt time.Time

	refs      atomic.Int64
	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error

	requests atomic.Int64
	errors   atomic.Int64
	latency  latencyHist

	// Prometheus children resolved once, not per request.
	promRequests prometheus.Counter
	promLatency  prometheus.Observer
}

func newVersion(number int, artifact string, p Predictor) *version {
	v := &version{
		number: number, artifact: artifact, pred: p,
		inputs: p.Inputs(), outputs: p.Outputs(),
		loadedAt: time.Now(), closed: make(chan struct{}),
	}
	v.refs.Store(1)
	return v
}

// acquire takes a reference for a request; false means the version is closing
// and the caller must look at the current routing table again.
func (v *version) acquire() bool {
	for {
		r := v.refs.Load()
		if r <= 0 {
			return false
		}
		if v.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// release drops a reference; the last one closes the predictor.
func (v *version) release() {
	if v.refs.Add(-1) == 0 {
		v.closeOnce.Do(func() {
			v.closeErr = v.pred.Close()
			close(v.closed)
		})
	}
}

// table is an immutable snapshot of every deployment's routing. The request path
// reads it through an atomic pointer; the Manager replaces it whole.
type table struct {
	routes map[string]*route
}

type route struct {
	name   string
	model  string
	sample float64
	// serving are the versions with weight > 0 and cum their cumulative shares
	// (the last is 1).
	serving []*version
	cum     []float64
	// byNumber holds every live version, including weight-0 ones that answer
	// only when asked for by number.
	byNumber map[int]*version
	// reason says why nothing serves when serving is empty.
	reason string
}

// pick chooses a version: by a hash of key when there is one, so a client that
// sends the same request id lands on the same version, else at random.
func (r *route) pick(key string) *version {
	if len(r.serving) == 1 {
		return r.serving[0]
	}
	var u float64
	if key != "" {
		h := fnv.New64a()
		h.Write([]byte(key))
		// The top 53 bits as a fraction in [0, 1).
		u = float64(mix(h.Sum64())>>11) / (1 << 53)
	} else {
		u = rand.Float64()
	}
	for i, c := range r.cum {
		if u < c {
			return r.serving[i]
		}
	}
	return r.serving[len(r.serving)-1]
}

// mix spreads FNV's output over all bits (splitmix64's finalizer); FNV alone
// is weak in its high bits for short, similar keys like "req-1", "req-2".
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// buildRoute makes the routing of one deployment from its live versions.
func buildRoute(name, model string, sample float64, live []*version, weights []float64, reason string) *route {
	r := &route{name: name, model: model, sample: sample, byNumber: map[int]*version{}, reason: reason}
	var total float64
	for i, v := range live {
		r.byNumber[v.number] = v
		if weights[i] > 0 {
			total += weights[i]
		}
	}
	var acc float64
	for i, v := range live {
		if weights[i] <= 0 {
			continue
		}
		acc += weights[i] / total
		r.serving = append(r.serving, v)
		r.cum = append(r.cum, acc)
	}
	if n := len(r.cum); n > 0 {
		r.cum[n-1] = 1
	}
	return r
}

type tablePtr = atomic.Pointer[table]
