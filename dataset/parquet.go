package dataset

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// ReadParquet reads a Parquet file one row group at a time, row groups in
// parallel (one worker per CPU), into columns allocated once at their final size.
// Only the selected columns are decoded. Strings become Codes and Levels without
// a string per row; timestamps and dates become Unix seconds.
func ReadParquet(r parquet.ReaderAtSeeker, opts ReadOptions) (f *Frame, err error) {
	// arrow-go can panic on corrupt data; that is bad input, not a crash.
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, &ParseError{File: opts.Name, Err: fmt.Errorf("corrupt parquet data: %v", p)}
		}
	}()
	pf, err := file.NewParquetReader(r)
	if err != nil {
		return nil, &ParseError{File: opts.Name, Err: parquetErr(err)}
	}
	defer pf.Close()
	md := pf.MetaData()
	root := md.Schema.Root()
	// A stored Arrow schema (Polars and pyarrow write one) makes pqarrow read
	// strings as large_string even when asked for dictionary indices, which costs
	// a copy of every string. Our column types come from the Parquet schema alone.
	for _, kv := range md.KeyValueMetadata() {
		if kv.Key == "ARROW:schema" {
			kv.Key = "ARROW:schema (not used)"
		}
	}

	var names []string
	for i := 0; i < root.NumFields(); i++ {
		names = append(names, root.Field(i).Name())
	}
	want := names
	if len(opts.Columns) > 0 {
		have := map[string]bool{}
		for _, n := range names {
			have[n] = true
		}
		var missing []string
		want = nil
		for _, n := range opts.Columns {
			if !have[n] {
				missing = append(missing, n)
			} else if !contains(want, n) {
				want = append(want, n)
			}
		}
		if missing != nil {
			return nil, missingColumns(opts.Name, missing, names)
		}
	}

	props := pqarrow.ArrowReadProperties{BatchSize: 1 << 16}
	leaves := make([]int, len(want))
	for k, n := range want {
		node := root.Field(root.FieldIndexByName(n))
		if _, ok := node.(*schema.PrimitiveNode); !ok {
			return nil, &ParseError{File: opts.Name, Column: n, Err: errors.New("nested columns are not supported; list the columns to read")}
		}
		leaves[k] = md.Schema.ColumnIndexByName(n)
		if md.Schema.Column(leaves[k]).PhysicalType() == parquet.Types.ByteArray {
			props.SetReadDict(leaves[k], true)
		}
	}
	fr, err := pqarrow.NewFileReader(pf, props, memory.DefaultAllocator)
	if err != nil {
		return nil, &ParseError{File: opts.Name, Err: parquetErr(err)}
	}

	asc, err := fr.Schema()
	if err != nil {
		return nil, &ParseError{File: opts.Name, Err: parquetErr(err)}
	}
	rows := int(md.NumRows)
	starts := make([]int, pf.NumRowGroups()+1)
	for g := 0; g < pf.NumRowGroups(); g++ {
		n := int(md.RowGroup(g).NumRows())
		if n < 0 {
			return nil, &ParseError{File: opts.Name, Err: fmt.Errorf("corrupt parquet metadata: row group %d has %d rows", g, n)}
		}
		starts[g+1] = starts[g] + n
	}
	if starts[len(starts)-1] != rows || rows < 0 {
		return nil, &ParseError{File: opts.Name, Err: fmt.Errorf("corrupt parquet metadata: row groups hold %d rows, footer says %d", starts[len(starts)-1], rows)}
	}
	cols := make([]*pqColumn, len(want))
	fields := make([]arrow.Field, len(want))
	var slow []int // leaves read through pqarrow, and their columns
	var slowCols []*pqColumn
	for k, n := range want {
		cols[k] = &pqColumn{Column: &Column{Name: n}, index: map[string]int32{}}
		fields[k] = asc.Field(root.FieldIndexByName(n))
		d := md.Schema.Column(leaves[k])
		cols[k].fast = fastOK(d.PhysicalType(), d.MaxRepetitionLevel(), fields[k].Type)
		cols[k].unsigned = fields[k].Type.ID() == arrow.UINT32 || fields[k].Type.ID() == arrow.UINT64
		if !cols[k].fast {
			slow = append(slow, leaves[k])
			slowCols = append(slowCols, cols[k])
		}
	}
	if err := setTypes(cols, arrow.NewSchema(fields, nil), rows); err != nil {
		if pe, ok := err.(*ParseError); ok {
			pe.File = opts.Name
			return nil, pe
		}
		return nil, &ParseError{File: opts.Name, Err: err}
	}

	// Row groups go to a fixed pool of workers; each decodes its row group's
	// columns into the shared output at that row group's offset.
	groups := make(chan int)
	errs := make([]error, pf.NumRowGroups())
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), pf.NumRowGroups())
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newScratch()
			for g := range groups {
				errs[g] = readRowGroup(pf, fr, g, starts[g], starts[g+1]-starts[g], cols, leaves, slow, slowCols, s)
			}
		}()
	}
	for g := 0; g < pf.NumRowGroups(); g++ {
		groups <- g
	}
	close(groups)
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			return nil, &ParseError{File: opts.Name, Err: fmt.Errorf("row group %d: %w", g, err)}
		}
	}

	f = &Frame{Rows: rows, Columns: make([]*Column, len(cols))}
	for k, c := range cols {
		f.Columns[k] = c.Column
	}
	if err := applyFeatures(f, opts); err != nil {
		return nil, err
	}
	return f, nil
}

