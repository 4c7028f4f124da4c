package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/store"
)

func initORT(t testing.TB) {
	t.Helper()
	if err := onnx.Init(onnx.DefaultLibraryPath(os.Getenv)); err != nil {
		t.Fatal(err)
	}
}

// testServer is a real server on a loopback port.
type testServer struct {
	*Server
	url    string
	cancel context.CancelFunc
	done   chan error
	client *http.Client
}

func startServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	initORT(t)
	if opts.Load == nil {
		opts.Load = ONNXLoader(onnx.Options{})
	}
	if opts.Resolve == nil {
		opts.Resolve = FileResolver("testdata")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: s, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	go func() { ts.done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { ts.stop() })
	return ts
}

// stop cancels the server and waits for Serve; safe to call twice.
func (ts *testServer) stop() error {
	ts.cancel()
	err, ok := <-ts.done
	if ok {
		close(ts.done)
	}
	return err
}

func (ts *testServer) deploy(t testing.TB, name string, spec DeploymentSpec) {
	t.Helper()
	if _, err := ts.Manager().Apply(context.Background(), name, spec); err != nil {
		t.Fatal(err)
	}
}

func (ts *testServer) do(method, path, body string, header ...string) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func one(version int, artifact string, weight float64) VersionSpec {
	return VersionSpec{Version: version, Artifact: artifact, Weight: weight}
}

const flightsRow = `{"id":"r1","inputs":[
	{"name":"distance","shape":[1,1],"datatype":"FP32","data":[1797]},
	{"name":"origin","shape":[1,1],"datatype":"BYTES","data":["LAX"]},
	{"name":"hour","shape":[1,1],"datatype":"INT64","data":[6]}]}`

type inferResponse struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id"`
	Outputs      []struct {
		Name     string          `json:"name"`
		Datatype string          `json:"datatype"`
		Shape    []int64         `json:"shape"`
		Data     json.RawMessage `json:"data"`
	} `json:"outputs"`
}

