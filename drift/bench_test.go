package drift_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
)

// flightFeatures are the features of the flights benchmark; hour and weekday
// are derived from the date.
var flightFeatures = []string{"hour", "weekday", "distance", "delay", "origin", "destination"}

func flightsPath(b *testing.B) string {
	dir := os.Getenv("FERRY_DATA")
	if dir == "" {
		b.Skip("FERRY_DATA is not set (make bench sets it)")
	}
	return filepath.Join(dir, "flights-3m.parquet")
}

// readFlightMonths reads flights-3m.parquet and returns one frame per month
// (January–June 2001) with hour and weekday (Monday = 0) derived from the
// date, in UTC.
func readFlightMonths(tb testing.TB, path string) []*dataset.Frame {
	f, err := dataset.ReadFile(path, dataset.ReadOptions{Columns: []string{"date", "delay", "distance", "origin", "destination"}})
	if err != nil {
		tb.Fatal(err)
	}
	date := f.Col("date").Floats
	hour := &dataset.Column{Name: "hour", Type: dataset.Number, Floats: make([]float64, f.Rows)}
	weekday := &dataset.Column{Name: "weekday", Type: dataset.Number, Floats: make([]float64, f.Rows)}
	var bounds [7]float64
	for m := range bounds {
		bounds[m] = float64(time.Date(2001, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC).Unix())
	}
	rows := make([][]int, 6)
	for i, t := range date {
		sec := int64(math.Floor(t))
		day := sec / 86400 // dates here are after 1970: no negative days
		hour.Floats[i] = float64(sec % 86400 / 3600)
		weekday.Floats[i] = float64((day + 3) % 7) // 1970-01-01 was a Thursday
		for m := 0; m < 6; m++ {
			if t >= bounds[m] && t < bounds[m+1] {
				rows[m] = append(rows[m], i)
				break
			}
		}
	}
	f.Columns = append(f.Columns, hour, weekday)
	months := make([]*dataset.Frame, 6)
	for m := range months {
		months[m] = f.Take(rows[m])
	}
	return months
}

// BenchmarkDriftFlights is January 2001 against each of February–June, every
// statistic on every feature (hour, weekday, distance, delay, origin,
// destination), with exact statistics (every reference value kept).
//
//   - end-to-end: reading the parquet, deriving hour and weekday, splitting
//     by month, profiling January and five comparisons — what the Python
//     peer (testdata/bench/peer_drift.py) does from a CSV;
//   - jan-vs-jun: profiling January and comparing June, data in memory
//     (the "< 1 s" target);
//   - jun-stored-profile: comparing June against a stored profile of
//     January with the default 50,000-value sample (what a monitor does).
func BenchmarkDriftFlights(b *testing.B) {
	path := flightsPath(b)
	exact := drift.ProfileOptions{SampleSize: -1, Features: flightFeatures}
	b.Run("end-to-end", func(b *testing.B) {
		defer reportCPU(b)()
		for range b.N {
			months := readFlightMonths(b, path)
			p, err := drift.BuildProfile(months[0], exact)
			if err != nil {
				b.Fatal(err)
			}
			for _, m := range months[1:] {
				if _, err := drift.Compare(p, m, drift.Config{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	// Loaded once for the in-memory sub-benchmarks, and only when one runs.
	var months []*dataset.Frame
	load := func(b *testing.B) {
		if months == nil {
			months = readFlightMonths(b, path)
			b.ResetTimer()
		}
	}
	b.Run("jan-vs-jun", func(b *testing.B) {
		load(b)
		b.ReportMetric(float64(months[0].Rows+months[5].Rows), "rows")
		defer reportCPU(b)()
		for range b.N {
			p, err := drift.BuildProfile(months[0], exact)
			if err != nil {
				b.Fatal(err)
			}
			r, err := drift.Compare(p, months[5], drift.Config{})
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Features) != len(flightFeatures) {
				b.Fatalf("%d features", len(r.Features))
			}
		}
	})
	b.Run("jun-stored-profile", func(b *testing.B) {
		load(b)
		p, err := drift.BuildProfile(months[0], drift.ProfileOptions{Features: flightFeatures})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		defer reportCPU(b)()
		for range b.N {
			if _, err := drift.Compare(p, months[5], drift.Config{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU adds the CPU time per operation (all threads) to the benchmark's
// output as cpu-ms/op; call the returned function when the loop is done.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}
