package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/store"
)

// The benchmarks serve testdata/bench/gbt.onnx: scikit-learn's
// GradientBoostingClassifier (100 trees, depth 4) trained on flights by
// testdata/bench/train_gbt.py, on real flights rows from FERRY_DATA.

var benchFeatures = []string{"distance", "hour", "weekday", "month"}

var (
	benchOnce sync.Once
	benchRows [][4]float32
	benchErr  error
)

// flightRows reads up to n rows of flights-3m.parquet as the model's features.
func flightRows(b *testing.B, n int) [][4]float32 {
	dir := os.Getenv("FERRY_DATA")
	if dir == "" {
		b.Skip("FERRY_DATA is not set (make bench sets it)")
	}
	benchOnce.Do(func() {
		f, err := dataset.ReadFile(filepath.Join(dir, "flights-3m.parquet"), dataset.ReadOptions{Columns: []string{"date", "distance"}})
		if err != nil {
			benchErr = err
			return
		}
		date, dist := f.Col("date"), f.Col("distance")
		step := f.Rows / 8192
		for i := 0; i < f.Rows && len(benchRows) < 8192; i += step {
			t := time.Unix(int64(date.Floats[i]), 0).UTC()
			benchRows = append(benchRows, [4]float32{float32(dist.Floats[i]), float32(t.Hour()), float32(t.Weekday()), float32(t.Month())})
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchRows[:min(n, len(benchRows))]
}

// checkGBT makes sure onnxruntime gives sklearn's probabilities before any
// figure is taken.
func checkGBT(b *testing.B, m *onnx.Model) {
	raw, err := os.ReadFile("testdata/bench/gbt.expected.json")
	if err != nil {
		b.Fatal(err)
	}
	var exp struct {
		Rows          [][4]float32
		Probabilities []float64
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		b.Fatal(err)
	}
	outs, err := m.Run(onnxColumns(exp.Rows))
	if err != nil {
		b.Fatal(err)
	}
	p := outs[1].Data.([]float32)
	for i, want := range exp.Probabilities {
		if math.Abs(float64(p[2*i+1])-want) > 1e-5 {
			b.Fatalf("row %d: onnxruntime %v, sklearn %v", i, p[2*i+1], want)
		}
	}
}

func onnxColumns(rows [][4]float32) []onnx.Tensor {
	ts := make([]onnx.Tensor, 4)
	for j, name := range benchFeatures {
		col := make([]float32, len(rows))
		for i, r := range rows {
			col[i] = r[j]
		}
		ts[j] = onnx.Tensor{Name: name, Shape: []int64{int64(len(rows)), 1}, Data: col}
	}
	return ts
}

// oipBody renders rows as an OIP v2 request.
func oipBody(rows [][4]float32) []byte {
	b := []byte(`{"inputs":[`)
	for j, name := range benchFeatures {
		if j > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"name":%q,"datatype":"FP32","shape":[%d,1],"data":[`, name, len(rows))
		for i, r := range rows {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(r[j]), 'g', -1, 32)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...)
}

func benchServer(b *testing.B, opts Options) *testServer {
	ts := startServer(b, opts)
	ts.deploy(b, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(1, "bench/gbt.onnx", 1)}})
	return ts
}

func benchPost(b *testing.B, c *http.Client, url string, body []byte) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkBatch compares a 1024-row batch through onnxruntime alone with the
// same batch through the server over loopback HTTP (decode, run, encode).
// Target: server ≤ 1.2 × onnxruntime.
func BenchmarkBatch(b *testing.B) {
	rows := flightRows(b, 1024)
	initORT(b)
	m, err := onnx.LoadFile("testdata/bench/gbt.onnx", onnx.Options{IntraOpThreads: 1, InterOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	checkGBT(b, m)
	b.Run("onnxruntime", func(b *testing.B) {
		in := onnxColumns(rows)
		for b.Loop() {
			if _, err := m.Run(in); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("server", func(b *testing.B) {
		ts := benchServer(b, Options{})
		body := oipBody(rows)
		url := ts.url + "/v2/models/flights/infer"
		for b.Loop() {
			benchPost(b, ts.client, url, body)
		}
		b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkSingleRow sends single-row requests from parallel clients, with the
// prediction log off and on (SQLite). Target: logging costs ≤ 10% throughput.
func BenchmarkSingleRow(b *testing.B) {
	rows := flightRows(b, 1024)
	bodies := make([][]byte, len(rows))
	for i := range rows {
		bodies[i] = oipBody(rows[i : i+1])
	}
	for _, logging := range []bool{false, true} {
		b.Run(fmt.Sprintf("log=%v", logging), func(b *testing.B) {
			opts := Options{}
			if logging {
				db, err := store.Open(context.Background(), "sqlite://p.db", b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				opts.Predictions = db
			}
			ts := benchServer(b, opts)
			url := ts.url + "/v2/models/flights/infer"
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					benchPost(b, ts.client, url, bodies[i%len(bodies)])
					i++
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkDecodeInfer measures the request decoder alone on a 64-row batch.
func BenchmarkDecodeInfer(b *testing.B) {
	rows := make([][4]float32, 64)
	for i := range rows {
		rows[i] = [4]float32{float32(100 + i), float32(i % 24), float32(i % 7), float32(1 + i%12)}
	}
	body := oipBody(rows)
	inputs := make([]IOInfo, 4)
	for j, n := range benchFeatures {
		inputs[j] = IOInfo{Name: n, Type: "float", Shape: []int64{-1, 1}}
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeInfer(body, inputs, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
