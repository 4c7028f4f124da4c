package artifact_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/store/artifact"
)

func TestPutGetHas(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for _, url := range []string{"", "file://.ferry/artifacts", "file://" + filepath.Join(root, "abs"), "mem://"} {
		t.Run(url, func(t *testing.T) {
			s, err := artifact.Open(ctx, url, root)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			data := []byte("onnx bytes " + url)
			d, err := s.Put(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			if d != artifact.Digest(data) || !strings.HasPrefix(d, "sha256:") {
				t.Fatalf("digest %s, want %s", d, artifact.Digest(data))
			}
			// idempotent
			if d2, err := s.Put(ctx, data); err != nil || d2 != d {
				t.Fatalf("second put: %s %v", d2, err)
			}
			ok, err := s.Has(ctx, d)
			if err != nil || !ok {
				t.Fatalf("has: %v %v", ok, err)
			}
			got, err := s.Get(ctx, d)
			if err != nil || string(got) != string(data) {
				t.Fatalf("get: %q %v", got, err)
			}
			missing := artifact.Digest([]byte("nope"))
			if ok, _ := s.Has(ctx, missing); ok {
				t.Fatal("has missing")
			}
			if _, err := s.Get(ctx, missing); !errors.Is(err, artifact.ErrNotFound) {
				t.Fatalf("get missing: %v", err)
			}
		})
	}
}

func TestRelativePathAgainstRoot(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := artifact.Open(ctx, "file://.ferry/artifacts", root)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Put(ctx, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, ".ferry", "artifacts", "sha256", strings.TrimPrefix(d, "sha256:"))
	if s.Path(d) != want {
		t.Fatalf("path %s, want %s", s.Path(d), want)
	}
	if _, err := os.Stat(want); err != nil {
		t.Fatal(err)
	}
	// no sidecar attribute files and no stranded temp files
	entries, _ := os.ReadDir(filepath.Dir(want))
	if len(entries) != 1 {
		t.Fatalf("want only the artifact in %s, got %d entries", filepath.Dir(want), len(entries))
	}
}

func TestCorruptionIsDetected(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := artifact.Open(ctx, root, "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Put(ctx, []byte("model"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(d), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, d)
	if err == nil || !strings.Contains(err.Error(), d) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("want a corruption error naming %s, got %v", d, err)
	}
}

func TestBadDigest(t *testing.T) {
	ctx := context.Background()
	s, err := artifact.Open(ctx, "mem://", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"", "md5:abc", "sha256:xyz", "sha256:" + strings.Repeat("A", 64), "sha256:../../etc/passwd"} {
		if _, err := s.Get(ctx, d); err == nil || errors.Is(err, artifact.ErrNotFound) {
			t.Errorf("Get(%q): want a bad-digest error, got %v", d, err)
		}
		if s.Path(d) != "" {
			t.Errorf("Path(%q) = %q, want empty", d, s.Path(d))
		}
	}
}

func TestUnknownScheme(t *testing.T) {
	_, err := artifact.Open(context.Background(), "nosuch://bucket", "")
	if err == nil || !strings.Contains(err.Error(), "nosuch://bucket") {
		t.Fatalf("want an error naming the URL, got %v", err)
	}
}

func ExampleStore() {
	ctx := context.Background()
	s, _ := artifact.Open(ctx, "mem://", "")
	d, _ := s.Put(ctx, []byte("model bytes"))
	b, _ := s.Get(ctx, d)
	fmt.Println(d[:15], string(b))
	// Output: sha256:9cb74870 model bytes
}
