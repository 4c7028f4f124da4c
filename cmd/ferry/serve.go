package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/internal/version"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/runners/serve"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store"
	"github.com/ferryml/ferry/store/artifact"
)

func init() { register(newServeCmd) }

type serveFlags struct {
	addr, predictions, onFull, adminToken, dir string
	models                                     []string
	queue, maxRows                             int
	maxBody                                    int64
	sample                                     float64
	readTimeout, writeTimeout, shutdown        time.Duration
	verbose                                    bool
}

func newServeCmd(e *env) *cobra.Command {
	var fl serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--model NAME=PATH.onnx]...",
		Short: "Serve models over the Open Inference Protocol with traffic splits and a prediction log",
		Long: `Serve is ferry's local serving runtime. It answers the Open Inference Protocol v2
(/v2/health/live, /v2/health/ready, /v2, /v2/models/{name}[/versions/{v}],
.../ready and .../infer) and MLflow's scoring format (POST /invocations with
dataframe_split, dataframe_records, instances or inputs), with every response
tagged with the version that answered ("model_version" and X-Model-Version).

Standalone, --model NAME=PATH.onnx (repeatable) serves a file as deployment NAME,
version 1. In a project (no --model), it serves what records/deployments/*.yaml
say, with artifacts from the project's artifact store.

Traffic between the versions of a deployment follows their weights; a request
with an X-Request-Id header always lands on the same version (a hash of the id).
The admin API sets versions and weights (the reconciler uses it):

  GET    /admin/deployments          every deployment's status
  PUT    /admin/deployments/{name}   {"model": "...", "versions": [{"version": 2,
                                      "artifact": "sha256:...|path", "weight": 10}],
                                      "sampleRate": 1.0}
  GET    /admin/deployments/{name}   status: per-version state, requests, errors,
                                     latency p50/p99, and why a version failed
  DELETE /admin/deployments/{name}

A new version is loaded and warmed up before it takes traffic; the switch is
atomic and the old version closes after its in-flight requests. A version that
fails to load never takes traffic: the PUT answers 422 and readiness says why.
The admin API needs "Authorization: Bearer TOKEN" with the token from
--admin-token, else FERRY_ADMIN_TOKEN, else the variable the project's
runtime.tokenEnv names; without any token it answers loopback clients only.

Predictions are logged off the request path to --predictions (default: the
project's predictions URL; standalone: none): sqlite://PATH or postgres://...
A bounded queue (--queue requests) feeds a batching writer; when it is full,
--on-full block waits (backpressure) and --on-full drop discards and counts the
rows in the log's prediction_drops table and in metrics. Prometheus metrics are
at /metrics. SIGINT or SIGTERM stops accepting, finishes in-flight requests,
flushes the log and exits 0.

onnxruntime comes from ONNXRUNTIME_SHARED_LIBRARY_PATH, else ~/.cache/ferry
(install it with: make onnxruntime).`,
		Example: `  ferry serve --model delay=model.onnx
  ferry serve --addr 127.0.0.1:9000 --model delay=model.onnx --predictions sqlite://predictions.db --on-full drop
  curl -s localhost:8080/v2/models/delay/infer -d '{"inputs":[{"name":"distance","shape":[1,1],"datatype":"FP32","data":[1797]}]}'
  FERRY_ADMIN_TOKEN=s3cret ferry serve     # in a project: serve the deployment records`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, e, cmd, fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.addr, "addr", "", "listen address (default: the project's runtime URL, else 127.0.0.1:8080; port 0 picks one)")
	f.StringArrayVar(&fl.models, "model", nil, "serve PATH.onnx as deployment NAME, version 1: NAME=PATH (repeatable)")
	f.StringVar(&fl.predictions, "predictions", "", "prediction log URL: sqlite://PATH or postgres://...; none disables (default: the project's)")
	f.IntVar(&fl.queue, "queue", 10000, "prediction log queue length, in requests")
	f.StringVar(&fl.onFull, "on-full", "block", "when the log queue is full: block (backpressure) or drop (count and discard)")
	f.Float64Var(&fl.sample, "sample", 1, "share of requests logged for --model deployments, in [0, 1]")
	f.StringVar(&fl.adminToken, "admin-token", "", "bearer token of the admin API (default: FERRY_ADMIN_TOKEN, then the project's runtime.tokenEnv)")
	f.Int64Var(&fl.maxBody, "max-body", 8<<20, "largest request body, in bytes")
	f.IntVar(&fl.maxRows, "max-rows", 10000, "most rows in one request")
	f.DurationVar(&fl.readTimeout, "read-timeout", 30*time.Second, "time to read a request")
	f.DurationVar(&fl.writeTimeout, "write-timeout", 60*time.Second, "time to answer a request")
	f.DurationVar(&fl.shutdown, "shutdown-timeout", 30*time.Second, "time to drain requests and flush the log on exit")
	f.StringVar(&fl.dir, "dir", "", "project folder (default: the one holding the current folder)")
	f.BoolVarP(&fl.verbose, "verbose", "v", false, "log every deployment change and each shutdown step")
	fixFlagUsages(cmd)
	return cmd
}