func TestInferMatchesOnnxruntime(t *testing.T) {
	ts := startServer(t, Options{})
	ts.deploy(t, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(3, "percolumn.onnx", 1)}})

	m, err := onnx.LoadFile("testdata/percolumn.onnx", onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want, err := m.Run([]onnx.Tensor{
		{Name: "distance", Shape: []int64{2, 1}, Data: []float32{1797, 300}},
		{Name: "origin", Shape: []int64{2, 1}, Data: []string{"LAX", "SEA"}},
		{Name: "hour", Shape: []int64{2, 1}, Data: []int64{6, 20}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantProba, _ := json.Marshal(want[1].Data)

	body := `{"id":"batch-1","inputs":[
		{"name":"hour","shape":[2,1],"datatype":"INT32","data":[[6],[20]]},
		{"name":"origin","shape":[2],"datatype":"BYTES","data":["LAX","SEA"]},
		{"name":"distance","shape":[2,1],"datatype":"FP64","data":[1797,300]}]}`
	code, h, b, err := ts.do("POST", "/v2/models/flights/infer", body)
	if err != nil || code != 200 {
		t.Fatalf("infer: %d %s %v", code, b, err)
	}
	var resp inferResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.ModelName != "flights" || resp.ModelVersion != "3" || resp.ID != "batch-1" || h.Get("X-Model-Version") != "3" {
		t.Fatalf("envelope %+v, header %q", resp, h.Get("X-Model-Version"))
	}
	if len(resp.Outputs) != 2 || resp.Outputs[1].Name != "probabilities" || resp.Outputs[1].Datatype != "FP32" ||
		fmt.Sprint(resp.Outputs[1].Shape) != "[2 2]" || !jsonEqual(t, resp.Outputs[1].Data, wantProba) {
		t.Fatalf("outputs %s, want probabilities %s", b, wantProba)
	}

	// The same rows through MLflow's format give the same numbers.
	code, _, b, _ = ts.do("POST", "/invocations", `{"dataframe_records":[{"distance":1797,"origin":"LAX","hour":6},{"distance":300,"origin":"SEA","hour":20}]}`)
	var ml struct {
		Predictions struct {
			Probabilities [][]float32 `json:"probabilities"`
		} `json:"predictions"`
	}
	if code != 200 || json.Unmarshal(b, &ml) != nil {
		t.Fatalf("invocations: %d %s", code, b)
	}
	got, _ := json.Marshal(ml.Predictions.Probabilities)
	var flat []float32
	for _, r := range ml.Predictions.Probabilities {
		flat = append(flat, r...)
	}
	if fb, _ := json.Marshal(flat); !jsonEqual(t, fb, wantProba) {
		t.Fatalf("mlflow probabilities %s, want %s", got, wantProba)
	}

	// Asking for one output returns only it.
	code, _, b, _ = ts.do("POST", "/v2/models/flights/versions/3/infer", strings.Replace(flightsRow, `"inputs"`, `"outputs":[{"name":"label"}],"inputs"`, 1))
	if code != 200 || !strings.Contains(string(b), `"outputs":[{"name":"label"`) || strings.Contains(string(b), "probabilities") {
		t.Fatalf("outputs filter: %d %s", code, b)
	}
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func TestDatatypesRoundTrip(t *testing.T) {
	ts := startServer(t, Options{})
	ts.deploy(t, "types", DeploymentSpec{Model: "types", Versions: []VersionSpec{one(1, "types.onnx", 1)}})
	body := `{"inputs":[
		{"name":"f64","shape":[2,1],"datatype":"FP64","data":[0.1,-2.5e-300]},
		{"name":"i32","shape":[2,1],"datatype":"INT32","data":[-2147483648,7]},
		{"name":"flag","shape":[2,1],"datatype":"BOOL","data":[true,false]},
		{"name":"word","shape":[2],"datatype":"BYTES","data":["naïve","tab\there"]}]}`
	code, _, b, _ := ts.do("POST", "/v2/models/types/infer", body)
	if code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	for _, want := range []string{
		`{"name":"f64_out","datatype":"FP64","shape":[2,1],"data":[0.1,-2.5e-300]}`,
		`{"name":"i32_out","datatype":"INT32","shape":[2,1],"data":[-2147483648,7]}`,
		`{"name":"flag_out","datatype":"BOOL","shape":[2,1],"data":[true,false]}`,
		`{"name":"word_out","datatype":"BYTES","shape":[2],"data":["naïve","tab\there"]}`,
		`{"name":"not_flag","datatype":"BOOL","shape":[2,1],"data":[false,true]}`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("response lacks %s\n%s", want, b)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	ts := startServer(t, Options{Limits: Limits{MaxBodyBytes: 4096, MaxRows: 4}})
	ts.deploy(t, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(1, "percolumn.onnx", 1)}})
	big := `{"inputs":[{"name":"distance","shape":[1,1],"datatype":"FP32","data":[` + strings.Repeat("1,", 3000) + `1]}]}`
	rows := `{"inputs":[{"name":"distance","shape":[5,1],"datatype":"FP32","data":[1,2,3,4,5]},{"name":"origin","shape":[5,1],"datatype":"BYTES","data":["a","b","c","d","e"]},{"name":"hour","shape":[5,1],"datatype":"INT64","data":[1,2,3,4,5]}]}`
	tests := []struct {
		name, method, path, body string
		code                     int
		msg                      string
	}{
		{"bad JSON", "POST", "/v2/models/flights/infer", `{"inputs": [`, 400, "bad JSON"},
		{"unknown model", "POST", "/v2/models/nope/infer", flightsRow, 404, `unknown model "nope"`},
		{"unknown version", "POST", "/v2/models/flights/versions/9/infer", flightsRow, 404, "no loaded version 9"},
		{"bad version", "POST", "/v2/models/flights/versions/x/infer", flightsRow, 400, "version"},
		{"unknown input", "POST", "/v2/models/flights/infer", strings.Replace(flightsRow, `"hour"`, `"hours"`, 1), 400, `unknown input "hours"`},
		{"wrong datatype", "POST", "/v2/models/flights/infer", strings.Replace(flightsRow, `"datatype":"BYTES"`, `"datatype":"FP32"`, 1), 400, `cannot feed`},
		{"wrong shape", "POST", "/v2/models/flights/infer", strings.Replace(flightsRow, `"shape":[1,1],"datatype":"FP32"`, `"shape":[1,2],"datatype":"FP32"`, 1), 400, "does not fit"},
		{"data length", "POST", "/v2/models/flights/infer", strings.Replace(flightsRow, `[1797]`, `[1797, 5]`, 1), 400, "2 values but the shape needs 1"},
		{"too many rows", "POST", "/v2/models/flights/infer", rows, 413, "limit is 4"},
		{"body too large", "POST", "/v2/models/flights/infer", big, 413, "limit"},
		{"unknown output", "POST", "/v2/models/flights/infer", strings.Replace(flightsRow, `"inputs"`, `"outputs":[{"name":"x"}],"inputs"`, 1), 400, `unknown output "x"`},
		{"mlflow no payload", "POST", "/invocations", `{"columns":[]}`, 400, "exactly one of"},
		{"mlflow missing column", "POST", "/invocations", `{"dataframe_split":{"columns":["distance","hour"],"data":[[1,2]]}}`, 400, `missing column "origin"`},
		{"no endpoint", "GET", "/v2/nothing", "", 404, "no such endpoint"},
		{"wrong method", "GET", "/v2/models/flights/infer", "", 405, "method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, b, err := ts.do(tt.method, tt.path, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Error string }
			if code != tt.code || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, tt.msg) || h.Get("Content-Type") != "application/json" {
				t.Fatalf("got %d %s (%s); want %d with %q", code, b, h.Get("Content-Type"), tt.code, tt.msg)
			}
		})
	}
	// The server still answers afterwards.
	if code, _, b, _ := ts.do("POST", "/v2/models/flights/infer", flightsRow); code != 200 {
		t.Fatalf("after malformed requests: %d %s", code, b)
	}
}

func TestTrafficSplit(t *testing.T) {
	ts := startServer(t, Options{})
	ts.deploy(t, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{
		one(1, "percolumn.onnx", 70), one(2, "percolumn.onnx", 20), one(3, "percolumn.onnx", 10),
	}})
	const n = 10000
	for _, sticky := range []bool{false, true} {
		t.Run(fmt.Sprintf("sticky=%v", sticky), func(t *testing.T) {
			var counts [4]atomic.Int64
			var bad atomic.Int64
			var wg sync.WaitGroup
			next := atomic.Int64{}
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > n {
							return
						}
						var hdr []string
						if sticky {
							hdr = []string{"X-Request-Id", fmt.Sprintf("req-%d", i)}
						}
						code, h, _, err := ts.do("POST", "/v2/models/flights/infer", flightsRow, hdr...)
						v := h.Get("X-Model-Version")
						if err != nil || code != 200 || len(v) != 1 || v[0] < '1' || v[0] > '3' {
							bad.Add(1)
							continue
						}
						counts[v[0]-'0'].Add(1)
					}
				}()
			}
			wg.Wait()
			if bad.Load() != 0 {
				t.Fatalf("%d requests failed", bad.Load())
			}
			for v, w := range map[int]float64{1: 0.7, 2: 0.2, 3: 0.1} {
				share := float64(counts[v].Load()) / n
				if share < w-0.02 || share > w+0.02 {
					t.Errorf("version %d took %.4f of traffic, want %.2f ± 0.02", v, share, w)
				}
			}
		})
	}
	// The same request id always lands on the same version.
	for i := range 20 {
		id := fmt.Sprintf("client-%d", i)
		_, h0, _, _ := ts.do("POST", "/v2/models/flights/infer", flightsRow, "X-Request-Id", id)
		for range 5 {
			if _, h, _, _ := ts.do("POST", "/v2/models/flights/infer", flightsRow, "X-Request-Id", id); h.Get("X-Model-Version") != h0.Get("X-Model-Version") {
				t.Fatalf("request id %s moved from version %s to %s", id, h0.Get("X-Model-Version"), h.Get("X-Model-Version"))
			}
		}
	}
}

