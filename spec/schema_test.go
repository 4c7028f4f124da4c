package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The schemas must accept every valid spec we have and reject what Load rejects for
// shape. A small validator for the keywords the generator emits does the checking.
func TestSchemaAcceptsValidSpecs(t *testing.T) {
	schemas := allSchemas(t)
	var files []string
	for _, glob := range []string{"testdata/valid/*/*.yaml", "testdata/valid/*/*/*.yaml", "../cmd/ferry/templates/project/*.yaml", "../cmd/ferry/templates/project/*/*.yaml"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	checked := 0
	for _, f := range files {
		for _, doc := range yamlDocs(t, f) {
			m, ok := doc.(map[string]any)
			if !ok || m["apiVersion"] != APIVersion {
				continue
			}
			kind, _ := m["kind"].(string)
			if errs := validateSchema(schemas[Kind(kind)], doc, ""); len(errs) > 0 {
				t.Errorf("%s (%s): %s", f, kind, strings.Join(errs, "; "))
			}
			checked++
		}
	}
	if checked < 12 {
		t.Fatalf("checked only %d documents", checked)
	}
}

func TestSchemaRejects(t *testing.T) {
	schemas := allSchemas(t)
	tests := []struct{ kind, doc, want string }{
		{"Model", "{apiVersion: ferry.dev/v1, kind: Model, metadata: {name: m}, spec: {task: regression, colour: red}}", `spec: unknown property "colour"`},
		{"Model", "{apiVersion: ferry.dev/v1, kind: Model, metadata: {name: m}, spec: {task: guessing}}", `spec.task: "guessing" is not one of`},
		{"Model", "{apiVersion: ferry.dev/v1, kind: Model, metadata: {name: M}, spec: {task: regression}}", `metadata.name: "M" does not match`},
		{"Model", "{apiVersion: ferry.dev/v1, kind: Model, metadata: {name: m}, spec: {}}", `spec: missing "task"`},
		{"Experiment", "{apiVersion: ferry.dev/v1, kind: Experiment, metadata: {name: e}, spec: {model: m, trainer: {builtin: gbtt}}}", `spec.trainer.builtin: "gbtt" is not one of`},
		{"Deployment", "{apiVersion: ferry.dev/v1, kind: Deployment, metadata: {name: d}, spec: {model: m, version: 0}}", `spec.version: matches none of oneOf`},
		{"Deployment", "{apiVersion: ferry.dev/v1, kind: Deployment, metadata: {name: d}, spec: {model: m, strategy: {steps: [10, 150]}}}", `spec.strategy.steps[1]: 150 is above the maximum 100`},
		{"Deployment", "{apiVersion: ferry.dev/v1, kind: Deployment, metadata: {name: d}, spec: {model: m, logging: {sample: 2}}}", `spec.logging.sample: 2 is above the maximum 1`},
		{"Monitor", "{apiVersion: ferry.dev/v1, kind: Monitor, metadata: {name: m}, spec: {deployment: d, window: 7days}}", `spec.window: "7days" does not match`},
		{"Dataset", "{apiVersion: ferry.dev/v1, kind: Dataset, metadata: {name: d}, spec: {source: x.csv, split: {eval: 1.5}}}", `spec.split.eval: matches none of oneOf`},
		{"Project", "{apiVersion: ferry.dev/v2, kind: Project, metadata: {name: p}, spec: {}}", `apiVersion: "ferry.dev/v2" is not the constant`},
	}
	for _, tt := range tests {
		var doc any
		if err := yaml.Unmarshal([]byte(tt.doc), &doc); err != nil {
			t.Fatal(err)
		}
		errs := validateSchema(schemas[Kind(tt.kind)], doc, "")
		if !strings.Contains(strings.Join(errs, "\n"), tt.want) {
			t.Errorf("%s: errors %q, want one containing %q", tt.doc, errs, tt.want)
		}
	}
}

func TestSchemaEnumsAndRequired(t *testing.T) {
	s, err := Schema(KindDeployment)
	if err != nil {
		t.Fatal(err)
	}
	spec := s["properties"].(map[string]any)["spec"].(map[string]any)
	strategy := spec["properties"].(map[string]any)["strategy"].(map[string]any)
	typ := strategy["properties"].(map[string]any)["type"].(map[string]any)
	if fmt.Sprint(typ["enum"]) != "[direct canary]" {
		t.Errorf("strategy.type enum = %v", typ["enum"])
	}
	if fmt.Sprint(spec["required"]) != "[model]" {
		t.Errorf("spec.required = %v, want [model]", spec["required"])
	}
	if fmt.Sprint(s["required"]) != "[apiVersion kind metadata spec]" {
		t.Errorf("required = %v", s["required"])
	}
	if _, err := Schema("Pipeline"); err == nil {
		t.Error("Schema(Pipeline) = nil error")
	}
}

func allSchemas(t *testing.T) map[Kind]map[string]any {
	t.Helper()
	out := map[Kind]map[string]any{}
	for _, k := range Kinds {
		s, err := Schema(k)
		if err != nil {
			t.Fatal(err)
		}
		// Through JSON, as an editor would read it.
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back["$schema"] != SchemaDialect {
			t.Fatalf("%s: $schema = %v", k, back["$schema"])
		}
		out[k] = back
	}
	return out
}

func yamlDocs(t *testing.T, file string) []any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var docs []any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var d any
		if err := dec.Decode(&d); err == io.EOF {
			return docs
		} else if err != nil {
			return docs // not YAML ferry reads (templates); Load's tests cover those
		}
		docs = append(docs, d)
	}
}

