package dataset

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ferryml/ferry/spec"
)

// WriteCSV writes a frame as CSV with a header row. Nulls are empty fields,
// numbers are written in their shortest exact form and time columns as RFC 3339,
// so that ReadCSV reads back the same frame.
func WriteCSV(w io.Writer, f *Frame) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(f.Names()); err != nil {
		return err
	}
	rec := make([]string, len(f.Columns))
	for i := 0; i < f.Rows; i++ {
		for k, c := range f.Columns {
			rec[k] = c.Value(i)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONL writes a frame as JSON Lines, one object per row with the columns
// in order. Nulls, NaN and ±Inf are null (JSON has no NaN); time columns are
// RFC 3339 strings.
func WriteJSONL(w io.Writer, f *Frame) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	keys := make([][]byte, len(f.Columns))
	for k, c := range f.Columns {
		q, _ := json.Marshal(c.Name)
		keys[k] = append(q, ':')
	}
	var line []byte
	for i := 0; i < f.Rows; i++ {
		line = append(line[:0], '{')
		for k, c := range f.Columns {
			if k > 0 {
				line = append(line, ',')
			}
			line = append(line, keys[k]...)
			switch {
			case c.IsNull(i):
				line = append(line, "null"...)
			case c.Type == Category:
				q, _ := json.Marshal(c.String(i))
				line = append(line, q...)
			case math.IsNaN(c.Floats[i]) || math.IsInf(c.Floats[i], 0):
				line = append(line, "null"...)
			case c.Time:
				line = strconv.AppendQuote(line, formatTime(c.Floats[i]))
			default:
				line = appendFloat(line, c.Floats[i])
			}
		}
		line = append(line, '}', '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteParquet writes a frame as Parquet (zstd, dictionary-encoded strings, row
// groups of up to 256Ki rows). Number columns holding only integers are int64,
// time columns timestamp[µs], Category columns strings.
func WriteParquet(w io.Writer, f *Frame) error {
	fields := make([]arrow.Field, len(f.Columns))
	for k, c := range f.Columns {
		fields[k] = arrow.Field{Name: c.Name, Type: arrowType(c), Nullable: true}
	}
	sc := arrow.NewSchema(fields, nil)
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithDictionaryDefault(true), parquet.WithMaxRowGroupLength(1<<18),
		parquet.WithCreatedBy("ferry"))
	fw, err := pqarrow.NewFileWriter(sc, nopCloser{w}, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	const batch = 1 << 16
	for lo := 0; lo < f.Rows || lo == 0; lo += batch {
		hi := min(lo+batch, f.Rows)
		for k, c := range f.Columns {
			appendArrow(b.Field(k), c, lo, hi)
		}
		rec := b.NewRecordBatch()
		err := fw.WriteBuffered(rec)
		rec.Release()
		if err != nil {
			fw.Close()
			return err
		}
		if f.Rows == 0 {
			break
		}
	}
	return fw.Close()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func arrowType(c *Column) arrow.DataType {
	switch {
	case c.Type == Category:
		return arrow.BinaryTypes.String
	case c.Time:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case integral(c):
		return arrow.PrimitiveTypes.Int64
	}
	return arrow.PrimitiveTypes.Float64
}

// integral reports whether every value of a Number column is an integer that
// float64 holds exactly.
func integral(c *Column) bool {
	for i, v := range c.Floats {
		if c.IsNull(i) {
			continue
		}
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return false
		}
	}
	return true
}

func appendArrow(b array.Builder, c *Column, lo, hi int) {
	switch b := b.(type) {
	case *array.StringBuilder:
		for i := lo; i < hi; i++ {
			if c.Codes[i] < 0 {
				b.AppendNull()
			} else {
				b.Append(c.Levels[c.Codes[i]])
			}
		}
	case *array.TimestampBuilder:
		for i := lo; i < hi; i++ {
			if c.IsNull(i) || math.IsNaN(c.Floats[i]) {
				b.AppendNull()
			} else {
				b.Append(arrow.Timestamp(math.Round(c.Floats[i] * 1e6)))
			}
		}
	case *array.Int64Builder:
		for i := lo; i < hi; i++ {
			if c.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(int64(c.Floats[i]))
			}
		}
	case *array.Float64Builder:
		for i := lo; i < hi; i++ {
			if c.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(c.Floats[i])
			}
		}
	}
}

// WriteFile writes a frame to a file in the format its extension names (.csv,
// .jsonl/.ndjson/.json, .parquet). The file is written in full or not at all: a
// temporary file in the same folder is renamed over path at the end.
func WriteFile(path string, f *Frame) (err error) {
	var write func(io.Writer, *Frame) error
	switch FormatOf(path) {
	case spec.FormatCSV:
		write = WriteCSV
	case spec.FormatJSONL:
		write = WriteJSONL
	case spec.FormatParquet:
		write = WriteParquet
	default:
		return fmt.Errorf("write dataset %s: unknown format (want .csv, .jsonl or .parquet)", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ferry-*.tmp")
	if err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := write(bw, f); err != nil {
		return fmt.Errorf("write dataset %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write dataset %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write dataset %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	return nil
}
