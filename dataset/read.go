package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/spec"
)

// ReadOptions says how to read a dataset file. The zero value reads every column
// of a file whose format follows from its extension, inferring column types.
type ReadOptions struct {
	// Format of the file; empty means from the extension (FormatOf).
	Format spec.Format
	// Features fix the types of the columns they name: number, integer and boolean
	// columns are read as Number, category columns as Category. A value that does
	// not fit is an error. Columns without a feature are inferred.
	Features []spec.Feature
	// Columns selects the columns to read, in this order; empty reads all of them.
	// Naming a column the file does not have is an error.
	Columns []string
	// Name is the file name used in error messages. ReadFile sets it to the path.
	Name string
}

// ParseError is an error about the content of a dataset file, with its position:
// "data.csv:17: column "distance": "abc" is not a number".
type ParseError struct {
	File string
	// Line is the 1-based line of a text file, 0 when there is none.
	Line int
	// Row is the 1-based data row, used where there are no lines (Parquet, JSON
	// arrays).
	Row int
	// Column names the column the error is about, "" when it is about none.
	Column string
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Line == 0 && e.Row > 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "column %s: ", strconv.Quote(e.Column))
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrEmpty is the error for an empty file.
var ErrEmpty = errors.New("empty file")

// FormatOf returns the format that a file's extension names: .csv, .parquet (.pq),
// .jsonl (.ndjson, .json); "" when it names none.
func FormatOf(path string) spec.Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return spec.FormatCSV
	case ".parquet", ".pq":
		return spec.FormatParquet
	case ".jsonl", ".ndjson", ".json":
		return spec.FormatJSONL
	}
	return ""
}

// ReadFile reads a CSV, Parquet or JSONL file into a Frame.
func ReadFile(path string, opts ReadOptions) (*Frame, error) {
	if opts.Name == "" {
		opts.Name = path
	}
	format := opts.Format
	if format == "" {
		format = FormatOf(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	defer f.Close()
	switch format {
	case spec.FormatCSV:
		return ReadCSV(f, opts)
	case spec.FormatJSONL:
		return ReadJSONL(f, opts)
	case spec.FormatParquet:
		return ReadParquet(f, opts)
	case "":
		return nil, fmt.Errorf("read dataset %s: unknown format: name it with format (csv, parquet, jsonl) or use one of the extensions .csv, .parquet, .jsonl", path)
	}
	return nil, fmt.Errorf("read dataset %s: unknown format %q (want csv, parquet, jsonl)", path, format)
}

// featureTypes maps column names to their feature types.
func featureTypes(fs []spec.Feature) map[string]spec.FeatureType {
	m := make(map[string]spec.FeatureType, len(fs))
	for _, f := range fs {
		m[f.Name] = f.Type
	}
	return m
}

// missingColumns is the error for selected columns a file does not have.
func missingColumns(name string, missing, have []string) error {
	q := make([]string, len(missing))
	for i, m := range missing {
		q[i] = strconv.Quote(m)
	}
	return &ParseError{File: name, Err: fmt.Errorf("no column %s (have %s)", strings.Join(q, ", "), strings.Join(have, ", "))}
}
