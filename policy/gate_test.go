package policy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/spec"
)

func readReport(t testing.TB, path string) *eval.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r eval.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &r
}

func exampleInput(t testing.TB) Input {
	return Input{
		Candidate:  readReport(t, "testdata/candidate.json"),
		Production: readReport(t, "testdata/production.json"),
		Params: spec.Gate{
			Min:       map[string]float64{"auc": 0.65},
			Max:       map[string]float64{"latencyP99Ms": 5, "memoryMB": 256},
			Tolerance: map[string]float64{"auc": 0.005},
		},
		Lineage: Lineage{Model: "delay", Version: 7, ProductionVersion: 6, DatasetDigest: "sha256:abc"},
	}
}

func failedNames(d *Decision, severity string) []string {
	var out []string
	for _, c := range d.Checks {
		if !c.Passed && c.Severity == severity {
			out = append(out, c.Name)
		}
	}
	return out
}

func TestDecideDefaultPolicy(t *testing.T) {
	g, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		edit      func(in *Input)
		allow     bool
		denied    []string
		warned    []string
		wantCheck string // a check name that must appear
	}{
		{name: "allow", edit: func(in *Input) {}, allow: true, warned: []string{"segment/origin=ORD/auc"}, wantCheck: "tolerance/auc"},
		{name: "below min", edit: func(in *Input) { in.Candidate.Metrics["auc"] = 0.6 },
			denied: []string{"min/auc", "tolerance/auc"}, warned: []string{"segment/origin=ORD/auc"}},
		{name: "first model", edit: func(in *Input) { in.Production = nil }, allow: true, wantCheck: "tolerance"},
		{name: "logloss rises beyond tolerance", edit: func(in *Input) {
			in.Params.Tolerance = map[string]float64{"logloss": 0.005}
			in.Candidate.Metrics["logloss"] = 0.46
		}, denied: []string{"tolerance/logloss"}},
		{name: "p99 over max", edit: func(in *Input) { in.Candidate.Latency.P99Ms = 9 },
			denied: []string{"max/latencyP99Ms"}, warned: []string{"segment/origin=ORD/auc"}},
		{name: "new edge-case failure", edit: func(in *Input) {
			in.Candidate.EdgeCases = &eval.EdgeCases{Total: 12, Failed: 1, Failures: []eval.EdgeCaseFailure{{Row: 3, Expected: "1", Got: "0", Message: "label"}}}
		}, denied: []string{"edge-cases"}, warned: []string{"segment/origin=ORD/auc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := exampleInput(t)
			tt.edit(&in)
			d, err := g.Decide(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tt.allow || d.Error != "" {
				t.Fatalf("allow = %v (error %q), want %v; checks %+v", d.Allow, d.Error, tt.allow, d.Checks)
			}
			if got := failedNames(d, SeverityDeny); !slices.Equal(got, tt.denied) {
				t.Errorf("denied %v, want %v", got, tt.denied)
			}
			if got := failedNames(d, SeverityWarn); !slices.Equal(got, tt.warned) {
				t.Errorf("warned %v, want %v", got, tt.warned)
			}
			for _, c := range d.Checks {
				if c.Message == "" {
					t.Errorf("check %s has no message", c.Name)
				}
			}
			if tt.wantCheck != "" && !slices.ContainsFunc(d.Checks, func(c Check) bool { return c.Name == tt.wantCheck }) {
				t.Errorf("no check %s in %+v", tt.wantCheck, d.Checks)
			}
			// The four checks always appear, in this order.
			var kinds []int
			for _, c := range d.Checks {
				if r := checkRank(c.Name); len(kinds) == 0 || kinds[len(kinds)-1] != r {
					kinds = append(kinds, r)
				}
			}
			if !slices.IsSorted(kinds) || len(kinds) < 4 || kinds[3] != 3 {
				t.Errorf("check order %v, want min, tolerance, edge-cases, max first", kinds)
			}
		})
	}
}

const userPolicy = `package ferry.gate

deny contains msg if {
	input.lineage.datasetDigest == ""
	msg := "candidate has no dataset digest"
}

deny contains {"msg": sprintf("memory %v MB over the team budget of 32 MB", [input.candidate.memoryMB])} if {
	input.candidate.memoryMB > 32
}

warn contains "candidate has no run id" if input.lineage.run == ""
`

const latencyPolicy = `package ferry.gate.latency

deny contains sprintf("p95 %v ms over 1 ms", [input.candidate.latency.p95Ms]) if input.candidate.latency.p95Ms > 1
`

