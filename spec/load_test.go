package spec

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite testdata/errors/*/expected.txt")

// base is a small valid project; table cases change or add files on top of it.
func base() fstest.MapFS {
	return fstest.MapFS{
		"ferry.yaml": {Data: []byte("apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: p}\nspec: {}\n")},
		"data/d.csv": {Data: []byte("a,b,y\n1,x,0\n")},
		"specs/all.yaml": {Data: []byte(`apiVersion: ferry.dev/v1
kind: Dataset
metadata: {name: d}
spec:
  source: data/d.csv
  target: y
  features: [{name: a, type: number}, {name: b, type: category}]
  split: {eval: 0.2, seed: 1}
---
apiVersion: ferry.dev/v1
kind: Model
metadata: {name: m}
spec: {task: binary-classification, dataset: d, metric: auc}
---
apiVersion: ferry.dev/v1
kind: Experiment
metadata: {name: e}
spec: {model: m, trainer: {builtin: logistic-regression}}
---
apiVersion: ferry.dev/v1
kind: Deployment
metadata: {name: dep}
spec: {model: m, environment: production}
---
apiVersion: ferry.dev/v1
kind: Monitor
metadata: {name: mon}
spec: {deployment: dep, window: 7d, schedule: "@daily"}
`)},
	}
}

func doc(kind, name, spec string) string {
	return "apiVersion: ferry.dev/v1\nkind: " + kind + "\nmetadata: {name: " + name + "}\nspec:\n" + spec
}

func TestLoadTable(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // "" deletes the file
		want  []string
	}{
		{name: "valid", want: nil},
		{
			name:  "unknown field in metadata and envelope",
			files: map[string]string{"x.yaml": "apiVersion: ferry.dev/v1\nkind: Dataset\nmetadata: {name: x, nmae: y}\nstatus: {}\nspec: {source: data/d.csv}\n"},
			want: []string{
				`x.yaml:3:21: metadata: unknown field "nmae", did you mean "name"? (want name, labels)`,
				`x.yaml:4:1: unknown field "status" (want apiVersion, kind, metadata, spec)`,
			},
		},
		{
			name:  "wrong types do not hide each other",
			files: map[string]string{"x.yaml": doc("Deployment", "x", "  model: [m]\n  version: 0\n  strategy: {type: canary, steps: [10, x, 100], interval: 5}\n  logging: {sample: yes}\n")},
			want: []string{
				`x.yaml:5:10: spec.model: want a string, got a list`,
				`x.yaml:6:12: spec.version: want latest or a version number ≥ 1, got "0"`,
				`x.yaml:7:40: spec.strategy.steps[1]: want an integer, got "x"`,
				`x.yaml:7:59: spec.strategy.interval: want a duration with a unit (e.g. 90s, 30m, 168h, 7d), got "5"`,
				`x.yaml:8:21: spec.logging.sample: want a number, got "yes"`,
			},
		},
		{
			name:  "missing required fields",
			files: map[string]string{"x.yaml": "apiVersion: ferry.dev/v1\nkind: Experiment\nmetadata: {}\nspec: {trainer: {exec: {}}}\n"},
			want: []string{
				`x.yaml:3:11: metadata: missing required field "name"`,
				`x.yaml:4:7: spec: missing required field "model"`,
				`x.yaml:4:24: spec.trainer.exec: missing required field "command"`,
			},
		},
		{
			name:  "enum values",
			files: map[string]string{"x.yaml": doc("Model", "x", "  task: clasification\n") + "---\n" + doc("Monitor", "y", "  deployment: dep\n  onDrift: [page]\n  features: {default: {test: chi}}\n")},
			want: []string{
				`x.yaml:5:9: spec.task: unknown value "clasification" (want binary-classification, multiclass-classification, regression)`,
				`x.yaml:12:13: spec.onDrift[0]: unknown value "page" (want report, retrain, alert)`,
				`x.yaml:13:30: spec.features.default.test: unknown test "chi", did you mean "chi2"? (want psi, ks, js, wasserstein, chi2)`,
			},
		},
		{
			name:  "names and duplicates",
			files: map[string]string{"x.yaml": doc("Model", "Delay_Model", "  task: regression\n") + "---\n" + doc("Model", "m", "  task: regression\n")},
			want: []string{
				`specs/all.yaml:12:18: duplicate Model "m" (also defined at x.yaml:9:18)`,
				`x.yaml:3:18: metadata.name: invalid name "Delay_Model" (want lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`,
				`x.yaml:9:18: duplicate Model "m" (also defined at specs/all.yaml:12:18)`,
			},
		},
		{
			name:  "long name",
			files: map[string]string{"x.yaml": doc("Model", strings.Repeat("a", 64), "  task: regression\n")},
			want:  []string{`x.yaml:3:18: metadata.name: invalid name "` + strings.Repeat("a", 64) + `" (want lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`},
		},
		{
			name: "references",
			files: map[string]string{"x.yaml": doc("Experiment", "x", "  model: nope\n  dataset: gone\n  trainer: {builtin: gradient-boosting}\n  triggers: {onDrift: [mon, ghost]}\n") +
				"---\n" + doc("Monitor", "y", "  deployment: missing\n") + "---\n" + doc("Model", "z", "  task: regression\n  dataset: void\n")},
			want: []string{
				`x.yaml:5:10: spec.model: model "nope" does not exist (have m, z)`,
				`x.yaml:6:12: spec.dataset: dataset "gone" does not exist (have d)`,
				`x.yaml:8:29: spec.triggers.onDrift[1]: monitor "ghost" does not exist (have mon, y)`,
				`x.yaml:14:15: spec.deployment: deployment "missing" does not exist (have dep)`,
				`x.yaml:21:12: spec.dataset: dataset "void" does not exist (have d)`,
			},
		},
		{
			name:  "experiment without a dataset",
			files: map[string]string{"x.yaml": doc("Model", "x", "  task: regression\n") + "---\n" + doc("Experiment", "y", "  model: x\n  trainer: {builtin: linear-regression}\n")},
			want:  []string{`x.yaml:10:1: spec.dataset: no dataset: set spec.dataset here or in model "x"`},
		},
		{
			name: "trainer",
			files: map[string]string{"x.yaml": doc("Experiment", "a", "  model: m\n  trainer: {}\n") + "---\n" +
				doc("Experiment", "b", "  model: m\n  trainer: {builtin: gradient-boosting, exec: {command: [x]}}\n") + "---\n" +
				doc("Experiment", "c", "  model: m\n  trainer: {builtin: linear-regression}\n") + "---\n" +
				// params of an exec trainer are fine: they reach it as FERRY_PARAMS.
				doc("Experiment", "d", "  model: m\n  trainer: {exec: {command: [x]}, params: {a: 1}}\n")},
			want: []string{
				`x.yaml:6:3: spec.trainer: set one of builtin (logistic-regression, linear-regression, gradient-boosting) or exec`,
				`x.yaml:13:3: spec.trainer: set one of builtin or exec, not both`,
				`x.yaml:20:22: spec.trainer.builtin: linear-regression trains regressions; model "m" is a binary-classification`,
			},
		},
		{
			name:  "exec trainer checks",
			files: map[string]string{"x.yaml": doc("Experiment", "d", "  model: m\n  trainer: {exec: {command: [], dir: nowhere, timeout: 0s}}\n")},
			want: []string{
				`x.yaml:6:20: spec.trainer.exec.command: command is empty`,
				`x.yaml:6:38: spec.trainer.exec.dir: path "nowhere" does not exist`,
				`x.yaml:6:56: spec.trainer.exec.timeout: timeout must be positive`,
			},
		},
		{
			name: "canary steps",
			files: map[string]string{"x.yaml": doc("Deployment", "a", "  model: m\n  strategy: {type: canary, steps: [0, 50, 150], interval: 1h}\n") + "---\n" +
				doc("Deployment", "b", "  model: m\n  strategy: {type: canary, steps: [50, 50, 90]}\n") + "---\n" +
				doc("Deployment", "c", "  model: m\n  strategy: {type: direct, steps: [100]}\n") + "---\n" +
				doc("Deployment", "d", "  model: m\n  strategy: {type: canary, interval: 10m}\n")},
			want: []string{
				`x.yaml:6:36: spec.strategy.steps[0]: step 0 is out of range (0, 100]`,
				`x.yaml:6:43: spec.strategy.steps[2]: step 150 is out of range (0, 100]`,
				`x.yaml:13:3: spec.strategy.interval: a canary needs a positive interval between steps, e.g. 1h`,
				`x.yaml:13:40: spec.strategy.steps[1]: steps must ascend: 50 follows 50`,
				`x.yaml:13:44: spec.strategy.steps[2]: the last step must be 100, not 90`,
				`x.yaml:20:28: spec.strategy.steps: steps apply only to strategy type canary`,
				`x.yaml:27:3: spec.strategy: a canary needs steps, e.g. [10, 50, 100]`,
			},
		},
		{
			name:  "schedules and durations",
			files: map[string]string{"x.yaml": doc("Monitor", "x", "  deployment: dep\n  window: -1h\n  schedule: \"0 3 * *\"\n") + "---\n" + doc("Experiment", "y", "  model: m\n  trainer: {builtin: gradient-boosting}\n  triggers: {schedule: \"@fortnightly\"}\n")},
			want: []string{
				`x.yaml:6:11: spec.window: negative duration "-1h"`,
				`x.yaml:7:13: spec.schedule: invalid schedule "0 3 * *": expected exactly 5 fields, found 4: [0 3 * *] (want five cron fields, e.g. "0 3 * * *", or @daily)`,
				`x.yaml:15:24: spec.triggers.schedule: invalid schedule "@fortnightly": unrecognized descriptor: @fortnightly (want five cron fields, e.g. "0 3 * * *", or @daily)`,
			},
		},
		{
			name: "thresholds",
			files: map[string]string{"x.yaml": doc("Monitor", "x", "  deployment: dep\n  features:\n    default: {test: psi, threshold: -0.1}\n    overrides: {a: {test: ks, pValue: 1}, b: {test: js, pValue: 0.1}, nope: {test: psi}}\n  prediction: {test: js, threshold: 2}\n") + "---\n" +
				doc("Deployment", "y", "  model: m\n  environment: staging\n  logging: {sample: 1.5}\n  strategy: {analysis: {maxErrorRate: 2, minRequests: -1}}\n") + "---\n" +
				doc("Dataset", "z", "  source: data/d.csv\n  split: {eval: 1}\n  features: [{name: a, type: number, min: 5, max: 1, maxNullShare: 2}, {name: a, type: boolean, min: 0}, {name: c, type: number, values: [x]}]\n")},
			want: []string{
				`x.yaml:7:37: spec.features.default.threshold: threshold -0.1 is negative`,
				`x.yaml:8:39: spec.features.overrides.a.pValue: 1 is out of range (0, 1)`,
				`x.yaml:8:65: spec.features.overrides.b.pValue: pValue applies to ks and chi2; js takes a threshold`,
				`x.yaml:8:71: spec.features.overrides.nope: "nope" is not a feature of dataset "d"`,
				`x.yaml:9:37: spec.prediction.threshold: threshold 2 is out of range [0, 1] for js`,
				`x.yaml:17:21: spec.logging.sample: 1.5 is out of range [0, 1]`,
				`x.yaml:18:39: spec.strategy.analysis.maxErrorRate: 2 is out of range [0, 1]`,
				`x.yaml:18:55: spec.strategy.analysis.minRequests: minRequests is negative`,
				`x.yaml:25:17: spec.split.eval: eval fraction 1 is out of range (0, 1)`,
				`x.yaml:26:43: spec.features[0].min: min 5 is greater than max 1`,
				`x.yaml:26:68: spec.features[0].maxNullShare: 2 is out of range [0, 1]`,
				`x.yaml:26:79: spec.features[1].name: duplicate feature "a" (first at x.yaml:26:21)`,
				`x.yaml:26:102: spec.features[1].min: min and max apply to number and integer features, not boolean`,
				`x.yaml:26:130: spec.features[2].values: values apply to category features, not number`,
			},
		},
		{
			name: "paths",
			files: map[string]string{"x.yaml": doc("Dataset", "a", "  source: ../outside.csv\n") + "---\n" +
				doc("Dataset", "b", "  source: /etc/passwd.csv\n") + "---\n" +
				doc("Dataset", "c", "  source: data/missing.csv\n") + "---\n" +
				doc("Dataset", "e", "  source: data\n  format: csv\n") + "---\n" +
				doc("Dataset", "f", "  source: ftp://host/x.csv\n") + "---\n" +
				doc("Dataset", "g", "  source: data/d.txt\n") + "---\n" +
				doc("Dataset", "h", "  source: s3://bucket/x.parquet\n  digest: md5:abc\n")},
			want: []string{
				`x.yaml:5:11: spec.source: path "../outside.csv" leaves the repository`,
				`x.yaml:11:11: spec.source: path "/etc/passwd.csv" is absolute; paths in specs are relative to the repository root`,
				`x.yaml:17:11: spec.source: path "data/missing.csv" does not exist`,
				`x.yaml:23:11: spec.source: path "data" is a folder, not a file`,
				`x.yaml:30:11: spec.source: unsupported URL "ftp://host/x.csv" (want a repository path or an s3://, gs://, azblob://, file://, mem:// or https:// URL)`,
				`x.yaml:36:11: spec.source: cannot tell the format of "data/d.txt" from its extension; set spec.format (csv, parquet, jsonl)`,
				`x.yaml:36:11: spec.source: path "data/d.txt" does not exist`,
				`x.yaml:43:11: spec.digest: invalid digest "md5:abc" (want sha256: and 64 lowercase hex digits)`,
			},
		},
		{
			name: "project",
			files: map[string]string{"ferry.yaml": "apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: p}\nspec:\n  artifacts: ftp://x\n  predictions: mysql://db\n  records: ../records\n  git: {commit: push, author: bot}\n  github: {repository: acme}\n  runtime: {kind: local, url: \"127.0.0.1:8080\", namespace: x}\n",
				"sub/ferry.yaml": "apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: q}\nspec: {}\n"},
			want: []string{
				`ferry.yaml:5:14: spec.artifacts: unsupported artifact store "ftp://x" (want a file://, s3://, gs://, azblob:// or mem:// URL)`,
				`ferry.yaml:6:16: spec.predictions: unsupported prediction log "mysql://db" (want a sqlite:// or postgres:// URL)`,
				`ferry.yaml:7:12: spec.records: path "../records" leaves the repository`,
				`ferry.yaml:8:17: spec.git.commit: unknown value "push" (want pull-request, direct)`,
				`ferry.yaml:8:31: spec.git.author: invalid author "bot" (want "Name <email>")`,
				`ferry.yaml:9:24: spec.github.repository: invalid repository "acme" (want owner/name)`,
				`ferry.yaml:10:31: spec.runtime.url: invalid runtime URL "127.0.0.1:8080" (want http://host:port)`,
				`ferry.yaml:10:60: spec.runtime.namespace: namespace applies only to runtime kind kserve`,
				`sub/ferry.yaml:1:1: a second Project (the first is at ferry.yaml:1:1); a repository has exactly one`,
				`sub/ferry.yaml:1:1: the Project belongs in ferry.yaml at the repository root`,
			},
		},
		{
			name: "metric names",
			files: map[string]string{"x.yaml": doc("Model", "x", "  task: regression\n  dataset: d\n  gate: {min: {r2: 0.5, acuracy: 0.9}, max: {latencyP99Ms: 5, rmse: 3}, tolerance: {auc: 0.1}}\n") + "---\n" +
				doc("Monitor", "y", "  deployment: dep\n  features: {overrides: {a: {test: chi2}, b: {test: ks}}}\n  performance: {labels: data/d.csv, metric: rmse, maxDrop: 0.1}\n")},
			want: []string{
				`x.yaml:7:25: spec.gate.min.acuracy: unknown metric "acuracy" for regression (want rmse, mae, r2, mape, latencyP50Ms, latencyP95Ms, latencyP99Ms, memoryMB)`,
				`x.yaml:7:85: spec.gate.tolerance.auc: unknown metric "auc" for regression (want rmse, mae, r2, mape, latencyP50Ms, latencyP95Ms, latencyP99Ms, memoryMB)`,
				`x.yaml:14:36: spec.features.overrides.a.test: chi2 compares categories; "a" is a number feature (use ks, wasserstein, psi or js)`,
				`x.yaml:14:53: spec.features.overrides.b.test: ks compares numbers; "b" is a category feature (use chi2, psi or js)`,
				`x.yaml:15:45: spec.performance.metric: metric "rmse" does not apply to binary-classification (want auc, prAuc, logloss, accuracy, precision, recall, f1, brier)`,
			},
		},
		{
			name:  "token env",
			files: map[string]string{"ferry.yaml": "apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: p}\nspec: {runtime: {tokenEnv: $TOKEN}}\n"},
			want:  []string{`ferry.yaml:4:28: spec.runtime.tokenEnv: invalid environment variable name "$TOKEN"`},
		},
		{
			name:  "no project",
			files: map[string]string{"ferry.yaml": ""},
			want:  []string{`ferry.yaml: no Project: the repository root needs ferry.yaml with kind: Project (ferry init creates one)`},
		},
		{
			name:  "apiVersion and kind",
			files: map[string]string{"x.yaml": "apiVersion: ferry.dev/v2\nkind: Model\n---\napiVersion: ferry.dev/v1\nmetadata: {name: x}\n---\napiVersion: ferry.dev/v1\nkind: [Model]\n"},
			want: []string{
				`x.yaml:1:13: apiVersion: unsupported version "ferry.dev/v2" (want ferry.dev/v1)`,
				`x.yaml:4:1: missing required field "kind" (want Project, Dataset, Model, Experiment, Deployment, Monitor)`,
				`x.yaml:8:7: kind: unknown kind a list (want Project, Dataset, Model, Experiment, Deployment, Monitor)`,
			},
		},
		{
			name:  "two production deployments of one model",
			files: map[string]string{"x.yaml": doc("Deployment", "dep2", "  model: m\n  environment: production\n")},
			want:  []string{`x.yaml:6:16: spec.environment: model "m" already has a deployment in environment "production" (dep at specs/all.yaml:23:31)`},
		},
		{
			name:  "segments and split columns",
			files: map[string]string{"x.yaml": doc("Model", "x", "  task: regression\n  dataset: d\n  segments: [b, region]\n") + "---\n" + doc("Dataset", "t", "  source: data/d.csv\n  target: y\n  features: [{name: a, type: number}, {name: y, type: number}]\n  split: {column: when, train: {from: 2001-02-01, before: 2001-01-01}, eval: {from: 2000-12-01}}\n")},
			want: []string{
				`x.yaml:7:17: spec.segments[1]: column "region" is not a feature of dataset "d"`,
				`x.yaml:15:46: spec.features[1].name: feature "y" is the target column; the target is not a feature`,
				`x.yaml:16:19: spec.split.column: column "when" is not a feature, the target or the time column`,
				`x.yaml:16:59: spec.split.train.before: before 2001-01-01 is not after from 2001-02-01`,
				`x.yaml:16:59: spec.split.train.before: train (before 2001-01-01) overlaps eval (from 2000-12-01)`,
			},
		},
		{
			name:  "duplicate keys",
			files: map[string]string{"x.yaml": doc("Model", "x", "  task: regression\n  task: binary-classification\n")},
			want:  []string{`x.yaml:6:3: spec.task: duplicate key "task" (first at line 5)`},
		},
		{
			name:  "merge keys and anchors",
			files: map[string]string{"x.yaml": doc("Model", "x", "  task: regression\n  gate: &g {min: {r2: 0.5}}\n") + "---\n" + doc("Model", "y", "  task: regression\n  gate: {<<: {min: {r2: 0.9}, tolernce: {}}, max: {r2: 0.1}}\n")},
			want: []string{
				`x.yaml:13:21: spec.gate.min.r2: min 0.9 is greater than max 0.1`,
				`x.yaml:13:31: spec.gate: unknown field "tolernce", did you mean "tolerance"? (want min, max, tolerance, edgeCases, policies)`,
			},
		},
		{
			name:  "broken YAML in a ferry file",
			files: map[string]string{"x.yaml": "apiVersion: ferry.dev/v1\nkind: Model\nmetadata: {name: x\nspec: {}\n"},
			want:  []string{`x.yaml:3:11: invalid YAML: did not find expected ',' or '}'`},
		},
		{
			name:  "tabs",
			files: map[string]string{"x.yaml": "apiVersion: ferry.dev/v1\nkind: Model\nmetadata:\n\tname: x\n"},
			want:  []string{`x.yaml:4:1: invalid YAML: tab in indentation (YAML indents with spaces only)`},
		},
		{
			name:  "not UTF-8",
			files: map[string]string{"x.yaml": "apiVersion: ferry.dev/v1\nkind: Model\nmetadata: {name: caf\xe9}\n"},
			want:  []string{`x.yaml:3:21: file is not valid UTF-8`},
		},
		{
			name: "other YAML is ignored, even when broken or not UTF-8",
			files: map[string]string{
				"k8s.yaml":               "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Web_App}\nspec: {replicas: 2}\n",
				"charts/t/templates.yml": "metadata:\n  name: {{ .Release.Name }}\n  {{- if x }}\n",
				"latin1.yaml":            "name: caf\xe9\n",
				"list.yaml":              "- a\n- b\n",
				"empty.yaml":             "",
				".git/config.yaml":       "apiVersion: ferry.dev/v1\nkind: Nope\n",
				"node_modules/x/a.yaml":  "apiVersion: ferry.dev/v1\nkind: Nope\n",
				".ferry/cache.yaml":      "apiVersion: ferry.dev/v1\nkind: Nope\n",
				"records/runs/e/1.yaml":  "apiVersion: ferry.dev/v1\nkind: Run\n",
			},
		},
		{
			name: "the records folder the project names is skipped",
			files: map[string]string{
				"ferry.yaml":           "apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: p}\nspec: {records: ferry/history}\n",
				"ferry/history/a.yaml": "apiVersion: ferry.dev/v1\nkind: Run\n",
				"records/a.yaml":       "apiVersion: ferry.dev/v1\nkind: Run\n",
			},
			want: []string{`records/a.yaml:2:7: kind: unknown kind "Run" (want Project, Dataset, Model, Experiment, Deployment, Monitor)`},
		},
		{
			name:  "alias expansion is bounded",
			files: map[string]string{"x.yaml": doc("Experiment", "x", "  model: m\n  trainer:\n    builtin: gradient-boosting\n    params:\n      a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n")},
			want:  []string{`x.yaml:9:17: spec.trainer.params.e[3][3][8][5][1]: document is too large or too deeply nested (aliases expand past 50000 nodes or 64 levels)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := base()
			for name, data := range tt.files {
				if data == "" && fsys[name] != nil {
					delete(fsys, name)
					continue
				}
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := Load(fsys)
			got := lines(t, err)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// lines returns the errors of a Load as lines, failing on errors of other types.
func lines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, not an ErrorList: %v", err, err)
	}
	return strings.Split(list.Error(), "\n")
}

func TestLoadValidFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/valid/*")
	if len(dirs) == 0 {
		t.Fatal("no fixtures in testdata/valid")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			s, err := LoadDir(dir)
			if err != nil {
				t.Fatalf("LoadDir: %v", err)
			}
			if s.Project == nil || len(s.Models) == 0 {
				t.Fatalf("incomplete set: %+v", s)
			}
		})
	}
}

// TestLoadErrorFixtures compares each testdata/errors/* tree's errors with its
// expected.txt (go test -run ErrorFixtures -update rewrites them).
func TestLoadErrorFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/errors/*")
	if len(dirs) == 0 {
		t.Fatal("no fixtures in testdata/errors")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			_, err := LoadDir(dir)
			got := strings.Join(lines(t, err), "\n") + "\n"
			file := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("errors:\n%s\nwant (%s):\n%s", got, file, want)
			}
		})
	}
}
