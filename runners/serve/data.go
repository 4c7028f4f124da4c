package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// walkData calls fn for every scalar token of a flat or nested JSON array, in
// row-major order, and returns how many there were. Tokens are raw JSON bytes:
// a number, true, false, null or a quoted string. It never allocates.
func walkData(b []byte, fn func(tok []byte) error) (int, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return 0, errors.New("data must be a JSON array")
	}
	count, depth := 0, 0
	expect := true // a value (or ']') may come next
	opened := false
	for i < len(b) {
		c := b[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
		case '[':
			if !expect {
				return count, fmt.Errorf("data: unexpected '[' at byte %d", i)
			}
			depth++
			i++
			opened = true
		case ']':
			if expect && !opened {
				return count, fmt.Errorf("data: unexpected ']' at byte %d", i)
			}
			depth--
			i++
			expect, opened = false, false
			if depth == 0 {
				if j := skipSpace(b, i); j != len(b) {
					return count, fmt.Errorf("data: unexpected text after the array at byte %d", j)
				}
				return count, nil
			}
		case ',':
			if expect {
				return count, fmt.Errorf("data: unexpected ',' at byte %d", i)
			}
			i++
			expect, opened = true, false
		case '{':
			return count, errors.New("data holds an object; want numbers, booleans or strings")
		default:
			if !expect {
				return count, fmt.Errorf("data: missing ',' at byte %d", i)
			}
			j := i + 1
			if c == '"' {
				for j < len(b) && b[j] != '"' {
					if b[j] == '\\' {
						j++
					}
					j++
				}
				if j >= len(b) {
					return count, errors.New("data: unterminated string")
				}
				j++
			} else {
				for j < len(b) && !isDelim(b[j]) {
					j++
				}
			}
			if err := fn(b[i:j]); err != nil {
				return count, err
			}
			count++
			i = j
			expect, opened = false, false
		}
	}
	return count, errors.New("data: unterminated array")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func isDelim(c byte) bool {
	return c == ',' || c == ']' || c == '[' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '"'
}

func isNumberStart(c byte) bool { return c == '-' || (c >= '0' && c <= '9') }

