package drift

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/ferryml/ferry/dataset"
)

// minRowsForID is the fewest non-null values that make a unique-per-row
// column look like an identifier; below it every value is unique anyway.
const minRowsForID = 20

// timeName matches column names that hold timestamps.
var timeName = regexp.MustCompile(`(?i)(^|[_\-.])(date|time|timestamp|datetime|ts)$|(^|[_\-.])(created|updated)?_?at$`)

// Unix seconds between 1980 and 2100: integral numbers in this range in a
// column named like a time are timestamps.
const minEpoch, maxEpoch = 315532800, 4102444800

// SelectFeatures picks the columns of ref to compare. Named columns are
// taken as they are (an unknown name is an error). Otherwise every column
// is a feature except those that look like identifiers — every non-null
// value distinct, for strings and integers — or timestamps (a column read
// from timestamps or dates, or named like one); each exclusion is returned
// as a note.
func SelectFeatures(ref *dataset.Frame, named []string) (features, notes []string, err error) {
	if len(named) > 0 {
		var missing []string
		for _, n := range named {
			if ref.Col(n) == nil {
				missing = append(missing, fmt.Sprintf("%q", n))
			}
		}
		if len(missing) > 0 {
			return nil, nil, fmt.Errorf("no column %s in the reference (have %s)", strings.Join(missing, ", "), strings.Join(ref.Names(), ", "))
		}
		return slices.Clone(named), nil, nil
	}
	for _, c := range ref.Columns {
		if why := excluded(c); why != "" {
			notes = append(notes, fmt.Sprintf("column %s left out: %s (name it in --features to compare it)", c.Name, why))
			continue
		}
		features = append(features, c.Name)
	}
	return features, notes, nil
}

// excluded says why a column is not a feature by default, or "".
func excluded(c *dataset.Column) string {
	if c.Type == dataset.Number && (c.Time || (timeName.MatchString(c.Name) && looksLikeEpoch(c))) {
		return "looks like a timestamp"
	}
	if c.Type == dataset.Category && timeName.MatchString(c.Name) {
		return "looks like a timestamp"
	}
	if uniquePerRow(c) {
		return "looks like an identifier (a distinct value in every row)"
	}
	return ""
}

func looksLikeEpoch(c *dataset.Column) bool {
	n := 0
	for i, v := range c.Floats {
		if c.IsNull(i) || math.IsNaN(v) {
			continue
		}
		if v < minEpoch || v > maxEpoch || v != math.Trunc(v) {
			return false
		}
		n++
	}
	return n > 0
}

func uniquePerRow(c *dataset.Column) bool {
	if c.Type == dataset.Category {
		counts := levelCounts(c)
		n := 0
		for _, k := range counts {
			if k > 1 {
				return false
			}
			n += int(k)
		}
		return n >= minRowsForID
	}
	seen := make(map[float64]struct{}, len(c.Floats))
	for i, v := range c.Floats {
		if c.IsNull(i) || math.IsNaN(v) {
			continue
		}
		if v != math.Trunc(v) {
			return false // measurements, not identifiers
		}
		if _, dup := seen[v]; dup {
			return false
		}
		seen[v] = struct{}{}
	}
	return len(seen) >= minRowsForID
}
