package spec

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Limits that keep hostile input (alias bombs, deep nesting) from exhausting memory.
const (
	maxDepth         = 64
	maxNodesPerDoc   = 50_000
	maxScalarInError = 40
)

// decoder decodes one document's nodes into Go values by reflection, collecting every
// problem with its position instead of stopping at the first.
type decoder struct {
	file   string
	errs   *ErrorList
	pos    map[string]Source // field path → position of its value
	bad    map[string]bool   // field paths that had a decoding error
	budget int
	blown  bool
}

func newDecoder(file string, errs *ErrorList) *decoder {
	return &decoder{file: file, errs: errs, pos: map[string]Source{}, bad: map[string]bool{}, budget: maxNodesPerDoc}
}

func (d *decoder) src(n *yaml.Node) Source {
	return Source{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.report(n, path, path, format, args...)
}

// report adds an error labelled with label and marks the field path bad as failed,
// so the checks skip it.
func (d *decoder) report(n *yaml.Node, label, bad, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if label != "" {
		msg = label + ": " + msg
	}
	d.errs.Add(d.src(n), "%s", msg)
	d.bad[bad] = true
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	if n.Tag == "!!null" {
		return "null"
	}
	v := n.Value
	if len(v) > maxScalarInError {
		v = v[:maxScalarInError] + "…"
	}
	return strconv.Quote(v)
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// resolve follows aliases and charges the node budget. It returns nil when the
// document is too large or too deep, after reporting it once.
func (d *decoder) resolve(n *yaml.Node, path string, depth int) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > maxDepth {
			n = nil
			break
		}
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	d.budget--
	if d.budget < 0 || depth > maxDepth {
		if !d.blown {
			d.blown = true
			d.fail(n, path, "document is too large or too deeply nested (aliases expand past %d nodes or %d levels)", maxNodesPerDoc, maxDepth)
		}
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// value decodes n into v, recording its position under path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n = d.resolve(n, path, depth); n == nil {
		return
	}
	if _, ok := d.pos[path]; !ok || path == "" {
		d.pos[path] = d.src(n)
	}
	switch v.Type() {
	case durationType:
		d.duration(n, v, path)
		return
	case versionRefType:
		d.versionRef(n, v, path)
		return
	case splitPartType:
		d.splitPart(n, v, path, depth)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		p := reflect.New(v.Type().Elem())
		d.value(n, p.Elem(), path, depth+1)
		v.Set(p)
	case reflect.Struct:
		d.structure(n, v, path, depth, nil)
	case reflect.Slice:
		d.slice(n, v, path, depth)
	case reflect.Map:
		d.mapping(n, v, path, depth)
	case reflect.Interface:
		if g := d.generic(n, path, depth); g != nil {
			v.Set(reflect.ValueOf(g))
		}
	case reflect.String:
		d.str(n, v, path)
	case reflect.Int, reflect.Int64, reflect.Int32:
		d.integer(n, v, path)
	case reflect.Float64, reflect.Float32:
		d.float(n, v, path)
	case reflect.Bool:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	default:
		d.fail(n, path, "cannot decode into %s", v.Type())
	}
}

func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want %s, got %s", want, describe(n))
		return false
	}
	return true
}

func (d *decoder) str(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) || !d.scalar(n, path, "a string") {
		return
	}
	if allowed, ok := enums[v.Type()]; ok && !contains(allowed, n.Value) {
		d.fail(n, path, "unknown value %s%s (want %s)", describe(n), suggest(n.Value, allowed), strings.Join(allowed, ", "))
		return
	}
	v.SetString(n.Value)
}

func (d *decoder) integer(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) || !d.scalar(n, path, "an integer") {
		return
	}
	if n.Tag != "!!int" {
		d.fail(n, path, "want an integer, got %s", describe(n))
		return
	}
	i, err := strconv.ParseInt(n.Value, 0, 64)
	if err != nil {
		var x int64
		if err2 := n.Decode(&x); err2 != nil {
			d.fail(n, path, "integer %s is out of range", describe(n))
			return
		}
		i = x
	}
	if v.OverflowInt(i) {
		d.fail(n, path, "integer %s is out of range", describe(n))
		return
	}
	v.SetInt(i)
}

