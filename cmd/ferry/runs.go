package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/reconcile/records"
)

func init() { register(newRunsCmd) }

func newRunsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Training runs recorded in git: list, show, diff",
		Long: `Every training run ferry makes is recorded in records/runs/<experiment>/<run-id>.yaml:
its inputs hash, trainer, parameters, seed, dataset digest and rows, code commit,
artifact digest, metrics, evaluation, gate decision and timings. These commands
read them at the records head without fetching.

A RUN argument is a run id, a unique prefix of one, or experiment/id.`,
		Example: `  ferry runs list
  ferry runs list delay-gbt --json
  ferry runs show 0754c18f
  ferry runs diff 0754c18f bb9943f7`,
	}
	cmd.AddCommand(newRunsListCmd(e), newRunsShowCmd(e), newRunsDiffCmd(e))
	return cmd
}

type runSummary struct {
	ID         string             `json:"id"`
	Experiment string             `json:"experiment"`
	Model      string             `json:"model"`
	StartedAt  string             `json:"startedAt"`
	Trigger    string             `json:"trigger"`
	Trainer    string             `json:"trainer"`
	Metrics    map[string]float64 `json:"metrics"`
	Gate       string             `json:"gate"`
	Version    int                `json:"version,omitempty"`
}

func allRuns(recs *records.Set) []*records.Run {
	var out []*records.Run
	for _, rs := range recs.Runs {
		out = append(out, rs...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Timings.StartedAt != out[j].Timings.StartedAt {
			return out[i].Timings.StartedAt < out[j].Timings.StartedAt
		}
		return out[i].Experiment+"/"+out[i].ID < out[j].Experiment+"/"+out[j].ID
	})
	return out
}

func gateText(g *records.GateRecord) string {
	switch {
	case g == nil:
		return "not gated"
	case g.Allow:
		return "allowed"
	}
	return "denied"
}

func runMetrics(r *records.Run) map[string]float64 {
	if r.Evaluation != nil && len(r.Evaluation.Metrics) > 0 {
		return r.Evaluation.Metrics
	}
	if r.Metrics != nil {
		return r.Metrics
	}
	return map[string]float64{}
}

func newRunsListCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [EXPERIMENT]",
		Short: "List runs, oldest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, recs, err := registryReader(cmd, e, &f)
			if err != nil {
				return err
			}
			out := []runSummary{}
			for _, r := range allRuns(recs) {
				if len(args) == 1 && r.Experiment != args[0] {
					continue
				}
				out = append(out, runSummary{ID: r.ID, Experiment: r.Experiment, Model: r.Model, StartedAt: r.Timings.StartedAt,
					Trigger: r.Trigger, Trainer: r.Trainer.String(), Metrics: runMetrics(r), Gate: gateText(r.Gate), Version: r.Version})
			}
			if asJSON {
				return writeJSON(e.stdout, map[string]any{"runs": out})
			}
			if len(out) == 0 {
				fmt.Fprintln(e.stderr, "no runs recorded")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tEXPERIMENT\tSTARTED\tTRAINER\tMETRICS\tGATE\tVERSION\tTRIGGER")
			for _, s := range out {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Experiment, s.StartedAt, s.Trainer,
					metricString(s.Metrics), s.Gate, vstr(s.Version), s.Trigger)
			}
			return tw.Flush()
		},
	}
	f.add(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine output on stdout")
	return cmd
}

// findRun resolves a RUN argument.
func findRun(recs *records.Set, arg string) (*records.Run, error) {
	exp, id, scoped := strings.Cut(arg, "/")
	if !scoped {
		id, exp = arg, ""
	}
	var hits []*records.Run
	for _, r := range allRuns(recs) {
		if (exp == "" || r.Experiment == exp) && strings.HasPrefix(r.ID, id) {
			hits = append(hits, r)
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("no run %q in the records", arg)
	case 1:
		return hits[0], nil
	}
	var names []string
	for _, r := range hits {
		names = append(names, r.Experiment+"/"+r.ID)
	}
	return nil, fmt.Errorf("run %q is ambiguous: %s", arg, strings.Join(names, ", "))
}

func newRunsShowCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show one run's record",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, recs, err := registryReader(cmd, e, &f)
			if err != nil {
				return err
			}
			r, err := findRun(recs, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, r)
			}
			b, err := records.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "# run %s of %s (records/%s)\n", r.ID, r.Experiment, records.RunPath(r.Experiment, r.ID))
			_, err = e.stdout.Write(b)
			return err
		},
	}
	f.add(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine output on stdout")
	return cmd
}

