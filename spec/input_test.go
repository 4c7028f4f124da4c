package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (slash paths) under a new temporary folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func baseFiles() map[string]string {
	files := map[string]string{}
	for name, f := range base() {
		files[name] = string(f.Data)
	}
	return files
}

func TestLoadDirBadInput(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		want  string
	}{
		{
			name:  "empty repository",
			setup: func(t *testing.T) string { return t.TempDir() },
			want:  "no ferry documents (apiVersion: ferry.dev/v1) found: a project needs ferry.yaml with kind: Project at its root (ferry init creates one)",
		},
		{
			name: "no ferry documents",
			setup: func(t *testing.T) string {
				return writeTree(t, map[string]string{"k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\n", "README.md": "# hi\n"})
			},
			want: "no ferry documents (apiVersion: ferry.dev/v1) found: a project needs ferry.yaml with kind: Project at its root (ferry init creates one)",
		},
		{
			name: "50 MB file",
			setup: func(t *testing.T) string {
				dir := writeTree(t, baseFiles())
				big := filepath.Join(dir, "data", "huge.yaml")
				f, err := os.Create(big)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := f.Truncate(50 << 20); err != nil { // sparse: no 50 MB written
					t.Fatal(err)
				}
				return dir
			},
			want: "data/huge.yaml: file is 50 MB, over the 10 MB limit for YAML files (ferry reads every .yaml and .yml file in the repository)",
		},
		{
			name: "symlink out of the repository",
			setup: func(t *testing.T) string {
				outside := writeTree(t, map[string]string{"secret.csv": "a\n1\n"})
				files := baseFiles()
				files["specs/all.yaml"] = strings.Replace(files["specs/all.yaml"], "source: data/d.csv", "source: data/link/secret.csv", 1)
				dir := writeTree(t, files)
				if err := os.Symlink(outside, filepath.Join(dir, "data", "link")); err != nil {
					t.Skip("symlinks:", err)
				}
				return dir
			},
			want: `specs/all.yaml:5:11: spec.source: path "data/link/secret.csv" leaves the repository through a symlink`,
		},
		{
			name: "relative symlink out of the repository",
			setup: func(t *testing.T) string {
				files := baseFiles()
				files["specs/all.yaml"] = strings.Replace(files["specs/all.yaml"], "source: data/d.csv", "source: data/up.csv", 1)
				dir := writeTree(t, files)
				if err := os.Symlink("../../elsewhere.csv", filepath.Join(dir, "data", "up.csv")); err != nil {
					t.Skip("symlinks:", err)
				}
				return dir
			},
			want: `specs/all.yaml:5:11: spec.source: path "data/up.csv" leaves the repository through a symlink`,
		},
		{
			name: "symlink inside the repository",
			setup: func(t *testing.T) string {
				files := baseFiles()
				files["specs/all.yaml"] = strings.Replace(files["specs/all.yaml"], "source: data/d.csv", "source: current/d.csv", 1)
				dir := writeTree(t, files)
				if err := os.Symlink("data", filepath.Join(dir, "current")); err != nil {
					t.Skip("symlinks:", err)
				}
				return dir
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDir(tt.setup(t))
			got := strings.Join(lines(t, err), "\n")
			if got != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestLoadDirMissing(t *testing.T) {
	_, err := LoadDir(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Fatalf("err = %v, want a not-found error", err)
	}
}

func TestFindRoot(t *testing.T) {
	dir := writeTree(t, map[string]string{"ferry.yaml": "x", "a/b/c/x.txt": ""})
	got, err := FindRoot(filepath.Join(dir, "a", "b", "c"))
	if err != nil || got != dir {
		t.Fatalf("FindRoot = %q, %v; want %q", got, err, dir)
	}
	if _, err := FindRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no ferry.yaml in") {
		t.Fatalf("FindRoot without ferry.yaml: err = %v", err)
	}
}

func TestDefaults(t *testing.T) {
	fsys := base()
	s, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Project.Spec
	checks := []struct{ name, got, want string }{
		{"artifacts", p.Artifacts, "file://.ferry/artifacts"},
		{"predictions", p.Predictions, "sqlite://.ferry/predictions.db"},
		{"records", p.Records, "records"},
		{"git.remote", p.Git.Remote, "origin"},
		{"git.base", p.Git.Base, "main"},
		{"git.commit", string(p.Git.Commit), "pull-request"},
		{"runtime.kind", string(p.Runtime.Kind), "local"},
		{"runtime.url", p.Runtime.URL, "http://127.0.0.1:8080"},
		{"runtime.tokenEnv", p.Runtime.TokenEnv, "FERRY_ADMIN_TOKEN"},
		{"dataset format", string(s.Dataset("d").Spec.Format), "csv"},
		{"experiment dataset", s.Experiment("e").Spec.Dataset, "d"},
		{"deployment runtime", string(s.Deployment("dep").Spec.Runtime), "local"},
		{"deployment strategy", string(s.Deployment("dep").Spec.Strategy.Type), "direct"},
		{"deployment version", s.Deployment("dep").Spec.Version.String(), "latest"},
		{"monitor test", s.Monitor("mon").Spec.Features.Default.Test, "psi"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if th := s.Monitor("mon").Spec.Features.Default.Threshold; th == nil || *th != 0.2 {
		t.Errorf("monitor threshold = %v, want 0.2", th)
	}
	if w := s.Monitor("mon").Spec.Window.D().Hours(); w != 168 {
		t.Errorf("monitor window = %vh, want 168h", w)
	}

	// Written values win over defaults.
	fsys["ferry.yaml"].Data = []byte("apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: p}\nspec: {runtime: {kind: kserve}, git: {commit: direct}}\n")
	s, err = Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Deployment("dep").Spec.Runtime; got != RuntimeKServe {
		t.Errorf("deployment runtime = %q, want the project's kserve", got)
	}
	if got := s.Project.Spec.Runtime.URL; got != "" {
		t.Errorf("kserve runtime url = %q, want none", got)
	}
	if got := s.Project.Spec.Git.Commit; got != CommitDirect {
		t.Errorf("git.commit = %q, want direct", got)
	}
}

func TestPos(t *testing.T) {
	s, err := LoadDir("testdata/valid/full")
	if err != nil {
		t.Fatal(err)
	}
	e, ds := s.Experiment("delay-gbt"), s.Dataset("flights")
	tests := []struct {
		obj   any
		field string
		want  string
	}{
		{e, "", "specs/delay.yaml:16:1"},
		{e, "metadata.name", "specs/delay.yaml:18:18"},
		{e, "spec.trainer.builtin", "specs/delay.yaml:22:14"},
		{e, "spec.trainer.params.depth", "specs/delay.yaml:23:34"}, // map entries: the key
		{e, "spec.triggers.onDrift[0]", "specs/delay.yaml:28:15"},
		{e, "spec.triggers.nothing", "specs/delay.yaml:25:3"},    // nearest written parent
		{e, "spec.dataset", "specs/delay.yaml:19:1"},             // defaulted: the spec
		{ds, "spec.features[2].max", "specs/flights.yaml:13:48"}, // flow mapping in a list
		{ds, "spec.split.eval.from", "specs/flights.yaml:17:18"},
		{&Model{}, "spec", ""}, // not from this Set
	}
	for _, tt := range tests {
		if got := s.Pos(tt.obj, tt.field).String(); got != tt.want {
			t.Errorf("Pos(%q) = %q, want %q", tt.field, got, tt.want)
		}
	}
	if e.Source.String() != "specs/delay.yaml:16:1" {
		t.Errorf("Source = %v", e.Source)
	}
}
