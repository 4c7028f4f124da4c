package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLoad1000 loads a project of 1,000 spec files (250 each of datasets,
// models, experiments and deployments) from disk. Target: under 200 ms.
func BenchmarkLoad1000(b *testing.B) {
	dir := b.TempDir()
	write := func(name, data string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("ferry.yaml", "apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: bench}\nspec: {records: records}\n")
	write("data/d.csv", "a,b,y\n1,x,0\n")
	for i := range 250 {
		write(fmt.Sprintf("datasets/d%03d.yaml", i), fmt.Sprintf(`apiVersion: ferry.dev/v1
kind: Dataset
metadata: {name: d%03d}
spec:
  source: data/d.csv
  target: y
  features:
    - {name: a, type: number, min: 0, max: 100}
    - {name: b, type: category, values: [x, y, z]}
  split: {eval: 0.2, seed: %d}
`, i, i))
		write(fmt.Sprintf("models/m%03d.yaml", i), fmt.Sprintf(`apiVersion: ferry.dev/v1
kind: Model
metadata: {name: m%03d}
spec:
  task: binary-classification
  dataset: d%03d
  metric: auc
  segments: [b]
  gate:
    min: {auc: 0.6}
    max: {latencyP99Ms: 5}
    tolerance: {auc: 0.01}
`, i, i))
		write(fmt.Sprintf("experiments/e%03d.yaml", i), fmt.Sprintf(`apiVersion: ferry.dev/v1
kind: Experiment
metadata: {name: e%03d}
spec:
  model: m%03d
  trainer:
    builtin: gradient-boosting
    params: {trees: 100, depth: 4, learningRate: 0.1}
  seed: 7
  triggers: {schedule: "0 3 * * 1", newData: {minRows: 1000}}
`, i, i))
		write(fmt.Sprintf("deployments/p%03d.yaml", i), fmt.Sprintf(`apiVersion: ferry.dev/v1
kind: Deployment
metadata: {name: p%03d}
spec:
  model: m%03d
  environment: production
  strategy: {type: canary, steps: [10, 50, 100], interval: 1h, analysis: {maxErrorRate: 0.01}}
`, i, i))
	}
	// On a shared machine wall time depends on the neighbours; CPU time per load
	// (user + system, all threads) is reported beside it.
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		s, err := LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Models) != 250 {
			b.Fatalf("%d models", len(s.Models))
		}
		n++
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(n), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
