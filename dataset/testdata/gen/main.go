// Command gen makes the Parquet, CSV and JSONL fixtures in dataset/testdata from
// vega-datasets' flights-3m.parquet, using arrow-go directly so that the fixtures
// do not depend on the reader they test.
//
//	go run ./dataset/testdata/gen -data "$(scripts/vega-data.sh)" -out dataset/testdata
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func main() {
	data := flag.String("data", "", "folder holding flights-3m.parquet (scripts/vega-data.sh)")
	out := flag.String("out", "dataset/testdata", "output folder")
	every := flag.Int("every", 3000, "keep every n-th row")
	flag.Parse()
	if err := run(*data, *out, *every); err != nil {
		log.Fatal(err)
	}
}

type flight struct {
	date                time.Time
	delay, distance     int64
	origin, destination string
}

func run(data, out string, every int) error {
	rows, err := sample(filepath.Join(data, "flights-3m.parquet"), every)
	if err != nil {
		return err
	}
	if err := writeParquet(filepath.Join(out, "flights-1k.parquet"), rows); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(out, "flights-1k.csv"), rows); err != nil {
		return err
	}
	if err := writeJSONL(filepath.Join(out, "flights-1k.jsonl"), rows); err != nil {
		return err
	}
	if err := writeNulls(filepath.Join(out, "nulls.parquet")); err != nil {
		return err
	}
	return writeTypes(filepath.Join(out, "types.parquet"))
}

// sample keeps every n-th row of the flights file.
func sample(path string, every int) ([]flight, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 1<<16)
	defer tr.Release()
	var rows []flight
	i := 0
	for tr.Next() {
		rec := tr.Record()
		date := rec.Column(0).(*array.Timestamp)
		delay := rec.Column(1).(*array.Int64)
		dist := rec.Column(2).(*array.Int64)
		str := func(a arrow.Array, j int) string {
			switch a := a.(type) {
			case *array.String:
				return a.Value(j)
			case *array.LargeString:
				return a.Value(j)
			}
			panic(fmt.Sprintf("unexpected %T", a))
		}
		for j := 0; j < int(rec.NumRows()); j++ {
			if i%every == 0 {
				rows = append(rows, flight{
					date:        time.UnixMicro(int64(date.Value(j))).UTC(),
					delay:       delay.Value(j),
					distance:    dist.Value(j),
					origin:      str(rec.Column(3), j),
					destination: str(rec.Column(4), j),
				})
			}
			i++
		}
	}
	return rows, tr.Err()
}

// writeParquet writes the rows as the original is written: timestamp[us], int64,
// dictionary-encoded strings, zstd; in row groups of 250 so that readers meet
// several row groups with different dictionaries.
func writeParquet(path string, rows []flight) error {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "date", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "delay", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "distance", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "origin", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "destination", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r.date.UnixMicro()))
		b.Field(1).(*array.Int64Builder).Append(r.delay)
		b.Field(2).(*array.Int64Builder).Append(r.distance)
		b.Field(3).(*array.StringBuilder).Append(r.origin)
		b.Field(4).(*array.StringBuilder).Append(r.destination)
	}
	rec := b.NewRecord()
	defer rec.Release()
	return writeRecord(path, rec, 250, true)
}

func writeRecord(path string, rec arrow.Record, rowGroup int64, dict bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithDictionaryDefault(dict), parquet.WithMaxRowGroupLength(rowGroup),
		parquet.WithCreatedBy("ferry dataset/testdata/gen"))
	w, err := pqarrow.NewFileWriter(rec.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return err
	}
	tbl := array.NewTableFromRecords(rec.Schema(), []arrow.Record{rec})
	defer tbl.Release()
	if err := w.WriteTable(tbl, rowGroup); err != nil {
		w.Close()
		return err
	}
	return w.Close() // closes f
}

func writeCSV(path string, rows []flight) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"date", "delay", "distance", "origin", "destination"})
	for _, r := range rows {
		w.Write([]string{r.date.Format("2006-01-02 15:04"), strconv.FormatInt(r.delay, 10),
			strconv.FormatInt(r.distance, 10), r.origin, r.destination})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeJSONL(path string, rows []flight) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range rows {
		// Keys in file order, the date as vega-datasets writes it in its JSON files.
		obj := struct {
			Date        string `json:"date"`
			Delay       int64  `json:"delay"`
			Distance    int64  `json:"distance"`
			Origin      string `json:"origin"`
			Destination string `json:"destination"`
		}{r.date.Format("2006/01/02 15:04"), r.delay, r.distance, r.origin, r.destination}
		if err := enc.Encode(obj); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// writeNulls writes six rows with a null in every column somewhere, in every
// type the reader converts: int64, double, bool, string, timestamp[ms], date32.
func writeNulls(path string) error {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "t", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	i := b.Field(0).(*array.Int64Builder)
	x := b.Field(1).(*array.Float64Builder)
	bo := b.Field(2).(*array.BooleanBuilder)
	s := b.Field(3).(*array.StringBuilder)
	t := b.Field(4).(*array.TimestampBuilder)
	d := b.Field(5).(*array.Date32Builder)
	i.AppendValues([]int64{1, 0, 3, 4, 5, 6}, []bool{true, false, true, true, true, true})
	x.AppendValues([]float64{1.5, 2.5, 0, 4.5, 5.5, 6.5}, []bool{true, true, false, true, true, true})
	bo.AppendValues([]bool{true, false, true, false, true, false}, []bool{true, true, true, false, true, true})
	s.AppendValues([]string{"a", "b", "a", "c", "", "b"}, []bool{true, true, true, true, false, true})
	t.AppendValues([]arrow.Timestamp{978307200000, 978307201500, 0, 978393600000, 978480000000, 978566400000},
		[]bool{true, true, true, true, true, false})
	d.AppendValues([]arrow.Date32{11323, 11324, 11325, 11326, 0, 11328}, []bool{true, true, true, true, false, true})
	rec := b.NewRecord()
	defer rec.Release()
	return writeRecord(path, rec, 4, true)
}

// writeTypes writes three rows of the less common types: decimals (read through
// pqarrow), unsigned and small integers, float32, binary, and a list column that
// the reader refuses unless it is left out; plain-encoded, where the others use
// dictionaries.
func writeTypes(path string) error {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}, Nullable: true},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: false},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "list", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	valid := []bool{true, false, true}
	b.Field(0).(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.FromI64(125), {}, decimal128.FromI64(-350)}, valid)
	b.Field(1).(*array.Uint32Builder).AppendValues([]uint32{4000000000, 0, 7}, valid)
	b.Field(2).(*array.Uint64Builder).AppendValues([]uint64{1 << 63, 0, 9}, valid)
	b.Field(3).(*array.Int8Builder).AppendValues([]int8{-5, 0, 127}, valid)
	b.Field(4).(*array.Float32Builder).AppendValues([]float32{1.5, -0.25, 3}, nil)
	b.Field(5).(*array.BinaryBuilder).AppendValues([][]byte{[]byte("ab"), nil, []byte("ab")}, valid)
	lb := b.Field(6).(*array.ListBuilder)
	for i := 0; i < 3; i++ {
		lb.Append(true)
		lb.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{int64(i), int64(i + 1)}, nil)
	}
	rec := b.NewRecord()
	defer rec.Release()
	return writeRecord(path, rec, 3, false) // plain encoding, no dictionaries
}
