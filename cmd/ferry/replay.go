package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/serve"
)

func init() { register(newReplayCmd) }

type replayFlags struct {
	data, url, deployment      string
	features                   []string
	rate                       float64
	limit, concurrency, batch  int
	wait                       time.Duration
	asJSON                     bool
	labelsOut, label, idPrefix string
}

func newReplayCmd(e *env) *cobra.Command {
	var fl replayFlags
	cmd := &cobra.Command{
		Use:   "replay --data D --url URL --deployment NAME [--rate R] [--limit N]",
		Short: "Send dataset rows to a server as inference requests and measure the answers",
		Long: `Replay sends the rows of a dataset (CSV, Parquet or JSONL) to a serving runtime
as Open Inference Protocol v2 requests: load generation before a rollout, or a
shadow replay of real traffic against a new version. It reads the model's inputs
from GET /v2/models/NAME and feeds each from the column of the same name (or,
for a model with a single [N, F] input, from --features in order). Rows with
nulls in those columns are skipped and counted.

It reports requests, rows, throughput, latency p50/p95/p99 (client side, with
the network), errors with their first messages, and how many requests each
version answered (the X-Model-Version header). Each request carries
X-Request-Id: replay-N, so sticky routing sends a row to the same version on
every replay; --id-prefix replaces "replay", so that two replays logged in
the same window keep their ids (and their labels) apart.

With --labels-out, replay also writes the true labels of the rows it sent,
keyed by request_id and row, as the delayed labels a Monitor's
performance.labels reads: a CSV with the header request_id,row,COLUMN where
--label names the column holding the true label.

Exit codes: 0 every request answered 2xx, 2 some requests failed (the report
says which), 1 the replay could not run (no server, no matching columns).`,
		Example: `  ferry replay --data data/flights.parquet --url http://127.0.0.1:8080 --deployment delay-prod --limit 1000
  ferry replay --data eval.csv --url http://127.0.0.1:8080 --deployment delay --rate 200 --concurrency 8 --json
  ferry replay --data d.csv --url http://127.0.0.1:8080 --deployment iris --features sl,sw,pl,pw --batch 64
  ferry replay --data eval.csv --url http://127.0.0.1:8080 --deployment delay --label delayed --labels-out labels.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runReplay(ctx, e, fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.data, "data", "", "dataset file: .csv, .parquet or .jsonl (required)")
	f.StringVar(&fl.url, "url", "", "server URL, e.g. http://127.0.0.1:8080 (required)")
	f.StringVar(&fl.deployment, "deployment", "", "deployment (model name) to send to (required)")
	f.Float64Var(&fl.rate, "rate", 0, "requests per second (0: as fast as the workers go)")
	f.IntVar(&fl.limit, "limit", 0, "send at most this many rows (0: all)")
	f.IntVar(&fl.concurrency, "concurrency", 4, "requests in flight")
	f.IntVar(&fl.batch, "batch", 1, "rows per request")
	f.StringSliceVar(&fl.features, "features", nil, "columns of a single [N,F] model input, in order")
	f.DurationVar(&fl.wait, "wait", 0, "wait this long for the server and model to come up")
	f.BoolVar(&fl.asJSON, "json", false, "machine-readable report on stdout")
	f.StringVar(&fl.labelsOut, "labels-out", "", "write the sent rows' true labels (request_id,row,label CSV) to this file")
	f.StringVar(&fl.label, "label", "", "column holding the true label, for --labels-out")
	f.StringVar(&fl.idPrefix, "id-prefix", "replay", "request ids are PREFIX-N; give replays that must not share ids in the prediction log different prefixes")
	for _, name := range []string{"data", "url", "deployment"} {
		cmd.MarkFlagRequired(name)
	}
	fixFlagUsages(cmd)
	return cmd
}

func runReplay(ctx context.Context, e *env, fl replayFlags) error {
	if fl.rate < 0 || fl.limit < 0 || fl.concurrency < 1 || fl.batch < 1 {
		return fmt.Errorf("--rate and --limit must be ≥ 0, --concurrency and --batch ≥ 1")
	}
	if fl.labelsOut != "" && fl.label == "" {
		return fmt.Errorf("--labels-out needs --label COLUMN (the column holding the true label)")
	}
	frame, err := dataset.ReadFile(fl.data, dataset.ReadOptions{})
	if err != nil {
		return err
	}
	opts := serve.ReplayOptions{
		URL: fl.url, Deployment: fl.deployment, Frame: frame, Features: fl.features,
		Rate: fl.rate, Limit: fl.limit, Concurrency: fl.concurrency, Batch: fl.batch, Wait: fl.wait, IDPrefix: fl.idPrefix,
	}
	var labels bytes.Buffer
	if fl.labelsOut != "" {
		opts.LabelColumn, opts.Labels = fl.label, &labels
	}
	rep, err := serve.Replay(ctx, opts)
	if err != nil && rep == nil {
		return err
	}
	if fl.labelsOut != "" {
		if werr := writeFileAtomic(fl.labelsOut, labels.Bytes()); werr != nil {
			return werr
		}
		if !fl.asJSON {
			fmt.Fprintf(e.stderr, "wrote %d labels to %s\n", rep.Rows, fl.labelsOut)
		}
	}
	if fl.asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReplay(e.stdout, fl, rep)
	}
	if err != nil {
		return err
	}
	if rep.Errors > 0 {
		return errAction
	}
	return nil
}

// writeFileAtomic writes data to a temporary file in path's folder and renames
// it over path, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func printReplay(w io.Writer, fl replayFlags, r *serve.ReplayReport) {
	fmt.Fprintf(w, "replayed %d rows in %d requests to %s in %.2fs", r.Rows, r.Requests, fl.deployment, r.DurationS)
	if r.Skipped > 0 {
		fmt.Fprintf(w, " (%d rows with nulls skipped)", r.Skipped)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "throughput  %.1f requests/s, %.1f rows/s\n", r.Throughput, r.RowsPerSec)
	fmt.Fprintf(w, "latency     p50 %.2fms  p95 %.2fms  p99 %.2fms  max %.2fms\n", r.Latency.P50Ms, r.Latency.P95Ms, r.Latency.P99Ms, r.Latency.MaxMs)
	fmt.Fprintf(w, "errors      %d\n", r.Errors)
	for _, m := range r.FirstErrors {
		fmt.Fprintf(w, "  %s\n", m)
	}
	for _, v := range slices.Sorted(maps.Keys(r.Versions)) {
		fmt.Fprintf(w, "version %-3s %d requests (%.1f%%)\n", v, r.Versions[v], 100*float64(r.Versions[v])/float64(max(r.Requests, 1)))
	}
}
