package policy

import (
	"context"
	"testing"
)

// The default policy's Rego tests run under go test, so a failing one fails the build.
func TestDefaultPolicyRegoTests(t *testing.T) {
	rep, err := Test(context.Background(), TestOptions{Builtin: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) == 0 {
		t.Fatal("no Rego tests ran")
	}
	for _, r := range rep.Results {
		if !r.Passed {
			t.Errorf("%s:%d: %s failed %s %s", r.File, r.Row, r.Name, r.Err, r.Output)
		}
	}
	t.Logf("%d Rego tests, coverage %.1f%%", len(rep.Results), rep.Percent())
	for _, f := range rep.Coverage {
		t.Logf("%s %.1f%% not covered: %v", f.Path, f.Percent(), f.NotCoveredLines)
	}
}
