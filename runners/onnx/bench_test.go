package onnx

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/dataset"
)

// flights500k reads the first 500k rows of flights-3m.parquet and adds the columns
// percolumn.onnx reads (hour) and its target (delayed: more than 15 minutes late).
func flights500k(b *testing.B) *dataset.Frame {
	dir := os.Getenv("FERRY_DATA")
	if dir == "" {
		b.Skip("FERRY_DATA not set (make bench sets it)")
	}
	f, err := dataset.ReadFile(filepath.Join(dir, "flights-3m.parquet"), dataset.ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]int, 500_000)
	for i := range rows {
		rows[i] = i
	}
	f = f.Take(rows)
	date, delay := f.Col("date"), f.Col("delay")
	hour := &dataset.Column{Name: "hour", Type: dataset.Number, Floats: make([]float64, f.Rows)}
	delayed := &dataset.Column{Name: "delayed", Type: dataset.Number, Floats: make([]float64, f.Rows)}
	for i := range f.Rows {
		hour.Floats[i] = math.Floor(math.Mod(date.Floats[i], 86400) / 3600)
		if delay.Floats[i] > 15 {
			delayed.Floats[i] = 1
		}
	}
	f.Columns = append(f.Columns, hour, delayed)
	return f
}

// BenchmarkEvaluate500k evaluates models with one input per column (float
// distance, string origin, int64 hour) on 500k flights, with metrics per origin,
// and reports onnxruntime's own time against the time outside it: building
// tensors, reading outputs, computing metrics and segments. Target:
// outside <= 30% of onnxruntime's time. onnxruntime runs single-threaded on the
// calling thread, so the CPU split is exact; wall times include waiting for a core.
//
//	gbt:      gradient-boosted trees (100 trees, depth 4), the shape of ferry's
//	          builtin gradient-boosting models
//	logistic: one-hot + logistic regression, about the cheapest model there is
func BenchmarkEvaluate500k(b *testing.B) {
	f := flights500k(b)
	for _, bm := range []struct{ name, model string }{{"gbt", "gbt.onnx"}, {"logistic", "percolumn.onnx"}} {
		b.Run(bm.name, func(b *testing.B) {
			m := loadModel(b, bm.model)
			opts := EvalOptions{Target: "delayed", Segments: []string{"origin"}, LatencyRuns: -1}
			b.ResetTimer()
			var ort, total, ortCPU, totalCPU float64
			for range b.N {
				_, st, err := evaluate(m, f, opts)
				if err != nil {
					b.Fatal(err)
				}
				ort += st.runtime.wall.Seconds()
				total += st.total.Seconds()
				ortCPU += st.runtime.cpu.Seconds()
				totalCPU += st.totalCPU.Seconds()
			}
			n := float64(b.N)
			b.ReportMetric(ort/n*1e3, "ort-ms/op")
			b.ReportMetric((total-ort)/n*1e3, "outside-ms/op")
			b.ReportMetric(100*(total-ort)/ort, "outside-%")
			// CPU time does not count waiting for a core, so it holds on a busy machine
			b.ReportMetric(ortCPU/n*1e3, "ort-cpu-ms/op")
			b.ReportMetric((totalCPU-ortCPU)/n*1e3, "outside-cpu-ms/op")
			b.ReportMetric(100*(totalCPU-ortCPU)/ortCPU, "outside-cpu-%")
		})
	}
}
