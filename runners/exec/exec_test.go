package exec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/train"
	"github.com/ferryml/ferry/spec"
)

func frame() *dataset.Frame {
	return &dataset.Frame{Rows: 3, Columns: []*dataset.Column{
		{Name: "distance", Type: dataset.Number, Floats: []float64{100, 250.5, 0}},
		{Name: "origin", Type: dataset.Category, Levels: []string{"SEA", "a,b"}, Codes: []int32{0, 1, -1}, Null: []bool{false, false, true}},
		{Name: "ignored", Type: dataset.Number, Floats: []float64{1, 2, 3}},
		{Name: "delayed", Type: dataset.Number, Floats: []float64{0, 1, 1}},
	}}
}

// request runs script (a POSIX shell script written into the repository's
// trainers/t folder) as the experiment's trainer.
func request(t *testing.T, script string, timeout time.Duration, env ...string) (train.Request, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "trainers", "t")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "train.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	f := frame()
	return train.Request{
		Experiment: &spec.Experiment{Metadata: spec.Metadata{Name: "exp"}, Spec: spec.ExperimentSpec{
			Model: "m", Seed: 42,
			Trainer: spec.Trainer{Params: map[string]any{"C": 0.5, "solver": "lbfgs"},
				Exec: &spec.ExecTrainer{Command: []string{"sh", "train.sh"}, Dir: "trainers/t", Timeout: spec.Duration(timeout), Env: env}},
		}},
		Model: &spec.Model{Spec: spec.ModelSpec{Task: spec.TaskBinary}},
		Dataset: &spec.Dataset{Spec: spec.DatasetSpec{Target: "delayed", Features: []spec.Feature{
			{Name: "distance", Type: spec.TypeNumber}, {Name: "origin", Type: spec.TypeCategory}}}},
		Train: f, Eval: f, RunID: "run-1",
	}, root
}

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var hostEnv = map[string]string{
	"PATH": os.Getenv("PATH"), "HOME": "/home/someone", "LANG": "C.UTF-8",
	"GITHUB_TOKEN": "secret-token", "FERRY_ADMIN_TOKEN": "admin", "LISTED": "yes",
}

// A trainer that follows the contract gets its inputs and its model is returned;
// it sees only the minimal environment plus what the spec lists.
func TestRunContract(t *testing.T) {
	script := `set -e
test "$(pwd)" = "$EXPECT_DIR" || { echo "wrong dir $(pwd)" >&2; exit 9; }
env | sort > "$FERRY_OUTPUT/env.txt"
cp "$FERRY_TRAIN" "$FERRY_OUTPUT/train-copy.csv"
cp "$FERRY_PARAMS" "$FERRY_OUTPUT/params-copy.json"
printf 'ONNX' > "$FERRY_OUTPUT/model.onnx"
echo '{"auc": 0.75, "logloss": 0.5}' > "$FERRY_OUTPUT/metrics.json"
echo "trained on $(wc -l < "$FERRY_TRAIN") lines"
`
	req, root := request(t, script, time.Minute, "LISTED", "EXPECT_DIR")
	env := map[string]string{}
	for k, v := range hostEnv {
		env[k] = v
	}
	env["EXPECT_DIR"] = filepath.Join(root, "trainers", "t")
	work := t.TempDir()
	res, err := Run(context.Background(), req, Options{Root: root, WorkDir: work, Getenv: getenv(env)})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.ONNX) != "ONNX" {
		t.Errorf("model bytes %q", res.ONNX)
	}
	if res.Metrics["auc"] != 0.75 || res.Metrics["logloss"] != 0.5 {
		t.Errorf("metrics %v", res.Metrics)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(work, "output", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	envText := read("env.txt")
	for _, want := range []string{"FERRY_TARGET=delayed", "FERRY_FEATURES=distance,origin", "FERRY_CATEGORIES=origin",
		"FERRY_TASK=binary-classification", "FERRY_SEED=42", "FERRY_RUN_ID=run-1", "LISTED=yes", "LANG=C.UTF-8", "HOME=/home/someone",
		"FERRY_TRAIN=" + filepath.Join(work, "train.csv"), "FERRY_OUTPUT=" + filepath.Join(work, "output")} {
		if !strings.Contains(envText, want+"\n") {
			t.Errorf("environment lacks %s:\n%s", want, envText)
		}
	}
	for _, leak := range []string{"GITHUB_TOKEN", "FERRY_ADMIN_TOKEN", "secret-token"} {
		if strings.Contains(envText, leak) {
			t.Errorf("environment leaks %s", leak)
		}
	}
	if got, want := read("train-copy.csv"), "distance,origin,delayed\n100,SEA,0\n250.5,\"a,b\",1\n0,,1\n"; got != want {
		t.Errorf("train split:\n%s\nwant:\n%s", got, want)
	}
	if got := read("params-copy.json"); !strings.Contains(got, `"C": 0.5`) || !strings.Contains(got, `"solver": "lbfgs"`) {
		t.Errorf("params file: %s", got)
	}
	logText, err := os.ReadFile(filepath.Join(work, "trainer.log"))
	if err != nil || !strings.Contains(string(logText), "stdout: trained on 4 lines") {
		t.Errorf("log file: %q %v", logText, err)
	}
}

func TestRunFailures(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		dir     string
		want    []string
	}{
		{"non-zero exit", "echo starting\necho 'ValueError: bad input' >&2\nexit 3\n", time.Minute, "",
			[]string{"exited with status 3", "last lines of stderr:", "ValueError: bad input"}},
		{"no model", "echo done\n", time.Minute, "", []string{"exited 0 but wrote no model.onnx"}},
		{"empty model", ": > \"$FERRY_OUTPUT/model.onnx\"\n", time.Minute, "", []string{"model.onnx is empty"}},
		{"bad metrics", "printf x > \"$FERRY_OUTPUT/model.onnx\"; echo '{\"auc\": \"high\"}' > \"$FERRY_OUTPUT/metrics.json\"\n", time.Minute, "",
			[]string{"metrics.json: metric \"auc\" is high, want a number"}},
		// The trainer's child holds stdout open: only killing the group ends it.
		{"timeout", "sleep 60 &\nwait\n", 300 * time.Millisecond, "",
			[]string{"timed out after 300ms, process group killed"}},
		{"dir outside", "exit 0\n", time.Minute, "../elsewhere", []string{`dir "../elsewhere" leaves the repository`}},
		{"missing program", "", time.Minute, "", []string{"start"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, root := request(t, tt.script, tt.timeout)
			if tt.dir != "" {
				req.Experiment.Spec.Trainer.Exec.Dir = tt.dir
			}
			if tt.name == "missing program" {
				req.Experiment.Spec.Trainer.Exec.Command = []string{"no-such-trainer-program"}
			}
			start := time.Now()
			_, err := Run(context.Background(), req, Options{Root: root, Getenv: getenv(hostEnv), KillGrace: time.Second})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.name == "timeout" && time.Since(start) > 30*time.Second {
				t.Errorf("the killed trainer's child kept the run alive for %s", time.Since(start))
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	req, root := request(t, "sleep 60\n", time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(200 * time.Millisecond)
		cancel()
	}()
	_, err := Run(ctx, req, Options{Root: root, Getenv: getenv(hostEnv), KillGrace: time.Second})
	if err == nil || !strings.Contains(err.Error(), "context canceled, process group killed") {
		t.Fatalf("got %v", err)
	}
}
