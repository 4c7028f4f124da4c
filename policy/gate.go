package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	opaversion "github.com/open-policy-agent/opa/v1/version"
)

// Defaults of Options.
const (
	DefaultTimeout       = 5 * time.Second
	DefaultMaxInputBytes = 4 << 20
)

// Severities of a check.
const (
	SeverityDeny = "deny"
	SeverityWarn = "warn"
)

// CheckGate is the name of the check that says why the gate failed closed.
const CheckGate = "gate"

// Options configure a Gate.
type Options struct {
	// Policies are user policy files or folders in FS (slash-separated, relative).
	Policies []string
	// FS holds the user policies: the working tree, or a git revision's tree.
	// When nil, Policies are operating-system paths, relative ones resolved
	// against the working directory.
	FS fs.FS
	// Timeout bounds one decision's evaluation; DefaultTimeout when 0.
	Timeout time.Duration
	// MaxInputBytes bounds the input document's JSON size; DefaultMaxInputBytes when 0.
	MaxInputBytes int
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxInputBytes <= 0 {
		o.MaxInputBytes = DefaultMaxInputBytes
	}
	return o
}

// Check is one verdict of a decision.
type Check struct {
	Name     string `json:"name"`
	Passed   bool   `json:"passed"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// Denies reports whether the check failed with severity deny.
func (c Check) Denies() bool { return !c.Passed && c.Severity == SeverityDeny }

// Decision is the gate's verdict on one input, with everything needed to replay it.
type Decision struct {
	// Allow is true when no check of severity deny failed.
	Allow bool `json:"allow"`
	// Checks are the default policy's checks in a fixed order, then the user rules'.
	Checks []Check `json:"checks"`
	// Error is set when the gate failed closed: why it could not decide.
	Error string `json:"error,omitempty"`
	// Input is the full input document.
	Input Input `json:"input"`
	// Policies are the modules the decision was made with.
	Policies []Module `json:"policies"`
	// OPAVersion is the version of OPA that evaluated the policies.
	OPAVersion string `json:"opaVersion"`
}

// Failed returns the failed checks, denies first.
func (d *Decision) Failed() []Check {
	var out []Check
	for _, c := range d.Checks {
		if c.Denies() {
			out = append(out, c)
		}
	}
	for _, c := range d.Checks {
		if !c.Passed && !c.Denies() {
			out = append(out, c)
		}
	}
	return out
}

// Gate is the compiled gate: the default policy plus user policies, prepared
// once and evaluated per decision. It is safe for concurrent use.
type Gate struct {
	opts       Options
	query      rego.PreparedEvalQuery
	packages   []string // user packages under ferry.gate, in query order
	modules    []Module
	compileErr error
}

// New reads and compiles the default policy and opts.Policies. It fails only when
// a policy path cannot be read; a user policy that does not compile gives a Gate
// whose every decision denies with the compile errors (see CompileError).
func New(opts Options) (*Gate, error) {
	builtin, err := builtinSources(false)
	if err != nil {
		return nil, fmt.Errorf("read default policy: %w", err)
	}
	user, err := readSources(opts.FS, opts.Policies, false)
	if err != nil {
		return nil, err
	}
	return compile(opts.withDefaults(), builtin, user)
}

var builtinPackage = ast.MustParseRef("data.ferry.builtin")
var userPackage = ast.MustParseRef("data.ferry.gate")

func compile(opts Options, builtin, user []source) (*Gate, error) {
	g := &Gate{opts: opts}
	for _, s := range append(append([]source(nil), builtin...), user...) {
		g.modules = append(g.modules, s.Module)
	}
	caps := Capabilities()
	popts := ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: caps, ProcessAnnotation: true}
	var modules []*ast.Module
	var errs ast.Errors
	for _, s := range builtin {
		m, err := ast.ParseModuleWithOpts(s.Path, string(s.data), popts)
		if err != nil {
			return nil, fmt.Errorf("default policy: %w", err)
		}
		modules = append(modules, m)
	}
	pkgs := map[string]bool{}
	for _, s := range user {
		m, err := ast.ParseModuleWithOpts(s.Path, string(s.data), popts)
		if err != nil {
			var perrs ast.Errors
			if errors.As(err, &perrs) {
				errs = append(errs, perrs...)
			} else {
				errs = append(errs, ast.NewError(ast.ParseErr, &ast.Location{File: s.Path}, "%v", err))
			}
			continue
		}
		if m.Package.Path.HasPrefix(builtinPackage) {
			errs = append(errs, ast.NewError(ast.CompileErr, m.Package.Location,
				"package %s is reserved for ferry's default policy; user rules go in package ferry.gate",
				strings.TrimPrefix(m.Package.Path.String(), "data.")))
			continue
		}
		if m.Package.Path.HasPrefix(userPackage) {
			pkgs[m.Package.Path.String()] = true
		}
		modules = append(modules, m)
	}
	if len(errs) > 0 {
		g.compileErr = &CompileError{Errors: errs}
		return g, nil
	}
	for p := range pkgs {
		g.packages = append(g.packages, p)
	}
	sort.Strings(g.packages)

	q := []string{"checks := data.ferry.builtin.gate.checks"}
	for i, p := range g.packages {
		q = append(q, fmt.Sprintf("deny%d := [x | x := %s.deny]", i, p), fmt.Sprintf("warn%d := [x | x := %s.warn]", i, p))
	}
	ropts := []func(*rego.Rego){
		rego.Query(strings.Join(q, "; ")),
		rego.Capabilities(caps),
		rego.StrictBuiltinErrors(true),
		rego.SetRegoVersion(ast.RegoV1),
	}
	for _, m := range modules {
		ropts = append(ropts, rego.ParsedModule(m))
	}
	pq, err := rego.New(ropts...).PrepareForEval(context.Background())
	if err != nil {
		if len(user) == 0 {
			return nil, fmt.Errorf("default policy: %w", err)
		}
		var cerrs ast.Errors
		if !errors.As(err, &cerrs) {
			cerrs = ast.Errors{ast.NewError(ast.CompileErr, nil, "%v", err)}
		}
		g.compileErr = &CompileError{Errors: cerrs}
		return g, nil
	}
	g.query = pq
	return g, nil
}

// CompileError is the errors of user policies that did not compile.
type CompileError struct {
	Errors ast.Errors
}

func (e *CompileError) Error() string {
	lines := make([]string, 0, len(e.Errors))
	for _, x := range e.Errors {
		lines = append(lines, formatASTError(x))
	}
	sort.Strings(lines)
	return "policy does not compile:\n" + strings.Join(lines, "\n")
}

// formatASTError prints path:line:col: message, with a hint when a removed
// built-in was called.
func formatASTError(x *ast.Error) string {
	msg := x.Message
	if strings.HasPrefix(msg, "undefined function ") {
		name := strings.TrimPrefix(msg, "undefined function ")
		if isRemoved(name) {
			msg += " (not available to gate policies: " + removedWhy(name) + ")"
		}
	}
	if x.Location == nil {
		return msg
	}
	if x.Location.Row == 0 {
		return fmt.Sprintf("%s: %s", x.Location.File, msg)
	}
	if x.Location.Col == 0 {
		return fmt.Sprintf("%s:%d: %s", x.Location.File, x.Location.Row, msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", x.Location.File, x.Location.Row, x.Location.Col, msg)
}

func removedWhy(name string) string {
	for _, r := range removedBuiltins {
		if name == r.name || strings.HasPrefix(name, r.name) {
			return r.why
		}
	}
	return ""
}

// CompileError returns why the user policies do not compile, nil when they do.
func (g *Gate) CompileError() error { return g.compileErr }

// Modules returns the modules the gate was compiled from: the default policy's,
// then the user policies', each with its sha256.
func (g *Gate) Modules() []Module { return append([]Module(nil), g.modules...) }

// Decide evaluates one input. A decision the gate cannot make — a user policy
// that does not compile, an evaluation error, an undefined result, a timeout, an
// input over the size limit — is a Decision that denies, with Error and a failed
// "gate" check saying why. Decide returns an error only when ctx itself is done.
func (g *Gate) Decide(ctx context.Context, in Input) (*Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	d := &Decision{Input: in, Policies: g.Modules(), OPAVersion: opaversion.Version}
	if g.compileErr != nil {
		return d.failClosed(g.compileErr), nil
	}
	if in.Candidate == nil {
		return d.failClosed(errors.New("input has no candidate report")), nil
	}
	data, err := json.Marshal(in)
	if err != nil {
		return d.failClosed(fmt.Errorf("encode input: %w", err)), nil
	}
	if len(data) > g.opts.MaxInputBytes {
		return d.failClosed(fmt.Errorf("input is %d bytes, over the limit of %d", len(data), g.opts.MaxInputBytes)), nil
	}
	value, err := ast.ValueFromReader(bytes.NewReader(data))
	if err != nil {
		return d.failClosed(fmt.Errorf("decode input: %w", err)), nil
	}
	ectx, cancel := context.WithTimeout(ctx, g.opts.Timeout)
	defer cancel()
	rs, err := g.query.Eval(ectx, rego.EvalParsedInput(value))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("gate: %w", ctx.Err())
		}
		if ectx.Err() != nil || topdown.IsCancel(err) {
			return d.failClosed(fmt.Errorf("evaluation timed out after %s", g.opts.Timeout)), nil
		}
		return d.failClosed(fmt.Errorf("evaluation error: %w", err)), nil
	}
	if len(rs) != 1 {
		return d.failClosed(fmt.Errorf("policy result is undefined (%d results)", len(rs))), nil
	}
	checks, err := g.checks(rs[0].Bindings)
	if err != nil {
		return d.failClosed(err), nil
	}
	d.Checks = checks
	d.Allow = true
	for _, c := range checks {
		if c.Denies() {
			d.Allow = false
		}
	}
	return d, nil
}

func (d *Decision) failClosed(err error) *Decision {
	d.Allow = false
	d.Error = err.Error()
	d.Checks = append(d.Checks, Check{Name: CheckGate, Severity: SeverityDeny, Message: "gate failed closed: " + err.Error()})
	return d
}

// checks turns the query's bindings into checks, validating what Rego produced.
func (g *Gate) checks(b rego.Vars) ([]Check, error) {
	raw, ok := b["checks"].([]any)
	if !ok {
		return nil, fmt.Errorf("default policy: checks is %T, not a set", b["checks"])
	}
	var out []Check
	for _, x := range raw {
		m, _ := x.(map[string]any)
		c := Check{}
		var ok1, ok2, ok3, ok4 bool
		c.Name, ok1 = m["name"].(string)
		c.Passed, ok2 = m["passed"].(bool)
		c.Severity, ok3 = m["severity"].(string)
		c.Message, ok4 = m["message"].(string)
		if !ok1 || !ok2 || !ok3 || !ok4 || c.Severity != SeverityDeny && c.Severity != SeverityWarn {
			return nil, fmt.Errorf("default policy: malformed check %v", x)
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := checkRank(out[i].Name), checkRank(out[j].Name)
		if ri != rj {
			return ri < rj
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Message < out[j].Message
	})
	for i, p := range g.packages {
		name := strings.TrimPrefix(p, "data.")
		for _, sev := range []string{SeverityDeny, SeverityWarn} {
			msgs, err := messages(b[fmt.Sprintf("%s%d", sev, i)], name, sev)
			if err != nil {
				return nil, err
			}
			for _, msg := range msgs {
				out = append(out, Check{Name: name, Severity: sev, Message: msg})
			}
		}
	}
	return out, nil
}

// messages reads a user package's deny or warn rule: wrapped in a one-element
// array by the query when defined. Conftest's shapes are accepted: a set of
// strings or of objects with "msg", and a boolean rule (deny if ...).
func messages(v any, pkg, rule string) ([]string, error) {
	wrapped, _ := v.([]any)
	if len(wrapped) == 0 {
		return nil, nil
	}
	bad := func(x any) error {
		return fmt.Errorf("%s.%s: want a set of strings or of objects with msg, got %v", pkg, rule, x)
	}
	var out []string
	switch x := wrapped[0].(type) {
	case bool:
		if x {
			out = append(out, rule+" rule is true")
		}
	case []any:
		for _, e := range x {
			switch e := e.(type) {
			case string:
				out = append(out, e)
			case map[string]any:
				msg, ok := e["msg"].(string)
				if !ok {
					return nil, bad(e)
				}
				out = append(out, msg)
			default:
				return nil, bad(e)
			}
		}
	case string:
		out = append(out, x)
	default:
		return nil, bad(x)
	}
	sort.Strings(out)
	return out, nil
}

// checkRank orders the default checks: the four promotion checks, then segments.
func checkRank(name string) int {
	for i, p := range []string{"min", "tolerance", "edge-cases", "max", "segment"} {
		if name == p || strings.HasPrefix(name, p+"/") || p == "segment" && strings.HasPrefix(name, "segments") {
			return i
		}
	}
	return 5
}

// Replay evaluates a stored decision's input again under g, to see whether a
// policy change would flip its outcome.
func Replay(ctx context.Context, g *Gate, d *Decision) (*Decision, error) {
	return g.Decide(ctx, d.Input)
}
