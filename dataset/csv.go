package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ReadCSV reads CSV with a header row, streaming: memory holds the columns being
// built, not the text. Empty fields, NA, N/A, null and NULL are nulls.
func ReadCSV(r io.Reader, opts ReadOptions) (*Frame, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3) // a byte-order mark, as Excel writes
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{File: opts.Name, Err: fmt.Errorf("%w: no header row", ErrEmpty)}
	}
	if err != nil {
		return nil, csvError(opts.Name, err)
	}
	names := make([]string, len(header))
	seen := make(map[string]int, len(header))
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, &ParseError{File: opts.Name, Line: 1, Err: fmt.Errorf("header field %d: invalid UTF-8", i+1)}
		}
		if h == "" {
			h = fmt.Sprintf("column%d", i+1) // pandas writes its index with no name
		}
		if j, dup := seen[h]; dup {
			return nil, &ParseError{File: opts.Name, Line: 1, Err: fmt.Errorf("column %q appears twice (fields %d and %d)", h, j+1, i+1)}
		}
		seen[h] = i
		names[i] = h
	}

	// field index → builder; nil for columns not selected.
	types := featureTypes(opts.Features)
	builders := make([]*builder, len(names))
	var order []*builder
	if len(opts.Columns) == 0 {
		for i, n := range names {
			builders[i] = newBuilder(n, types[n])
			order = append(order, builders[i])
		}
	} else {
		var missing []string
		for _, n := range opts.Columns {
			i, ok := seen[n]
			if !ok {
				missing = append(missing, n)
				continue
			}
			if builders[i] == nil {
				builders[i] = newBuilder(n, types[n])
				order = append(order, builders[i])
			}
		}
		if missing != nil {
			return nil, missingColumns(opts.Name, missing, names)
		}
	}

	cr.FieldsPerRecord = len(header)
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(opts.Name, err)
		}
		for i, field := range rec {
			b := builders[i]
			if b == nil {
				continue
			}
			if !utf8.ValidString(field) {
				line, _ := cr.FieldPos(i)
				return nil, &ParseError{File: opts.Name, Line: line, Column: b.name, Err: errors.New("invalid UTF-8")}
			}
			if err := b.add(field, kText); err != nil {
				line, _ := cr.FieldPos(i)
				return nil, &ParseError{File: opts.Name, Line: line, Column: b.name, Err: err}
			}
		}
		rows++
	}
	f := &Frame{Rows: rows, Columns: make([]*Column, len(order))}
	for k, b := range order {
		f.Columns[k] = b.column()
	}
	return f, nil
}

// csvError turns encoding/csv's errors into ParseErrors with the file name.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		e := pe.Err
		if errors.Is(e, csv.ErrFieldCount) {
			e = errors.New("wrong number of fields")
		}
		return &ParseError{File: name, Line: pe.Line, Err: e}
	}
	return fmt.Errorf("read dataset %s: %w", name, err)
}