func (d *decoder) float(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) || !d.scalar(n, path, "a number") {
		return
	}
	f, ok := parseNumber(n)
	if !ok {
		d.fail(n, path, "want a number, got %s", describe(n))
		return
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(n, path, "want a finite number, got %s", describe(n))
		return
	}
	v.SetFloat(f)
}

// parseNumber reads an !!int or !!float scalar.
func parseNumber(n *yaml.Node) (float64, bool) {
	if n.Tag != "!!int" && n.Tag != "!!float" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return f, true
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		return 0, false
	}
	return f, true
}

func (d *decoder) slice(n *yaml.Node, v reflect.Value, path string, depth int) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.value(c, s.Index(i), elem(path, i), depth+1)
	}
	v.Set(s)
}

// pair is a key and its value in a mapping, with merge keys (<<) flattened.
type pair struct {
	key, val *yaml.Node
	merged   bool
}

// pairs returns a mapping's entries with merged ones (<<: *anchor) first.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	var merged, own []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			d.merge(val, path, depth, &merged)
			continue
		}
		own = append(own, pair{key: k, val: val})
	}
	return append(merged, own...)
}

func (d *decoder) merge(n *yaml.Node, path string, depth int, out *[]pair) {
	if n = d.resolve(n, path, depth+1); n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range d.pairs(n, path, depth+1) {
			p.merged = true
			*out = append(*out, p)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			d.merge(c, path, depth+1, out)
		}
	default:
		d.fail(n, path, "merge (<<) wants a mapping, got %s", describe(n))
	}
}

// keyOf returns a mapping key as a string, or false after reporting a non-scalar key.
func (d *decoder) keyOf(k *yaml.Node, path string, depth int) (string, bool) {
	if k = d.resolve(k, path, depth); k == nil {
		return "", false
	}
	if k.Kind != yaml.ScalarNode || isNull(k) {
		d.fail(k, path, "want a string key, got %s", describe(k))
		return "", false
	}
	return k.Value, true
}

// entries walks a mapping's pairs calling fn once per distinct key, reporting
// duplicate keys (a key repeated in the same mapping; merged keys may be overridden).
func (d *decoder) entries(n *yaml.Node, path string, depth int, fn func(key string, k, val *yaml.Node)) {
	seen := map[string]pair{}
	ps := d.pairs(n, path, depth)
	// A key written in the mapping overrides a merged one; find the winners first.
	for _, p := range ps {
		key, ok := d.keyOf(p.key, path, depth)
		if !ok {
			continue
		}
		if prev, dup := seen[key]; dup && !prev.merged && !p.merged {
			d.fail(p.key, join(path, key), "duplicate key %q (first at line %d)", key, prev.key.Line)
			continue
		}
		seen[key] = p
	}
	for _, p := range ps {
		key, ok := d.keyOf(p.key, path, depth)
		if !ok || seen[key] != p {
			continue
		}
		fn(key, p.key, p.val)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string, depth int) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.fail(n, path, "cannot decode into %s", v.Type())
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	et := v.Type().Elem()
	d.entries(n, path, depth, func(key string, k, val *yaml.Node) {
		e := reflect.New(et).Elem()
		p := join(path, key)
		d.pos[p] = d.src(k)
		d.value(val, e, p, depth+1)
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), e)
	})
	v.Set(m)
}

// structure decodes a mapping into a struct: every key must be a field (or one of
// extra, which the caller handles), and fields without omitempty must be present.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string, depth int, extra []string) {
	info := fieldsOf(v.Type())
	if isNull(n) {
		d.missing(n, path, info, nil)
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return
	}
	present := map[string]bool{}
	d.entries(n, path, depth, func(key string, k, val *yaml.Node) {
		present[key] = true
		f, ok := info.byName[key]
		if !ok {
			if contains(extra, key) {
				return
			}
			names := info.names
			if len(extra) > 0 {
				names = strings.Join(extra, ", ") + ", " + names
			}
			d.report(k, path, join(path, key), "unknown field %q%s (want %s)", key, suggest(key, append(extra, info.list...)), names)
			return
		}
		p := join(path, key)
		fv := v.Field(f.index)
		// Collections are reported at their key: their value starts on the next line.
		if val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode {
			d.pos[p] = d.src(k)
		}
		d.value(val, fv, p, depth+1)
	})
	d.missing(n, path, info, present)
}