// load sends requests from workers until stop is closed and counts answers.
type load struct {
	ok, failed atomic.Int64
	codes      sync.Map
	wg         sync.WaitGroup
	stop       chan struct{}
}

func startLoad(ts *testServer, workers int, path, body string) *load {
	l := &load{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				code, _, b, err := ts.do("POST", path, body, "X-Request-Id", fmt.Sprintf("w%d-%d", w, i))
				switch {
				case err != nil:
					l.failed.Add(1)
					l.codes.Store("transport: "+err.Error(), true)
				case code == 200:
					l.ok.Add(1)
				default:
					l.failed.Add(1)
					l.codes.Store(fmt.Sprintf("%d %s", code, b), true)
				}
			}
		}()
	}
	return l
}

// waitOK spins until n requests were answered, or fails the test once a request
// failed so a broken server cannot hang the test.
func (l *load) waitOK(t testing.TB, n int64) {
	t.Helper()
	for l.ok.Load() < n {
		if l.failed.Load() > 0 {
			t.Fatalf("requests fail: %v", l.finish())
		}
		runtime.Gosched()
	}
}

func (l *load) finish() []string {
	select {
	case <-l.stop:
		return nil
	default:
	}
	close(l.stop)
	l.wg.Wait()
	var errs []string
	l.codes.Range(func(k, _ any) bool { errs = append(errs, k.(string)); return true })
	return errs
}

