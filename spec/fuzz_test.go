package spec

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes as one spec file of an otherwise valid project.
// Load must never panic, must return an ErrorList (or nothing), and every error must
// name a file with a position inside it.
func FuzzLoad(f *testing.F) {
	for _, f2 := range []string{"specs/all.yaml", "ferry.yaml"} {
		f.Add(base()[f2].Data)
	}
	f.Add([]byte("apiVersion: ferry.dev/v1\nkind: Model\nmetadata:\n\tname: x\n"))
	f.Add([]byte("a: &a [*a]\napiVersion: ferry.dev/v1\nkind: Model\nspec: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := base()
		fsys["x.yaml"] = &fstest.MapFile{Data: data}
		s, err := Load(fsys)
		if s == nil {
			t.Fatal("nil Set")
		}
		if err == nil {
			return
		}
		var list ErrorList
		if !errors.As(err, &list) {
			t.Fatalf("error is %T: %v", err, err)
		}
		nlines := strings.Count(string(data), "\n") + 1
		for _, e := range list {
			if e.File == "" || e.Msg == "" {
				t.Fatalf("error without a file or message: %q", e.Error())
			}
			if e.Line < 1 || e.Col < 1 {
				t.Fatalf("error without a position: %q", e.Error())
			}
			if e.File == "x.yaml" && e.Line > nlines {
				t.Fatalf("line %d past the end (%d lines): %q", e.Line, nlines, e.Error())
			}
		}
	})
}
