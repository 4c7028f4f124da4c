package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestOptions configure Test.
type TestOptions struct {
	// FS and Paths name user policies and their *_test.rego files; a nil FS
	// means operating-system paths (see Options.FS).
	FS    fs.FS
	Paths []string
	// Builtin adds the default policy's own tests. The default policy's rules are
	// always loaded, so user tests can use them.
	Builtin bool
	// Timeout bounds each test; DefaultTimeout when 0.
	Timeout time.Duration
}

// TestResult is one Rego test's outcome.
type TestResult struct {
	// Name is the rule's full name, data.<package>.<test>.
	Name     string
	File     string
	Row      int
	Passed   bool
	Skipped  bool
	Err      string
	Output   string
	Duration time.Duration
}

// FileCoverage is the coverage of one policy file (test files are not counted).
type FileCoverage struct {
	Path       string
	Covered    int
	NotCovered int
	// NotCoveredLines are the lines never evaluated, ascending.
	NotCoveredLines []int
}

// Percent is the share of covered lines in percent, 100 for a file with none.
func (f FileCoverage) Percent() float64 {
	if f.Covered+f.NotCovered == 0 {
		return 100
	}
	return 100 * float64(f.Covered) / float64(f.Covered+f.NotCovered)
}

// TestReport is the outcome of Test.
type TestReport struct {
	Results  []TestResult
	Coverage []FileCoverage
}

// Failed counts failed tests (errors included).
func (r *TestReport) Failed() int {
	n := 0
	for _, t := range r.Results {
		if !t.Passed && !t.Skipped {
			n++
		}
	}
	return n
}

// Percent is the coverage over every policy file.
func (r *TestReport) Percent() float64 {
	var all FileCoverage
	for _, f := range r.Coverage {
		all.Covered += f.Covered
		all.NotCovered += f.NotCovered
	}
	return all.Percent()
}

// Test runs the Rego tests (test_* rules) of the policies with OPA's tester,
// compiled with the same restricted capabilities as the gate, and measures
// coverage with OPA's cover package. It returns an error when the modules do not
// compile or cannot be read.
func Test(ctx context.Context, opts TestOptions) (*TestReport, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	builtin, err := builtinSources(opts.Builtin)
	if err != nil {
		return nil, fmt.Errorf("read default policy: %w", err)
	}
	user, err := readSources(opts.FS, opts.Paths, true)
	if err != nil {
		return nil, err
	}
	caps := Capabilities()
	popts := ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: caps, ProcessAnnotation: true}
	modules := map[string]*ast.Module{}
	var errs ast.Errors
	for _, s := range append(builtin, user...) {
		m, err := ast.ParseModuleWithOpts(s.Path, string(s.data), popts)
		if err != nil {
			var perrs ast.Errors
			if !errors.As(err, &perrs) {
				return nil, err
			}
			errs = append(errs, perrs...)
			continue
		}
		if !strings.HasPrefix(s.Path, builtinPrefix) && m.Package.Path.HasPrefix(builtinPackage) &&
			!strings.HasSuffix(s.Path, "_test.rego") {
			errs = append(errs, ast.NewError(ast.CompileErr, m.Package.Location,
				"package %s is reserved for ferry's default policy", strings.TrimPrefix(m.Package.Path.String(), "data.")))
			continue
		}
		modules[s.Path] = m
	}
	if len(errs) > 0 {
		return nil, &CompileError{Errors: errs}
	}
	compiler := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(true).
		WithDefaultRegoVersion(ast.RegoV1)
	cov := cover.New()
	runner := tester.NewRunner().SetCompiler(compiler).SetCoverageQueryTracer(cov).
		SetCoverageRuns(nil).RaiseBuiltinErrors(true).SetTimeout(opts.Timeout).
		CapturePrintOutput(true).SetDefaultRegoVersion(ast.RegoV1)
	ch, err := runner.Run(ctx, modules)
	if err != nil {
		var cerrs ast.Errors
		if errors.As(err, &cerrs) {
			return nil, &CompileError{Errors: cerrs}
		}
		return nil, fmt.Errorf("run policy tests: %w", err)
	}
	rep := &TestReport{}
	for r := range ch {
		t := TestResult{
			Name:     r.Package + "." + r.Name,
			Passed:   r.Pass(),
			Skipped:  r.Skip,
			Output:   string(r.Output),
			Duration: r.Duration,
		}
		if r.Location != nil {
			t.File, t.Row = r.Location.File, r.Location.Row
		}
		if r.Error != nil {
			t.Err = r.Error.Error()
		}
		rep.Results = append(rep.Results, t)
	}
	sort.Slice(rep.Results, func(i, j int) bool {
		a, b := rep.Results[i], rep.Results[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Row < b.Row
	})
	report := cov.Report(modules)
	for file, fr := range report.Files {
		if strings.HasSuffix(file, "_test.rego") || !opts.Builtin && strings.HasPrefix(file, builtinPrefix) {
			continue
		}
		fc := FileCoverage{Path: file}
		for _, rg := range fr.Covered {
			fc.Covered += rg.End.Row - rg.Start.Row + 1
		}
		for _, rg := range fr.NotCovered {
			fc.NotCovered += rg.End.Row - rg.Start.Row + 1
			for l := rg.Start.Row; l <= rg.End.Row; l++ {
				fc.NotCoveredLines = append(fc.NotCoveredLines, l)
			}
		}
		rep.Coverage = append(rep.Coverage, fc)
	}
	sort.Slice(rep.Coverage, func(i, j int) bool { return rep.Coverage[i].Path < rep.Coverage[j].Path })
	return rep, nil
}
