package dataset_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

// Readers meet files from anywhere: whatever the bytes, they return a whole
// frame or an error, and never panic.

func checkFrame(t *testing.T, f *dataset.Frame, err error) {
	if err != nil {
		return
	}
	for _, c := range f.Columns {
		if c.Len() != f.Rows || c.Null != nil && len(c.Null) != f.Rows {
			t.Fatalf("column %q: %d values, %d null flags for %d rows", c.Name, c.Len(), len(c.Null), f.Rows)
		}
		if c.Type == dataset.Category {
			for i, k := range c.Codes {
				if k < -1 || int(k) >= len(c.Levels) || (k == -1) != c.IsNull(i) {
					t.Fatalf("column %q row %d: code %d of %d levels, null %v", c.Name, i, k, len(c.Levels), c.IsNull(i))
				}
			}
		}
	}
}

var fuzzFeatures = []spec.Feature{{Name: "a", Type: spec.TypeNumber}, {Name: "b", Type: spec.TypeBoolean}, {Name: "c", Type: spec.TypeCategory}}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("a,b,c\n1,true,x\n,NA,\"y\"\"z\"\n"), false)
	f.Add([]byte("x,y\n2001-01-01,1\nfoo,2\n"), true)
	if b, err := os.ReadFile("testdata/flights-1k.csv"); err == nil {
		f.Add(b[:2000], false)
	}
	f.Fuzz(func(t *testing.T, data []byte, typed bool) {
		opts := dataset.ReadOptions{}
		if typed {
			opts.Features = fuzzFeatures
		}
		fr, err := dataset.ReadCSV(bytes.NewReader(data), opts)
		checkFrame(t, fr, err)
	})
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte("{\"a\":1,\"b\":true,\"c\":\"x\"}\n{\"a\":null}\n"), false)
	f.Add([]byte("[{\"a\":\"2001-01-01\"},{\"b\":1}]"), true)
	if b, err := os.ReadFile("testdata/flights-1k.jsonl"); err == nil {
		f.Add(b[:2000], false)
	}
	f.Fuzz(func(t *testing.T, data []byte, typed bool) {
		opts := dataset.ReadOptions{}
		if typed {
			opts.Features = fuzzFeatures
		}
		fr, err := dataset.ReadJSONL(bytes.NewReader(data), opts)
		checkFrame(t, fr, err)
	})
}

func FuzzReadParquet(f *testing.F) {
	for _, name := range []string{"testdata/nulls.parquet", "testdata/flights-1k.parquet"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, uint(0), byte(0))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, at uint, x byte) {
		// Flip one byte: mostly-valid files reach deeper than random bytes.
		if len(data) > 0 {
			data = append([]byte(nil), data...)
			data[at%uint(len(data))] ^= x
		}
		fr, err := dataset.ReadParquet(bytes.NewReader(data), dataset.ReadOptions{Name: "fuzz.parquet"})
		checkFrame(t, fr, err)
	})
}

// TestReadParquetEveryByte corrupts bytes of a small file in turn, and cuts it at
// as many lengths: every read gives a whole frame or an error, never a panic.
// (Every 7th byte keeps it quick; go test -fuzz FuzzReadParquet goes further.)
func TestReadParquetEveryByte(t *testing.T) {
	good, err := os.ReadFile("testdata/nulls.parquet")
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, len(good))
	for i := 0; i < len(good); i += 7 {
		copy(data, good)
		data[i] ^= 0xff
		f, err := dataset.ReadParquet(bytes.NewReader(data), dataset.ReadOptions{Name: "x.parquet"})
		checkFrame(t, f, err)
		f, err = dataset.ReadParquet(bytes.NewReader(good[:i]), dataset.ReadOptions{Name: "x.parquet"})
		if err == nil {
			t.Fatalf("cut at %d of %d bytes: no error", i, len(good))
		}
		checkFrame(t, f, err)
	}
}
