package dataset

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// The fast path decodes flat columns of the common physical types with arrow-go's
// column chunk readers straight into the frame, through small per-worker buffers:
// no Arrow arrays are built, so a read allocates little more than the columns.
// Other types (decimals, INT96, fixed-length byte arrays) go through pqarrow.

const fastBatch = 1 << 14

// scratch holds one worker's decode buffers.
type scratch struct {
	i64   []int64
	i32   []int32
	f32   []float32
	f64   []float64
	b     []bool
	ba    []parquet.ByteArray
	def   []int16
	codes codeCache
}

func newScratch() *scratch {
	return &scratch{def: make([]int16, fastBatch)}
}

// fastOK reports whether a column can take the fast path, given its physical type
// and the Arrow type pqarrow maps it to.
func fastOK(phys parquet.Type, maxRep int16, t arrow.DataType) bool {
	if maxRep > 0 {
		return false
	}
	switch phys {
	case parquet.Types.Boolean:
		return t.ID() == arrow.BOOL
	case parquet.Types.Int32:
		switch t.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.DATE32:
			return true
		}
	case parquet.Types.Int64:
		switch t.ID() {
		case arrow.INT64, arrow.UINT64, arrow.TIMESTAMP:
			return true
		}
	case parquet.Types.Float:
		return t.ID() == arrow.FLOAT32
	case parquet.Types.Double:
		return t.ID() == arrow.FLOAT64
	case parquet.Types.ByteArray:
		switch t.ID() {
		case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY, arrow.DICTIONARY:
			return true
		}
	}
	return false
}

// readChunk decodes one column chunk into rows [at, at+n) of the column.
func (c *pqColumn) readChunk(cr file.ColumnChunkReader, at, n int, s *scratch) error {
	maxDef := cr.Descriptor().MaxDefinitionLevel()
	pos, end := at, at+n
	for pos < end {
		want := int64(min(fastBatch, end-pos))
		def := s.def[:want]
		var levels int64
		var vals int
		var err error
		switch r := cr.(type) {
		case *file.Int64ColumnChunkReader:
			s.i64 = grow(s.i64)
			levels, vals, err = r.ReadBatchInPage(want, s.i64[:want], def, nil)
			if err == nil {
				if c.unsigned {
					placeUint64(c, pos, s.i64[:vals], def[:levels], maxDef)
				} else {
					place(c, pos, s.i64[:vals], def[:levels], maxDef)
				}
			}
		case *file.Int32ColumnChunkReader:
			s.i32 = grow(s.i32)
			levels, vals, err = r.ReadBatchInPage(want, s.i32[:want], def, nil)
			if err == nil {
				if c.unsigned {
					placeUint32(c, pos, s.i32[:vals], def[:levels], maxDef)
				} else {
					place(c, pos, s.i32[:vals], def[:levels], maxDef)
				}
			}
		case *file.Float64ColumnChunkReader:
			s.f64 = grow(s.f64)
			levels, vals, err = r.ReadBatchInPage(want, s.f64[:want], def, nil)
			if err == nil {
				place(c, pos, s.f64[:vals], def[:levels], maxDef)
			}
		case *file.Float32ColumnChunkReader:
			s.f32 = grow(s.f32)
			levels, vals, err = r.ReadBatchInPage(want, s.f32[:want], def, nil)
			if err == nil {
				place(c, pos, s.f32[:vals], def[:levels], maxDef)
			}
		case *file.BooleanColumnChunkReader:
			s.b = grow(s.b)
			levels, vals, err = r.ReadBatchInPage(want, s.b[:want], def, nil)
			if err == nil {
				place(c, pos, boolsAsBytes(s.b[:vals]), def[:levels], maxDef)
			}
		case *file.ByteArrayColumnChunkReader:
			s.ba = grow(s.ba)
			// In-page reads alias the page's bytes (no copy per value); they are
			// mapped to codes before the next read replaces the page.
			levels, vals, err = r.ReadBatchInPage(want, s.ba[:want], def, nil)
			if err == nil {
				c.placeCodes(pos, s.ba[:vals], def[:levels], maxDef, &s.codes)
			}
		default:
			return fmt.Errorf("column %q: no fast reader for %T", c.Name, cr)
		}
		if err != nil {
			return parquetErr(err)
		}
		if maxDef == 0 {
			levels = int64(vals)
		}
		if levels == 0 {
			if e := cr.Err(); e != nil {
				return parquetErr(e)
			}
			return fmt.Errorf("column %q: column chunk ends after %d of %d rows", c.Name, pos-at, n)
		}
		pos += int(levels)
	}
	if cr.HasNext() {
		return fmt.Errorf("column %q: column chunk holds more rows than its row group", c.Name)
	}
	return nil
}

