package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/internal/githubfake"
)

// The GitHub loop end to end, against a real bare git remote and the fake
// GitHub API: a spec change → ferry plan --pr comments and sets the gate check →
// a second push edits the same comment → ferry apply opens the records pull
// request → a second apply opens no new one.
func TestGitHubPullRequestLoop(t *testing.T) {
	if os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH") == "" {
		t.Skip("needs onnxruntime (make test sets ONNXRUNTIME_SHARED_LIBRARY_PATH)")
	}
	tmp := t.TempDir()
	repo := filepath.Join(tmp, "repo")
	origin := filepath.Join(tmp, "origin.git")
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@ferry.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@ferry.invalid")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	fake := githubfake.New("acme", "penguins", "test-token")
	defer fake.Close()
	environ := map[string]string{
		"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": fake.URL,
		"ONNXRUNTIME_SHARED_LIBRARY_PATH": os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH"),
	}
	ferry := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code := Main(append(args, "-C", repo), strings.NewReader(""), &out, &errb, func(k string) string { return environ[k] })
		if code != want {
			t.Fatalf("ferry %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, out.String(), errb.String())
		}
		if strings.Contains(out.String()+errb.String(), "test-token") {
			t.Fatalf("ferry %v printed the token", args)
		}
		return errb.String()
	}

	if code := Main([]string{"init", repo}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("init: exit %d", code)
	}
	yaml := filepath.Join(repo, "ferry.yaml")
	data, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("  github: {repository: acme/penguins}\n")...)
	if err := os.WriteFile(yaml, data, 0o644); err != nil {
		t.Fatal(err)
	}
	git(tmp, "init", "-q", "--bare", origin)
	git(repo, "init", "-q", "-b", "main")
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", "penguins")
	git(repo, "remote", "add", "origin", origin)
	git(repo, "push", "-q", "origin", "main")
	fake.Lock()
	fake.Pulls = append(fake.Pulls, &githubfake.PullRequest{Number: 1, Head: "feature", Base: "main", State: "open", HeadSHA: git(repo, "rev-parse", "HEAD")})
	fake.Unlock()

	ferry(2, "plan", "--pr", "1", "--no-runtime")
	ours := func() []*githubfake.Comment {
		var cs []*githubfake.Comment
		for _, c := range fake.Comments {
			if strings.Contains(c.Body, gitops.Marker("plan")) {
				cs = append(cs, c)
			}
		}
		return cs
	}
	if cs := ours(); len(cs) != 1 || !strings.Contains(cs[0].Body, "gate allows") || !strings.Contains(cs[0].Body, "| metric | candidate | production |") {
		t.Fatalf("after the first plan: comments %+v, want one with the candidate and its verdict", cs)
	}
	if len(fake.Checks) != 1 || fake.Checks[0].Name != "ferry/gate" || fake.Checks[0].Conclusion != "success" {
		t.Fatalf("checks = %+v, want one successful ferry/gate", fake.Checks)
	}

	// A second push to the pull request: the comment is edited, not duplicated.
	exp := filepath.Join(repo, "experiments", "penguin-sex-logreg.yaml")
	spec, err := os.ReadFile(exp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exp, bytes.Replace(spec, []byte("seed: 42"), []byte("seed: 7"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	git(repo, "commit", "-q", "-am", "another seed")
	git(repo, "push", "-q", "origin", "main")
	ferry(2, "plan", "--pr", "1", "--no-runtime")
	if cs := ours(); len(cs) != 1 || cs[0].Edited != 1 {
		t.Fatalf("after the second plan: %d ferry comments (edited %v), want the one comment edited once", len(cs), cs)
	}

	// apply pushes ferry/main and opens the records pull request, once.
	stderr := ferry(0, "apply", "--auto-approve", "--no-runtime")
	if !strings.Contains(stderr, "opened pull request") {
		t.Fatalf("apply did not say it opened the records pull request:\n%s", stderr)
	}
	records := 0
	for _, p := range fake.Pulls {
		if p.Head == "ferry/main" {
			records++
			if !strings.Contains(p.Title, "register penguin-sex v1") {
				t.Errorf("records PR title %q does not say what it registers", p.Title)
			}
		}
	}
	if records != 1 {
		t.Fatalf("%d records pull requests, want 1", records)
	}
	if git(tmp, "--git-dir", origin, "rev-parse", "--verify", "-q", "refs/heads/ferry/main") == "" {
		t.Fatal("the ferry/main branch was not pushed")
	}
	ferry(0, "apply", "--auto-approve", "--no-runtime")
	records = 0
	for _, p := range fake.Pulls {
		if p.Head == "ferry/main" {
			records++
		}
	}
	if records != 1 {
		t.Fatalf("after a second apply: %d records pull requests, want still 1", records)
	}
}
