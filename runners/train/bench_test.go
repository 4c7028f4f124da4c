package train

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/internal/flightsdata"
	"github.com/ferryml/ferry/spec"
)

// benchFlights reads flights-3m.parquet from FERRY_DATA with the features that
// internal/flightsdata derives (hour and weekday of the date, distance, origin,
// destination; delayed = delay > 15), as testdata/bench/flightscsv does for
// scikit-learn. January trains, February evaluates.
func benchFlights(b *testing.B) (train, eval *dataset.Frame) {
	dir := os.Getenv("FERRY_DATA")
	if dir == "" {
		b.Skip("FERRY_DATA is not set (make bench sets it)")
	}
	f, err := flightsdata.Read(filepath.Join(dir, "flights-3m.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	month := func(m time.Month) *dataset.Frame {
		g, err := flightsdata.Month(f, m).Select("hour", "weekday", "distance", "origin", "destination", "delayed")
		if err != nil {
			b.Fatal(err)
		}
		return g
	}
	return month(time.January), month(time.February)
}

func benchTrainer(b *testing.B, trainer string, params map[string]any) {
	train, eval := benchFlights(b)
	req := request(trainer, spec.TaskBinary, "delayed", params, train, eval)
	b.ResetTimer()
	cpu0 := cpuSeconds()
	var res *Result
	for i := 0; i < b.N; i++ {
		var err error
		res, err = Train(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// CPU seconds too: on a shared machine wall time depends on the neighbours.
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/train")
	b.ReportMetric(res.Metrics["auc"], "auc")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/train")
	b.ReportMetric(float64(train.Rows), "rows")
	if it, ok := res.Info["iterations"]; ok {
		b.ReportMetric(float64(it.(int)), "iterations")
	}
}

// BenchmarkGradientBoostingFlights: 100 trees of depth 6 (the defaults), as
// testdata/bench/sklearn_flights.py runs HistGradientBoostingClassifier.
func BenchmarkGradientBoostingFlights(b *testing.B) {
	benchTrainer(b, spec.TrainerGradientBoosting, nil)
}

// BenchmarkLogisticRegressionFlights: C=1 on standardised numbers and one-hot
// categories, as the peer script runs LogisticRegression.
func BenchmarkLogisticRegressionFlights(b *testing.B) {
	benchTrainer(b, spec.TrainerLogisticRegression, nil)
}

// cpuSeconds is the process's user and system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