func TestDecideUserRules(t *testing.T) {
	fsys := fstest.MapFS{
		"policies/team.rego":      {Data: []byte(userPolicy)},
		"policies/sub/lat.rego":   {Data: []byte(latencyPolicy)},
		"policies/team_test.rego": {Data: []byte("package ferry.gate\n\ndeny contains \"from a test file\"\n")},
		"policies/README.md":      {Data: []byte("not rego")},
	}
	g, err := New(Options{FS: fsys, Policies: []string{"./policies"}})
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
	var user []Check
	for _, c := range d.Checks {
		if strings.HasPrefix(c.Name, "ferry.gate") {
			user = append(user, c)
		}
	}
	want := []Check{
		{Name: "ferry.gate", Severity: "deny", Message: "memory 41.5 MB over the team budget of 32 MB"},
		{Name: "ferry.gate", Severity: "warn", Message: "candidate has no run id"},
		{Name: "ferry.gate.latency", Severity: "deny", Message: "p95 1.1 ms over 1 ms"},
	}
	if !reflect.DeepEqual(user, want) {
		t.Errorf("user checks\n got %+v\nwant %+v", user, want)
	}
	if d.Allow {
		t.Error("allowed despite user denies")
	}
	var paths []string
	for _, m := range d.Policies {
		paths = append(paths, m.Path)
		if !strings.HasPrefix(m.Digest, "sha256:") || len(m.Digest) != 71 {
			t.Errorf("%s digest %q", m.Path, m.Digest)
		}
	}
	if wantPaths := []string{"builtin/gate.rego", "policies/sub/lat.rego", "policies/team.rego"}; !slices.Equal(paths, wantPaths) {
		t.Errorf("policies %v, want %v (tests skipped)", paths, wantPaths)
	}
}

// Every way the gate cannot decide must deny and say why.
func TestDecideFailsClosed(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		opts   Options
		edit   func(in *Input)
		want   string
	}{
		{name: "syntax error", policy: "package ferry.gate\n\ndeny contains msg if {\n", want: "policies/p.rego:4"},
		{name: "undefined ref", policy: "package ferry.gate\n\ndeny contains x if x := y\n", want: "policies/p.rego:3:"},
		{name: "reserved package", policy: "package ferry.builtin.gate\n\nchecks contains {\"name\": \"x\"}\n", want: "reserved"},
		{name: "conflicting values", policy: `package ferry.gate

level := "high" if input.candidate.rows > 0

level := "low" if input.candidate.rows > 1

deny contains "conflict" if level == "none"
`, want: "evaluation error"},
		{name: "builtin error is strict", policy: "package ferry.gate\n\ndeny contains \"nan\" if to_number(\"not a number\") > 0\n",
			want: "evaluation error"},
		{name: "deny is not messages", policy: "package ferry.gate\n\ndeny contains 42 if true\n", want: "want a set of strings"},
		{name: "timeout", opts: Options{Timeout: 20 * time.Millisecond}, policy: `package ferry.gate

deny contains "never" if {
	some a in input.candidate.notes
	some b in input.candidate.notes
	some c in input.candidate.notes
	concat("", [a, b, c]) == "never"
}
`, edit: func(in *Input) {
			// 10⁹ combinations: far more than 20ms of work.
			in.Candidate.Notes = make([]string, 1000)
		}, want: "timed out after 20ms"},
		{name: "input too large", opts: Options{MaxInputBytes: 4096}, edit: func(in *Input) {
			in.Candidate.Notes = []string{strings.Repeat("x", 5000)}
		}, want: "over the limit of 4096"},
		{name: "no candidate", edit: func(in *Input) { in.Candidate = nil }, want: "no candidate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if tt.policy != "" {
				opts.FS = fstest.MapFS{"policies/p.rego": {Data: []byte(tt.policy)}}
				opts.Policies = []string{"policies"}
			}
			g, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			in := exampleInput(t)
			if tt.edit != nil {
				tt.edit(&in)
			}
			d, err := g.Decide(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			assertFailedClosed(t, d, tt.want)
		})
	}
}

func assertFailedClosed(t *testing.T, d *Decision, want string) {
	t.Helper()
	if d.Allow {
		t.Fatal("allowed; want a fail-closed deny")
	}
	if !strings.Contains(d.Error, want) {
		t.Errorf("error %q, want it to contain %q", d.Error, want)
	}
	i := slices.IndexFunc(d.Checks, func(c Check) bool { return c.Name == CheckGate })
	if i < 0 || d.Checks[i].Passed || d.Checks[i].Severity != SeverityDeny || !strings.Contains(d.Checks[i].Message, want) {
		t.Errorf("no failed deny check %q saying %q: %+v", CheckGate, want, d.Checks)
	}
}