func (d *decoder) missing(n *yaml.Node, path string, info *structInfo, present map[string]bool) {
	for _, f := range info.fields {
		if f.required && !present[f.name] {
			d.report(n, path, join(path, f.name), "missing required field %q", f.name)
		}
	}
}

// generic decodes free-form values (trainer params) into plain Go values.
func (d *decoder) generic(n *yaml.Node, path string, depth int) any {
	if n = d.resolve(n, path, depth); n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		d.entries(n, path, depth, func(key string, k, val *yaml.Node) {
			p := join(path, key)
			d.pos[p] = d.src(k)
			m[key] = d.generic(val, p, depth+1)
		})
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = d.generic(c, elem(path, i), depth+1)
		}
		return s
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			_ = n.Decode(&b)
			return b
		case "!!int":
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return i
			}
			var i int64
			if err := n.Decode(&i); err == nil {
				return i
			}
			f, _ := parseNumber(n)
			return f
		case "!!float":
			f, ok := parseNumber(n)
			if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
				d.fail(n, path, "want a finite number, got %s", describe(n))
				return nil
			}
			return f
		}
		return n.Value
	}
	d.fail(n, path, "unsupported value %s", describe(n))
	return nil
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) || !d.scalar(n, path, "a duration") {
		return
	}
	if n.Tag != "!!str" {
		d.fail(n, path, "want a duration with a unit (e.g. 90s, 30m, 168h, 7d), got %s", describe(n))
		return
	}
	dur, err := ParseDuration(n.Value)
	if err != nil {
		d.fail(n, path, "%v", err)
		return
	}
	v.Set(reflect.ValueOf(dur))
}

func (d *decoder) versionRef(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) || !d.scalar(n, path, "latest or a version number") {
		return
	}
	if n.Tag != "!!int" && n.Value != "latest" {
		d.fail(n, path, "want latest or a version number ≥ 1, got %s", describe(n))
		return
	}
	r, err := ParseVersionRef(n.Value)
	if err != nil {
		d.fail(n, path, "want latest or a version number ≥ 1, got %s", describe(n))
		return
	}
	v.Set(reflect.ValueOf(r))
}

func (d *decoder) splitPart(n *yaml.Node, v reflect.Value, path string, depth int) {
	if isNull(n) {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		var r Range
		d.structure(n, reflect.ValueOf(&r).Elem(), path, depth, nil)
		v.Set(reflect.ValueOf(SplitPart{Range: &r}))
	case yaml.ScalarNode:
		f, ok := parseNumber(n)
		if !ok {
			d.fail(n, path, "want a fraction or {from, before}, got %s", describe(n))
			return
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n, path, "want a finite number, got %s", describe(n))
			return
		}
		v.Set(reflect.ValueOf(SplitPart{Fraction: f}))
	default:
		d.fail(n, path, "want a fraction or {from, before}, got %s", describe(n))
	}
}

var (
	durationType   = reflect.TypeFor[Duration]()
	versionRefType = reflect.TypeFor[VersionRef]()
	splitPartType  = reflect.TypeFor[SplitPart]()
)

// structInfo is the YAML view of a struct type.
type structInfo struct {
	fields []fieldInfo
	byName map[string]fieldInfo
	names  string // allowed field names, for messages
	list   []string
}

type fieldInfo struct {
	name     string
	index    int
	required bool
}

var structCache sync.Map // reflect.Type → *structInfo

func fieldsOf(t reflect.Type) *structInfo {
	if s, ok := structCache.Load(t); ok {
		return s.(*structInfo)
	}
	s := &structInfo{byName: map[string]fieldInfo{}}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fi := fieldInfo{name: name, index: i, required: !strings.Contains(opts, "omitempty")}
		s.fields = append(s.fields, fi)
		s.byName[name] = fi
		names = append(names, name)
	}
	s.names = strings.Join(names, ", ")
	s.list = names
	structCache.Store(t, s)
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns `, did you mean "x"?` for the closest of candidates within two
// edits of s, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || len(s) < 2 {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// elem returns the path of a list element: "spec.features[2]".
func elem(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
