// Package flightsdata turns the vega-datasets flights table (date, delay, distance,
// origin, destination; Jan–Jun 2001) into the features ferry's examples and
// benchmarks use: hour and weekday of the departure (UTC), distance, origin,
// destination, and the label delayed = delay > 15 minutes.
package flightsdata

import (
	"fmt"
	"math"
	"time"

	"github.com/ferryml/ferry/dataset"
)

// Columns are the columns of a prepared frame, in order.
var Columns = []string{"date", "hour", "weekday", "distance", "origin", "destination", "delayed"}

// Read reads flights-3m.parquet (or any file with its columns) and prepares it.
func Read(path string) (*dataset.Frame, error) {
	raw, err := dataset.ReadFile(path, dataset.ReadOptions{Columns: []string{"date", "delay", "distance", "origin", "destination"}})
	if err != nil {
		return nil, err
	}
	return Prepare(raw)
}

// Prepare derives the features and the label from a raw flights frame. Rows with a
// null date or delay are left out: they have no label or time.
func Prepare(raw *dataset.Frame) (*dataset.Frame, error) {
	date, delay := raw.Col("date"), raw.Col("delay")
	if date == nil || delay == nil || raw.Col("distance") == nil || raw.Col("origin") == nil || raw.Col("destination") == nil {
		return nil, fmt.Errorf("flights: want columns date, delay, distance, origin, destination (have %v)", raw.Names())
	}
	if date.Type != dataset.Number || !date.Time {
		return nil, fmt.Errorf("flights: column \"date\" is not a timestamp")
	}
	keep := make([]int, 0, raw.Rows)
	for i := 0; i < raw.Rows; i++ {
		if !date.IsNull(i) && !delay.IsNull(i) && !math.IsNaN(delay.Floats[i]) {
			keep = append(keep, i)
		}
	}
	f := raw.Take(keep)
	n := f.Rows
	hour := &dataset.Column{Name: "hour", Type: dataset.Number, Floats: make([]float64, n)}
	weekday := &dataset.Column{Name: "weekday", Type: dataset.Number, Floats: make([]float64, n)}
	delayed := &dataset.Column{Name: "delayed", Type: dataset.Number, Floats: make([]float64, n)}
	d, dl := f.Col("date"), f.Col("delay")
	for i := 0; i < n; i++ {
		t := time.Unix(int64(d.Floats[i]), 0).UTC()
		hour.Floats[i] = float64(t.Hour())
		weekday.Floats[i] = float64(t.Weekday())
		if dl.Floats[i] > 15 {
			delayed.Floats[i] = 1
		}
	}
	return &dataset.Frame{Rows: n, Columns: []*dataset.Column{
		d, hour, weekday, f.Col("distance"), f.Col("origin"), f.Col("destination"), delayed,
	}}, nil
}

// Month returns the rows of a prepared frame whose date falls in month m of 2001
// (1 = January).
func Month(f *dataset.Frame, m time.Month) *dataset.Frame {
	lo := float64(time.Date(2001, m, 1, 0, 0, 0, 0, time.UTC).Unix())
	hi := float64(time.Date(2001, m+1, 1, 0, 0, 0, 0, time.UTC).Unix())
	d := f.Col("date")
	return f.Filter(func(i int) bool { return d.Floats[i] >= lo && d.Floats[i] < hi })
}

// Sample keeps every k-th row, a deterministic thinning that keeps the order.
func Sample(f *dataset.Frame, k int) *dataset.Frame {
	if k <= 1 {
		return f
	}
	rows := make([]int, 0, f.Rows/k+1)
	for i := 0; i < f.Rows; i += k {
		rows = append(rows, i)
	}
	return f.Take(rows)
}
