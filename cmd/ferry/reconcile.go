package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/internal/version"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/local"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/reconcile/render"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/spec"
	"github.com/ferryml/ferry/store/artifact"
)

func init() { register(newReconcileCmd) }

// projectFlags are the flags every command that works on a project's
// repository shares.
type projectFlags struct {
	dir       string
	rev       string
	noRuntime bool
	runtime   string
	offline   bool
	verbose   bool
}

func (f *projectFlags) add(cmd *cobra.Command, withRuntime bool) {
	cmd.Flags().StringVarP(&f.dir, "dir", "C", "", "the project folder (default: found from the current folder upwards)")
	if withRuntime {
		cmd.Flags().StringVar(&f.rev, "rev", "", "read the specs at this git revision instead of the worktree")
		cmd.Flags().BoolVar(&f.noRuntime, "no-runtime", false, "do not talk to a serving runtime: plan from the deployment records, record rollouts without serving them")
		cmd.Flags().StringVar(&f.runtime, "runtime-url", "", "the local runtime's URL (default: the project's runtime.url)")
		cmd.Flags().BoolVar(&f.offline, "offline", false, "do not fetch the remote before reading records")
		cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "log what the runners do on stderr")
	}
}

// ferryProject is an opened ferry project: its root, specs, repository and where
// records are published.
type ferryProject struct {
	root    string
	set     *spec.Set
	repo    *gitops.Repo
	publish gitops.PublishOptions
	records string
}

func openProject(e *env, f *projectFlags) (*ferryProject, error) {
	root, set, err := loadProject(f.dir)
	if err != nil {
		return nil, err
	}
	repo, err := gitops.Open(root)
	if err != nil {
		return nil, fmt.Errorf("%w (ferry keeps its records in git: run git init, add a remote)", err)
	}
	ps := set.Project.Spec
	p := &ferryProject{root: root, set: set, repo: repo, records: ps.Records}
	if p.records == "" {
		p.records = "records"
	}
	base := ps.Git.Base
	if base == "" {
		base = "main"
	}
	remote := ps.Git.Remote
	if remote == "" {
		remote = "origin"
	}
	if repo.RemoteURL(remote) == "" {
		remote = "" // no remote: records are committed to the local branch
	}
	branch := base
	if ps.Git.Commit != spec.CommitDirect {
		branch = "ferry/" + base
	}
	author := gitops.DefaultAuthor
	if ps.Git.Author != "" {
		if author, err = gitops.ParseSignature(ps.Git.Author); err != nil {
			return nil, fmt.Errorf("ferry.yaml: spec.git.author: %w", err)
		}
	}
	token := e.getenv("FERRY_GIT_TOKEN")
	if token == "" {
		token = e.getenv("GITHUB_TOKEN")
	}
	p.publish = gitops.PublishOptions{Remote: remote, Branch: branch, Base: base, Author: author,
		Auth: gitops.Auth{Token: token}, Offline: f.offline}
	return p, nil
}

// readRecords reads the records at the records head without fetching.
func (p *ferryProject) readRecords(ctx context.Context) (*records.Set, gitops.Hash, error) {
	opts := p.publish
	opts.Offline = true
	head, err := p.repo.Head(ctx, opts)
	if err != nil {
		return nil, head, err
	}
	fsys, err := p.repo.FSAt(head)
	if err != nil {
		return nil, head, err
	}
	recs, err := records.Read(fsys, p.records)
	return recs, head, err
}

