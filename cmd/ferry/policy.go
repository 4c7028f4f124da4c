package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/ferryml/ferry/policy"
)

func init() { register(newPolicyCmd) }

func newPolicyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Test gate policies and review policy changes",
		Long: `policy works on the gate's Rego policies: test runs their unit tests with
coverage, diff shows which stored gate decisions a policy change would flip.

User policies come from pull requests, so they are untrusted: they are written in
Rego v1, live in package ferry.gate (or below it), and may not call these
built-ins:

` + removedBuiltinsHelp(),
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPolicyTestCmd(e), newPolicyDiffCmd(e))
	return cmd
}

func removedBuiltinsHelp() string {
	var b strings.Builder
	for _, r := range policy.RemovedBuiltins() {
		name := r[0]
		if strings.HasSuffix(name, ".") {
			name += "*"
		}
		fmt.Fprintf(&b, "  %-42s %s\n", name, r[1])
	}
	return strings.TrimRight(b.String(), "\n")
}

func newPolicyTestCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test [PATH]...",
		Short: "Run Rego unit tests of gate policies, with coverage",
		Long: `test runs the test_* rules of *_test.rego files with OPA's tester, under the
same restricted built-ins as the gate (no network, runtime, clock or randomness),
and prints each test's outcome and the line coverage of every policy file.

With PATHs (files or folders) it tests those; ferry's default policy is loaded
too, so tests can use data.ferry.builtin.gate. Without PATH it tests the
default policy with its own tests, plus ./policies when that folder exists.

Exit codes: 0 every test passed, 1 a test failed or a policy does not compile.`,
		Example: `  ferry policy test
  ferry policy test policies
  ferry policy test examples/policies`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := policy.TestOptions{Paths: policyPaths(args)}
			if len(args) == 0 {
				opts.Builtin = true
				if info, err := os.Stat("policies"); err == nil && info.IsDir() {
					opts.Paths = []string{"policies"}
				}
			}
			rep, err := policy.Test(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if err := writeTestReport(e.stdout, rep); err != nil {
				return err
			}
			if n := rep.Failed(); n > 0 {
				return fmt.Errorf("policy test: %d of %d tests failed", n, len(rep.Results))
			}
			if len(rep.Results) == 0 {
				return errors.New("policy test: no tests found (test_* rules in *_test.rego files)")
			}
			return nil
		},
	}
	fixFlagUsages(cmd)
	return cmd
}

