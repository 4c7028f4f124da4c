package serve

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/dataset"
)

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// URL of the server and the deployment to send rows to.
	URL        string
	Deployment string
	Frame      *dataset.Frame
	// Features are the columns, in order, of a model with a single [N, F]
	// input; models with one input per column are fed by name.
	Features []string
	// Rate in requests per second; 0 sends as fast as the workers can.
	Rate float64
	// Limit caps the rows sent; 0 sends every row.
	Limit int
	// Concurrency is the number of requests in flight (default 4).
	Concurrency int
	// Batch is the rows per request (default 1).
	Batch int
	// Wait for the model to be ready this long before starting.
	Wait   time.Duration
	Client *http.Client
	// LabelColumn and Labels, both set, make Replay write the true labels of
	// the rows it sends to Labels before sending any request: a CSV with the
	// header request_id,row,<LabelColumn> and one line per sent row, keyed
	// like the prediction log (X-Request-Id and the row's index in its
	// batch), so a Monitor's performance test can join them as delayed labels.
	LabelColumn string
	Labels      io.Writer
	// IDPrefix starts every request id: <IDPrefix>-<request> (default
	// "replay"). Replays that must not share ids in the prediction log (so
	// their labels join only their own rows) use different prefixes.
	IDPrefix string
}

// ReplayReport is what a replay measured.
type ReplayReport struct {
	Requests   int            `json:"requests"`
	Rows       int            `json:"rows"`
	Skipped    int            `json:"skipped"`
	Errors     int            `json:"errors"`
	DurationS  float64        `json:"durationS"`
	Throughput float64        `json:"throughput"`
	RowsPerSec float64        `json:"rowsPerSec"`
	Latency    ReplayLatency  `json:"latency"`
	Versions   map[string]int `json:"versions"`
	Status     map[string]int `json:"status"`
	// FirstErrors holds up to five distinct error messages.
	FirstErrors []string `json:"firstErrors,omitempty"`
}

