package actioncheck

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// lint lints workflow files in a project whose root holds ferry's action.yml, so
// `uses: ./` in a workflow makes actionlint check the action's inputs too.
func lint(t *testing.T, workflows map[string][]byte) []*actionlint.Error {
	t.Helper()
	action, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wfDir := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "action.yml"), action, 0o644); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for name, data := range workflows {
		// Lint the examples as if they used this checkout of the action.
		data = bytes.ReplaceAll(data, []byte("ferryml/ferry@v1"), []byte("./"))
		p := filepath.Join(wfDir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := actionlint.NewProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(paths, proj)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestExampleWorkflowsAndActionLintClean(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "examples", "github", "workflows", "*.yml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("example workflows: %v (found %d, want plan, apply and reconcile)", err, len(files))
	}
	wfs := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		wfs[filepath.Base(f)] = data
	}
	for _, e := range lint(t, wfs) {
		t.Errorf("%s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}
}

// The linter must catch what it is here for: an input the action does not have.
func TestLintCatchesUnknownInput(t *testing.T) {
	wf := []byte(`name: bad
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: ./
        with:
          comand: plan
`)
	errs := lint(t, map[string][]byte{"bad.yml": wf})
	if len(errs) == 0 || !strings.Contains(errs[0].Message, "comand") {
		t.Fatalf("errors = %v, want one about the unknown input", errs)
	}
}

// No ${{ github.event.* }} or inputs may be interpolated into a run: script; they
// travel through env.
func TestNoUntrustedInterpolationInScripts(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "examples", "github", "workflows", "*.yml"))
	sources := map[string]string{"action.yml": string(data)}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		sources[filepath.Base(f)] = string(b)
	}
	expr := regexp.MustCompile(`\$\{\{[^}]*\}\}`)
	for name, src := range sources {
		inRun := false
		indent := 0
		for i, line := range strings.Split(src, "\n") {
			trimmed := strings.TrimLeft(line, " ")
			ind := len(line) - len(trimmed)
			if inRun && trimmed != "" && ind <= indent {
				inRun = false
			}
			if strings.HasPrefix(trimmed, "run:") || strings.HasPrefix(trimmed, "- run:") {
				inRun, indent = true, ind
			}
			if inRun && expr.MatchString(line) {
				t.Errorf("%s:%d: expression interpolated into a script: %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}
