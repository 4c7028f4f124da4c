package gitops_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferryml/ferry/gitops"
)

// git runs the git binary in dir; tests use it to set up and inspect repos the
// way a user would.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, s := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// setup makes a bare remote and a clone with one commit on main.
func setup(t *testing.T) (remote, work string) {
	t.Helper()
	base := t.TempDir()
	remote = filepath.Join(base, "remote.git")
	work = filepath.Join(base, "work")
	git(t, base, "init", "-q", "--bare", "-b", "main", remote)
	git(t, base, "clone", "-q", remote, work)
	git(t, work, "checkout", "-q", "-b", "main")
	write(t, work, map[string]string{
		"ferry.yaml":             "kind: Project\n",
		"models/delay.yaml":      "kind: Model\n",
		"trainers/sk/train.py":   "print(1)\n",
		"records/runs/a/r1.yaml": "schema: 1\n",
	})
	git(t, work, "add", ".")
	git(t, work, "commit", "-q", "-m", "init")
	git(t, work, "push", "-q", "origin", "main")
	return remote, work
}

func TestTreeFS(t *testing.T) {
	_, work := setup(t)
	r, err := gitops.Open(filepath.Join(work, "models"))
	if err != nil {
		t.Fatal(err)
	}
	first := git(t, work, "rev-parse", "HEAD")
	write(t, work, map[string]string{"models/delay.yaml": "kind: Model # v2\n"})
	git(t, work, "commit", "-q", "-am", "edit")

	old, err := r.FS(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(old, "ferry.yaml", "models/delay.yaml", "trainers/sk/train.py", "records/runs/a/r1.yaml"); err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(old, "models/delay.yaml")
	if err != nil || string(b) != "kind: Model\n" {
		t.Fatalf("old revision: %q %v", b, err)
	}
	head, err := r.FS("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = fs.ReadFile(head, "models/delay.yaml")
	if string(b) != "kind: Model # v2\n" {
		t.Fatalf("head: %q", b)
	}
	if _, err := fs.ReadFile(head, "nope.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if old.TreeHash("trainers/sk") != head.TreeHash("trainers/sk") || old.TreeHash("models") == head.TreeHash("models") {
		t.Fatal("TreeHash does not track folder contents")
	}
	changed, err := r.Changed(first, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed, []string{"models/delay.yaml"}) {
		t.Fatalf("changed %v", changed)
	}
	if _, err := r.FS("no-such-branch"); err == nil {
		t.Fatal("want an error for a bad revision")
	}
}

func TestCommitMatchesGit(t *testing.T) {
	_, work := setup(t)
	r, err := gitops.Open(work)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := r.Resolve("HEAD")
	cs := &gitops.Changeset{
		Files: map[string][]byte{
			"records/models/delay/v1.yaml": []byte("version: 1\n"),
			"records/runs/a/r2.yaml":       []byte("schema: 1\n"),
			"a.txt":                        []byte("top\n"),
		},
		Deletes: []string{"records/runs/a/r1.yaml", "trainers/sk/train.py"},
		Message: "ferry: records",
	}
	h, err := r.Commit(head, cs, gitops.CommitOptions{Author: gitops.Signature{Name: "bot", Email: "bot@x"}})
	if err != nil {
		t.Fatal(err)
	}
	// git itself must accept the objects and see exactly this tree.
	git(t, work, "fsck", "--strict", "--no-dangling")
	ls := git(t, work, "ls-tree", "-r", "--name-only", h.String())
	want := "a.txt\nferry.yaml\nmodels/delay.yaml\nrecords/models/delay/v1.yaml\nrecords/runs/a/r2.yaml"
	if ls != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", ls, want)
	}
	if got := git(t, work, "log", "-1", "--format=%an <%ae> %s", h.String()); got != "bot <bot@x> ferry: records" {
		t.Fatalf("commit: %s", got)
	}
	// The same content again changes nothing: no commit.
	again, err := r.Commit(h, cs, gitops.CommitOptions{})
	if err != nil || !again.IsZero() {
		t.Fatalf("no-op commit: %v %v", again, err)
	}
	if _, err := r.Commit(head, &gitops.Changeset{Files: map[string][]byte{"../x": nil}}, gitops.CommitOptions{}); err == nil {
		t.Fatal("want an error for a path leaving the repository")
	}
	if _, err := r.Commit(head, &gitops.Changeset{Files: map[string][]byte{"ferry.yaml/x": nil}}, gitops.CommitOptions{}); err == nil {
		t.Fatal("want an error for a file used as a folder")
	}
}

func TestPublishDirectAndBranch(t *testing.T) {
	remote, work := setup(t)
	r, err := gitops.Open(work)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	build := func(content string) gitops.Build {
		return func(ctx context.Context, parent gitops.Hash) (*gitops.Changeset, error) {
			return &gitops.Changeset{Files: map[string][]byte{"records/x.yaml": []byte(content)}, Message: "x"}, nil
		}
	}
	pub, err := r.Publish(ctx, gitops.PublishOptions{Remote: "origin", Branch: "main"}, build("1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pub.Commit.IsZero() || git(t, remote, "rev-parse", "main") != pub.Commit.String() {
		t.Fatalf("remote main is not the published commit")
	}
	// The checked-out main was at the parent and clean: it moved along.
	if !pub.WorktreeSynced || git(t, work, "status", "--porcelain") != "" {
		t.Fatalf("worktree not synced: %v %q", pub.WorktreeSynced, git(t, work, "status", "--porcelain"))
	}
	// Same content: nothing to push.
	again, err := r.Publish(ctx, gitops.PublishOptions{Remote: "origin", Branch: "main"}, build("1\n"))
	if err != nil || !again.Commit.IsZero() {
		t.Fatalf("second publish: %+v %v", again, err)
	}
	// A branch for a pull request starts at base and then accumulates.
	opts := gitops.PublishOptions{Remote: "origin", Branch: "ferry/main", Base: "main"}
	b1, err := r.Publish(ctx, opts, build("2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b1.Parent != pub.Commit || git(t, remote, "rev-parse", "ferry/main") != b1.Commit.String() {
		t.Fatal("branch did not start at main")
	}
	b2, err := r.Publish(ctx, opts, func(ctx context.Context, parent gitops.Hash) (*gitops.Changeset, error) {
		return &gitops.Changeset{Files: map[string][]byte{"records/y.yaml": []byte("y\n")}, Message: "y"}, nil
	})
	if err != nil || b2.Parent != b1.Commit {
		t.Fatalf("branch did not accumulate: %+v %v", b2, err)
	}
	if git(t, remote, "rev-parse", "main") != pub.Commit.String() {
		t.Fatal("a branch publish moved main")
	}
}

func TestPublishReplansOnConflict(t *testing.T) {
	remote, work := setup(t)
	r, err := gitops.Open(work)
	if err != nil {
		t.Fatal(err)
	}
	// Another writer pushes to main between our fetch and our push.
	other := filepath.Join(filepath.Dir(remote), "other")
	git(t, filepath.Dir(remote), "clone", "-q", remote, other)
	var parents []gitops.Hash
	ctx := context.Background()
	pub, err := r.Publish(ctx, gitops.PublishOptions{Remote: "origin", Branch: "main", Backoff: time.Millisecond},
		func(ctx context.Context, parent gitops.Hash) (*gitops.Changeset, error) {
			parents = append(parents, parent)
			if len(parents) == 1 {
				write(t, other, map[string]string{"records/other.yaml": "o\n"})
				git(t, other, "add", ".")
				git(t, other, "commit", "-q", "-m", "other")
				git(t, other, "push", "-q", "origin", "HEAD:main")
			}
			return &gitops.Changeset{Files: map[string][]byte{"records/mine.yaml": []byte("m\n")}}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(parents) != 2 || parents[0] == parents[1] || pub.Attempts != 2 {
		t.Fatalf("want a re-plan on the new head, got parents %v", parents)
	}
	files := git(t, remote, "ls-tree", "-r", "--name-only", "main", "records")
	if !strings.Contains(files, "records/other.yaml") || !strings.Contains(files, "records/mine.yaml") {
		t.Fatalf("remote lost a write:\n%s", files)
	}

	// A remote that always moves: bounded attempts, a clear error, no force.
	n := 0
	_, err = r.Publish(ctx, gitops.PublishOptions{Remote: "origin", Branch: "main", Attempts: 3, Backoff: time.Millisecond},
		func(ctx context.Context, parent gitops.Hash) (*gitops.Changeset, error) {
			n++
			write(t, other, map[string]string{"records/other.yaml": strings.Repeat("o", n+1) + "\n"})
			git(t, other, "pull", "-q", "--rebase=false", "origin", "main")
			git(t, other, "commit", "-q", "-am", "again")
			git(t, other, "push", "-q", "origin", "HEAD:main")
			return &gitops.Changeset{Files: map[string][]byte{"records/mine.yaml": []byte(strings.Repeat("m", n+1) + "\n")}}, nil
		})
	if !errors.Is(err, gitops.ErrConflict) || n != 3 {
		t.Fatalf("want ErrConflict after 3 attempts, got %v after %d", err, n)
	}
}

func TestCloneIntoCache(t *testing.T) {
	remote, _ := setup(t)
	cache := t.TempDir()
	ctx := context.Background()
	r, err := gitops.Clone(ctx, remote, cache, gitops.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := r.FS("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "ferry.yaml"); err != nil {
		t.Fatal(err)
	}
	// A second clone reuses the cache and fetches.
	if _, err := gitops.Clone(ctx, remote, cache, gitops.Auth{}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Fatalf("want one cached clone, got %d", len(entries))
	}
}

func TestParseSignature(t *testing.T) {
	s, err := gitops.ParseSignature("Ferry Bot <bot@example.com>")
	if err != nil || s.Name != "Ferry Bot" || s.Email != "bot@example.com" {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"", "bot", "<a@b>", "bot <nope>"} {
		if _, err := gitops.ParseSignature(bad); err == nil {
			t.Errorf("ParseSignature(%q): want an error", bad)
		}
	}
}
