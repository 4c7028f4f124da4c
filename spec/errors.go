package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a problem at a position in a spec file. File is slash-separated and
// relative to the tree's root; Line and Col are 1-based, 0 when unknown.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
}

// Error formats the problem as "file:line:col: message", leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Col > 0 {
				fmt.Fprintf(&b, ":%d", e.Col)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorAt returns an Error at src with a formatted message.
func ErrorAt(src Source, format string, args ...any) *Error {
	return &Error{File: src.File, Line: src.Line, Col: src.Column, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList is a list of Errors, like go/scanner.ErrorList. Load returns it sorted.
type ErrorList []*Error

// Add appends an error at src.
func (l *ErrorList) Add(src Source, format string, args ...any) {
	*l = append(*l, ErrorAt(src, format, args...))
}

func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i], l[j]
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Col != b.Col {
		return a.Col < b.Col
	}
	return a.Msg < b.Msg
}

// Sort sorts the list by file, line, column and message, and drops exact duplicates.
func (l *ErrorList) Sort() {
	sort.Sort(*l)
	out := (*l)[:0]
	for i, e := range *l {
		if i > 0 && *e == *(*l)[i-1] {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// Error returns one line per error.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns nil for an empty list and the list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// String formats the position as "file:line:col".
func (s Source) String() string {
	return strings.TrimSuffix((&Error{File: s.File, Line: s.Line, Col: s.Column}).Error(), ": ")
}
