package eval

import (
	"cmp"
	"slices"
)

// DefaultTopSegments is how many values of a segment column get their own metrics;
// the remaining rows go into OtherSegment.
const DefaultTopSegments = 20

// OtherSegment and NullSegment name the groups of the remaining and the null rows.
const (
	OtherSegment = "other"
	NullSegment  = "(null)"
)

// Group is the rows that share one value of a segment column.
type Group struct {
	Value string
	Rows  []int
}

// TopGroups groups rows by codes[i], an index into names or -1 for null. The k
// largest groups (ties broken by name) come first, largest first; the rows of all
// other values form a last group named OtherSegment. Nulls are a group of their own
// named NullSegment. k <= 0 means DefaultTopSegments.
func TopGroups(codes []int32, names []string, k int) []Group {
	if k <= 0 {
		k = DefaultTopSegments
	}
	counts := make([]int, len(names)+1) // last slot: null
	for _, c := range codes {
		if c < 0 {
			counts[len(names)]++
		} else {
			counts[c]++
		}
	}
	nameOf := func(i int) string {
		if i == len(names) {
			return NullSegment
		}
		return names[i]
	}
	idx := make([]int, 0, len(counts))
	for i, n := range counts {
		if n > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(nameOf(a), nameOf(b))
	})
	slot := make([]int, len(counts)) // group index per code
	var groups []Group
	for rank, i := range idx {
		if rank < k {
			slot[i] = len(groups)
			groups = append(groups, Group{Value: nameOf(i), Rows: make([]int, 0, counts[i])})
			continue
		}
		if rank == k {
			other := OtherSegment
			for _, g := range groups {
				if g.Value == OtherSegment {
					other = "(" + OtherSegment + ")"
				}
			}
			rest := 0
			for _, j := range idx[k:] {
				rest += counts[j]
			}
			groups = append(groups, Group{Value: other, Rows: make([]int, 0, rest)})
		}
		slot[i] = len(groups) - 1
	}
	for row, c := range codes {
		i := int(c)
		if c < 0 {
			i = len(names)
		}
		g := &groups[slot[i]]
		g.Rows = append(g.Rows, row)
	}
	return groups
}