func writeTestReport(w io.Writer, rep *policy.TestReport) error {
	for _, r := range rep.Results {
		status := "PASS"
		switch {
		case r.Skipped:
			status = "SKIP"
		case r.Err != "":
			status = "ERROR"
		case !r.Passed:
			status = "FAIL"
		}
		fmt.Fprintf(w, "%-5s %s:%d: %s\n", status, r.File, r.Row, r.Name)
		if r.Err != "" {
			fmt.Fprintf(w, "      %s\n", r.Err)
		}
		if !r.Passed && r.Output != "" {
			for _, line := range strings.Split(strings.TrimRight(r.Output, "\n"), "\n") {
				fmt.Fprintf(w, "      %s\n", line)
			}
		}
	}
	for _, f := range rep.Coverage {
		fmt.Fprintf(w, "coverage %s: %.1f%%", f.Path, f.Percent())
		if len(f.NotCoveredLines) > 0 {
			fmt.Fprintf(w, " (not covered: lines %s)", coverageLineRanges(f.NotCoveredLines))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "coverage: %.1f%%\n", rep.Percent())
	verdict := "PASS"
	if rep.Failed() > 0 {
		verdict = "FAIL"
	}
	_, err := fmt.Fprintf(w, "%s: %d/%d tests passed\n", verdict, len(rep.Results)-rep.Failed(), len(rep.Results))
	return err
}

// coverageLineRanges prints ascending line numbers as "3-5, 9".
func coverageLineRanges(lines []int) string {
	var parts []string
	for i := 0; i < len(lines); {
		j := i
		for j+1 < len(lines) && lines[j+1] == lines[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, fmt.Sprint(lines[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", lines[i], lines[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// policyFlip is a stored decision whose outcome a policy change reverses.
type policyFlip struct {
	Decision string         `json:"decision"`
	File     string         `json:"file"`
	Before   bool           `json:"before"`
	After    bool           `json:"after"`
	Reasons  []string       `json:"reasons"`
	Checks   []policy.Check `json:"checks"`
}

func newPolicyDiffCmd(e *env) *cobra.Command {
	var (
		base      string
		decisions string
		policies  []string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "diff --base REV [--decisions DIR] [--policy PATH]...",
		Short: "List stored gate decisions whose outcome a policy change flips",
		Long: `diff is policy review: it replays stored gate decisions under the user
policies at git revision REV and under the policies in the working tree, and lists
every decision whose outcome changes, e.g.

  would now deny delay v7: ORD segment auc fell from 0.690 to 0.640 ...

Decisions are JSON files as ferry gate --json writes them, and the model-version
records ferry apply writes (records/models/<model>/v<N>.yaml, whose gate.input is
the decision's input), found under --decisions DIR (default: records/models at
the repository root).
The policies replayed are --policy paths, relative to the current directory;
without --policy, each decision's own gate.policies (relative to the
repository root), or else the repository's policies folder.

Exit codes: 0 no decision flips, 2 some decisions flip, 1 an error.`,
		Example: `  ferry policy diff --base main --decisions decisions
  ferry policy diff --base HEAD~1 --policy policies --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if base == "" {
				return errors.New("policy diff: --base REV is required")
			}
			repo, err := git.PlainOpenWithOptions(".", &git.PlainOpenOptions{DetectDotGit: true})
			if err != nil {
				return fmt.Errorf("policy diff: open git repository: %w", err)
			}
			wt, err := repo.Worktree()
			if err != nil {
				return fmt.Errorf("policy diff: %w", err)
			}
			root := wt.Filesystem.Root()
			hash, err := repo.ResolveRevision(plumbing.Revision(base))
			if err != nil {
				return fmt.Errorf("policy diff: resolve %s: %w", base, err)
			}
			commit, err := repo.CommitObject(*hash)
			if err != nil {
				return fmt.Errorf("policy diff: %s: %w", base, err)
			}
			tree, err := commit.Tree()
			if err != nil {
				return fmt.Errorf("policy diff: %s: %w", base, err)
			}
			var flagPaths []string
			for _, p := range policies {
				rel, err := policyRepoPath(root, p)
				if err != nil {
					return err
				}
				flagPaths = append(flagPaths, rel)
			}
			dir := decisions
			if dir == "" {
				dir = filepath.Join(root, "records", "models")
			}
			files, stored, skipped, err := readDecisions(dir)
			if err != nil {
				return err
			}
			for _, p := range skipped {
				fmt.Fprintf(e.stderr, "%s: no gate input stored; skipped\n", p)
			}
			baseFS, workFS := &treeFS{tree: tree}, os.DirFS(root)
			gates := map[string]*policy.Gate{}
			gate := func(fsys fs.FS, side string, paths []string) (*policy.Gate, error) {
				var present []string
				for _, p := range paths {
					if _, err := fs.Stat(fsys, p); err == nil {
						present = append(present, p)
					}
				}
				key := side + "\x00" + strings.Join(present, "\x00")
				if g, ok := gates[key]; ok {
					return g, nil
				}
				g, err := policy.New(policy.Options{FS: fsys, Policies: present})
				if err != nil {
					return nil, fmt.Errorf("policies at %s: %w", side, err)
				}
				gates[key] = g
				return g, nil
			}
			var flips []policyFlip
			for i, d := range stored {
				paths := flagPaths
				if len(paths) == 0 {
					paths = d.Input.Params.Policies
				}
				if len(paths) == 0 {
					paths = []string{"policies"}
				}
				before, err := gate(baseFS, base, paths)
				if err != nil {
					return err
				}
				after, err := gate(workFS, "the working tree", paths)
				if err != nil {
					return err
				}
				db, err := policy.Replay(cmd.Context(), before, d)
				if err != nil {
					return err
				}
				da, err := policy.Replay(cmd.Context(), after, d)
				if err != nil {
					return err
				}
				if db.Allow == da.Allow {
					continue
				}
				flips = append(flips, policyFlip{
					Decision: decisionLabel(d, files[i]), File: files[i],
					Before: db.Allow, After: da.Allow, Reasons: flipReasons(db, da), Checks: da.Checks,
				})
			}
			noun := "flips"
			if len(flips) == 1 {
				noun = "flip"
			}
			replayed := "decisions"
			if len(stored) == 1 {
				replayed = "decision"
			}
			fmt.Fprintf(e.stderr, "replayed %d %s under %s and the working tree: %d %s\n", len(stored), replayed, base, len(flips), noun)
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(map[string]any{"base": base, "decisions": len(stored), "flips": nonNilFlips(flips)}); err != nil {
					return err
				}
			} else {
				for _, f := range flips {
					verb := "deny"
					if f.After {
						verb = "allow"
					}
					fmt.Fprintf(e.stdout, "would now %s %s: %s\n", verb, f.Decision, strings.Join(f.Reasons, "; "))
				}
			}
			if len(flips) > 0 {
				return errAction
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&base, "base", "", "git revision with the policies to compare against (branch, tag, commit)")
	f.StringVar(&decisions, "decisions", "", "folder of stored decision JSON files (default records/models)")
	f.StringArrayVar(&policies, "policy", nil, "a Rego file or folder of user rules (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print the flips as JSON on stdout")
	fixFlagUsages(cmd)
	return cmd
}

func nonNilFlips(f []policyFlip) []policyFlip {
	if f == nil {
		return []policyFlip{}
	}
	return f
}

// policyRepoPath turns a path relative to the working directory into a slash path
// relative to the repository root.
func policyRepoPath(root, p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	// The root from go-git may be a symlink-free or a symlinked form of the cwd.
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if a, err := filepath.EvalSymlinks(abs); err == nil {
		abs = a
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("policy diff: %s is outside the repository %s", p, root)
	}
	return filepath.ToSlash(rel), nil
}

// readDecisions reads the stored decisions under dir, sorted by path: *.json
// files as ferry gate --json writes them, and *.yaml model-version records
// (records/models/<model>/v<N>.yaml), whose gate.input is the decision's input.
// Records without a gate input are skipped and returned in skipped.
func readDecisions(dir string) (files []string, out []*policy.Decision, skipped []string, err error) {
	var paths []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch filepath.Ext(p) {
		case ".json", ".yaml", ".yml":
			if !d.IsDir() {
				paths = append(paths, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read decisions: %w", err)
	}
	slices.Sort(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read decisions: %w", err)
		}
		var d policy.Decision
		if filepath.Ext(p) == ".json" {
			if err := json.Unmarshal(data, &d); err != nil {
				return nil, nil, nil, jsonPosError(p, data, err)
			}
			if d.Input.Candidate == nil {
				return nil, nil, nil, fmt.Errorf("%s: not a gate decision: no input.candidate (want ferry gate --json output)", p)
			}
		} else {
			ok, err := recordDecision(p, data, &d)
			if err != nil {
				return nil, nil, nil, err
			}
			if !ok {
				skipped = append(skipped, p)
				continue
			}
		}
		files = append(files, p)
		out = append(out, &d)
	}
	return files, out, skipped, nil
}

// recordDecision reads a model-version record's gate.input into d; false when
// the record has none.
func recordDecision(path string, data []byte, d *policy.Decision) (bool, error) {
	var rec struct {
		Model   string `yaml:"model"`
		Version int    `yaml:"version"`
		Gate    struct {
			Allow bool `yaml:"allow"`
			Input any  `yaml:"input"`
		} `yaml:"gate"`
	}
	if err := yaml.Unmarshal(data, &rec); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if rec.Gate.Input == nil {
		return false, nil
	}
	js, err := json.Marshal(rec.Gate.Input)
	if err != nil {
		return false, fmt.Errorf("%s: gate.input: %w", path, err)
	}
	if err := json.Unmarshal(js, &d.Input); err != nil {
		return false, fmt.Errorf("%s: gate.input: %w", path, err)
	}
	if d.Input.Candidate == nil {
		return false, nil
	}
	d.Allow = rec.Gate.Allow
	if d.Input.Lineage.Model == "" {
		d.Input.Lineage.Model, d.Input.Lineage.Version = rec.Model, rec.Version
	}
	return true, nil
}

func decisionLabel(d *policy.Decision, file string) string {
	l := d.Input.Lineage
	switch {
	case l.Model != "" && l.Version > 0:
		return fmt.Sprintf("%s v%d", l.Model, l.Version)
	case l.Model != "":
		return l.Model + " (" + file + ")"
	}
	return file
}

// flipReasons says why the outcome changed: the denies one side has and the
// other has not.
func flipReasons(before, after *policy.Decision) []string {
	denies := func(d *policy.Decision) []string {
		var out []string
		for _, c := range d.Checks {
			if c.Denies() {
				out = append(out, c.Message)
			}
		}
		return out
	}
	b, a := denies(before), denies(after)
	var out []string
	if !after.Allow {
		for _, m := range a {
			if !slices.Contains(b, m) {
				out = append(out, m)
			}
		}
		return out
	}
	for _, m := range b {
		out = append(out, "no longer: "+m)
	}
	return out
}

// treeFS is a git tree as an fs.FS, read lazily: only the policy files a gate
// asks for are loaded.
type treeFS struct {
	tree *object.Tree
	once map[string]fstest.MapFS
}

func (t *treeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	m, err := t.load()
	if err != nil {
		return nil, err
	}
	return m.Open(name)
}

// load reads the tree's *.rego files into memory once.
func (t *treeFS) load() (fstest.MapFS, error) {
	if m, ok := t.once[""]; ok {
		return m, nil
	}
	m := fstest.MapFS{}
	err := t.tree.Files().ForEach(func(f *object.File) error {
		if path.Ext(f.Name) != ".rego" {
			return nil
		}
		s, err := f.Contents()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		m[f.Name] = &fstest.MapFile{Data: []byte(s), Mode: 0o644}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.once = map[string]fstest.MapFS{"": m}
	return m, nil
}