// readRowGroup decodes row group g (n rows from row at) into the columns.
func readRowGroup(pf *file.Reader, fr *pqarrow.FileReader, g, at, n int, cols []*pqColumn, leaves, slow []int, slowCols []*pqColumn, s *scratch) (err error) {
	// arrow-go can panic on corrupt data; that is bad input, not a crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt parquet data: %v", p)
		}
	}()
	rg := pf.RowGroup(g)
	for k, c := range cols {
		if !c.fast {
			continue
		}
		cr, err := rg.Column(leaves[k])
		if err != nil {
			return parquetErr(err)
		}
		if err := c.readChunk(cr, at, n, s); err != nil {
			return err
		}
	}
	if len(slow) == 0 {
		return nil
	}
	tbl, err := fr.ReadRowGroups(context.Background(), slow, []int{g})
	if err != nil {
		return parquetErr(err)
	}
	defer tbl.Release()
	if int(tbl.NumRows()) != n {
		return fmt.Errorf("read %d rows, metadata says %d", tbl.NumRows(), n)
	}
	for k, c := range slowCols {
		pos := at
		for _, chunk := range tbl.Column(k).Data().Chunks() {
			if err := c.fill(chunk, pos); err != nil {
				return err
			}
			pos += chunk.Len()
		}
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// parquetErr trims arrow-go's prefixes from its errors.
func parquetErr(err error) error {
	msg := err.Error()
	for _, p := range []string{"parquet: ", "arrow/ipc: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return errors.New(msg)
}

// pqColumn is a column being filled by several workers. The mutex guards the
// dictionary and the allocation of the null mask; values are written to disjoint
// ranges without it.
type pqColumn struct {
	*Column
	mu       sync.Mutex
	index    map[string]int32
	unit     float64 // divisor from the stored unit to seconds, for time columns
	days     bool    // Date32: stored as days
	fast     bool    // decoded by readChunk rather than through pqarrow
	unsigned bool    // UINT32/UINT64 stored in signed physical types
}

// setTypes decides each column's type from the Arrow schema and allocates it.
func setTypes(cols []*pqColumn, s *arrow.Schema, rows int) error {
	for k, c := range cols {
		t := s.Field(k).Type
		if d, ok := t.(*arrow.DictionaryType); ok {
			t = d.ValueType
		}
		switch t := t.(type) {
		case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType,
			*arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
			c.Type = Category
			c.Codes = make([]int32, rows)
			c.Levels = []string{}
			continue
		case *arrow.TimestampType:
			c.Time = true
			c.unit = float64(time.Second / t.Unit.Multiplier())
		case *arrow.Date32Type:
			c.Time, c.days = true, true
		case *arrow.Date64Type:
			c.Time, c.unit = true, 1e3
		case *arrow.BooleanType, *arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type,
			*arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
			*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
			*arrow.Decimal128Type, *arrow.Decimal256Type:
		default:
			return &ParseError{Column: c.Name, Err: fmt.Errorf("type %s is not supported", t)}
		}
		c.Type = Number
		c.Floats = make([]float64, rows)
	}
	return nil
}

type valuer[T any] interface{ Values() []T }

func convert[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64](dst []float64, src []T) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// fill writes one Arrow array into the column at row offset at.
func (c *pqColumn) fill(a arrow.Array, at int) error {
	n := a.Len()
	if at+n > c.Len() {
		return fmt.Errorf("column %q: more rows than the metadata says", c.Name)
	}
	if c.Type == Category {
		if err := c.fillCodes(a, c.Codes[at:at+n]); err != nil {
			return err
		}
	} else {
		dst := c.Floats[at : at+n]
		switch a := a.(type) {
		case valuer[int64]:
			convert(dst, a.Values())
		case valuer[float64]:
			copy(dst, a.Values())
		case valuer[int32]:
			convert(dst, a.Values())
		case valuer[float32]:
			convert(dst, a.Values())
		case valuer[int16]:
			convert(dst, a.Values())
		case valuer[int8]:
			convert(dst, a.Values())
		case valuer[uint64]:
			convert(dst, a.Values())
		case valuer[uint32]:
			convert(dst, a.Values())
		case valuer[uint16]:
			convert(dst, a.Values())
		case valuer[uint8]:
			convert(dst, a.Values())
		case *array.Timestamp:
			for i, v := range a.Values() {
				dst[i] = float64(v) / c.unit
			}
		case *array.Date32:
			for i, v := range a.Values() {
				dst[i] = float64(v) * 86400
			}
		case *array.Date64:
			for i, v := range a.Values() {
				dst[i] = float64(v) / 1e3
			}
		case *array.Boolean:
			for i := range dst {
				if a.Value(i) {
					dst[i] = 1
				} else {
					dst[i] = 0
				}
			}
		case *array.Float16:
			for i, v := range a.Values() {
				dst[i] = float64(v.Float32())
			}
		case *array.Decimal128:
			scale := a.DataType().(*arrow.Decimal128Type).Scale
			for i := range dst {
				dst[i] = a.Value(i).ToFloat64(scale)
			}
		case *array.Decimal256:
			scale := a.DataType().(*arrow.Decimal256Type).Scale
			for i := range dst {
				dst[i] = a.Value(i).ToFloat64(scale)
			}
		default:
			return fmt.Errorf("column %q: Arrow type %s is not supported", c.Name, a.DataType())
		}
	}
	if a.NullN() > 0 {
		c.mu.Lock()
		if c.Null == nil {
			c.Null = make([]bool, c.Len())
		}
		c.mu.Unlock()
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				c.Null[at+i] = true
				if c.Type == Category {
					c.Codes[at+i] = -1
				} else {
					c.Floats[at+i] = math.NaN()
				}
			}
		}
	}
	return nil
}

