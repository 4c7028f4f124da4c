package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The progress bar draws only on a terminal: pipes, files and buffers get nothing.
func TestProgressOnlyOnTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if newProgress(w, "x") != nil || newProgress(&bytes.Buffer{}, "x") != nil {
		t.Error("progress bar on a pipe or buffer")
	}
	var buf bytes.Buffer
	p := &progress{w: &buf, label: "evaluating"}
	p.update(50, 200)
	p.update(60, 200) // throttled
	p.update(200, 200)
	p.done()
	out := buf.String()
	if !strings.Contains(out, " 25% 50/200 rows") || strings.Contains(out, "60/200") || !strings.Contains(out, "100% 200/200 rows") {
		t.Errorf("progress output %q", out)
	}
	if !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("bar not cleared: %q", out)
	}
}
