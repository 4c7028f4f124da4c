// Command flightscsv derives ferry's flight-delay features from vega-datasets'
// flights-3m.parquet and writes them as CSV: the committed test slice of
// runners/train and the files the scikit-learn peer benchmark reads (Python here
// cannot read Parquet).
//
//	go run ./runners/train/testdata/bench/flightscsv -data $(scripts/vega-data.sh) \
//	    -from 2001-01-01 -before 2001-02-01 -out /tmp/flights-jan.csv
//
// Columns: month, hour, weekday (0 = Sunday), distance, origin, destination, delay
// (minutes) and delayed (1 when delay > 15), in the file's row order.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ferryml/ferry/dataset"
)

func main() {
	data := flag.String("data", os.Getenv("FERRY_DATA"), "vega-datasets folder")
	from := flag.String("from", "2001-01-01", "first date (inclusive)")
	before := flag.String("before", "2001-02-01", "end date (exclusive)")
	every := flag.Int("every", 1, "keep every n-th row of the date range")
	limit := flag.Int("limit", 0, "stop after this many rows (0: all)")
	out := flag.String("out", "", "output CSV")
	flag.Parse()
	if *data == "" || *out == "" {
		log.Fatal("flightscsv: -data (or FERRY_DATA) and -out are required")
	}
	lo, err := time.Parse(time.DateOnly, *from)
	if err != nil {
		log.Fatal(err)
	}
	hi, err := time.Parse(time.DateOnly, *before)
	if err != nil {
		log.Fatal(err)
	}
	f, err := dataset.ReadFile(filepath.Join(*data, "flights-3m.parquet"), dataset.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	date, delay, dist := f.Col("date"), f.Col("delay"), f.Col("distance")
	origin, dest := f.Col("origin"), f.Col("destination")
	w, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "month,hour,weekday,distance,origin,destination,delay,delayed")
	n, kept := 0, 0
	for i := 0; i < f.Rows; i++ {
		t := time.Unix(int64(date.Floats[i]), 0).UTC()
		if t.Before(lo) || !t.Before(hi) || math.IsNaN(delay.Floats[i]) {
			continue
		}
		n++
		if (n-1)%*every != 0 {
			continue
		}
		delayed := 0
		if delay.Floats[i] > 15 {
			delayed = 1
		}
		fmt.Fprintf(bw, "%d,%d,%d,%s,%s,%s,%s,%d\n", int(t.Month()), t.Hour(), int(t.Weekday()),
			strconv.FormatFloat(dist.Floats[i], 'g', -1, 64), origin.String(i), dest.String(i),
			strconv.FormatFloat(delay.Floats[i], 'g', -1, 64), delayed)
		kept++
		if *limit > 0 && kept >= *limit {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("%s: %d rows", *out, kept)
}
