package policy

import (
	"bytes"
	"strings"
	"testing"
)

var renderDecision = &Decision{
	Allow: false,
	Checks: []Check{
		{Name: "min/auc", Passed: true, Severity: "deny", Message: "auc 0.71 >= minimum 0.65"},
		{Name: "segment/origin=ORD/auc", Passed: false, Severity: "warn", Message: "auc fell | in ORD"},
		{Name: "max/latencyP99Ms", Passed: false, Severity: "deny", Message: "latencyP99Ms 9 > maximum 5"},
	},
	Policies:   []Module{{Path: "builtin/gate.rego", Digest: "sha256:00"}},
	OPAVersion: "1.22.3",
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, renderDecision); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "### ❌ Gate denied: 3 checks, 1 denied, 1 warning\n") {
		t.Errorf("verdict line:\n%s", out)
	}
	deny := strings.Index(out, "| ❌ | `max/latencyP99Ms`")
	warn := strings.Index(out, "| ⚠️ | `segment/origin=ORD/auc` | warn | auc fell \\| in ORD |")
	pass := strings.Index(out, "| ✅ | `min/auc` | deny | auc 0.71 &gt;= minimum 0.65 |")
	if deny < 0 || warn < 0 || pass < 0 || !(deny < warn && warn < pass) {
		t.Errorf("want rows deny, warn, pass in that order, escaped:\n%s", out)
	}
	if !strings.Contains(out, "`builtin/gate.rego` sha256:00") {
		t.Errorf("no policy digests:\n%s", out)
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, renderDecision); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("want header, 3 checks, summary; got\n%s", b.String())
	}
	for i, prefix := range []string{"RESULT", "DENY", "WARN", "pass", "gate denied"} {
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], prefix)
		}
	}
}
