package dataset_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/dataset"
)

// BenchmarkReadFlights3M reads the 3-million-row flights file of vega-datasets
// (make bench sets FERRY_DATA). Target: about a second on 2 cores, memory near
// the size of the columns (3M × (3×8 + 2×4) bytes ≈ 96 MB).
func BenchmarkReadFlights3M(b *testing.B) {
	dir := os.Getenv("FERRY_DATA")
	if dir == "" {
		b.Skip("FERRY_DATA is not set (make bench sets it)")
	}
	path := filepath.Join(dir, "flights-3m.parquet")
	cpu0 := cpuTime()
	for b.Loop() {
		f, err := dataset.ReadFile(path, dataset.ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if f.Rows != 3_000_000 {
			b.Fatalf("read %d rows, want 3000000", f.Rows)
		}
	}
	// CPU time per read: on a shared machine wall time says more about the
	// neighbours than about the reader.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	// Peak resident memory of the whole benchmark process, for comparison with
	// the size of the columns.
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReadCSVFlights500k reads 500k rows of flights as CSV (written from the
// Parquet file in setup): the streaming text path, with type inference.
func BenchmarkReadCSVFlights500k(b *testing.B) {
	dir := os.Getenv("FERRY_DATA")
	if dir == "" {
		b.Skip("FERRY_DATA is not set (make bench sets it)")
	}
	f, err := dataset.ReadFile(filepath.Join(dir, "flights-3m.parquet"), dataset.ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "flights.csv")
	if err := dataset.WriteFile(path, f.Slice(0, 500_000)); err != nil {
		b.Fatal(err)
	}
	f = nil
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		g, err := dataset.ReadFile(path, dataset.ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if g.Rows != 500_000 {
			b.Fatalf("read %d rows", g.Rows)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}