func TestPromotionAndRollbackUnderLoad(t *testing.T) {
	ts := startServer(t, Options{})
	ctx := context.Background()
	ts.deploy(t, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(1, "percolumn.onnx", 100)}})
	l := startLoad(ts, 6, "/v2/models/flights/infer", flightsRow)
	steps := [][]VersionSpec{
		{one(1, "percolumn.onnx", 90), one(2, "percolumn.onnx", 10)},
		{one(1, "percolumn.onnx", 50), one(2, "percolumn.onnx", 50)},
		{one(2, "percolumn.onnx", 100)}, // promoted: version 1 retires
		{one(1, "percolumn.onnx", 100)}, // rolled back: version 1 loads again, 2 retires
		{one(1, "percolumn.onnx", 100), one(3, "percolumn.onnx", 0)},
	}
	var retired []*version
	for _, vs := range steps {
		before := ts.mgr.table.Load().routes["flights"]
		if _, err := ts.Manager().Apply(ctx, "flights", DeploymentSpec{Model: "delay", Versions: vs}); err != nil {
			t.Fatal(err)
		}
		after := ts.mgr.table.Load().routes["flights"]
		for _, v := range before.byNumber {
			if after.byNumber[v.number] != v {
				retired = append(retired, v)
			}
		}
		// Let traffic run on each step: wait for 200 more answers.
		l.waitOK(t, l.ok.Load()+200)
	}
	errs := l.finish()
	if len(errs) > 0 || l.failed.Load() > 0 {
		t.Fatalf("%d of %d requests were not 2xx: %v", l.failed.Load(), l.ok.Load()+l.failed.Load(), errs)
	}
	if len(retired) != 2 {
		t.Fatalf("retired %d versions, want 2", len(retired))
	}
	for _, v := range retired {
		select {
		case <-v.closed:
		default:
			t.Errorf("retired version %d is still open with %d references", v.number, v.refs.Load())
		}
	}
	st := ts.Manager().Status("flights")
	if len(st.Versions) != 2 || st.Versions[0].State != "serving" || st.Versions[1].State != "idle" || st.Versions[0].Requests == 0 {
		t.Fatalf("status %+v", st)
	}
}

func TestCorruptVersionLeavesOldServing(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile("testdata/percolumn.onnx")
	os.WriteFile(filepath.Join(dir, "good.onnx"), good, 0o644)
	os.WriteFile(filepath.Join(dir, "truncated.onnx"), good[:len(good)/2], 0o644)
	os.WriteFile(filepath.Join(dir, "garbage.onnx"), bytes.Repeat([]byte{0xff, 0x00, 0x13}, 100), 0o644)
	ts := startServer(t, Options{Resolve: FileResolver(dir), AdminToken: "s3cret"})
	ts.deploy(t, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(1, "good.onnx", 100)}})
	l := startLoad(ts, 4, "/v2/models/flights/infer", flightsRow)
	auth := []string{"Authorization", "Bearer s3cret"}
	for _, bad := range []string{"truncated.onnx", "garbage.onnx", "missing.onnx"} {
		code, _, b, _ := ts.do("PUT", "/admin/deployments/flights", `{"model":"delay","versions":[{"version":1,"artifact":"good.onnx","weight":0},{"version":2,"artifact":"`+bad+`","weight":100}]}`, auth...)
		if code != 422 || !strings.Contains(string(b), "version 2") {
			t.Fatalf("PUT %s: %d %s", bad, code, b)
		}
	}
	if errs := l.finish(); len(errs) > 0 {
		t.Fatalf("requests failed while bad versions were pushed: %v", errs)
	}
	code, h, b, _ := ts.do("POST", "/v2/models/flights/infer", flightsRow)
	if code != 200 || h.Get("X-Model-Version") != "1" {
		t.Fatalf("after corrupt versions: %d version %s %s", code, h.Get("X-Model-Version"), b)
	}
	code, _, b, _ = ts.do("GET", "/v2/models/flights/ready", "")
	if code != 200 || !strings.Contains(string(b), "version 2 failed") {
		t.Fatalf("model ready: %d %s", code, b)
	}
	code, _, b, _ = ts.do("GET", "/v2/models/flights/versions/2/ready", "")
	if code != 503 || !strings.Contains(string(b), "failed to load") {
		t.Fatalf("version 2 ready: %d %s", code, b)
	}
	code, _, b, _ = ts.do("GET", "/admin/deployments/flights", "", auth...)
	var st DeploymentStatus
	if code != 200 || json.Unmarshal(b, &st) != nil {
		t.Fatalf("status: %d %s", code, b)
	}
	if len(st.Versions) != 2 || st.Versions[0].State != "serving" || st.Versions[0].Weight != 100 || st.Versions[1].State != "failed" || !strings.Contains(st.Versions[1].Error, "missing.onnx") {
		t.Fatalf("status %s", b)
	}

	// A new deployment whose only version is corrupt exists, is not ready, and says why.
	code, _, b, _ = ts.do("PUT", "/admin/deployments/fresh", `{"model":"delay","versions":[{"version":1,"artifact":"garbage.onnx","weight":1}]}`, auth...)
	if code != 422 {
		t.Fatalf("PUT fresh: %d %s", code, b)
	}
	for _, path := range []string{"/v2/models/fresh/ready", "/v2/health/ready"} {
		if code, _, b, _ := ts.do("GET", path, ""); code != 503 || !strings.Contains(string(b), "version 1 failed") {
			t.Fatalf("%s: %d %s", path, code, b)
		}
	}
	if code, _, b, _ := ts.do("POST", "/v2/models/fresh/infer", flightsRow); code != 503 {
		t.Fatalf("infer fresh: %d %s", code, b)
	}
}

