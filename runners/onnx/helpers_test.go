package onnx

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ferryml/ferry/dataset"
)

// testMain-wide onnxruntime: tests need the real library.
func initRuntime(t testing.TB) {
	t.Helper()
	if err := Init(DefaultLibraryPath(os.Getenv)); err != nil {
		t.Fatalf("onnxruntime: %v", err)
	}
}

func loadModel(t testing.TB, name string) *Model {
	t.Helper()
	initRuntime(t)
	m, err := LoadFile(filepath.Join("testdata", name), Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// csvFrame builds a Frame from a small CSV by hand (numbers where every non-empty
// value parses, categories otherwise), so these tests do not depend on package
// dataset's readers.
func csvFrame(t testing.TB, path string) *dataset.Frame {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recordsFrame(recs[0], recs[1:])
}

func recordsFrame(header []string, rows [][]string) *dataset.Frame {
	f := &dataset.Frame{Rows: len(rows)}
	for j, name := range header {
		numeric := true
		for _, r := range rows {
			if r[j] == "" {
				continue
			}
			if _, err := strconv.ParseFloat(r[j], 64); err != nil {
				numeric = false
				break
			}
		}
		c := &dataset.Column{Name: name}
		if numeric {
			c.Type = dataset.Number
			for i, r := range rows {
				v := math.NaN()
				if r[j] != "" {
					v, _ = strconv.ParseFloat(r[j], 64)
				} else {
					if c.Null == nil {
						c.Null = make([]bool, len(rows))
					}
					c.Null[i] = true
				}
				c.Floats = append(c.Floats, v)
			}
		} else {
			c.Type = dataset.Category
			idx := map[string]int32{}
			for i, r := range rows {
				if r[j] == "" {
					if c.Null == nil {
						c.Null = make([]bool, len(rows))
					}
					c.Null[i] = true
					c.Codes = append(c.Codes, -1)
					continue
				}
				k, ok := idx[r[j]]
				if !ok {
					k = int32(len(c.Levels))
					idx[r[j]] = k
					c.Levels = append(c.Levels, r[j])
				}
				c.Codes = append(c.Codes, k)
			}
		}
		f.Columns = append(f.Columns, c)
	}
	return f
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
