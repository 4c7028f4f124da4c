// Command prepare writes the flights example's data from the vega-datasets package's
// flights-3m.parquet: the training table (January–March) and later-month traffic
// for replay and drift monitoring: April as it came, and April's evening
// departures alone (a shift in who the model serves).
//
//	go run ./examples/flights/prepare -src "$(scripts/vega-data.sh)/flights-3m.parquet" -out examples/flights/data -every 10
//
// -every 1 prepares the full months.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/internal/flightsdata"
)

func main() {
	src := flag.String("src", "", "path of flights-3m.parquet")
	out := flag.String("out", "data", "output folder")
	every := flag.Int("every", 10, "keep every k-th flight (1 keeps all)")
	traffic := flag.Int("traffic", 20000, "rows of April traffic to write")
	evening := flag.Int("evening", 5000, "rows of April evening traffic to write")
	flag.Parse()
	if err := run(*src, *out, *every, *traffic, *evening); err != nil {
		fmt.Fprintln(os.Stderr, "prepare:", err)
		os.Exit(1)
	}
}

func run(src, out string, every, traffic, evening int) error {
	if src == "" {
		return fmt.Errorf("-src is required (flights-3m.parquet from the vega-datasets npm package; make data prints its folder)")
	}
	all, err := flightsdata.Read(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var train []*dataset.Frame
	for m := time.January; m <= time.March; m++ {
		train = append(train, flightsdata.Sample(flightsdata.Month(all, m), every))
	}
	tbl := train[0]
	for _, f := range train[1:] {
		if tbl, err = dataset.Append(tbl, f); err != nil {
			return err
		}
	}
	if err := dataset.WriteFile(filepath.Join(out, "flights.parquet"), tbl); err != nil {
		return err
	}
	apr := flightsdata.Month(all, time.April)
	step := max(1, apr.Rows/traffic)
	apr = flightsdata.Sample(apr, step)
	if apr.Rows > traffic {
		apr = apr.Slice(0, traffic)
	}
	if err := dataset.WriteFile(filepath.Join(out, "traffic-april.parquet"), apr); err != nil {
		return err
	}
	// A shift for the drift monitor to catch: real April flights, but only
	// the evening departures (18:00 and later), spread over the month.
	april := flightsdata.Month(all, time.April)
	hour := april.Col("hour")
	eve := april.Filter(func(i int) bool { return hour.Floats[i] >= 18 })
	eve = flightsdata.Sample(eve, max(1, eve.Rows/evening))
	if eve.Rows > evening {
		eve = eve.Slice(0, evening)
	}
	if err := dataset.WriteFile(filepath.Join(out, "traffic-april-evening.parquet"), eve); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "prepare: %d training rows (Jan–Mar, every %d), %d April traffic rows, %d April evening rows in %s\n", tbl.Rows, every, apr.Rows, eve.Rows, out)
	return nil
}
