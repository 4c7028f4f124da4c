package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/reconcile/records"
)

func init() { register(newRegistryCmd) }

func newRegistryCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "The model registry: registered versions, their lineage and where they serve",
		Long: `The registry is the records in git: records/models/<model>/v<N>.yaml per
registered version (lineage, evaluation, gate input and decision) and
records/deployments/<name>.yaml for what serves. These commands read them at
the records head (the remote-tracking base branch, or the pending ferry/<base>
branch in pull-request mode) without fetching.`,
		Example: `  ferry registry list
  ferry registry list delay --json
  ferry registry show delay 3
  ferry registry history delay
  ferry registry at delay --time 2026-03-01T12:00:00Z`,
	}
	cmd.AddCommand(newRegistryListCmd(e), newRegistryShowCmd(e), newRegistryHistoryCmd(e), newRegistryAtCmd(e))
	return cmd
}

// registryReader opens the project and reads its records.
func registryReader(cmd *cobra.Command, e *env, f *projectFlags) (*ferryProject, *records.Set, error) {
	p, err := openProject(e, f)
	if err != nil {
		return nil, nil, err
	}
	recs, _, err := p.readRecords(cmd.Context())
	if err != nil {
		return nil, nil, err
	}
	return p, recs, nil
}

// serving maps model → version → "deployment@weight%" from the deployment records.
func serving(recs *records.Set) map[string]map[int][]string {
	out := map[string]map[int][]string{}
	names := make([]string, 0, len(recs.Deployments))
	for n := range recs.Deployments {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := recs.Deployments[n]
		if d.Retired {
			continue
		}
		for _, l := range d.Live {
			if out[d.Model] == nil {
				out[d.Model] = map[int][]string{}
			}
			out[d.Model][l.Version] = append(out[d.Model][l.Version], fmt.Sprintf("%s@%d%%", n, l.Weight))
		}
	}
	return out
}

// production returns the version a model's production deployments serve most.
func production(recs *records.Set, model string) (int, string) {
	names := make([]string, 0, len(recs.Deployments))
	for n := range recs.Deployments {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := recs.Deployments[n]
		if d.Model == model && !d.Retired && d.Environment == "production" {
			if v := records.Primary(d.Live); v != 0 {
				return v, n
			}
		}
	}
	return 0, ""
}

type versionSummary struct {
	Version      int      `json:"version"`
	Experiment   string   `json:"experiment"`
	Run          string   `json:"run"`
	RegisteredAt string   `json:"registeredAt"`
	Artifact     string   `json:"artifact"`
	Metrics      any      `json:"metrics"`
	Serving      []string `json:"serving"`
}

func newRegistryListCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [MODEL]",
		Short: "List models, or the versions of one model",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, recs, err := registryReader(cmd, e, &f)
			if err != nil {
				return err
			}
			srv := serving(recs)
			if len(args) == 0 {
				type modelSummary struct {
					Model      string `json:"model"`
					Versions   int    `json:"versions"`
					Latest     int    `json:"latest"`
					Production int    `json:"production"`
				}
				var models []string
				for m := range recs.Versions {
					models = append(models, m)
				}
				sort.Strings(models)
				out := []modelSummary{}
				for _, m := range models {
					prod, _ := production(recs, m)
					out = append(out, modelSummary{Model: m, Versions: len(recs.Versions[m]), Latest: recs.LatestVersion(m), Production: prod})
				}
				if asJSON {
					return writeJSON(e.stdout, map[string]any{"models": out})
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "MODEL\tVERSIONS\tLATEST\tPRODUCTION")
				for _, s := range out {
					fmt.Fprintf(tw, "%s\t%d\tv%d\t%s\n", s.Model, s.Versions, s.Latest, vstr(s.Production))
				}
				return tw.Flush()
			}
			model := args[0]
			vs := recs.Versions[model]
			if len(vs) == 0 {
				return fmt.Errorf("model %q has no registered versions", model)
			}
			out := []versionSummary{}
			for _, v := range vs {
				out = append(out, versionSummary{Version: v.Version, Experiment: v.Lineage.Experiment, Run: v.Lineage.Run,
					RegisteredAt: v.RegisteredAt, Artifact: v.Artifact, Metrics: metricsOf(v), Serving: strs(srv[model][v.Version])})
			}
			if asJSON {
				return writeJSON(e.stdout, map[string]any{"model": model, "versions": out})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tEXPERIMENT\tRUN\tREGISTERED\tMETRICS\tSERVING")
			for _, s := range out {
				fmt.Fprintf(tw, "v%d\t%s\t%s\t%s\t%s\t%s\n", s.Version, s.Experiment, s.Run, s.RegisteredAt,
					metricString(s.Metrics), strings.Join(s.Serving, ","))
			}
			return tw.Flush()
		},
	}
	f.add(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine output on stdout")
	return cmd
}

