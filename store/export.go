package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/ferryml/ferry/dataset"
)

// Frame reads the rows f selects into a table: time (RFC 3339), deployment,
// version, request_id, row and latency_ms, then one column per input and one
// per output prefixed "out_". An array value spreads over columns NAME_0,
// NAME_1, ...; numbers and booleans (as 0/1) make Number columns, strings
// Category columns. Input columns keep the model's input names, so an export
// is a dataset the drift tests can compare with the training data.
func (db *DB) Frame(ctx context.Context, f Filter) (*dataset.Frame, error) {
	t := newTable()
	t.col("time", dataset.Category)
	t.col("deployment", dataset.Category)
	t.col("version", dataset.Number)
	t.col("request_id", dataset.Category)
	t.col("row", dataset.Number)
	t.col("latency_ms", dataset.Number)
	rows := 0
	err := db.Scan(ctx, f, func(p *Prediction) error {
		t.setText("time", rows, p.Time.UTC().Format(time.RFC3339Nano))
		t.setText("deployment", rows, p.Deployment)
		t.setText("request_id", rows, p.RequestID)
		t.setNum("version", rows, float64(p.Version))
		t.setNum("row", rows, float64(p.Row))
		t.setNum("latency_ms", rows, p.LatencyMs)
		if err := t.spread("", p.Inputs, rows); err != nil {
			return fmt.Errorf("row %d inputs: %w", rows, err)
		}
		if err := t.spread("out_", p.Outputs, rows); err != nil {
			return fmt.Errorf("row %d outputs: %w", rows, err)
		}
		rows++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export predictions: %w", err)
	}
	return t.frame(rows), nil
}

// table grows columns as new keys appear; cells not set are null.
type table struct {
	cols  []*dataset.Column
	index map[string]int
	codes []map[string]int32
}

func newTable() *table { return &table{index: map[string]int{}} }

func (t *table) col(name string, typ dataset.ColumnType) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	t.index[name] = len(t.cols)
	t.cols = append(t.cols, &dataset.Column{Name: name, Type: typ})
	t.codes = append(t.codes, map[string]int32{})
	return len(t.cols) - 1
}

func (t *table) setNum(name string, row int, v float64) {
	c := t.cols[t.col(name, dataset.Number)]
	if c.Type != dataset.Number {
		t.setText(name, row, strconv.FormatFloat(v, 'g', -1, 64))
		return
	}
	for len(c.Floats) < row {
		c.Floats = append(c.Floats, math.NaN())
	}
	c.Floats = append(c.Floats, v)
}

func (t *table) setText(name string, row int, s string) {
	i := t.col(name, dataset.Category)
	c := t.cols[i]
	if c.Type == dataset.Number {
		t.toCategory(i)
	}
	for len(c.Codes) < row {
		c.Codes = append(c.Codes, -1)
	}
	code, ok := t.codes[i][s]
	if !ok {
		code = int32(len(c.Levels))
		c.Levels = append(c.Levels, s)
		t.codes[i][s] = code
	}
	c.Codes = append(c.Codes, code)
}

// toCategory turns a Number column that met a string into text.
func (t *table) toCategory(i int) {
	c := t.cols[i]
	c.Type = dataset.Category
	for _, v := range c.Floats {
		if math.IsNaN(v) {
			c.Codes = append(c.Codes, -1)
			continue
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		code, ok := t.codes[i][s]
		if !ok {
			code = int32(len(c.Levels))
			c.Levels = append(c.Levels, s)
			t.codes[i][s] = code
		}
		c.Codes = append(c.Codes, code)
	}
	c.Floats = nil
}

// spread sets the columns of one JSON object of tensor values.
func (t *table) spread(prefix string, obj json.RawMessage, row int) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable column order
	for _, k := range keys {
		v := m[k]
		if arr, ok := v.([]any); ok {
			for j, e := range flatten(arr, nil) {
				t.set(prefix+k+"_"+strconv.Itoa(j), row, e)
			}
			continue
		}
		t.set(prefix+k, row, v)
	}
	return nil
}

func flatten(arr []any, out []any) []any {
	for _, e := range arr {
		if a, ok := e.([]any); ok {
			out = flatten(a, out)
		} else {
			out = append(out, e)
		}
	}
	return out
}

func (t *table) set(name string, row int, v any) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			t.setText(name, row, x.String())
			return
		}
		t.setNum(name, row, f)
	case bool:
		if x {
			t.setNum(name, row, 1)
		} else {
			t.setNum(name, row, 0)
		}
	case string:
		t.setText(name, row, x)
	case nil:
		t.setNum(name, row, math.NaN())
	default:
		b, _ := json.Marshal(x)
		t.setText(name, row, string(b))
	}
}

// frame pads every column to rows and marks nulls.
func (t *table) frame(rows int) *dataset.Frame {
	f := &dataset.Frame{Rows: rows}
	for _, c := range t.cols {
		if c.Type == dataset.Number {
			for len(c.Floats) < rows {
				c.Floats = append(c.Floats, math.NaN())
			}
			for i, v := range c.Floats {
				if math.IsNaN(v) {
					if c.Null == nil {
						c.Null = make([]bool, rows)
					}
					c.Null[i] = true
				}
			}
		} else {
			for len(c.Codes) < rows {
				c.Codes = append(c.Codes, -1)
			}
			for i, k := range c.Codes {
				if k < 0 {
					if c.Null == nil {
						c.Null = make([]bool, rows)
					}
					c.Null[i] = true
				}
			}
		}
		f.Columns = append(f.Columns, c)
	}
	return f
}
