package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store"
)

func init() { register(newLogCmd) }

func newLogCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Read the prediction log",
		Long: `Log reads the prediction log that ferry serve writes: one row per predicted row,
with its time, deployment, version, request id, inputs, outputs and latency.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newLogExportCmd(e))
	return cmd
}

type logExportFlags struct {
	out, deployment, since, until, predictions, dir string
	limit                                           int
}

func newLogExportCmd(e *env) *cobra.Command {
	var fl logExportFlags
	cmd := &cobra.Command{
		Use:   "export --out F.parquet|F.csv [--deployment D] [--since T]",
		Short: "Write the prediction log to Parquet, CSV or JSONL",
		Long: `Export writes the prediction log as a table: time, deployment, version,
request_id, row and latency_ms, then one column per model input (named as the
input, so the export compares directly with training data in ferry drift) and
one per output prefixed "out_". Array values spread over NAME_0, NAME_1, ...

The format follows --out's extension: .parquet, .csv or .jsonl. The log is
--predictions (sqlite://PATH or postgres://...), else the project's predictions
URL. --since and --until take RFC 3339 times or dates (YYYY-MM-DD), or a
duration back from now (24h, 7d).

It prints how many rows it wrote and how many rows the log counts as dropped
(not logged because the server's queue was full) in the same range.`,
		Example: `  ferry log export --out predictions.parquet
  ferry log export --out last-day.csv --deployment delay-prod --since 24h
  ferry log export --predictions sqlite://predictions.db --out p.csv --since 2026-01-01 --until 2026-02-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogExport(cmd.Context(), e, fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.out, "out", "", "output file: .parquet, .csv or .jsonl (required)")
	f.StringVar(&fl.deployment, "deployment", "", "only this deployment")
	f.StringVar(&fl.since, "since", "", "only rows at or after this time (RFC 3339, YYYY-MM-DD, or a duration ago like 24h)")
	f.StringVar(&fl.until, "until", "", "only rows before this time")
	f.IntVar(&fl.limit, "limit", 0, "at most this many rows (0: all)")
	f.StringVar(&fl.predictions, "predictions", "", "prediction log URL (default: the project's)")
	f.StringVar(&fl.dir, "dir", "", "project folder (default: the one holding the current folder)")
	cmd.MarkFlagRequired("out")
	fixFlagUsages(cmd)
	return cmd
}

func runLogExport(ctx context.Context, e *env, fl logExportFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	switch dataset.FormatOf(fl.out) {
	case spec.FormatCSV, spec.FormatParquet, spec.FormatJSONL:
	default:
		return fmt.Errorf("--out %s: want a .parquet, .csv or .jsonl file", fl.out)
	}
	var filter store.Filter
	var err error
	now := time.Now()
	if filter.Since, err = parseSince(fl.since, now); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if filter.Until, err = parseSince(fl.until, now); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	filter.Deployment, filter.Limit = fl.deployment, fl.limit
	url, root := fl.predictions, ""
	if wd, err := os.Getwd(); err == nil {
		root = wd
	}
	if url == "" {
		dir := fl.dir
		if dir == "" {
			dir = root
		}
		r, err := spec.FindRoot(dir)
		if err != nil {
			return fmt.Errorf("%w; or name the log with --predictions URL", err)
		}
		set, err := spec.LoadDir(r)
		if err != nil {
			return err
		}
		if set.Project == nil || set.Project.Spec.Predictions == "" {
			return fmt.Errorf("%s: the project names no predictions URL; use --predictions", r)
		}
		url, root = set.Project.Spec.Predictions, r
	}
	if path, ok := sqlitePath(url, root); ok {
		// Opening would create an empty log; a missing file is a mistake.
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("prediction log %s: %w", url, err)
		}
	}
	db, err := store.Open(ctx, url, root)
	if err != nil {
		return err
	}
	defer db.Close()
	frame, err := db.Frame(ctx, filter)
	if err != nil {
		return err
	}
	if err := dataset.WriteFile(fl.out, frame); err != nil {
		return err
	}
	dropped, err := db.Dropped(ctx, store.Filter{Deployment: filter.Deployment, Since: filter.Since, Until: filter.Until})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %d rows to %s (%d columns); %d rows dropped by the server in this range\n", frame.Rows, fl.out, len(frame.Columns), dropped)
	return nil
}

func sqlitePath(url, root string) (string, bool) {
	const p = "sqlite://"
	if len(url) <= len(p) || url[:len(p)] != p {
		return "", false
	}
	path := url[len(p):]
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	return path, true
}

// parseSince reads an RFC 3339 time, a date, or a duration before now ("24h", "7d").
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if n := len(s); n > 1 && s[n-1] == 'd' {
		var days int
		if _, err := fmt.Sscanf(s[:n-1], "%d", &days); err == nil && fmt.Sprint(days) == s[:n-1] {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, a date (YYYY-MM-DD) or a duration (24h, 7d)", s)
}
