package render

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/records"
)

// CandidatesText writes each previewed candidate's metrics against production
// and its gate checks, for the terminal.
func CandidatesText(w io.Writer, cs []*reconcile.Candidate) error {
	var b strings.Builder
	for _, c := range cs {
		against := "no production version (first model)"
		if c.ProductionVersion > 0 {
			against = fmt.Sprintf("production v%d", c.ProductionVersion)
		}
		fmt.Fprintf(&b, "\nCandidate %s run %s (%s) against %s: gate %s\n", c.Model, short(c.Run), c.Experiment, against, strings.ToUpper(c.Verdict()))
		if n := c.WindowNote(); n != "" {
			fmt.Fprintf(&b, "  (%s)\n", n)
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  METRIC\tCANDIDATE\tPRODUCTION\tDELTA")
		for _, r := range metricRows(c) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.name, r.cand, r.prod, r.delta)
		}
		tw.Flush()
		for _, ch := range sortedChecks(c.Gate) {
			fmt.Fprintf(&b, "  %s %-28s %s\n", mark(ch, "✓", "✗", "!"), ch.Name, ch.Message)
		}
		if c.Gate != nil && c.Gate.Error != "" {
			fmt.Fprintf(&b, "  ✗ %-28s %s\n", "error", c.Gate.Error)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Comment writes the pull request comment: the plan, then each candidate with a
// metrics table against production (with deltas) and the gate's checks, long
// parts folded in <details>.
func Comment(w io.Writer, p *reconcile.Plan, cs []*reconcile.Candidate) error {
	var b strings.Builder
	if err := Markdown(&b, p); err != nil {
		return err
	}
	for _, c := range cs {
		verdict := "✅ gate allows"
		if c.Verdict() != "allow" {
			verdict = "❌ gate denies"
		}
		against := "no production version yet"
		if c.ProductionVersion > 0 {
			against = fmt.Sprintf("against production v%d", c.ProductionVersion)
		}
		fmt.Fprintf(&b, "\n#### %s — `%s` run `%s` (%s), %s\n\n", verdict, c.Model, short(c.Run), c.Experiment, against)
		if n := c.WindowNote(); n != "" {
			fmt.Fprintf(&b, "_%s._\n\n", n)
		}
		b.WriteString("| metric | candidate | production | Δ |\n|---|---:|---:|---:|\n")
		for _, r := range metricRows(c) {
			name := r.name
			if r.name == c.Metric {
				name = "**" + name + "**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, r.cand, r.prod, r.delta)
		}
		checks := sortedChecks(c.Gate)
		b.WriteString("\n| | check | message |\n|---|---|---|\n")
		for _, ch := range checks {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mark(ch, "✅", "❌", "⚠️"), cell(ch.Name), cell(ch.Message))
		}
		if c.Gate != nil && c.Gate.Error != "" {
			fmt.Fprintf(&b, "| ❌ | error | %s |\n", cell(c.Gate.Error))
		}
		if seg := segmentTable(c); seg != "" {
			b.WriteString("\n<details><summary>Metrics per segment</summary>\n\n" + seg + "\n</details>\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type metricRow struct{ name, cand, prod, delta string }

func metricRows(c *reconcile.Candidate) []metricRow {
	if c.Candidate == nil {
		return nil
	}
	var rows []metricRow
	for _, n := range eval.MetricNames(c.Candidate.Metrics) {
		v := c.Candidate.Metrics[n]
		r := metricRow{name: n, cand: num(v), prod: "–", delta: "–"}
		if c.Production != nil {
			if pv, ok := c.Production.Metrics[n]; ok {
				r.prod, r.delta = num(pv), signed(v-pv)
			}
		}
		rows = append(rows, r)
	}
	if l := c.Candidate.Latency; l != nil {
		r := metricRow{name: "latency p99 (ms)", cand: num(l.P99Ms), prod: "–", delta: "–"}
		if c.Production != nil && c.Production.Latency != nil {
			r.prod, r.delta = num(c.Production.Latency.P99Ms), signed(l.P99Ms-c.Production.Latency.P99Ms)
		}
		rows = append(rows, r)
	}
	if m := c.Candidate.MemoryMB; m > 0 {
		r := metricRow{name: "memory (MB)", cand: num(m), prod: "–", delta: "–"}
		if c.Production != nil && c.Production.MemoryMB > 0 {
			r.prod, r.delta = num(c.Production.MemoryMB), signed(m-c.Production.MemoryMB)
		}
		rows = append(rows, r)
	}
	return rows
}

// segmentTable lists the primary metric per segment value, candidate against
// production, largest segments first.
func segmentTable(c *reconcile.Candidate) string {
	if c.Candidate == nil || len(c.Candidate.Segments) == 0 || c.Metric == "" {
		return ""
	}
	var b strings.Builder
	cols := make([]string, 0, len(c.Candidate.Segments))
	for col := range c.Candidate.Segments {
		cols = append(cols, col)
	}
	sort.Strings(cols)
	for _, col := range cols {
		segs := c.Candidate.Segments[col]
		vals := make([]string, 0, len(segs))
		for v := range segs {
			vals = append(vals, v)
		}
		sort.Slice(vals, func(i, j int) bool {
			if segs[vals[i]].Rows != segs[vals[j]].Rows {
				return segs[vals[i]].Rows > segs[vals[j]].Rows
			}
			return vals[i] < vals[j]
		})
		fmt.Fprintf(&b, "| %s | rows | %s candidate | production | Δ |\n|---|---:|---:|---:|---:|\n", cell(col), c.Metric)
		for _, v := range vals {
			s := segs[v]
			cv, ok := s.Metrics[c.Metric]
			if !ok {
				continue
			}
			prod, delta := "–", "–"
			if c.Production != nil {
				if ps, ok := c.Production.Segments[col][v]; ok {
					if pv, ok := ps.Metrics[c.Metric]; ok {
						prod, delta = num(pv), signed(cv-pv)
					}
				}
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", cell(v), s.Rows, num(cv), prod, delta)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// sortedChecks puts failed denies first, then failed warnings, then passes.
func sortedChecks(g *records.GateRecord) []records.Check {
	if g == nil {
		return nil
	}
	out := append([]records.Check{}, g.Checks...)
	rank := func(c records.Check) int {
		switch {
		case !c.Passed && c.Severity == "deny":
			return 0
		case !c.Passed:
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

func mark(c records.Check, pass, deny, warn string) string {
	switch {
	case c.Passed:
		return pass
	case c.Severity == "deny":
		return deny
	}
	return warn
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.4f", v)
}

func signed(v float64) string {
	if math.Abs(v) < 5e-5 {
		return "0"
	}
	return fmt.Sprintf("%+.4f", v)
}
