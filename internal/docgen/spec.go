package docgen

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/ferryml/ferry/spec"
)

// specTypes are the Go types of each kind's spec, for field order (a JSON
// Schema's properties are a map; the Go struct is the order people read in).
var specTypes = map[spec.Kind]reflect.Type{
	spec.KindProject:    reflect.TypeFor[spec.ProjectSpec](),
	spec.KindDataset:    reflect.TypeFor[spec.DatasetSpec](),
	spec.KindModel:      reflect.TypeFor[spec.ModelSpec](),
	spec.KindExperiment: reflect.TypeFor[spec.ExperimentSpec](),
	spec.KindDeployment: reflect.TypeFor[spec.DeploymentSpec](),
	spec.KindMonitor:    reflect.TypeFor[spec.MonitorSpec](),
}

// Defaults are the values spec.Load fills in for fields left out, by kind and
// field path (applyDefaults in spec/defaults.go). The constant ones are checked
// against Load in this package's tests.
var Defaults = map[spec.Kind]map[string]string{
	spec.KindProject: {
		"spec.artifacts":        spec.DefaultArtifacts,
		"spec.predictions":      spec.DefaultPredictions,
		"spec.records":          spec.DefaultRecords,
		"spec.git.remote":       spec.DefaultRemote,
		"spec.git.base":         spec.DefaultBase,
		"spec.git.commit":       string(spec.CommitPullRequest),
		"spec.runtime.kind":     string(spec.RuntimeLocal),
		"spec.runtime.url":      spec.DefaultRuntimeURL,
		"spec.runtime.tokenEnv": spec.DefaultTokenEnv,
	},
	spec.KindDataset: {
		"spec.format":              "from the source's extension",
		"spec.features[].nullable": "true",
	},
	spec.KindExperiment: {
		"spec.dataset":              "the Model's dataset",
		"spec.trainer.exec.dir":     "the repository root",
		"spec.trainer.exec.timeout": "30m", // the exec runner's default (runners/exec)
	},
	spec.KindDeployment: {
		"spec.version":        "latest",
		"spec.runtime":        "the Project's runtime.kind",
		"spec.strategy.type":  string(spec.StrategyDirect),
		"spec.logging.sample": "1",
	},
	spec.KindMonitor: {
		"spec.features.default.test":      spec.DefaultDriftTest,
		"spec.features.default.threshold": fmt.Sprint(spec.DefaultPSI) + " (when the test is psi)",
	},
}

// Spec writes the Markdown reference of every spec kind: the envelope, then
// for each kind a table of its spec fields with type, default, allowed values
// and description, all from spec.Schema.
func Spec(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(Header)
	b.WriteString(`
# Spec reference

Every field of every kind, generated from the Go types in ` + "`spec/types.go`" + ` through
the same JSON Schema that ` + "`ferry schema`" + ` prints. ` + "`ferry validate`" + ` checks all of
this and more (references between objects, paths, schedules, durations,
builtin trainers' parameters); see [concepts](../concepts.md) for what the kinds
are for and [the CLI reference](cli.md) for the commands.

Decoding is strict: an unknown field is an error, reported as
` + "`path:line:col: message`" + ` with every other error of the tree, sorted. Paths inside
specs are relative to the repository root and may not leave it. YAML files whose
apiVersion is not ` + "`" + spec.APIVersion + "`" + ` are ignored, so specs can sit beside
workflows and Kubernetes manifests; one file may hold several documents
separated by ` + "`---`" + `.

In the tables, ` + "`[]`" + ` marks the items of a list and ` + "`<name>`" + ` the keys of a
map; **required** fields must be written; a default is what ` + "`ferry validate`" + `
and every other command fill in for a field left out.

`)
	var kinds []string
	for _, k := range spec.Kinds {
		kinds = append(kinds, fmt.Sprintf("[%s](#%s)", k, anchor(string(k))))
	}
	b.WriteString("Kinds: " + strings.Join(kinds, ", ") + ".\n")

	project, err := spec.Schema(spec.KindProject)
	if err != nil {
		return err
	}
	b.WriteString("\n## Every document\n\n")
	b.WriteString("```yaml\napiVersion: " + spec.APIVersion + "\nkind: Model        # " + strings.Join(kindNames(), " | ") + "\nmetadata: {name: delay}\nspec: {...}\n```\n\n")
	var rows []row
	props := project["properties"].(map[string]any)
	rows = append(rows,
		row{path: "apiVersion", required: true, typ: "string", allowed: code(spec.APIVersion), desc: desc(props["apiVersion"])},
		row{path: "kind", required: true, typ: "string", allowed: codeList(kindNames()), desc: "The kind of the document."})
	meta := props["metadata"].(map[string]any)
	rows = append(rows, fieldRows("metadata", meta, reflect.TypeFor[spec.Metadata](), required(project)["metadata"], nil)...)
	writeTable(&b, rows)

	for _, k := range spec.Kinds {
		s, err := spec.Schema(k)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "\n## %s\n\n", k)
		if d, _ := s["description"].(string); d != "" {
			b.WriteString(escapeText(d) + "\n\n")
		}
		sp := s["properties"].(map[string]any)["spec"].(map[string]any)
		writeTable(&b, fieldRows("spec", sp, specTypes[k], true, Defaults[k])[1:])
	}
	_, err = w.Write(b.Bytes())
	return err
}

