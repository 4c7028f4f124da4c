package dataset

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// nullTokens are the texts read as null in CSV fields and JSON strings.
var nullTokens = map[string]bool{"": true, "NA": true, "N/A": true, "null": true, "NULL": true}

func isNull(s string) bool { return len(s) <= 4 && nullTokens[s] }

// formatFloat prints a number in the shortest form that reads back the same,
// without an exponent in the range people and spreadsheets expect (as
// encoding/json does): 4000000000, not 4e+09.
func formatFloat(v float64) string { return string(appendFloat(nil, v)) }

func appendFloat(dst []byte, v float64) []byte {
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(dst, v, 'g', -1, 64)
	}
	return strconv.AppendFloat(dst, v, 'f', -1, 64)
}

// formatTime prints Unix seconds as RFC 3339 in UTC, with fractions only when there
// are some.
func formatTime(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return formatFloat(sec)
	}
	whole := math.Floor(sec)
	t := time.Unix(int64(whole), int64(math.Round((sec-whole)*1e6))*1e3).UTC()
	return t.Format(time.RFC3339Nano)
}

// timeLayouts are the date and timestamp forms recognized in text, most common
// first. Values without a zone are UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006/01/02 15:04",
	"2006/01/02 15:04:05",
	"2006/01/02",
	"2006-01-02 15:04:05Z07:00",
}

// parseTime reads a date or timestamp as Unix seconds. hint is the layout that
// worked last time (tried first); the layout that worked is returned.
func parseTime(s, hint string) (sec float64, layout string, ok bool) {
	// Cheap rejection: every layout starts with a four-digit year and a separator.
	if len(s) < 10 || s[4] != '-' && s[4] != '/' || !isDigit(s[0]) || !isDigit(s[3]) {
		return 0, "", false
	}
	if hint != "" {
		if t, err := time.Parse(hint, s); err == nil {
			return unixSeconds(t), hint, true
		}
	}
	for _, l := range timeLayouts {
		if l == hint {
			continue
		}
		if t, err := time.Parse(l, s); err == nil {
			return unixSeconds(t), l, true
		}
	}
	return 0, "", false
}

func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// parseNumber reads a decimal number. Unlike strconv.ParseFloat it rejects hex and
// underscores, which in data files are text, not numbers.
func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	if c := s[0]; !isDigit(c) && c != '-' && c != '+' && c != '.' && c != 'N' && c != 'n' && c != 'I' && c != 'i' {
		return 0, false
	}
	if strings.ContainsAny(s, "xX_") {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of range numbers are numbers all the same (±Inf).
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// parseBool reads the spellings of a boolean accepted for boolean features.
func parseBool(s string) (v float64, ok bool) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return 1, true
	case "false", "f", "no", "n", "0":
		return 0, true
	}
	return 0, false
}

// isBoolWord reports whether s is true or false in any case: the only texts that
// make an inferred column boolean (1 and 0 make it a number column).
func isBoolWord(s string) (float64, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return 1, true
	case strings.EqualFold(s, "false"):
		return 0, true
	}
	return 0, false
}

// timeText prints Unix seconds in a time layout, in UTC.
func timeText(sec float64, layout string) string {
	if layout == "" {
		return formatTime(sec)
	}
	whole := math.Floor(sec)
	return time.Unix(int64(whole), int64(math.Round((sec-whole)*1e6))*1e3).UTC().Format(layout)
}
