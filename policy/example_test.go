package policy

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/eval"
)

// The example user policies pass their own tests, and the gate loads them.
func TestExamplePolicies(t *testing.T) {
	fsys := os.DirFS("../examples")
	rep, err := Test(context.Background(), TestOptions{FS: fsys, Paths: []string{"policies"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) < 6 {
		t.Errorf("%d example tests ran, want at least 6", len(rep.Results))
	}
	for _, r := range rep.Results {
		if !r.Passed {
			t.Errorf("%s:%d: %s: %s %s", r.File, r.Row, r.Name, r.Err, r.Output)
		}
	}
	if len(rep.Coverage) != 2 {
		t.Errorf("coverage of %d files, want the 2 example policies: %+v", len(rep.Coverage), rep.Coverage)
	}
	g, err := New(Options{FS: fsys, Policies: []string{"policies"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.CompileError(); err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(context.Background(), exampleInput(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "ORD segment auc fell from 0.690 to 0.640 (400 rows; tolerance 0.005)"
	found := false
	for _, c := range d.Checks {
		found = found || c.Name == "ferry.gate" && c.Message == want && c.Denies()
	}
	if !found || d.Allow {
		t.Errorf("want a deny %q; got allow=%v %+v", want, d.Allow, d.Checks)
	}
}

// BenchmarkDecide is one gate decision with the default policy and the two example
// user rules (examples/policies), compiled once.
func BenchmarkDecide(b *testing.B) {
	g, err := New(Options{FS: os.DirFS("../examples"), Policies: []string{"policies"}})
	if err != nil {
		b.Fatal(err)
	}
	if err := g.CompileError(); err != nil {
		b.Fatal(err)
	}
	in := exampleInput(b)
	ctx := context.Background()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		d, err := g.Decide(ctx, in)
		if err != nil || d.Error != "" {
			b.Fatal(err, d.Error)
		}
	}
	// CPU time of the whole process (GC included) per decision: on a shared
	// machine ns/op is wall time and grows with other people's load; this does not.
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDecideManySegments is the default policy on reports with 100 segments
// (airports): segment comparisons are Rego arithmetic, the costly part.
func BenchmarkDecideManySegments(b *testing.B) {
	g, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	in := exampleInput(b)
	for i := range 100 {
		v := fmt.Sprintf("A%02d", i)
		in.Candidate.Segments["origin"][v] = eval.Segment{Rows: 100, Metrics: map[string]float64{"auc": 0.7 - float64(i)/10000}}
		in.Production.Segments["origin"][v] = eval.Segment{Rows: 100, Metrics: map[string]float64{"auc": 0.7}}
	}
	ctx := context.Background()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := g.Decide(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