func kindNames() []string {
	var out []string
	for _, k := range spec.Kinds {
		out = append(out, string(k))
	}
	return out
}

type row struct {
	path     string
	required bool
	typ      string
	def      string
	allowed  string
	desc     string
}

func writeTable(b *bytes.Buffer, rows []row) {
	b.WriteString("| Field | Type | Default | Allowed values | Description |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		f := code(r.path)
		if r.required {
			f += " **required**"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", f, r.typ, r.def, r.allowed, cell(r.desc))
	}
}

// fieldRows is the row of one schema node at path, then the rows of its
// fields (objects), items (lists) or values (maps), in the Go type's order.
func fieldRows(path string, s map[string]any, t reflect.Type, req bool, defaults map[string]string) []row {
	r := row{path: path, required: req, desc: desc(s), def: defaults[path]}
	r.typ, r.allowed = typeAndAllowed(s)
	if r.def != "" && !strings.Contains(r.def, " ") {
		r.def = code(r.def)
	} else {
		r.def = cell(r.def)
	}
	rows := []row{r}
	t = deref(t)
	switch {
	case s["properties"] != nil:
		rows = append(rows, objectRows(path, s, t, defaults)...)
	case s["items"] != nil:
		var et reflect.Type
		if t != nil && t.Kind() == reflect.Slice {
			et = t.Elem()
		}
		items := s["items"].(map[string]any)
		if items["properties"] != nil {
			rows = append(rows, objectRows(path+"[]", items, deref(et), defaults)...)
		}
	case isMap(s["additionalProperties"]):
		var et reflect.Type
		if t != nil && t.Kind() == reflect.Map {
			et = t.Elem()
		}
		vals := s["additionalProperties"].(map[string]any)
		if vals["properties"] != nil {
			rows = append(rows, objectRows(path+".<name>", vals, deref(et), defaults)...)
		}
	case s["oneOf"] != nil:
		for _, alt := range s["oneOf"].([]any) {
			a := alt.(map[string]any)
			if a["properties"] != nil {
				rows = append(rows, objectRows(path, a, reflect.TypeFor[spec.Range](), defaults)...)
			}
		}
	}
	return rows
}

func objectRows(path string, s map[string]any, t reflect.Type, defaults map[string]string) []row {
	props := s["properties"].(map[string]any)
	req := required(s)
	var rows []row
	for _, name := range fieldOrder(props, t) {
		ft := fieldType(t, name)
		rows = append(rows, fieldRows(path+"."+name, props[name].(map[string]any), ft, req[name], defaults)...)
	}
	return rows
}

func required(s map[string]any) map[string]bool {
	out := map[string]bool{}
	switch r := s["required"].(type) {
	case []string:
		for _, n := range r {
			out[n] = true
		}
	case []any:
		for _, n := range r {
			out[fmt.Sprint(n)] = true
		}
	}
	return out
}

// fieldOrder lists the properties in the order of t's fields (by YAML name),
// then any others by name.
func fieldOrder(props map[string]any, t reflect.Type) []string {
	var out []string
	seen := map[string]bool{}
	if t != nil && t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if _, ok := props[name]; ok && !seen[name] {
				out = append(out, name)
				seen[name] = true
			}
		}
	}
	var rest []string
	for name := range props {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func fieldType(t reflect.Type, name string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		n, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if n == name {
			return t.Field(i).Type
		}
	}
	return nil
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

func desc(v any) string {
	m, _ := v.(map[string]any)
	d, _ := m["description"].(string)
	return d
}

// typeAndAllowed renders a schema node's type and the constraints on its values.
func typeAndAllowed(s map[string]any) (typ, allowed string) {
	var cons []string
	if e, ok := s["enum"]; ok {
		cons = append(cons, codeList(strList(e)))
	}
	if c, ok := s["const"]; ok {
		cons = append(cons, code(fmt.Sprint(c)))
	}
	duration := false
	if p, ok := s["pattern"].(string); ok {
		if duration = strings.Contains(p, "(ns|us|µs|ms|s|m|h)"); duration {
			cons = append(cons, "e.g. `90s`, `30m`, `168h`, `7d`")
		} else {
			cons = append(cons, "pattern "+code(p))
		}
	}
	cons = append(cons, bounds(s)...)
	if n, ok := s["minItems"]; ok {
		cons = append(cons, fmt.Sprintf("at least %v item(s)", n))
	}
	if n, ok := s["maxLength"]; ok {
		cons = append(cons, fmt.Sprintf("at most %v characters", n))
	}
	switch {
	case s["oneOf"] != nil:
		var alts []string
		for _, a := range s["oneOf"].([]any) {
			at, aa := typeAndAllowed(a.(map[string]any))
			if at == "" {
				at, aa = aa, ""
			}
			if aa != "" {
				at += " (" + aa + ")"
			}
			alts = append(alts, at)
		}
		typ = strings.Join(alts, " or ")
	case duration:
		typ = "duration"
	case s["type"] != nil:
		typ = typeName(s)
	}
	if items, ok := s["items"].(map[string]any); ok {
		if _, ia := typeAndAllowed(items); ia != "" {
			cons = append(cons, "each "+ia)
		}
	}
	return typ, strings.Join(cons, "; ")
}

func typeName(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		switch t {
		case "array":
			if items, ok := s["items"].(map[string]any); ok {
				it, _ := typeAndAllowed(items)
				return "list of " + it
			}
			return "list"
		case "object":
			if vals, ok := s["additionalProperties"].(map[string]any); ok {
				vt, _ := typeAndAllowed(vals)
				return "map of " + vt
			}
			if s["properties"] == nil {
				return "map"
			}
			return "object"
		}
		return t
	case []string:
		return strings.Join(t, " or ")
	case []any:
		return strings.Join(strList(t), " or ")
	}
	return ""
}

func bounds(s map[string]any) []string {
	var out []string
	for _, b := range []struct{ key, op string }{
		{"minimum", "≥"}, {"exclusiveMinimum", ">"}, {"maximum", "≤"}, {"exclusiveMaximum", "<"},
	} {
		if v, ok := s[b.key]; ok {
			out = append(out, fmt.Sprintf("%s %v", b.op, v))
		}
	}
	return out
}

func strList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, len(l))
		for i, x := range l {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return nil
}

func codeList(l []string) string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = code(s)
	}
	return strings.Join(out, ", ")
}