func TestAdminAPI(t *testing.T) {
	ts := startServer(t, Options{AdminToken: "tok"})
	auth := []string{"Authorization", "Bearer tok"}
	for _, h := range [][]string{nil, {"Authorization", "Bearer nope"}, {"Authorization", "tok"}} {
		if code, _, _, _ := ts.do("GET", "/admin/deployments", "", h...); code != 401 {
			t.Fatalf("without the token: %d", code)
		}
	}
	tests := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"PUT", "/admin/deployments/flights", `{"model":"delay","versions":[{"version":1,"artifact":"percolumn.onnx","weight":1}],"sampleRate":0.5}`, 200, `"state":"serving"`},
		{"PUT", "/admin/deployments/flights", `{"model":"delay","versions":[{"version":1,"artifact":"percolumn.onnx","weight":1}],"bogus":1}`, 400, "unknown field"},
		{"PUT", "/admin/deployments/flights", `{"model":"delay","versions":[{"version":1,"artifact":"percolumn.onnx","weight":0}]}`, 400, "add up to 0"},
		{"PUT", "/admin/deployments/flights", `{"model":"delay","versions":[{"version":1,"artifact":"percolumn.onnx","weight":1}],"sampleRate":2}`, 400, "sampleRate"},
		{"PUT", "/admin/deployments/Bad%20Name", `{"model":"delay","versions":[{"version":1,"artifact":"percolumn.onnx","weight":1}]}`, 400, "deployment name"},
		{"GET", "/admin/deployments", "", 200, `"sampleRate":0.5`},
		{"GET", "/admin/deployments/flights", "", 200, `"latencyP99Ms"`},
		{"GET", "/admin/deployments/nope", "", 404, "unknown deployment"},
		{"DELETE", "/admin/deployments/flights", "", 204, ""},
		{"DELETE", "/admin/deployments/flights", "", 404, "unknown deployment"},
	}
	for _, tt := range tests {
		code, _, b, err := ts.do(tt.method, tt.path, tt.body, auth...)
		if err != nil || code != tt.code || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s %s: %d %s; want %d with %q", tt.method, tt.path, code, b, tt.code, tt.want)
		}
	}
	if code, _, _, _ := ts.do("POST", "/v2/models/flights/infer", flightsRow); code != 404 {
		t.Fatalf("deleted deployment still answers: %d", code)
	}
}

func TestShutdownLosesNoPrediction(t *testing.T) {
	urls := []string{"sqlite://p.db"}
	if u := os.Getenv("FERRY_TEST_POSTGRES_URL"); u != "" {
		urls = append(urls, u)
	} else {
		t.Log("FERRY_TEST_POSTGRES_URL unset: PostgreSQL not tested")
	}
	for _, url := range urls {
		for _, policy := range []store.Policy{store.PolicyBlock, store.PolicyDrop} {
			t.Run(strings.SplitN(url, ":", 2)[0]+"/"+policy.String(), func(t *testing.T) {
				shutdownUnderLoad(t, url, policy)
			})
		}
	}
}

