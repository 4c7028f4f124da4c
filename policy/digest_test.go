package policy

import (
	"testing"
	"testing/fstest"
)

// The policies' digest follows what a gate loads: a rule's text changes it,
// a test file or a file outside the named paths does not.
func TestPoliciesDigest(t *testing.T) {
	base := fstest.MapFS{
		"policies/a.rego":      {Data: []byte("package ferry.gate\ndeny contains \"x\" if input.candidate.metrics.auc < 0.6\n")},
		"policies/a_test.rego": {Data: []byte("package ferry.gate_test\n")},
		"other/b.rego":         {Data: []byte("package ferry.gate\n")},
	}
	digest := func(fsys fstest.MapFS, paths ...string) string {
		t.Helper()
		d, err := PoliciesDigest(fsys, paths)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d0 := digest(base, "policies")
	if d0 == "" || d0 != digest(base, "policies") {
		t.Fatalf("digest %q not stable", d0)
	}
	if digest(base) != "" {
		t.Error("no paths: want no digest")
	}
	changed := func(path, text string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		m[path] = &fstest.MapFile{Data: []byte(text)}
		return m
	}
	if digest(changed("policies/a.rego", "package ferry.gate\ndeny contains \"x\" if input.candidate.metrics.auc < 0.7\n"), "policies") == d0 {
		t.Error("a changed rule kept the digest")
	}
	if digest(changed("policies/c.rego", "package ferry.gate\n"), "policies") == d0 {
		t.Error("a new policy file kept the digest")
	}
	if digest(changed("policies/a_test.rego", "package ferry.gate_test\n# more\n"), "policies") != d0 {
		t.Error("a test file changed the digest")
	}
	if digest(changed("other/b.rego", "package ferry.gate\n# more\n"), "policies") != d0 {
		t.Error("a file outside the paths changed the digest")
	}
	if _, err := PoliciesDigest(base, []string{"missing"}); err == nil {
		t.Error("a missing path: want an error")
	}
}
