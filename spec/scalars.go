package spec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ParseDuration parses a Go duration ("90s", "30m", "168h", "1h30m") with days as an
// extra unit ("7d", "1d12h"). Negative durations are an error.
func ParseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var days time.Duration
	if i := strings.IndexByte(in, 'd'); i >= 0 {
		n, err := strconv.ParseUint(in[:i], 10, 32)
		if err != nil || i == 0 {
			return 0, fmt.Errorf("invalid duration %q (want e.g. 90s, 30m, 168h, 7d)", s)
		}
		if n > 100000 {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		in = in[i+1:]
		if in == "" {
			return Duration(days), nil
		}
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	d, err := time.ParseDuration(in)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 90s, 30m, 168h, 7d)", s)
	}
	if d+days < 0 {
		return 0, fmt.Errorf("duration %q is too long", s)
	}
	return Duration(d + days), nil
}

// String formats the duration the way specs write it: whole days as "7d", anything
// else as Go does ("1h30m0s").
func (d Duration) String() string {
	t := time.Duration(d)
	if t > 0 && t%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(t/(24*time.Hour)), 10) + "d"
	}
	return t.String()
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration, got %s", n.Line, describe(n))
	}
	return d.UnmarshalText([]byte(n.Value))
}

// String returns "latest" or the version number.
func (v VersionRef) String() string {
	if v.Number > 0 {
		return strconv.Itoa(v.Number)
	}
	return "latest"
}

// IsZero reports whether the reference is unset (neither latest nor a number).
func (v VersionRef) IsZero() bool { return !v.Latest && v.Number == 0 }

// ParseVersionRef parses "latest" or a version number ≥ 1.
func ParseVersionRef(s string) (VersionRef, error) {
	s = strings.TrimSpace(s)
	if s == "latest" {
		return VersionRef{Latest: true}, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "v"))
	if err != nil || n < 1 {
		return VersionRef{}, fmt.Errorf("invalid version %q (want latest or a version number ≥ 1)", s)
	}
	return VersionRef{Number: n}, nil
}

func (v VersionRef) MarshalYAML() (any, error) {
	if v.Number > 0 {
		return v.Number, nil
	}
	return "latest", nil
}

func (v *VersionRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want latest or a version number, got %s", n.Line, describe(n))
	}
	r, err := ParseVersionRef(n.Value)
	if err != nil {
		return err
	}
	*v = r
	return nil
}

func (v VersionRef) MarshalJSON() ([]byte, error) {
	if v.Number > 0 {
		return []byte(strconv.Itoa(v.Number)), nil
	}
	return []byte(`"latest"`), nil
}

func (v *VersionRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		s = string(b)
	}
	r, err := ParseVersionRef(s)
	if err != nil {
		return err
	}
	*v = r
	return nil
}

// IsZero reports whether the split part is unset.
func (p SplitPart) IsZero() bool { return p.Fraction == 0 && p.Range == nil }

func (p SplitPart) MarshalYAML() (any, error) {
	if p.Range != nil {
		return p.Range, nil
	}
	return p.Fraction, nil
}

func (p *SplitPart) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		var r Range
		if err := n.Decode(&r); err != nil {
			return err
		}
		*p = SplitPart{Range: &r}
		return nil
	case yaml.ScalarNode:
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return fmt.Errorf("line %d: want a fraction or {from, before}, got %s", n.Line, describe(n))
		}
		*p = SplitPart{Fraction: f}
		return nil
	}
	return fmt.Errorf("line %d: want a fraction or {from, before}, got %s", n.Line, describe(n))
}

func (p SplitPart) MarshalJSON() ([]byte, error) {
	if p.Range != nil {
		return json.Marshal(p.Range)
	}
	return json.Marshal(p.Fraction)
}

func (p *SplitPart) UnmarshalJSON(b []byte) error {
	var r Range
	if err := json.Unmarshal(b, &r); err == nil {
		*p = SplitPart{Range: &r}
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("want a fraction or {from, before}: %w", err)
	}
	*p = SplitPart{Fraction: f}
	return nil
}

var (
	_ yaml.Unmarshaler = (*Duration)(nil)
	_ yaml.Marshaler   = Duration(0)
	_ yaml.Unmarshaler = (*VersionRef)(nil)
	_ json.Marshaler   = VersionRef{}
	_ yaml.Unmarshaler = (*SplitPart)(nil)
	_ json.Marshaler   = SplitPart{}
)
