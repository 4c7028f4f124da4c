package exec

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/train"
	"github.com/ferryml/ferry/spec"
)

// DefaultTimeout applies when the spec gives none.
const DefaultTimeout = 30 * time.Minute

// tailLines is how many lines of stderr an error quotes.
const tailLines = 15

// Options configure Run.
type Options struct {
	// Root is the repository root; the trainer's dir is relative to it. Required.
	Root string
	// WorkDir holds the splits, params and output folder. Default: a new temporary
	// folder, removed after the run (the model bytes are in the Result).
	WorkDir string
	// LogFile receives the trainer's stdout and stderr. Default: trainer.log in
	// WorkDir (kept only when WorkDir is given).
	LogFile string
	// Getenv reads ferry's environment for PATH, HOME, LANG and the spec's `env:`
	// list. Nil passes none of them.
	Getenv func(string) string
	// Log receives the trainer's output lines and progress.
	Log *slog.Logger
	// KillGrace is how long the process group has after SIGTERM before SIGKILL
	// on timeout. Default 5s.
	KillGrace time.Duration
}

// Run trains req with the experiment's exec trainer under the contract in the
// package documentation.
func Run(ctx context.Context, req train.Request, opts Options) (*train.Result, error) {
	start := time.Now()
	x := req.Experiment.Spec.Trainer.Exec
	if x == nil || len(x.Command) == 0 {
		return nil, errors.New("exec trainer: the experiment has no exec command")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.KillGrace <= 0 {
		opts.KillGrace = 5 * time.Second
	}
	if opts.Root == "" {
		return nil, errors.New("exec trainer: no repository root")
	}
	dir, err := trainerDir(opts.Root, x.Dir)
	if err != nil {
		return nil, err
	}
	work := opts.WorkDir
	if work == "" {
		tmp, err := os.MkdirTemp("", "ferry-exec-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	if work, err = filepath.Abs(work); err != nil {
		return nil, err
	}
	in, err := writeInputs(work, req)
	if err != nil {
		return nil, err
	}
	logPath := opts.LogFile
	if logPath == "" {
		logPath = filepath.Join(work, "trainer.log")
	}
	timeout := x.Timeout.D()
	if timeout <= 0 {
		timeout = DefaultTimeout
	}

	env := minimalEnv(opts.Getenv, x.Env)
	env = append(env, in.env...)
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("exec trainer: log file: %w", err)
	}
	defer logf.Close()

	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := osexec.Command(x.Command[0], x.Command[1:]...)
	if !strings.ContainsRune(x.Command[0], filepath.Separator) {
		// Look the program up in the trainer's PATH, not ferry's.
		if p, err := lookPath(x.Command[0], env); err == nil {
			cmd.Path = p
		}
	}
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	log := opts.Log.With("experiment", req.Experiment.Metadata.Name, "run", req.RunID)
	log.Info("exec trainer starting", "command", strings.Join(x.Command, " "), "dir", dir, "timeout", timeout)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec trainer: start %s: %w", x.Command[0], err)
	}
	var (
		mu   sync.Mutex
		tail []string
		wg   sync.WaitGroup
	)
	pump := func(r io.Reader, stream string) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			fmt.Fprintf(logf, "%s: %s\n", stream, line)
			if stream == "stderr" {
				tail = append(tail, line)
				if len(tail) > tailLines {
					tail = tail[1:]
				}
			}
			mu.Unlock()
			log.Info("trainer", "stream", stream, "line", line)
		}
		io.Copy(io.Discard, r) // a line over 1 MiB: drain the rest
	}
	wg.Add(2)
	go pump(stdout, "stdout")
	go pump(stderr, "stderr")

	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-runCtx.Done():
			killGroup(cmd.Process.Pid, opts.KillGrace, done)
		}
	}()
	wg.Wait()
	waitErr := cmd.Wait()
	close(done)
	quote := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(tail) == 0 {
			return " (no output on stderr; log: " + logPath + ")"
		}
		return "; last lines of stderr:\n  " + strings.Join(tail, "\n  ")
	}
	if runCtx.Err() != nil {
		if errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("exec trainer: timed out after %s, process group killed%s", timeout, quote())
		}
		return nil, fmt.Errorf("exec trainer: %w, process group killed", ctx.Err())
	}
	if waitErr != nil {
		var ee *osexec.ExitError
		if errors.As(waitErr, &ee) {
			return nil, fmt.Errorf("exec trainer: %s exited with %s%s", x.Command[0], exitText(ee), quote())
		}
		return nil, fmt.Errorf("exec trainer: %w", waitErr)
	}
	modelPath := filepath.Join(in.output, "model.onnx")
	b, err := os.ReadFile(modelPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("exec trainer: exited 0 but wrote no model.onnx in $FERRY_OUTPUT (%s)%s", in.output, quote())
	}
	if err != nil {
		return nil, fmt.Errorf("exec trainer: %w", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("exec trainer: %s is empty", modelPath)
	}
	metrics, err := readMetrics(filepath.Join(in.output, "metrics.json"))
	if err != nil {
		return nil, err
	}
	res := &train.Result{ONNX: b, Metrics: metrics, Duration: time.Since(start), Info: map[string]any{
		"trainer": "exec", "command": x.Command, "exitCode": 0, "rows": req.Train.Rows,
	}}
	if opts.WorkDir != "" || opts.LogFile != "" {
		res.Info["log"] = logPath
	}
	log.Info("exec trainer done", "duration", res.Duration.Round(time.Millisecond), "bytes", len(b))
	return res, nil
}