// servePlan is what to serve and where, from flags or the project.
type servePlan struct {
	root        string
	addr        string
	predictions string
	token       string
	resolve     serve.Resolver
	deployments map[string]serve.DeploymentSpec
	closers     []func() error
}

func runServe(ctx context.Context, e *env, cmd *cobra.Command, fl serveFlags) error {
	policy, err := store.ParsePolicy(fl.onFull)
	if err != nil {
		return err
	}
	if fl.sample < 0 || fl.sample > 1 {
		return fmt.Errorf("--sample %v: want a share in [0, 1]", fl.sample)
	}
	level := slog.LevelWarn
	if fl.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	p, err := planServe(ctx, e, fl)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range p.closers {
			c()
		}
	}()
	if err := onnx.Init(onnx.DefaultLibraryPath(e.getenv)); err != nil {
		return err
	}
	var db *store.DB
	if p.predictions != "" && p.predictions != "none" {
		if db, err = store.Open(ctx, p.predictions, p.root); err != nil {
			return err
		}
		defer db.Close()
	}
	opts := serve.Options{
		Load: serve.ONNXLoader(onnx.Options{}), Resolve: p.resolve,
		Limits:     serve.Limits{MaxBodyBytes: fl.maxBody, MaxRows: fl.maxRows},
		AdminToken: p.token, Queue: fl.queue, OnFull: policy,
		ReadTimeout: fl.readTimeout, WriteTimeout: fl.writeTimeout, ShutdownTimeout: fl.shutdown,
		Log: log, Version: version.String(),
	}
	if db != nil {
		opts.Predictions = db
	}
	srv := serve.New(opts)
	var loadErrs []string
	for _, name := range slices.Sorted(maps.Keys(p.deployments)) {
		if _, err := srv.Manager().Apply(ctx, name, p.deployments[name]); err != nil {
			// The server still starts: readiness and the admin API say what failed.
			loadErrs = append(loadErrs, err.Error())
			fmt.Fprintf(e.stderr, "ferry: warning: %v\n", err)
		}
	}
	if len(loadErrs) > 0 && len(loadErrs) == len(p.deployments) && len(fl.models) > 0 {
		srv.Close(context.Background())
		return fmt.Errorf("no model could be loaded: %s", strings.Join(loadErrs, "; "))
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		srv.Close(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	logDesc := "off"
	if db != nil {
		logDesc = redactURL(p.predictions) + " (on full: " + policy.String() + ")"
	}
	fmt.Fprintf(e.stderr, "ferry serve: %d deployment(s), prediction log %s\n", len(p.deployments), logDesc)
	fmt.Fprintf(e.stdout, "listening on http://%s\n", ln.Addr())
	err = srv.Serve(ctx, ln)
	fmt.Fprintln(e.stderr, "ferry serve: stopped; prediction log flushed")
	return err
}

func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	if s := strings.Index(u, "://"); s >= 0 && at > s {
		if c := strings.Index(u[s+3:at], ":"); c >= 0 {
			return u[:s+3+c] + ":***" + u[at:]
		}
	}
	return u
}

