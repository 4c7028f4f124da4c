package train

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// paramKind is the type a trainer parameter must have.
type paramKind int

const (
	kindFloat paramKind = iota
	kindInt
)

func (k paramKind) String() string {
	if k == kindInt {
		return "an integer"
	}
	return "a number"
}

// paramDef declares one trainer parameter with its default and valid range.
type paramDef struct {
	name     string
	kind     paramKind
	def      float64
	min, max float64 // inclusive bounds
	minOpen  bool    // min is exclusive
	doc      string
}

// params holds resolved parameter values by name and which were set explicitly.
type params struct {
	v   map[string]float64
	set map[string]bool
}

func (p params) f(name string) float64 { return p.v[name] }
func (p params) int(name string) int   { return int(p.v[name]) }

// resolveParams checks raw (from the Experiment spec) against defs: unknown names,
// wrong types and out-of-range values are errors; missing ones take their default.
// Every problem is reported, sorted by name.
func resolveParams(trainer string, defs []paramDef, raw map[string]any) (params, error) {
	byName := make(map[string]paramDef, len(defs))
	known := make([]string, 0, len(defs))
	for _, d := range defs {
		byName[d.name] = d
		known = append(known, d.name)
	}
	sort.Strings(known)
	out := make(map[string]float64, len(defs))
	for _, d := range defs {
		out[d.name] = d.def
	}
	set := map[string]bool{}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	var errs []string
	for _, k := range names {
		d, ok := byName[k]
		if !ok {
			errs = append(errs, fmt.Sprintf("unknown param %q for %s (known: %s)", k, trainer, strings.Join(known, ", ")))
			continue
		}
		v, err := toNumber(raw[k], d.kind)
		if err != nil {
			errs = append(errs, fmt.Sprintf("param %s: %v", k, err))
			continue
		}
		lowOK := v >= d.min
		if d.minOpen {
			lowOK = v > d.min
		}
		if !lowOK || v > d.max {
			errs = append(errs, fmt.Sprintf("param %s: %s out of range (want %s)", k, formatNum(v), d.rangeText()))
			continue
		}
		out[k] = v
		set[k] = true
	}
	if len(errs) > 0 {
		return params{}, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return params{v: out, set: set}, nil
}

func (d paramDef) rangeText() string {
	lo := "≥ "
	if d.minOpen {
		lo = "> "
	}
	s := lo + formatNum(d.min)
	if !math.IsInf(d.max, 1) {
		s += " and ≤ " + formatNum(d.max)
	}
	return s
}

func formatNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// toNumber converts a YAML or JSON scalar to a float64 of the wanted kind.
func toNumber(v any, kind paramKind) (float64, error) {
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	case float32:
		f = float64(x)
	default:
		return 0, fmt.Errorf("want %s, got %s", kind, describe(v))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("want %s, got %s", kind, formatNum(f))
	}
	if kind == kindInt && f != math.Trunc(f) {
		return 0, fmt.Errorf("want %s, got %s", kind, formatNum(f))
	}
	return f, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q (a string)", x)
	case bool:
		return fmt.Sprintf("%t (a boolean)", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%v (%T)", v, v)
}