// killGroup sends SIGTERM to the process group, then SIGKILL after grace unless
// the command finished.
func killGroup(pid int, grace time.Duration, done <-chan struct{}) {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

func exitText(ee *osexec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "signal " + ws.Signal().String()
	}
	return "status " + strconv.Itoa(ee.ExitCode())
}

// trainerDir resolves the spec's dir inside the repository root.
func trainerDir(root, dir string) (string, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	if dir == "" {
		return root, nil
	}
	if filepath.IsAbs(dir) {
		return "", fmt.Errorf("exec trainer: dir %q must be relative to the repository root", dir)
	}
	p := filepath.Join(root, filepath.FromSlash(dir))
	if rel, err := filepath.Rel(root, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("exec trainer: dir %q leaves the repository", dir)
	}
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("exec trainer: dir %s: %w", dir, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("exec trainer: dir %s is not a folder", dir)
	}
	return p, nil
}

// minimalEnv is PATH, HOME, LANG and LC_ALL from ferry's environment plus the
// listed variables; unset ones are left out.
func minimalEnv(getenv func(string) string, listed []string) []string {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var env []string
	seen := map[string]bool{}
	for _, k := range append([]string{"PATH", "HOME", "LANG", "LC_ALL"}, listed...) {
		if seen[k] || strings.HasPrefix(k, "FERRY_") {
			continue
		}
		seen[k] = true
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	if !seen["PATH"] || getenv("PATH") == "" {
		env = append(env, "PATH=/usr/local/bin:/usr/bin:/bin")
	}
	return env
}

func lookPath(name string, env []string) (string, error) {
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, d := range filepath.SplitList(p) {
				c := filepath.Join(d, name)
				if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
					return c, nil
				}
			}
		}
	}
	return "", osexec.ErrNotFound
}

type inputs struct {
	output string
	env    []string
}

// writeInputs writes the splits (features and target only), the params file and
// an empty output folder into work, and returns the FERRY_* environment.
func writeInputs(work string, req train.Request) (*inputs, error) {
	if req.Dataset == nil || req.Dataset.Spec.Target == "" {
		return nil, errors.New("exec trainer: the dataset has no target column")
	}
	target := req.Dataset.Spec.Target
	var feats []string
	if len(req.Dataset.Spec.Features) > 0 {
		for _, f := range req.Dataset.Spec.Features {
			feats = append(feats, f.Name)
		}
	} else {
		for _, c := range req.Train.Columns {
			if c.Name != target && c.Name != req.Dataset.Spec.Time {
				feats = append(feats, c.Name)
			}
		}
	}
	var cats []string
	for _, name := range feats {
		c := req.Train.Col(name)
		if c == nil {
			return nil, fmt.Errorf("exec trainer: feature column %q is not in the data", name)
		}
		if c.Type == dataset.Category {
			cats = append(cats, name)
		}
	}
	cols := append(append([]string(nil), feats...), target)
	out := filepath.Join(work, "output")
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	trainPath, evalPath := filepath.Join(work, "train.csv"), filepath.Join(work, "eval.csv")
	for _, s := range []struct {
		path string
		f    *dataset.Frame
	}{{trainPath, req.Train}, {evalPath, req.Eval}} {
		f := s.f
		if f == nil {
			f = &dataset.Frame{}
		}
		sel, err := selectColumns(f, cols)
		if err != nil {
			return nil, err
		}
		if err := dataset.WriteFile(s.path, sel); err != nil {
			return nil, fmt.Errorf("exec trainer: write split: %w", err)
		}
	}
	params := req.Experiment.Spec.Trainer.Params
	if params == nil {
		params = map[string]any{}
	}
	pb, err := json.MarshalIndent(params, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("exec trainer: params: %w", err)
	}
	paramsPath := filepath.Join(work, "params.json")
	if err := os.WriteFile(paramsPath, append(pb, '\n'), 0o644); err != nil {
		return nil, err
	}
	task := spec.Task("")
	if req.Model != nil {
		task = req.Model.Spec.Task
	}
	return &inputs{output: out, env: []string{
		"FERRY_TRAIN=" + trainPath,
		"FERRY_EVAL=" + evalPath,
		"FERRY_PARAMS=" + paramsPath,
		"FERRY_OUTPUT=" + out,
		"FERRY_TARGET=" + target,
		"FERRY_FEATURES=" + strings.Join(feats, ","),
		"FERRY_CATEGORIES=" + strings.Join(cats, ","),
		"FERRY_TASK=" + string(task),
		"FERRY_SEED=" + strconv.FormatInt(req.Experiment.Spec.Seed, 10),
		"FERRY_RUN_ID=" + req.RunID,
	}}, nil
}

// selectColumns returns a frame of the named columns; an empty frame gets them as
// empty columns so the CSV still has its header.
func selectColumns(f *dataset.Frame, names []string) (*dataset.Frame, error) {
	out := &dataset.Frame{Rows: f.Rows}
	for _, n := range names {
		c := f.Col(n)
		if c == nil {
			if f.Rows == 0 && len(f.Columns) == 0 {
				out.Columns = append(out.Columns, &dataset.Column{Name: n, Type: dataset.Number})
				continue
			}
			return nil, fmt.Errorf("exec trainer: column %q is not in the data", n)
		}
		out.Columns = append(out.Columns, c)
	}
	return out, nil
}

func readMetrics(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("exec trainer: %s: want a JSON object of metric name to number: %v", path, err)
	}
	out := make(map[string]float64, len(raw))
	for k, v := range raw {
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("exec trainer: %s: metric %q is %v, want a number", path, k, v)
		}
		out[k] = f
	}
	return out, nil
}