func metricsOf(v *records.ModelVersion) map[string]float64 {
	if v.Evaluation == nil {
		return map[string]float64{}
	}
	return v.Evaluation.Metrics
}

func metricString(m any) string {
	mm, _ := m.(map[string]float64)
	var keys []string
	for k := range mm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if k == "auc" || k == "rmse" || k == "accuracy" || k == "r2" || k == "macroF1" {
			parts = append(parts, fmt.Sprintf("%s=%.4f", k, mm[k]))
		}
	}
	return strings.Join(parts, " ")
}

func vstr(v int) string {
	if v == 0 {
		return "-"
	}
	return "v" + strconv.Itoa(v)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func parseVersion(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V"))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad version %q (want a number like 3 or v3)", s)
	}
	return n, nil
}

func newRegistryShowCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show MODEL [VERSION]",
		Short: "Show one version (default: the latest): lineage, evaluation, gate decision",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, recs, err := registryReader(cmd, e, &f)
			if err != nil {
				return err
			}
			model := args[0]
			n := recs.LatestVersion(model)
			if len(args) == 2 {
				if n, err = parseVersion(args[1]); err != nil {
					return err
				}
			}
			v := recs.Version(model, n)
			if v == nil {
				return fmt.Errorf("model %q has no version %s", model, vstr(n))
			}
			if asJSON {
				return writeJSON(e.stdout, v)
			}
			b, err := records.Marshal(v)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "# %s v%d (records/%s)\n", model, n, records.VersionPath(model, n))
			_, err = e.stdout.Write(b)
			return err
		},
	}
	f.add(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine output on stdout")
	return cmd
}

type historyEvent struct {
	Time       string                `json:"time"`
	Event      string                `json:"event"`
	Version    int                   `json:"version,omitempty"`
	Deployment string                `json:"deployment,omitempty"`
	Live       []records.LiveVersion `json:"live,omitempty"`
	Detail     string                `json:"detail,omitempty"`
}

func newRegistryHistoryCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history MODEL",
		Short: "Registrations and rollouts of a model, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, recs, err := registryReader(cmd, e, &f)
			if err != nil {
				return err
			}
			model := args[0]
			evs := []historyEvent{}
			for _, v := range recs.Versions[model] {
				detail := fmt.Sprintf("run %s of %s; %s", v.Lineage.Run, v.Lineage.Experiment, metricString(metricsOf(v)))
				evs = append(evs, historyEvent{Time: v.RegisteredAt, Event: "registered", Version: v.Version, Detail: detail})
			}
			for name, d := range recs.Deployments {
				if d.Model != model {
					continue
				}
				for _, h := range d.History {
					evs = append(evs, historyEvent{Time: h.Time, Event: strings.ToLower(h.Action), Deployment: name, Live: h.Live, Detail: h.Reason})
				}
			}
			if len(evs) == 0 {
				return fmt.Errorf("model %q has no history in the records", model)
			}
			sort.SliceStable(evs, func(i, j int) bool {
				if evs[i].Time != evs[j].Time {
					return evs[i].Time < evs[j].Time
				}
				return evs[i].Event == "registered" && evs[j].Event != "registered"
			})
			if asJSON {
				return writeJSON(e.stdout, map[string]any{"model": model, "events": evs})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tEVENT\tWHAT\tDETAIL")
			for _, ev := range evs {
				what := vstr(ev.Version)
				if ev.Deployment != "" {
					what = ev.Deployment + " " + liveText(ev.Live)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ev.Time, ev.Event, what, ev.Detail)
			}
			return tw.Flush()
		},
	}
	f.add(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine output on stdout")
	return cmd
}

func liveText(l []records.LiveVersion) string {
	if len(l) == 0 {
		return "nothing"
	}
	var parts []string
	for _, x := range l {
		parts = append(parts, fmt.Sprintf("v%d@%d%%", x.Version, x.Weight))
	}
	return strings.Join(parts, "+")
}