// isIntegerSyntax reports whether a JSON number has no fraction or exponent.
func isIntegerSyntax(tok []byte) bool {
	for _, c := range tok {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// describe shortens a token for an error message.
func describe(tok []byte) string {
	if len(tok) > 40 {
		return string(tok[:37]) + "..."
	}
	return string(tok)
}

// compatible says whether values declared as decl may feed an input of ONNX type
// target. Numbers convert among each other when the value survives (checked per
// value); booleans widen to numbers; strings only feed strings.
func compatible(decl Datatype, target string) bool {
	switch target {
	case "float", "double", "int32", "int64":
		return decl == FP32 || decl == FP64 || decl == INT32 || decl == INT64 || decl == BOOL
	case "bool":
		return decl == BOOL
	case "string":
		return decl == BYTES
	}
	return false
}

// parseData scans raw JSON data declared as decl into a new slice of the ONNX
// type target and checks that it holds exactly n values.
func parseData(raw []byte, decl Datatype, target string, n int) (any, error) {
	var (
		fn   func(tok []byte) error
		kept int
	)
	switch target {
	case "float", "double":
		bits := 64
		if target == "float" {
			bits = 32
		}
		var f32 []float32
		var f64 []float64
		if bits == 32 {
			f32 = make([]float32, 0, n)
		} else {
			f64 = make([]float64, 0, n)
		}
		fn = func(tok []byte) error {
			v, err := parseFloatToken(tok, decl, bits)
			if err != nil {
				return err
			}
			if kept < n {
				if bits == 32 {
					f32 = append(f32, float32(v))
				} else {
					f64 = append(f64, v)
				}
			}
			kept++
			return nil
		}
		count, err := walkData(raw, fn)
		if err != nil {
			return nil, err
		}
		if count != n {
			return nil, countError(count, n)
		}
		if bits == 32 {
			return f32, nil
		}
		return f64, nil
	case "int32", "int64":
		bits := 64
		if target == "int32" {
			bits = 32
		}
		var i32 []int32
		var i64 []int64
		if bits == 32 {
			i32 = make([]int32, 0, n)
		} else {
			i64 = make([]int64, 0, n)
		}
		fn = func(tok []byte) error {
			v, err := parseIntToken(tok, decl, bits)
			if err != nil {
				return err
			}
			if kept < n {
				if bits == 32 {
					i32 = append(i32, int32(v))
				} else {
					i64 = append(i64, v)
				}
			}
			kept++
			return nil
		}
		count, err := walkData(raw, fn)
		if err != nil {
			return nil, err
		}
		if count != n {
			return nil, countError(count, n)
		}
		if bits == 32 {
			return i32, nil
		}
		return i64, nil
	case "bool":
		bs := make([]bool, 0, n)
		count, err := walkData(raw, func(tok []byte) error {
			var v bool
			switch string(tok) {
			case "true":
				v = true
			case "false":
			default:
				return fmt.Errorf("value %s is not a BOOL", describe(tok))
			}
			if len(bs) < n {
				bs = append(bs, v)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if count != n {
			return nil, countError(count, n)
		}
		return bs, nil
	case "string":
		ss := make([]string, 0, n)
		count, err := walkData(raw, func(tok []byte) error {
			if tok[0] != '"' {
				return fmt.Errorf("value %s is not a string (datatype BYTES)", describe(tok))
			}
			if len(ss) >= n {
				return nil
			}
			s, err := unquote(tok)
			if err != nil {
				return err
			}
			ss = append(ss, s)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if count != n {
			return nil, countError(count, n)
		}
		return ss, nil
	}
	return nil, fmt.Errorf("unsupported element type %q", target)
}

func countError(got, want int) error {
	return fmt.Errorf("data has %d values but the shape needs %d", got, want)
}

func unquote(tok []byte) (string, error) {
	plain := true
	for _, c := range tok[1 : len(tok)-1] {
		if c == '\\' || c < 0x20 {
			plain = false
			break
		}
	}
	if plain {
		return string(tok[1 : len(tok)-1]), nil
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return "", fmt.Errorf("bad string %s: %w", describe(tok), err)
	}
	return s, nil
}

// Integers up to these magnitudes convert to float32/float64 exactly.
const (
	maxExactFloat32 = 1 << 24
	maxExactFloat64 = 1 << 53
)

func parseFloatToken(tok []byte, decl Datatype, bits int) (float64, error) {
	if !isNumberStart(tok[0]) {
		if decl == BOOL {
			switch string(tok) {
			case "true":
				return 1, nil
			case "false":
				return 0, nil
			}
		}
		return 0, fmt.Errorf("value %s is not a number", describe(tok))
	}
	if decl == BOOL {
		return 0, fmt.Errorf("value %s is not a BOOL", describe(tok))
	}
	if decl == INT32 || decl == INT64 {
		if !isIntegerSyntax(tok) {
			return 0, fmt.Errorf("value %s is not an integer (datatype %s)", describe(tok), decl)
		}
		v, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("value %s is out of range for %s", describe(tok), decl)
		}
		limit := int64(maxExactFloat64)
		if bits == 32 {
			limit = maxExactFloat32
		}
		if v > limit || v < -limit {
			return 0, fmt.Errorf("value %d would lose precision as a %d-bit float", v, bits)
		}
		return float64(v), nil
	}
	v, err := strconv.ParseFloat(string(tok), bits)
	if err != nil {
		return 0, fmt.Errorf("value %s is out of range for a %d-bit float", describe(tok), bits)
	}
	return v, nil
}

func parseIntToken(tok []byte, decl Datatype, bits int) (int64, error) {
	if !isNumberStart(tok[0]) {
		if decl == BOOL {
			switch string(tok) {
			case "true":
				return 1, nil
			case "false":
				return 0, nil
			}
		}
		return 0, fmt.Errorf("value %s is not a number", describe(tok))
	}
	if decl == BOOL {
		return 0, fmt.Errorf("value %s is not a BOOL", describe(tok))
	}
	if isIntegerSyntax(tok) {
		v, err := strconv.ParseInt(string(tok), 10, bits)
		if err != nil {
			return 0, fmt.Errorf("value %s is out of range for a %d-bit integer", describe(tok), bits)
		}
		return v, nil
	}
	// 3.0 or 1e3: accepted when the value is a whole number that fits.
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || f != math.Trunc(f) {
		return 0, fmt.Errorf("value %s is not an integer (the model input is int%d)", describe(tok), bits)
	}
	lim := math.Ldexp(1, bits-1)
	if f >= lim || f < -lim {
		return 0, fmt.Errorf("value %s is out of range for a %d-bit integer", describe(tok), bits)
	}
	return int64(f), nil
}