func planServe(ctx context.Context, e *env, fl serveFlags) (*servePlan, error) {
	p := &servePlan{addr: fl.addr, predictions: fl.predictions, token: fl.adminToken, deployments: map[string]serve.DeploymentSpec{}}
	if p.token == "" {
		p.token = e.getenv("FERRY_ADMIN_TOKEN")
	}
	if len(fl.models) > 0 {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		p.root = wd
		p.resolve = serve.FileResolver(wd)
		sample := fl.sample
		for _, m := range fl.models {
			name, path, ok := strings.Cut(m, "=")
			if !ok || name == "" || path == "" {
				return nil, fmt.Errorf("--model %q: want NAME=PATH.onnx", m)
			}
			if _, dup := p.deployments[name]; dup {
				return nil, fmt.Errorf("--model %s: deployment %s given twice", m, name)
			}
			abs, _ := filepath.Abs(path)
			p.deployments[name] = serve.DeploymentSpec{Model: name, SampleRate: &sample,
				Versions: []serve.VersionSpec{{Version: 1, Artifact: abs, Weight: 1}}}
		}
		if p.addr == "" {
			p.addr = "127.0.0.1:8080"
		}
		return p, nil
	}
	root, set, err := loadProject(fl.dir)
	if errors.Is(err, errNoProject) {
		return nil, fmt.Errorf("%w; or serve a file standalone with --model NAME=PATH.onnx", err)
	}
	if err != nil {
		return nil, err
	}
	ps := set.Project.Spec
	p.root = root
	if p.predictions == "" {
		p.predictions = ps.Predictions
	}
	if p.token == "" && ps.Runtime.TokenEnv != "" {
		p.token = e.getenv(ps.Runtime.TokenEnv)
	}
	if p.addr == "" {
		p.addr = "127.0.0.1:8080"
		if ps.Runtime.URL != "" {
			if host, err := hostPort(ps.Runtime.URL); err == nil {
				p.addr = host
			}
		}
	}
	arts, err := artifact.Open(ctx, ps.Artifacts, root)
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, arts.Close)
	p.resolve = serve.DigestResolver(arts.Get, serve.FileResolver(root))
	recDir := ps.Records
	if recDir == "" {
		recDir = "records"
	}
	recs, err := records.Read(os.DirFS(root), recDir)
	if err != nil {
		return nil, err
	}
	for name, d := range recs.Deployments {
		if d.Retired || len(d.Live) == 0 {
			continue
		}
		if ds := set.Deployment(name); ds != nil && ds.Spec.Runtime == spec.RuntimeKServe {
			continue
		}
		sample := d.SampleRate
		if ds := set.Deployment(name); ds != nil {
			sample = ds.Spec.Logging.SampleRate()
		}
		sd := serve.DeploymentSpec{Model: d.Model, SampleRate: &sample}
		for _, l := range d.Live {
			sd.Versions = append(sd.Versions, serve.VersionSpec{Version: l.Version, Artifact: l.Artifact, Weight: float64(l.Weight)})
		}
		p.deployments[name] = sd
	}
	if len(p.deployments) == 0 {
		fmt.Fprintf(e.stderr, "ferry serve: no live deployment in %s/deployments; waiting for the admin API\n", recDir)
	}
	return p, nil
}

// hostPort returns the host:port of a runtime URL like http://127.0.0.1:8080.
func hostPort(u string) (string, error) {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return "", errors.New("not an http URL")
	}
	rest, _, _ = strings.Cut(rest, "/")
	if _, _, err := net.SplitHostPort(rest); err != nil {
		return rest + ":80", nil
	}
	return rest, nil
}
