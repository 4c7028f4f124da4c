// Package dataset reads tables into columns, checks them against a Dataset spec,
// splits them into train and eval rows, and writes them back out.
//
// # Frames
//
// A [Frame] is a table held as columns: Number columns of float64 (integers,
// booleans as 0/1, and timestamps as Unix seconds with [Column.Time] set) and
// Category columns of dictionary codes into levels. Nulls are marked in a mask.
// Trainers, evaluators and drift tests all take frames.
//
// # Reading
//
// [ReadFile] reads CSV, Parquet and JSON Lines (also a JSON array of objects),
// choosing the format from [ReadOptions].Format or the file's extension. The
// Dataset's features fix column types when given; otherwise types are inferred:
// a column whose values all read as numbers is Number, true/false is a boolean,
// dates and RFC 3339 times are times, anything else is Category. Empty fields,
// NA, N/A, null and NULL are nulls. Errors name the file and line (or row) and
// the column: data.csv:17: column "distance": "abc" is not a number.
//
// Parquet files are read a row group at a time on every CPU, straight from the
// column chunks into columns allocated once at their final size; dictionary
// strings become codes without a Go string per row. CSV and JSON are read as
// streams. Reading the 3-million-row flights file takes about 0.6 s of CPU and
// allocates 160 MB for 96 MB of columns (BenchmarkReadFlights3M).
//
// # Checking, splitting, digests
//
// [Check] compares a frame with a Dataset's features (types, ranges, allowed
// values, nulls, NaN and Inf) and returns a [CheckReport] to render or to stop
// on. [Split] divides rows by a seeded fraction or by ranges of a column (time
// splits). [Digest] is the sha256 of a file's bytes, the dataset's identity in
// run records.
//
// # Writing
//
// [WriteFile] writes CSV, JSON Lines or Parquet by extension, for exec trainers
// that read their train and eval splits from files.
package dataset