// ReplayLatency are request latency percentiles in milliseconds.
type ReplayLatency struct {
	P50Ms  float64 `json:"p50Ms"`
	P95Ms  float64 `json:"p95Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
	MeanMs float64 `json:"meanMs"`
}

type modelMeta struct {
	Inputs []tensorMeta `json:"inputs"`
}

// Replay sends the rows of a frame to a deployment as OIP v2 requests and
// measures throughput, latency and which versions answered. Rows with nulls in
// the model's columns are skipped (JSON has no NaN) and counted.
func Replay(ctx context.Context, opts ReplayOptions) (*ReplayReport, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Batch <= 0 {
		opts.Batch = 1
	}
	if opts.IDPrefix == "" {
		opts.IDPrefix = "replay"
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: opts.Concurrency}}
	}
	var label *dataset.Column
	if opts.LabelColumn != "" && opts.Labels != nil {
		if label = opts.Frame.Col(opts.LabelColumn); label == nil {
			return nil, fmt.Errorf("replay: no label column %q (the data has %s)", opts.LabelColumn, strings.Join(opts.Frame.Names(), ", "))
		}
	}
	base := strings.TrimSuffix(opts.URL, "/") + "/v2/models/" + url.PathEscape(opts.Deployment)
	meta, err := waitMeta(ctx, opts.Client, base, opts.Wait)
	if err != nil {
		return nil, err
	}
	bodies, keep, skipped, err := replayBodies(meta, opts)
	if err != nil {
		return nil, err
	}
	rows := len(keep)
	if label != nil {
		if err := writeLabels(opts.Labels, label, keep, opts.Batch, opts.IDPrefix); err != nil {
			return nil, err
		}
	}
	rep := &ReplayReport{Rows: rows, Skipped: skipped, Versions: map[string]int{}, Status: map[string]int{}}
	jobs := make(chan int)
	var (
		mu        sync.Mutex
		latencies []float64
	)
	start := time.Now()
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []float64
			versions, status := map[string]int{}, map[string]int{}
			var errs []string
			for i := range jobs {
				t0 := time.Now()
				code, version, msg := post(ctx, opts.Client, base+"/infer", bodies[i], replayID(opts.IDPrefix, i))
				lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
				status[code]++
				if version != "" {
					versions[version]++
				}
				if msg != "" {
					errs = append(errs, msg)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, lat...)
			for k, v := range versions {
				rep.Versions[k] += v
			}
			for k, v := range status {
				rep.Status[k] += v
			}
			for _, e := range errs {
				rep.Errors++
				if len(rep.FirstErrors) < 5 && !slices.Contains(rep.FirstErrors, e) {
					rep.FirstErrors = append(rep.FirstErrors, e)
				}
			}
		}()
	}
send:
	for i := range bodies {
		if opts.Rate > 0 {
			due := start.Add(time.Duration(float64(i) / opts.Rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					break send
				}
			}
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			break send
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	rep.Requests = len(latencies)
	rep.DurationS = round3(elapsed.Seconds())
	if elapsed > 0 {
		rep.Throughput = round3(float64(rep.Requests) / elapsed.Seconds())
		rep.RowsPerSec = round3(float64(min(rep.Requests*opts.Batch, rows)) / elapsed.Seconds())
	}
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		var sum float64
		for _, l := range latencies {
			sum += l
		}
		rep.Latency = ReplayLatency{P50Ms: pct(latencies, 0.5), P95Ms: pct(latencies, 0.95), P99Ms: pct(latencies, 0.99), MaxMs: latencies[n-1], MeanMs: round3(sum / float64(n))}
	}
	return rep, ctx.Err()
}

func pct(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// post sends one request and returns its status, the version that answered and
// an error message ("" on 2xx).
func post(ctx context.Context, c *http.Client, u string, body []byte, id string) (status, version, msg string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "error", "", err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", id)
	resp, err := c.Do(req)
	if err != nil {
		return "error", "", err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	status = strconv.Itoa(resp.StatusCode)
	version = resp.Header.Get("X-Model-Version")
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		json.Unmarshal(b, &e)
		return status, version, fmt.Sprintf("%s: %s", status, e.Error)
	}
	return status, version, ""
}

// waitMeta fetches the model's metadata, retrying while the server starts.
func waitMeta(ctx context.Context, c *http.Client, base string, wait time.Duration) (*modelMeta, error) {
	deadline := time.Now().Add(wait)
	for {
		meta, err := fetchMeta(ctx, c, base)
		if err == nil || time.Now().After(deadline) {
			return meta, err
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func fetchMeta(ctx context.Context, c *http.Client, base string) (*modelMeta, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("model metadata: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.Unmarshal(b, &e)
		return nil, fmt.Errorf("model metadata %s: %s %s", base, resp.Status, e.Error)
	}
	var m modelMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("model metadata %s: %w", base, err)
	}
	return &m, nil
}

// replayID is the request id of body i: its X-Request-Id header and the
// body's "id", so the prediction log and the labels file key it the same.
func replayID(prefix string, i int) string { return prefix + "-" + strconv.Itoa(i) }

// writeLabels writes the label of each kept row as request_id,row,label in
// the order the bodies hold them: body i holds keep[i*batch:(i+1)*batch].
func writeLabels(w io.Writer, label *dataset.Column, keep []int, batch int, prefix string) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"request_id", "row", label.Name})
	for k, r := range keep {
		cw.Write([]string{replayID(prefix, k/batch), strconv.Itoa(k % batch), label.Value(r)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("replay: write labels: %w", err)
	}
	return nil
}

// feedSource is where one model input's values come from: columns of the frame.
type feedSource struct {
	meta tensorMeta
	cols []*dataset.Column
}

// replayBodies renders every request body up front, so building requests is
// not part of the measured latency.
// keep holds the frame rows sent, in body order.
func replayBodies(meta *modelMeta, opts ReplayOptions) (bodies [][]byte, keep []int, skipped int, err error) {
	f := opts.Frame
	var feeds []feedSource
	var problems []string
	for _, in := range meta.Inputs {
		if c := f.Col(in.Name); c != nil {
			feeds = append(feeds, feedSource{meta: in, cols: []*dataset.Column{c}})
			continue
		}
		if len(meta.Inputs) == 1 && len(opts.Features) > 0 {
			fs := feedSource{meta: in}
			for _, name := range opts.Features {
				c := f.Col(name)
				if c == nil {
					problems = append(problems, fmt.Sprintf("no column %q", name))
					continue
				}
				fs.cols = append(fs.cols, c)
			}
			feeds = append(feeds, fs)
			continue
		}
		problems = append(problems, fmt.Sprintf("no column for model input %q (%s %s)", in.Name, in.Datatype, formatShape(in.Shape)))
	}
	if len(problems) > 0 {
		hint := ""
		if len(meta.Inputs) == 1 {
			hint = " (a model with one [N, F] input needs the feature columns in order: --features a,b,c)"
		}
		return nil, nil, 0, fmt.Errorf("replay: %s%s", strings.Join(problems, "; "), hint)
	}
	for r := 0; r < f.Rows && (opts.Limit <= 0 || len(keep) < opts.Limit); r++ {
		ok := true
		for _, fd := range feeds {
			for _, c := range fd.cols {
				if c.IsNull(r) || c.Type == dataset.Number && (math.IsNaN(c.Floats[r]) || math.IsInf(c.Floats[r], 0)) {
					ok = false
				}
			}
		}
		if ok {
			keep = append(keep, r)
		} else {
			skipped++
		}
	}
	if len(keep) == 0 {
		return nil, nil, skipped, errors.New("replay: no rows to send")
	}
	for lo := 0; lo < len(keep); lo += opts.Batch {
		batch := keep[lo:min(lo+opts.Batch, len(keep))]
		b := []byte(`{"id":`)
		b = appendString(b, replayID(opts.IDPrefix, len(bodies)))
		b = append(b, `,"inputs":[`...)
		for k, fd := range feeds {
			if k > 0 {
				b = append(b, ',')
			}
			b, err = appendFeed(b, fd, batch)
			if err != nil {
				return nil, nil, 0, err
			}
		}
		bodies = append(bodies, append(b, "]}"...))
	}
	return bodies, keep, skipped, nil
}

func appendFeed(b []byte, fd feedSource, rows []int) ([]byte, error) {
	width := len(fd.cols)
	b = append(b, `{"name":`...)
	b = appendString(b, fd.meta.Name)
	b = append(b, `,"datatype":"`...)
	b = append(b, fd.meta.Datatype...)
	b = append(b, `","shape":[`...)
	b = strconv.AppendInt(b, int64(len(rows)), 10)
	if len(fd.meta.Shape) != 1 {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(width), 10)
	}
	b = append(b, `],"data":[`...)
	first := true
	for _, r := range rows {
		for _, c := range fd.cols {
			if !first {
				b = append(b, ',')
			}
			first = false
			switch {
			case c.Type == dataset.Category && fd.meta.Datatype == BYTES:
				b = appendString(b, c.String(r))
			case c.Type == dataset.Category:
				return nil, fmt.Errorf("replay: column %q holds text but model input %q is %s", c.Name, fd.meta.Name, fd.meta.Datatype)
			case fd.meta.Datatype == BYTES:
				b = appendString(b, strconv.FormatFloat(c.Floats[r], 'g', -1, 64))
			case fd.meta.Datatype == BOOL:
				b = strconv.AppendBool(b, c.Floats[r] != 0)
			case fd.meta.Datatype == INT32 || fd.meta.Datatype == INT64:
				b = strconv.AppendInt(b, int64(math.Round(c.Floats[r])), 10)
			default:
				b = strconv.AppendFloat(b, c.Floats[r], 'g', -1, 64)
			}
		}
	}
	return append(b, "]}"...), nil
}
