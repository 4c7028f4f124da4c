package docgen

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/spec"
)

const minimalTree = `
-- ferry.yaml --
apiVersion: ferry.dev/v1
kind: Project
metadata: {name: p}
spec: {}
-- specs.yaml --
apiVersion: ferry.dev/v1
kind: Dataset
metadata: {name: d}
spec:
  source: data.csv
  target: y
  features: [{name: x, type: number}]
---
apiVersion: ferry.dev/v1
kind: Model
metadata: {name: m}
spec: {task: binary-classification, dataset: d}
---
apiVersion: ferry.dev/v1
kind: Experiment
metadata: {name: e}
spec: {model: m, trainer: {builtin: logistic-regression}}
---
apiVersion: ferry.dev/v1
kind: Deployment
metadata: {name: dep}
spec: {model: m}
---
apiVersion: ferry.dev/v1
kind: Monitor
metadata: {name: mon}
spec: {deployment: dep}
-- data.csv --
x,y
1,0
2,1
`

func loadMinimal(t *testing.T) *spec.Set {
	t.Helper()
	fsys := fstest.MapFS{}
	parts := strings.Split(minimalTree, "-- ")
	for _, p := range parts[1:] {
		name, body, _ := strings.Cut(p, " --\n")
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	set, err := spec.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// The defaults the spec reference states are the ones Load applies.
func TestDefaultsMatchLoad(t *testing.T) {
	set := loadMinimal(t)
	ps := set.Project.Spec
	ds := set.Datasets[0]
	dep := set.Deployments[0].Spec
	mon := set.Monitors[0].Spec.Features.Default
	threshold := ""
	if mon.Threshold != nil {
		threshold = fmt.Sprint(*mon.Threshold) + " (when the test is psi)"
	}
	version := fmt.Sprint(dep.Version.Number)
	if dep.Version.Latest {
		version = "latest"
	}
	got := map[spec.Kind]map[string]string{
		spec.KindProject: {
			"spec.artifacts":        ps.Artifacts,
			"spec.predictions":      ps.Predictions,
			"spec.records":          ps.Records,
			"spec.git.remote":       ps.Git.Remote,
			"spec.git.base":         ps.Git.Base,
			"spec.git.commit":       string(ps.Git.Commit),
			"spec.runtime.kind":     string(ps.Runtime.Kind),
			"spec.runtime.url":      ps.Runtime.URL,
			"spec.runtime.tokenEnv": ps.Runtime.TokenEnv,
		},
		spec.KindDataset: {
			"spec.features[].nullable": fmt.Sprint(ds.Spec.Features[0].IsNullable()),
		},
		spec.KindDeployment: {
			"spec.version":        version,
			"spec.strategy.type":  string(dep.Strategy.Type),
			"spec.logging.sample": fmt.Sprint(dep.Logging.SampleRate()),
		},
		spec.KindMonitor: {
			"spec.features.default.test":      mon.Test,
			"spec.features.default.threshold": threshold,
		},
	}
	for kind, fields := range got {
		for path, value := range fields {
			if want := Defaults[kind][path]; want != value {
				t.Errorf("%s %s: the reference says default %q, Load gives %q", kind, path, want, value)
			}
		}
	}
	// The derived defaults: described in words, checked here.
	if ds.Spec.Format != spec.FormatCSV {
		t.Errorf("format of data.csv defaults to %q, want csv (from the extension)", ds.Spec.Format)
	}
	if e := set.Experiments[0]; e.Spec.Dataset != "d" {
		t.Errorf("experiment dataset defaults to %q, want the model's (d)", e.Spec.Dataset)
	}
	if dep.Runtime != ps.Runtime.Kind {
		t.Errorf("deployment runtime defaults to %q, want the project's %q", dep.Runtime, ps.Runtime.Kind)
	}
}

// Every default names a field the reference lists.
func TestDefaultsNameFields(t *testing.T) {
	var b bytes.Buffer
	if err := Spec(&b); err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(b.String(), "\n## ")
	for kind, fields := range Defaults {
		var section string
		for _, s := range sections {
			if strings.HasPrefix(s, string(kind)+"\n") {
				section = s
			}
		}
		for path := range fields {
			if !strings.Contains(section, "| `"+path+"`") {
				t.Errorf("%s: default for %s, which the reference does not list", kind, path)
			}
		}
	}
}

func TestCLI(t *testing.T) {
	root := &cobra.Command{Use: "tool", Long: "Tool does things.\n\nExit codes: 0 ok,\n1 error."}
	run := func(*cobra.Command, []string) error { return nil }
	a := &cobra.Command{
		Use: "alpha [DIR]", Short: "Do alpha", RunE: run,
		Long:    "Alpha reads *.yaml under <dir>.\n\nIt knows:\n\n  one   first\n  two   second\n\nExit codes: 0 done, 2 changes.",
		Example: "  tool alpha\n  tool alpha x | jq .",
	}
	a.Flags().StringP("dir", "C", "", "the folder (default: the current one)")
	a.Flags().Int("bins", 10, "bins | buckets")
	a.Flags().StringArray("policy", nil, "a policy (repeatable)")
	a.Flags().String("data", "", "data file (required)")
	a.MarkFlagRequired("data")
	hidden := &cobra.Command{Use: "secret", Hidden: true, RunE: run}
	quiet := &cobra.Command{Use: "quiet", Short: "No exit codes stated", RunE: run}
	group := &cobra.Command{Use: "group", Short: "A group"}
	group.AddCommand(&cobra.Command{Use: "leaf", Short: "A leaf", RunE: run})
	root.AddCommand(a, hidden, quiet, group)

	var b bytes.Buffer
	if err := CLI(&b, root); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"**Exit codes**: 0 ok, 1 error.",
		"## tool alpha\n",
		"```\ntool alpha [DIR] [flags]\n```",
		`Alpha reads \*.yaml under \<dir\>.`,
		"It knows:\n\n```\none   first\ntwo   second\n```",
		"```sh\ntool alpha\ntool alpha x | jq .\n```",
		"| `-C`, `--dir` | string | the current one | the folder |",
		"| `--bins` | int | `10` | bins \\| buckets |",
		"| `--policy` | string, repeatable |  | a policy (repeatable) |",
		"| `--data` | string | required | data file |",
		"**Exit codes:** 0 done, 2 changes.",
		"## tool quiet\n",
		"**Exit codes:** not stated by the command",
		"```\ntool group COMMAND\n```",
		"- [`tool group leaf`](#tool-group-leaf) — A leaf",
		"| [`tool group leaf`](#tool-group-leaf) | A leaf |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") {
		t.Errorf("hidden command rendered:\n%s", out)
	}
	var again bytes.Buffer
	CLI(&again, root)
	if again.String() != out {
		t.Error("two renders differ")
	}
}