type diffRow struct {
	Field string   `json:"field"`
	A     any      `json:"a"`
	B     any      `json:"b"`
	Delta *float64 `json:"delta,omitempty"`
}

func newRunsDiffCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Compare two runs: inputs that differ, metrics with deltas",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, recs, err := registryReader(cmd, e, &f)
			if err != nil {
				return err
			}
			a, err := findRun(recs, args[0])
			if err != nil {
				return err
			}
			b, err := findRun(recs, args[1])
			if err != nil {
				return err
			}
			var rows []diffRow
			add := func(field string, x, y any) {
				if all || fmt.Sprint(x) != fmt.Sprint(y) {
					rows = append(rows, diffRow{Field: field, A: x, B: y})
				}
			}
			add("experiment", a.Experiment, b.Experiment)
			add("trainer", a.Trainer.String(), b.Trainer.String())
			add("trainer.version", a.Trainer.Version, b.Trainer.Version)
			keys := map[string]bool{}
			for k := range a.Params {
				keys[k] = true
			}
			for k := range b.Params {
				keys[k] = true
			}
			for _, k := range sortedKeys(keys) {
				add("params."+k, a.Params[k], b.Params[k])
			}
			add("seed", a.Seed, b.Seed)
			add("dataset", a.Dataset.Name, b.Dataset.Name)
			add("dataset.digest", a.Dataset.Digest, b.Dataset.Digest)
			add("dataset.rows", a.Dataset.Rows, b.Dataset.Rows)
			add("code.commit", a.Code.Commit, b.Code.Commit)
			add("code.tree", a.Code.Tree, b.Code.Tree)
			add("artifact", a.Artifact, b.Artifact)
			add("gate", gateText(a.Gate), gateText(b.Gate))
			add("version", vstr(a.Version), vstr(b.Version))
			ma, mb := runMetrics(a), runMetrics(b)
			mk := map[string]bool{}
			for k := range ma {
				mk[k] = true
			}
			for k := range mb {
				mk[k] = true
			}
			for _, k := range sortedKeys(mk) {
				x, okx := ma[k]
				y, oky := mb[k]
				row := diffRow{Field: "metrics." + k, A: nilIf(!okx, x), B: nilIf(!oky, y)}
				if okx && oky {
					d := y - x
					row.Delta = &d
				}
				rows = append(rows, row)
			}
			if asJSON {
				if rows == nil {
					rows = []diffRow{}
				}
				return writeJSON(e.stdout, map[string]any{"a": a.Experiment + "/" + a.ID, "b": b.Experiment + "/" + b.ID, "fields": rows})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "FIELD\t%s\t%s\tDELTA\n", a.Experiment+"/"+a.ID, b.Experiment+"/"+b.ID)
			for _, r := range rows {
				delta := ""
				if r.Delta != nil && !math.IsNaN(*r.Delta) {
					delta = fmt.Sprintf("%+.4f", *r.Delta)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Field, cellText(r.A), cellText(r.B), delta)
			}
			return tw.Flush()
		},
	}
	f.add(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine output on stdout")
	cmd.Flags().BoolVar(&all, "all", false, "list inputs that are equal too")
	return cmd
}

func nilIf(cond bool, v float64) any {
	if cond {
		return nil
	}
	return v
}

func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e12 {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.4f", v)
	case string:
		if v == "" {
			return "-"
		}
		return v
	}
	return fmt.Sprint(v)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
