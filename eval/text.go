package eval

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
)

// metricOrder is the order metrics appear in tables; others follow by name.
var metricOrder = []string{AUC, PRAUC, LogLoss, Accuracy, Precision, Recall, F1, Brier, MacroF1, RMSE, MAE, R2, MAPE}

// MetricNames returns the names in m in table order.
func MetricNames(m map[string]float64) []string {
	var names []string
	for _, n := range metricOrder {
		if _, ok := m[n]; ok {
			names = append(names, n)
		}
	}
	var rest []string
	for n := range m {
		if !slices.Contains(metricOrder, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

// Clean removes non-finite values from every metrics map of r, adding a note for
// each, so that r always encodes as JSON.
func (r *Report) Clean() {
	clean := func(where string, m map[string]float64) {
		for _, k := range MetricNames(m) {
			if v := m[k]; math.IsNaN(v) || math.IsInf(v, 0) {
				delete(m, k)
				r.Notes = append(r.Notes, fmt.Sprintf("%s%s is undefined (%v)", where, k, v))
			}
		}
	}
	clean("", r.Metrics)
	cols := make([]string, 0, len(r.Segments))
	for c := range r.Segments {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		vals := make([]string, 0, len(r.Segments[c]))
		for v := range r.Segments[c] {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		for _, v := range vals {
			clean(fmt.Sprintf("segment %s=%s: ", c, v), r.Segments[c][v].Metrics)
		}
	}
	if r.Latency != nil {
		for _, p := range []*float64{&r.Latency.P50Ms, &r.Latency.P95Ms, &r.Latency.P99Ms, &r.Latency.BatchRowsPerSec} {
			if math.IsNaN(*p) || math.IsInf(*p, 0) {
				*p = 0
			}
		}
	}
	if math.IsNaN(r.MemoryMB) || math.IsInf(r.MemoryMB, 0) {
		r.MemoryMB = 0
	}
}

// WriteText renders r as tables for people.
func WriteText(out io.Writer, r *Report) error {
	w := &errWriter{w: out}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "rows\t%d\n", r.Rows)
	fmt.Fprintf(tw, "task\t%s\n", r.Task)
	if r.Model != nil {
		fmt.Fprintf(tw, "model\t%s (%d bytes)\n", r.Model.Digest, r.Model.Bytes)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "metric\tvalue")
	for _, n := range MetricNames(r.Metrics) {
		fmt.Fprintf(tw, "%s\t%s\n", n, num(r.Metrics[n]))
	}
	cols := make([]string, 0, len(r.Segments))
	for c := range r.Segments {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		segs := r.Segments[c]
		vals := make([]string, 0, len(segs))
		all := map[string]float64{}
		for v, s := range segs {
			vals = append(vals, v)
			for k := range s.Metrics {
				all[k] = 0
			}
		}
		// largest first, as TopGroups orders them; "other" last
		sort.Slice(vals, func(i, j int) bool {
			a, b := segs[vals[i]], segs[vals[j]]
			if (vals[i] == OtherSegment) != (vals[j] == OtherSegment) {
				return vals[j] == OtherSegment
			}
			if a.Rows != b.Rows {
				return a.Rows > b.Rows
			}
			return vals[i] < vals[j]
		})
		names := MetricNames(all)
		fmt.Fprintf(tw, "\nsegment %s\trows\t%s\n", c, strings.Join(names, "\t"))
		for _, v := range vals {
			s := segs[v]
			cells := make([]string, len(names))
			for i, n := range names {
				if x, ok := s.Metrics[n]; ok {
					cells[i] = num(x)
				} else {
					cells[i] = "-"
				}
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", v, s.Rows, strings.Join(cells, "\t"))
		}
	}
	tw.Flush()
	if e := r.EdgeCases; e != nil {
		fmt.Fprintf(w, "\nedge cases: %d of %d failed\n", e.Failed, e.Total)
		for _, f := range e.Failures {
			name := ""
			if f.Name != "" {
				name = " (" + f.Name + ")"
			}
			fmt.Fprintf(w, "  row %d%s: expected %s, got %s: %s\n", f.Row, name, f.Expected, f.Got, f.Message)
		}
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "\nlatency (single row): p50 %s ms, p95 %s ms, p99 %s ms\n", num(l.P50Ms), num(l.P95Ms), num(l.P99Ms))
		if l.BatchRowsPerSec > 0 {
			fmt.Fprintf(w, "batch throughput: %.0f rows/s\n", l.BatchRowsPerSec)
		}
	}
	if r.MemoryMB > 0 {
		fmt.Fprintf(w, "memory: %s MB\n", num(r.MemoryMB))
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	return w.err
}

// errWriter keeps the first write error so rendering code can ignore them.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func num(v float64) string {
	switch a := math.Abs(v); {
	case v == 0:
		return "0"
	case a >= 1e6 || a < 1e-4:
		return fmt.Sprintf("%.4g", v)
	default:
		return fmt.Sprintf("%.4f", v)
	}
}