func TestDecideUndefinedResultDenies(t *testing.T) {
	builtin := []source{newSource("builtin/gate.rego", []byte("package ferry.builtin.gate\n\nchecks := input.nothing\n"))}
	g, err := compile(Options{}.withDefaults(), builtin, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(context.Background(), exampleInput(t))
	if err != nil {
		t.Fatal(err)
	}
	assertFailedClosed(t, d, "undefined")
}

func TestDecideCanceledContextIsAnError(t *testing.T) {
	g, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d, err := g.Decide(ctx, exampleInput(t)); err == nil {
		t.Fatalf("no error for a canceled context; decision %+v", d)
	}
}

// User policies may not call network, runtime, clock or random built-ins.
func TestCapabilitiesRemoveUnsafeBuiltins(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"allow": true}`))
	}))
	defer srv.Close()
	calls := map[string]string{
		"http.send":              `http.send({"method": "GET", "url": "` + srv.URL + `"}).status_code == 200`,
		"net.lookup_ip_addr":     `count(net.lookup_ip_addr("localhost")) > 0`,
		"opa.runtime":            `opa.runtime().env.HOME != ""`,
		"time.now_ns":            `time.now_ns() > 0`,
		"rand.intn":              `rand.intn("x", 10) > 5`,
		"uuid.rfc4122":           `uuid.rfc4122("x") != ""`,
		"io.jwt.decode_verify":   `io.jwt.decode_verify("a.b.c", {"secret": "s"})[0]`,
		"providers.aws.sign_req": `providers.aws.sign_req({}, {}, 0).headers != {}`,
		"numbers.range":          `count(numbers.range(1, 1000000000)) > 0`,
		"numbers.range_step":     `count(numbers.range_step(1, 1000000000, 1)) > 0`,
	}
	for name, expr := range calls {
		t.Run(name, func(t *testing.T) {
			src := "package ferry.gate\n\ndeny contains \"unsafe\" if {\n\t" + expr + "\n}\n"
			g, err := New(Options{FS: fstest.MapFS{"p.rego": {Data: []byte(src)}}, Policies: []string{"p.rego"}})
			if err != nil {
				t.Fatal(err)
			}
			cerr := g.CompileError()
			if cerr == nil {
				t.Fatalf("%s compiled", name)
			}
			want := "undefined function " + name + " (not available to gate policies"
			if !strings.Contains(cerr.Error(), "p.rego:4:") || !strings.Contains(cerr.Error(), want) {
				t.Errorf("compile error %q, want it to contain %q", cerr, want)
			}
			d, err := g.Decide(context.Background(), exampleInput(t))
			if err != nil {
				t.Fatal(err)
			}
			assertFailedClosed(t, d, "undefined function "+name)
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the test server got %d requests", n)
	}
	// Pure built-ins stay available.
	src := "package ferry.gate\n\ndeny contains msg if {\n\tregex.match(`^x`, \"xy\")\n\tmsg := sprintf(\"%s\", [crypto.sha256(\"a\")])\n}\n"
	g, err := New(Options{FS: fstest.MapFS{"p.rego": {Data: []byte(src)}}, Policies: []string{"p.rego"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.CompileError(); err != nil {
		t.Errorf("pure built-ins: %v", err)
	}
}

func TestReplay(t *testing.T) {
	g, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(context.Background(), exampleInput(t))
	if err != nil || !d.Allow {
		t.Fatalf("decide: %v %+v", err, d)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var stored Decision
	if err := json.Unmarshal(b, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.OPAVersion == "" || len(stored.Policies) != 1 {
		t.Errorf("stored decision lacks OPA version or policies: %s", b)
	}
	again, err := Replay(context.Background(), g, &stored)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, d) {
		t.Errorf("replay differs:\n got %+v\nwant %+v", again, d)
	}
	stricter, err := New(Options{FS: fstest.MapFS{"p.rego": {Data: []byte(latencyPolicy)}}, Policies: []string{"p.rego"}})
	if err != nil {
		t.Fatal(err)
	}
	flipped, err := Replay(context.Background(), stricter, &stored)
	if err != nil {
		t.Fatal(err)
	}
	if flipped.Allow {
		t.Error("a stricter policy still allows")
	}
}

func TestNewUnreadablePolicy(t *testing.T) {
	tests := map[string]string{"missing/": "missing/: file does not exist", "../up": "../up: not a path inside"}
	for p, want := range tests {
		_, err := New(Options{FS: fstest.MapFS{}, Policies: []string{p}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%q) error %v, want %q", p, err, want)
		}
	}
}
