package spec

import "strings"

// fieldPos is what the decoder learned about one object's fields.
type fieldPos struct {
	src    Source
	fields map[string]Source // field path → position
	bad    map[string]bool   // field paths that failed to decode
}

// Pos returns the position of a field of obj, an object of this Set (a *Project,
// *Dataset, *Model, *Experiment, *Deployment or *Monitor). field is a path of YAML
// names: "metadata.name", "spec.trainer.builtin", "spec.features[2].min",
// "spec.gate.min.auc". A field that was not written (a default, or a typo in the
// path) gives the position of its nearest written parent, and "" the object's own.
// Objects this Set did not load give the zero Source.
func (s *Set) Pos(obj any, field string) Source {
	if s == nil || s.pos == nil {
		return Source{}
	}
	fp, ok := s.pos[obj]
	if !ok {
		return Source{}
	}
	for {
		if src, ok := fp.fields[field]; ok {
			return src
		}
		if field == "" {
			return fp.src
		}
		field = parentPath(field)
	}
}

// parentPath drops the last element of a field path: "a.b[2]" → "a.b", "a.b" → "a".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// failed reports whether field, or a parent of it, already had a decoding error, so
// the checks do not report a follow-on error for the same mistake.
func (s *Set) failed(obj any, field string) bool {
	fp, ok := s.pos[obj]
	if !ok || len(fp.bad) == 0 {
		return false
	}
	for {
		if fp.bad[field] {
			return true
		}
		if field == "" {
			return false
		}
		field = parentPath(field)
	}
}

func (s *Set) record(obj any, src Source, d *decoder) {
	if s.pos == nil {
		s.pos = map[any]*fieldPos{}
	}
	s.pos[obj] = &fieldPos{src: src, fields: d.pos, bad: d.bad}
}
