package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ferryml/ferry/spec"
)

// ReadJSONL reads JSON Lines, one object per line, each key a column. It also
// reads a file holding one JSON array of objects (as vega-datasets ships them).
// Missing keys and null are nulls, and so are the strings NA, N/A, null and "".
func ReadJSONL(r io.Reader, opts ReadOptions) (*Frame, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	// Skip a byte-order mark and leading space to see whether this is an array.
	first, err := peekNonSpace(br)
	if err == io.EOF {
		return nil, &ParseError{File: opts.Name, Err: ErrEmpty}
	}
	if err != nil {
		return nil, fmt.Errorf("read dataset %s: %w", opts.Name, err)
	}
	t := newTable(opts)
	if first == '[' {
		err = t.readArray(br)
	} else {
		err = t.readLines(br)
	}
	if err != nil {
		return nil, err
	}
	return t.frame()
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// table collects the columns of a JSON file in the order their keys first appear.
type table struct {
	opts     ReadOptions
	types    map[string]spec.FeatureType
	cols     map[string]*builder
	order    []*builder
	selected map[string]bool // nil: every key
	keys     []string        // every key seen, in order, for error messages
	seen     map[string]bool
	rows     int
}

func newTable(opts ReadOptions) *table {
	t := &table{opts: opts, cols: map[string]*builder{}, types: featureTypes(opts.Features), seen: map[string]bool{}}
	if len(opts.Columns) > 0 {
		t.selected = map[string]bool{}
		for _, c := range opts.Columns {
			t.selected[c] = true
		}
	}
	return t
}

func (t *table) readLines(br *bufio.Reader) error {
	line := 0
	var buf []byte
	for {
		buf = buf[:0]
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			buf = append(buf, chunk...)
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if len(buf) > 0 {
			line++
			if len(bytes.TrimSpace(buf)) > 0 {
				if perr := t.readLine(buf, line); perr != nil {
					return perr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read dataset %s: %w", t.opts.Name, err)
		}
	}
}

func (t *table) readLine(data []byte, line int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	col, err := t.readObject(dec)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("more than one JSON value on the line")
		}
	}
	if err != nil {
		return &ParseError{File: t.opts.Name, Line: line, Column: col, Err: err}
	}
	return nil
}

func (t *table) readArray(br *bufio.Reader) error {
	dec := json.NewDecoder(br)
	dec.UseNumber()
	fail := func(col string, err error) error {
		return &ParseError{File: t.opts.Name, Row: t.rows + 1, Column: col, Err: jsonErr(err)}
	}
	if _, err := dec.Token(); err != nil { // '['
		return fail("", err)
	}
	for dec.More() {
		if col, err := t.readObject(dec); err != nil {
			return fail(col, err)
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return fail("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &ParseError{File: t.opts.Name, Err: errors.New("data after the closing ]")}
	}
	return nil
}

// readObject reads one object as the next row. On error it returns the column
// the error is about, if any.
func (t *table) readObject(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", jsonErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", fmt.Errorf("want a JSON object, found %s", describe(tok))
	}
	row := t.rows
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", jsonErr(err)
		}
		key := tok.(string) // object keys are always strings
		if !t.seen[key] {
			t.seen[key] = true
			t.keys = append(t.keys, key)
		}
		if t.selected != nil && !t.selected[key] {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return key, jsonErr(err)
			}
			continue
		}
		b := t.column(key)
		if b.n > row {
			return key, errors.New("key appears twice in the object")
		}
		for b.n < row {
			b.addNull()
		}
		val, err := dec.Token()
		if err != nil {
			return "", jsonErr(err)
		}
		switch v := val.(type) {
		case nil:
			b.addNull()
		case json.Number:
			err = b.add(v.String(), kNumber)
		case bool:
			s := "false"
			if v {
				s = "true"
			}
			err = b.add(s, kBool)
		case string:
			err = b.add(v, kString)
		case json.Delim:
			err = errNested
		}
		if err != nil {
			return key, err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return "", jsonErr(err)
	}
	t.rows++
	for _, b := range t.order {
		for b.n < t.rows {
			b.addNull()
		}
	}
	return "", nil
}

func (t *table) column(key string) *builder {
	b := t.cols[key]
	if b == nil {
		b = newBuilder(key, t.types[key])
		t.cols[key] = b
		t.order = append(t.order, b)
	}
	return b
}

func (t *table) frame() (*Frame, error) {
	f := &Frame{Rows: t.rows}
	if t.selected == nil {
		for _, b := range t.order {
			f.Columns = append(f.Columns, b.column())
		}
		return f, nil
	}
	var missing []string
	for _, name := range t.opts.Columns {
		b := t.cols[name]
		if b == nil {
			missing = append(missing, name)
			continue
		}
		if f.Col(name) == nil {
			f.Columns = append(f.Columns, b.column())
		}
	}
	if missing != nil {
		return nil, missingColumns(t.opts.Name, missing, t.keys)
	}
	return f, nil
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return string(v)
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

// jsonErr drops encoding/json's offsets, which mean little next to a line number.
func jsonErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("unexpected end of JSON")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errors.New(strings.TrimPrefix(se.Error(), "json: "))
	}
	return err
}