// parseTime accepts RFC 3339, a date (midnight UTC) or "now".
func parseTime(s string) (time.Time, error) {
	if s == "now" {
		return time.Now().UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q (want RFC 3339 like 2026-03-01T12:00:00Z, or a date)", s)
}

type atJSON struct {
	Model      string                `json:"model"`
	Time       string                `json:"time"`
	Version    int                   `json:"version"`
	Deployment string                `json:"deployment"`
	Live       []records.LiveVersion `json:"live"`
	Commit     string                `json:"commit"`
	CommitTime string                `json:"commitTime"`
	Lineage    *records.Lineage      `json:"lineage"`
	Artifact   string                `json:"artifact"`
}

func newRegistryAtCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON bool
	var at string
	cmd := &cobra.Command{
		Use:   "at MODEL --time T",
		Short: "Which version served production at a time, and what made it",
		Long: `At answers "which version of MODEL served production at time T, and what data,
code and parameters made it" from git history: it finds the newest records
commit at or before T, reads the production deployment records there, and
prints the serving version with its lineage (run, experiment, trainer,
parameters, dataset digest, code commit).`,
		Example: `  ferry registry at delay --time 2026-03-01T12:00:00Z
  ferry registry at delay --time 2026-03-01 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if at == "" {
				return errors.New("--time is required")
			}
			t, err := parseTime(at)
			if err != nil {
				return err
			}
			p, recs, err := registryReader(cmd, e, &f)
			if err != nil {
				return err
			}
			model := args[0]
			opts := p.publish
			opts.Offline = true
			head, err := p.repo.Head(cmd.Context(), opts)
			if err != nil {
				return err
			}
			var found *struct {
				hash string
				when int64
			}
			err = p.repo.Log(head, func(c *gitops.CommitInfo) bool {
				if c.Time <= t.Unix() {
					found = &struct {
						hash string
						when int64
					}{c.Hash.String(), c.Time}
					return false
				}
				return true
			})
			if err != nil {
				return err
			}
			if found == nil {
				return fmt.Errorf("the records' history starts after %s", t.UTC().Format(time.RFC3339))
			}
			h, err := p.repo.Resolve(found.hash)
			if err != nil {
				return err
			}
			fsys, err := p.repo.FSAt(h)
			if err != nil {
				return err
			}
			then, err := records.Read(fsys, p.records)
			if err != nil {
				return err
			}
			v, dep := production(then, model)
			if v == 0 {
				return fmt.Errorf("no version of %s served production at %s (records commit %s)", model, t.UTC().Format(time.RFC3339), found.hash[:12])
			}
			mv := recs.Version(model, v)
			if mv == nil {
				mv = then.Version(model, v)
			}
			out := atJSON{Model: model, Time: t.UTC().Format(time.RFC3339), Version: v, Deployment: dep,
				Live: then.Deployments[dep].Live, Commit: found.hash,
				CommitTime: time.Unix(found.when, 0).UTC().Format(time.RFC3339)}
			if mv != nil {
				out.Lineage, out.Artifact = &mv.Lineage, mv.Artifact
			}
			if asJSON {
				return writeJSON(e.stdout, out)
			}
			w := e.stdout
			fmt.Fprintf(w, "%s v%d served production at %s\n", model, v, out.Time)
			fmt.Fprintf(w, "  deployment: %s (%s)\n", dep, liveText(out.Live))
			fmt.Fprintf(w, "  records:    commit %s of %s\n", found.hash[:12], out.CommitTime)
			if l := out.Lineage; l != nil {
				fmt.Fprintf(w, "  artifact:   %s\n", out.Artifact)
				fmt.Fprintf(w, "  run:        %s of experiment %s\n", l.Run, l.Experiment)
				fmt.Fprintf(w, "  trainer:    %s (version %s), seed %d\n", l.Trainer.String(), l.Trainer.Version, l.Seed)
				fmt.Fprintf(w, "  params:     %s\n", paramsText(l.Params))
				fmt.Fprintf(w, "  data:       %s %s (%d rows: %d train, %d eval)\n", l.Dataset.Name, l.Dataset.Digest, l.Dataset.Rows, l.Dataset.TrainRows, l.Dataset.EvalRows)
				code := l.Code.Commit
				if l.Code.Dir != "" {
					code += fmt.Sprintf(" (%s tree %s)", l.Code.Dir, l.Code.Tree)
				}
				fmt.Fprintf(w, "  code:       %s\n", code)
			}
			return nil
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&at, "time", "", "the time: RFC 3339, a date, or now")
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine output on stdout")
	return cmd
}

func paramsText(p map[string]any) string {
	if len(p) == 0 {
		return "(defaults)"
	}
	var keys []string
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, p[k]))
	}
	return strings.Join(parts, " ")
}
