package artifact

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFetchFileURLs(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "data", "flights.csv")
	if err := os.WriteFile(src, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{Root: root, Dir: filepath.Join(root, "cache")}
	abs := "file://" + filepath.ToSlash(src)
	got, err := f.Fetch(ctx, abs)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != Digest([]byte("a,b\n1,2\n")) || filepath.Ext(got.Path) != ".csv" || filepath.Dir(got.Path) != f.Dir {
		t.Fatalf("fetched %+v", got)
	}
	if b, _ := os.ReadFile(got.Path); string(b) != "a,b\n1,2\n" {
		t.Fatalf("copy holds %q", b)
	}
	// A relative file:// URL resolves against the root.
	rel, err := f.Fetch(ctx, "file://data/flights.csv")
	if err != nil || rel.Digest != got.Digest {
		t.Fatalf("relative: %+v, %v", rel, err)
	}
	// A new version of the object is fetched again.
	if err := os.WriteFile(src, []byte("a,b\n1,2\n3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(src, later, later); err != nil {
		t.Fatal(err)
	}
	again, err := f.Fetch(ctx, abs)
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != Digest([]byte("a,b\n1,2\n3,4\n")) {
		t.Fatalf("changed object: digest %s", again.Digest)
	}
	for _, bad := range []string{"file://data/missing.csv", "mem://bucket/x.csv", "ftp://host/x.csv"} {
		if _, err := f.Fetch(ctx, bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestFetchHTTP(t *testing.T) {
	ctx := context.Background()
	var gets atomic.Int32
	body, etag := "x,y\n1,0\n", `"v1"`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/data.csv":
			if etag != "" {
				w.Header().Set("ETag", etag)
			}
			if r.Method == http.MethodGet {
				gets.Add(1)
				w.Write([]byte(body))
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := &Fetcher{Dir: t.TempDir()}
	for i := 0; i < 2; i++ {
		got, err := f.Fetch(ctx, srv.URL+"/data.csv")
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest != Digest([]byte(body)) {
			t.Fatalf("digest %s", got.Digest)
		}
	}
	if n := gets.Load(); n != 1 {
		t.Fatalf("%d downloads of an unchanged object, want 1", n)
	}
	// A new ETag downloads again; no ETag (and no Last-Modified) always does.
	body, etag = "x,y\n1,1\n", `"v2"`
	if got, err := f.Fetch(ctx, srv.URL+"/data.csv"); err != nil || got.Digest != Digest([]byte(body)) || gets.Load() != 2 {
		t.Fatalf("new version: %+v, %v, %d downloads", got, err, gets.Load())
	}
	etag = ""
	f.Fetch(ctx, srv.URL+"/data.csv")
	f.Fetch(ctx, srv.URL+"/data.csv")
	if n := gets.Load(); n != 4 {
		t.Fatalf("%d downloads, want 4 (no version: every time)", n)
	}
	if _, err := f.Fetch(ctx, srv.URL+"/missing.csv"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing: %v", err)
	}
}