// engine wires the project's runners, store and runtime.
func (p *ferryProject) engine(ctx context.Context, e *env, f *projectFlags) (*reconcile.Engine, error) {
	ps := p.set.Project.Spec
	store, err := artifact.Open(ctx, ps.Artifacts, p.root)
	if err != nil {
		return nil, err
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	runner := local.New(local.Options{Root: p.root, FS: os.DirFS(p.root), LibraryPath: onnx.DefaultLibraryPath(e.getenv), Getenv: e.getenv, Log: log, Artifacts: store})
	var rt reconcile.Runtime = reconcile.NoRuntime{}
	switch {
	case f.noRuntime:
	case ps.Runtime.Kind == spec.RuntimeKServe:
		fmt.Fprintln(e.stderr, "ferry: warning: the kserve runtime is not wired yet; planning from the deployment records and recording rollouts without serving them")
	default:
		url := ps.Runtime.URL
		if f.runtime != "" {
			url = f.runtime
		}
		if url == "" {
			url = "http://127.0.0.1:8080"
		}
		token := ""
		if ps.Runtime.TokenEnv != "" {
			token = e.getenv(ps.Runtime.TokenEnv)
		}
		rt = reconcile.NewHTTPRuntime(url, token)
	}
	var hook func(string) error
	if step := e.getenv("FERRY_TEST_KILL_AFTER"); step != "" {
		// Crash tests: the process dies with SIGKILL right after this apply
		// step ("action 0 Train", "publish runs", ...), leaving its lock and
		// journal behind as a real crash would.
		hook = func(s string) error {
			if s == step {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
			return nil
		}
	}
	return &reconcile.Engine{
		Hook: hook,
		Root: p.root, Rev: f.rev, Repo: p.repo, Publish: p.publish, RecordsDir: p.records,
		Store: store, Trainer: runner, Evaluator: runner, Gate: runner, Runtime: rt,
		Monitorer:   &projectMonitorer{e: e, p: p},
		Predictions: &logPredictions{p: p, now: time.Now},
		Prober:      reconcile.FileProber{Root: p.root}, Clock: reconcile.SystemClock{}, Log: log,
		TrainerVersion: local.BuiltinTrainerVersion,
		Versions:       map[string]string{"ferry": version.String(), "trainer": local.BuiltinTrainerVersion},
	}, nil
}

// printApplied reports an apply's result on w.
func printApplied(w io.Writer, res *reconcile.ApplyResult, p *ferryProject) {
	for _, s := range res.Registered {
		fmt.Fprintf(w, "registered %s\n", s)
	}
	for _, s := range res.Denied {
		fmt.Fprintf(w, "gate denied %s\n", s)
	}
	for _, s := range res.Deployed {
		fmt.Fprintf(w, "serving %s\n", s)
	}
	for _, s := range res.Drift {
		fmt.Fprintln(w, s)
	}
	for _, win := range res.Windows {
		fmt.Fprintf(w, "kept %d labelled rows of %s's window for retraining (%s)\n", win.Rows, win.Monitor, win.Artifact)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "skipped %s\n", s)
	}
	where := p.publish.Branch
	if p.publish.Remote != "" {
		where = p.publish.Remote + "/" + where
	}
	for _, c := range res.Commits {
		fmt.Fprintf(w, "committed %s to %s\n", c.String()[:12], where)
	}
	if len(res.Commits) == 0 {
		fmt.Fprintln(w, "no records to commit")
	}
}

func newReconcileCmd(e *env) *cobra.Command {
	var f projectFlags
	var watch bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Plan and apply until what exists matches the specs",
		Long: `Reconcile is plan followed by apply without asking: it trains what is missing,
evaluates and gates it, registers what the gate allows, starts and advances
canaries from live metrics, computes the drift reports Monitors have due,
and writes the records back to git. When a drifted window kept labelled rows
for retraining (a Monitor's onDrift: retrain, or an Experiment's
onPerformanceDrop), the same reconcile plans again and trains on them.

With --watch it repeats every --interval until interrupted (SIGINT/SIGTERM);
a failed pass is reported and the loop goes on.

Exit codes: 0 done (or nothing to do), 1 error, 2 a gate denied a candidate.`,
		Example: `  ferry reconcile
  ferry reconcile --watch --interval 5m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var pass func(followUp bool) error
			pass = func(followUp bool) error {
				p, eng, plan, st, err := planProject(ctx, e, &f)
				if err != nil {
					return err
				}
				if !plan.Changes() {
					fmt.Fprintf(e.stderr, "%s nothing to do\n", time.Now().UTC().Format(time.RFC3339))
					return nil
				}
				fmt.Fprintf(e.stderr, "%s plan: %s\n", time.Now().UTC().Format(time.RFC3339), render.Summary(plan))
				res, err := eng.Apply(ctx, plan, st)
				if res != nil {
					printApplied(e.stdout, res, p)
				}
				if err != nil {
					return err
				}
				if len(res.Windows) > 0 && !followUp {
					// A drifted window kept labelled rows: retrain on them
					// now rather than a pass later.
					fmt.Fprintf(e.stderr, "%s drift kept %d labelled rows for retraining: planning again\n", time.Now().UTC().Format(time.RFC3339), res.Windows[0].Rows)
					if err := pass(true); err != nil {
						return err
					}
				}
				if len(res.Denied) > 0 {
					return errAction
				}
				return nil
			}
			if !watch {
				return pass(false)
			}
			if interval <= 0 {
				return errors.New("--interval must be positive")
			}
			for {
				if err := pass(false); err != nil && !errors.Is(err, errAction) {
					if ctx.Err() != nil {
						return nil
					}
					fmt.Fprintf(e.stderr, "ferry: reconcile: %s\n", strings.TrimSpace(err.Error()))
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	f.add(cmd, true)
	cmd.Flags().BoolVar(&watch, "watch", false, "repeat every --interval until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", 5*time.Minute, "time between passes with --watch")
	return cmd
}