// fillCodes maps a string array's values (or a dictionary array's indices) to the
// column's codes, merging each chunk's dictionary into the column's levels.
func (c *pqColumn) fillCodes(a arrow.Array, dst []int32) error {
	dict, ok := a.(*array.Dictionary)
	if !ok {
		// Plain strings: map every value.
		c.mu.Lock()
		defer c.mu.Unlock()
		for i := range dst {
			if a.IsNull(i) {
				dst[i] = -1
				continue
			}
			dst[i] = c.code(stringAt(a, i))
		}
		return nil
	}
	values := dict.Dictionary()
	remap := make([]int32, values.Len())
	c.mu.Lock()
	for j := range remap {
		remap[j] = c.code(stringAt(values, j))
	}
	c.mu.Unlock()
	switch idx := dict.Indices().(type) {
	case valuer[int32]:
		for i, v := range idx.Values() {
			if uint(v) < uint(len(remap)) {
				dst[i] = remap[v]
			} else {
				dst[i] = -1 // a null's slot holds anything
			}
		}
	default:
		for i := range dst {
			if dict.IsNull(i) {
				dst[i] = -1
				continue
			}
			v := dict.GetValueIndex(i)
			if v < 0 || v >= len(remap) {
				return fmt.Errorf("column %q: dictionary index %d out of range", c.Name, v)
			}
			dst[i] = remap[v]
		}
	}
	return nil
}

// code returns the level code of s, adding it to the levels. c.mu must be held.
func (c *pqColumn) code(s string) int32 {
	k, ok := c.index[s]
	if !ok {
		s = strings.Clone(s) // s may point into an Arrow buffer
		k = int32(len(c.Levels))
		c.Levels = append(c.Levels, s)
		c.index[s] = k
	}
	return k
}

func stringAt(a arrow.Array, i int) string {
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.StringView:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	case *array.LargeBinary:
		return string(a.Value(i))
	case *array.BinaryView:
		return string(a.Value(i))
	case *array.FixedSizeBinary:
		return string(a.Value(i))
	}
	return a.ValueStr(i)
}