// validateSchema checks v against the subset of JSON Schema that Schema emits.
func validateSchema(s map[string]any, v any, at string) []string {
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, at+": "+fmt.Sprintf(format, args...))
	}
	if tm, ok := v.(time.Time); ok { // YAML 1.1 timestamps are strings to an editor
		v = tm.Format("2006-01-02")
	}
	if c, ok := s["const"]; ok && c != v {
		fail("%#v is not the constant %#v", v, c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || x == v
		}
		if !found {
			fail("%#v is not one of %v", v, e)
		}
	}
	if one, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, sub := range one {
			if len(validateSchema(sub.(map[string]any), v, at)) == 0 {
				n++
			}
		}
		if n != 1 {
			fail("matches none of oneOf")
		}
	}
	if typ, ok := s["type"]; ok && !hasType(typ, v) {
		fail("%#v is not of type %v", v, typ)
		return errs
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for k, val := range x {
			if p, ok := props[k]; ok {
				errs = append(errs, validateSchema(p.(map[string]any), val, join(at, k))...)
			} else if ap, ok := s["additionalProperties"].(map[string]any); ok {
				errs = append(errs, validateSchema(ap, val, join(at, k))...)
			} else if s["additionalProperties"] == false {
				fail("unknown property %q", k)
			}
		}
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := x[r.(string)]; !ok {
				fail("missing %q", r)
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				errs = append(errs, validateSchema(items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
		if m, ok := s["minItems"].(float64); ok && float64(len(x)) < m {
			fail("fewer than %v items", m)
		}
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			fail("%q does not match %s", x, p)
		}
	}
	if f, ok := number(v); ok {
		if m, ok := s["maximum"].(float64); ok && f > m {
			fail("%v is above the maximum %v", f, m)
		}
		if m, ok := s["minimum"].(float64); ok && f < m {
			fail("%v is below the minimum %v", f, m)
		}
		if m, ok := s["exclusiveMaximum"].(float64); ok && f >= m {
			fail("%v is not below %v", f, m)
		}
		if m, ok := s["exclusiveMinimum"].(float64); ok && f <= m {
			fail("%v is not above %v", f, m)
		}
	}
	return errs
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func hasType(typ any, v any) bool {
	if list, ok := typ.([]any); ok {
		for _, t := range list {
			if hasType(t, v) {
				return true
			}
		}
		return false
	}
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := number(v)
		return ok && f == math.Trunc(f)
	case "number":
		_, ok := number(v)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return false
}

// Editors show descriptions on hover; a new field without one is a gap in the docs.
func TestSchemaDescribesEveryField(t *testing.T) {
	var walk func(s map[string]any, at string)
	walk = func(s map[string]any, at string) {
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			p := p.(map[string]any)
			if name != "kind" && p["description"] == nil {
				t.Errorf("%s.%s has no description", at, name)
			}
			walk(p, at+"."+name)
		}
	}
	for k, s := range allSchemas(t) {
		walk(s, string(k))
	}
}