func shutdownUnderLoad(t *testing.T, url string, policy store.Policy) {
	db, err := store.Open(context.Background(), url, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dep := fmt.Sprintf("flights-%s-%d", policy, time.Now().UnixNano()) // a fresh deployment per run in a shared database
	ts := startServer(t, Options{Predictions: db, Queue: 8, OnFull: policy})
	ts.deploy(t, dep, DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(1, "percolumn.onnx", 1)}})
	l := startLoad(ts, 8, "/v2/models/"+dep+"/infer", flightsRow)
	l.waitOK(t, 500)
	// Cancel under load: Serve stops accepting, drains and flushes.
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	l.finish()
	ctx := context.Background()
	stored, _ := db.Count(ctx, store.Filter{Deployment: dep})
	dropped, _ := db.Dropped(ctx, store.Filter{Deployment: dep})
	if answered := l.ok.Load(); stored+dropped != answered {
		t.Fatalf("answered %d, stored %d + dropped %d = %d", answered, stored, dropped, stored+dropped)
	}
	if policy == store.PolicyBlock && dropped != 0 {
		t.Fatalf("block policy dropped %d rows", dropped)
	}
	t.Logf("answered %d: stored %d, dropped %d", l.ok.Load(), stored, dropped)
	var row store.Prediction
	db.Scan(ctx, store.Filter{Deployment: dep, Limit: 1}, func(p *store.Prediction) error { row = *p; return nil })
	in, out := strings.ReplaceAll(string(row.Inputs), " ", ""), strings.ReplaceAll(string(row.Outputs), " ", "") // jsonb adds spaces
	if row.Version != 1 || row.RequestID == "" || !strings.Contains(in, `"origin":"LAX"`) || !strings.Contains(out, `"probabilities":[`) {
		t.Fatalf("logged row %+v, inputs %s outputs %s", row, row.Inputs, row.Outputs)
	}
}

func TestMetrics(t *testing.T) {
	db, err := store.Open(context.Background(), "sqlite://p.db", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts := startServer(t, Options{Predictions: db})
	ts.deploy(t, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(4, "percolumn.onnx", 1)}})
	ts.do("POST", "/v2/models/flights/infer", flightsRow)
	ts.do("POST", "/v2/models/flights/infer", `{"inputs":[{"name":"x"}]}`)
	ts.do("POST", "/v2/models/flights/infer", `{`)
	_, _, b, _ := ts.do("GET", "/metrics", "")
	for _, want := range []string{
		`ferry_serve_requests_total{deployment="flights",version="4"} 2`,
		`ferry_serve_errors_total{code="400",deployment="flights",version="4"} 1`,
		`ferry_serve_rejected_total{code="400"} 1`,
		`ferry_serve_request_duration_seconds_count{deployment="flights",version="4"} 1`,
		`ferry_serve_log_queue_depth`,
		`ferry_serve_version_loads_total{deployment="flights",result="ok"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestSampleRate(t *testing.T) {
	db, err := store.Open(context.Background(), "sqlite://p.db", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts := startServer(t, Options{Predictions: db})
	zero, all := 0.0, 1.0
	ts.deploy(t, "silent", DeploymentSpec{Model: "delay", SampleRate: &zero, Versions: []VersionSpec{one(1, "percolumn.onnx", 1)}})
	ts.deploy(t, "logged", DeploymentSpec{Model: "delay", SampleRate: &all, Versions: []VersionSpec{one(1, "percolumn.onnx", 1)}})
	for range 50 {
		for _, d := range []string{"silent", "logged"} {
			if code, _, b, _ := ts.do("POST", "/v2/models/"+d+"/infer", flightsRow); code != 200 {
				t.Fatalf("%s: %d %s", d, code, b)
			}
		}
	}
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]int64{"silent": 0, "logged": 50} {
		n, _ := db.Count(context.Background(), store.Filter{Deployment: d})
		dropped, _ := db.Dropped(context.Background(), store.Filter{Deployment: d})
		if n != want || dropped != 0 {
			t.Errorf("%s: %d rows logged, %d dropped; want %d, 0", d, n, dropped, want)
		}
	}
}
