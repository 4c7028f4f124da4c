// Command flightscsv turns flights-3m.parquet into the CSV the serving benchmark
// trains on (Python here cannot read Parquet): distance, hour, weekday and month
// as features and delayed (delay > 15 minutes) as the label, every k-th row so
// all six months are in it.
//
//	go run ./runners/serve/testdata/bench/flightscsv FLIGHTS.parquet OUT.csv ROWS
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/ferryml/ferry/dataset"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "flightscsv:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: flightscsv FLIGHTS.parquet OUT.csv ROWS")
	}
	rows, err := strconv.Atoi(args[2])
	if err != nil || rows < 1 {
		return fmt.Errorf("rows %q: want a positive number", args[2])
	}
	f, err := dataset.ReadFile(args[0], dataset.ReadOptions{Columns: []string{"date", "delay", "distance"}})
	if err != nil {
		return err
	}
	date, delay, dist := f.Col("date"), f.Col("delay"), f.Col("distance")
	out, err := os.Create(args[1])
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	fmt.Fprintln(w, "distance,hour,weekday,month,delayed")
	step := max(f.Rows/rows, 1)
	n := 0
	for i := 0; i < f.Rows && n < rows; i += step {
		if date.IsNull(i) || delay.IsNull(i) || dist.IsNull(i) {
			continue
		}
		t := time.Unix(int64(date.Floats[i]), 0).UTC()
		delayed := 0
		if delay.Floats[i] > 15 {
			delayed = 1
		}
		fmt.Fprintf(w, "%g,%d,%d,%d,%d\n", dist.Floats[i], t.Hour(), int(t.Weekday()), int(t.Month()), delayed)
		n++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
}
