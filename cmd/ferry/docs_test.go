package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed reference in docs/reference is generated from the code; it
// must match what the code generates now.
func TestReferenceIsCurrent(t *testing.T) {
	files, err := renderReference()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range referenceFiles {
		p := filepath.Join("..", "..", "docs", "reference", name)
		committed, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%v: run make docs", err)
			continue
		}
		if !bytes.Equal(committed, files[name]) {
			t.Errorf("docs/reference/%s is stale (the commands, flags or spec types changed): run make docs and commit it", name)
		}
	}
}

func TestReferenceIsDeterministic(t *testing.T) {
	a, err := renderReference()
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderReference()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range referenceFiles {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two renders", name)
		}
	}
}