func grow[T any](s []T) []T {
	if len(s) < fastBatch {
		return make([]T, fastBatch)
	}
	return s
}

func boolsAsBytes(b []bool) []uint8 {
	out := make([]uint8, len(b)) // booleans are rare; a copy is fine
	for i, v := range b {
		if v {
			out[i] = 1
		}
	}
	return out
}

type number interface {
	int32 | int64 | float32 | float64 | uint8
}

// place writes dense values (nulls left out) at their rows. def holds the
// definition levels; a level below maxDef is a null.
func place[T number](c *pqColumn, at int, vals []T, def []int16, maxDef int16) {
	scale, div := 1.0, false
	switch {
	case c.days:
		scale = 86400
	case c.unit != 0:
		scale, div = c.unit, true
	}
	if maxDef == 0 || len(vals) == len(def) {
		dst := c.Floats[at : at+len(vals)]
		switch {
		case div:
			for i, v := range vals {
				dst[i] = float64(v) / scale
			}
		case scale != 1:
			for i, v := range vals {
				dst[i] = float64(v) * scale
			}
		default:
			for i, v := range vals {
				dst[i] = float64(v)
			}
		}
		return
	}
	c.ensureNullMask()
	j := 0
	for i, d := range def {
		if d < maxDef {
			c.Floats[at+i] = math.NaN()
			c.Null[at+i] = true
			continue
		}
		v := float64(vals[j])
		j++
		if div {
			v /= scale
		} else {
			v *= scale
		}
		c.Floats[at+i] = v
	}
}

func placeUint32(c *pqColumn, at int, vals []int32, def []int16, maxDef int16) {
	u := make([]float64, len(vals))
	for i, v := range vals {
		u[i] = float64(uint32(v))
	}
	place(c, at, u, def, maxDef)
}

func placeUint64(c *pqColumn, at int, vals []int64, def []int16, maxDef int16) {
	u := make([]float64, len(vals))
	for i, v := range vals {
		u[i] = float64(uint64(v))
	}
	place(c, at, u, def, maxDef)
}

// placeCodes maps byte arrays to the column's codes.
func (c *pqColumn) placeCodes(at int, vals []parquet.ByteArray, def []int16, maxDef int16, cache *codeCache) {
	cache.reset()
	c.mu.Lock()
	defer c.mu.Unlock()
	if maxDef == 0 || len(vals) == len(def) {
		dst := c.Codes[at : at+len(vals)]
		for i, v := range vals {
			dst[i] = cache.lookup(c, v)
		}
		return
	}
	if c.Null == nil {
		c.Null = make([]bool, c.Len())
	}
	j := 0
	for i, d := range def {
		if d < maxDef {
			c.Codes[at+i] = -1
			c.Null[at+i] = true
			continue
		}
		c.Codes[at+i] = cache.lookup(c, vals[j])
		j++
	}
}

// codeCache maps values to codes by their address for the values of one read.
// Values of a dictionary-encoded page point into the page's dictionary, so this
// turns the dictionary's indices back into codes without hashing strings: the
// string map is consulted once per dictionary entry, not once per row. Within
// one read the page's bytes do not change, so an address and length name one
// value; the cache is cleared before the next read, which may reuse the memory.
type codeCache struct {
	ptr  [1 << 10]uintptr
	n    [1 << 10]int
	code [1 << 10]int32 // code+1; 0 is empty
}

func (cc *codeCache) reset() { clear(cc.code[:]) }

func (cc *codeCache) lookup(c *pqColumn, v []byte) int32 {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	h := ((p >> 2) ^ uintptr(len(v))) * 0x9e3779b97f4a7c15 >> (64 - 10) & (1<<10 - 1)
	if k := cc.code[h]; k != 0 && cc.ptr[h] == p && cc.n[h] == len(v) {
		return k - 1
	}
	k := c.codeBytes(v)
	cc.ptr[h], cc.n[h], cc.code[h] = p, len(v), k+1
	return k
}

// codeBytes is code for bytes that may alias a page buffer. c.mu must be held.
func (c *pqColumn) codeBytes(b []byte) int32 {
	if k, ok := c.index[string(b)]; ok { // no allocation for the lookup
		return k
	}
	s := string(b)
	k := int32(len(c.Levels))
	c.Levels = append(c.Levels, s)
	c.index[s] = k
	return k
}

// ensureNullMask allocates the null mask once. Workers write disjoint rows of
// it; only the allocation needs the lock.
func (c *pqColumn) ensureNullMask() {
	c.mu.Lock()
	if c.Null == nil {
		c.Null = make([]bool, c.Len())
	}
	c.mu.Unlock()
}
