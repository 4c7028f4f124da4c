// Command prepare writes the flights example's data from the vega-datasets package's
// flights-3m.parquet: the training table (January–March) and later-month traffic
// (April) for replay and drift monitoring.
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
	flag.Parse()
	if err := run(*src, *out, *every, *traffic); err != nil {
		fmt.Fprintln(os.Stderr, "prepare:", err)
		os.Exit(1)
	}
}

func run(src, out string, every, traffic int) error {
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
	tbl := concat(train)
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
	fmt.Fprintf(os.Stderr, "prepare: %d training rows (Jan–Mar, every %d), %d April traffic rows in %s\n", tbl.Rows, every, apr.Rows, out)
	return nil
}

// concat appends frames with the same columns; category levels are merged and
// nulls kept.
func concat(fs []*dataset.Frame) *dataset.Frame {
	out := &dataset.Frame{}
	for _, f := range fs {
		out.Rows += f.Rows
	}
	for k, c := range fs[0].Columns {
		nc := &dataset.Column{Name: c.Name, Type: c.Type, Time: c.Time}
		index := map[string]int32{}
		row := 0
		for _, f := range fs {
			col := f.Columns[k]
			for i := 0; i < f.Rows; i, row = i+1, row+1 {
				if col.IsNull(i) {
					if nc.Null == nil {
						nc.Null = make([]bool, out.Rows)
					}
					nc.Null[row] = true
				}
				if nc.Type == dataset.Number {
					nc.Floats = append(nc.Floats, col.Floats[i])
					continue
				}
				if col.Codes[i] < 0 {
					nc.Codes = append(nc.Codes, -1)
					continue
				}
				s := col.Levels[col.Codes[i]]
				code, ok := index[s]
				if !ok {
					code = int32(len(nc.Levels))
					index[s] = code
					nc.Levels = append(nc.Levels, s)
				}
				nc.Codes = append(nc.Codes, code)
			}
		}
		out.Columns = append(out.Columns, nc)
	}
	return out
}
