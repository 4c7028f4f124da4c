package drift

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"github.com/ferryml/ferry/dataset"
)

// FuzzCompare feeds arbitrary numbers (NaN, infinities, repeats, empty
// sides) and categories through BuildProfile, Compare and JSON: a result
// and no panic, whatever the data.
func FuzzCompare(f *testing.F) {
	f.Add([]byte{}, []byte{}, uint8(10))
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\xf8\x7f"), []byte("abcabc"), uint8(3))
	f.Add([]byte("0123456789abcdef0123456789abcdef"), []byte("\xff\xff\xff\xff\xff\xff\xf0\x7f"), uint8(1))
	f.Fuzz(func(t *testing.T, a, b []byte, bins uint8) {
		ref := fuzzFrame(a)
		cur := fuzzFrame(b)
		for _, test := range []string{"psi", "js", "ks", "wasserstein", "chi2"} {
			r, err := CompareFrames(ref, cur, Config{Default: Test{Name: test}, Profile: ProfileOptions{Bins: int(bins)}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatal(err)
			}
			for _, fr := range r.Features {
				if js := float64(fr.JS); !math.IsNaN(js) && (js < 0 || js > 1) {
					t.Fatalf("js %g out of [0, 1]", js)
				}
				if fr.KS != nil && !math.IsNaN(float64(fr.KS.PValue)) && (fr.KS.PValue < 0 || fr.KS.PValue > 1) {
					t.Fatalf("ks p-value %g", fr.KS.PValue)
				}
			}
		}
	})
}

// fuzzFrame reads 8-byte floats into a number column and bytes into a
// category column of as many rows.
func fuzzFrame(b []byte) *dataset.Frame {
	n := len(b) / 8
	x := &dataset.Column{Name: "x", Type: dataset.Number, Floats: make([]float64, n)}
	c := &dataset.Column{Name: "c", Type: dataset.Category, Codes: make([]int32, n), Levels: []string{"a", "b", "c"}}
	for i := range n {
		x.Floats[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		c.Codes[i] = int32(b[8*i]%4) - 1 // -1 is a null
	}
	return &dataset.Frame{Rows: n, Columns: []*dataset.Column{x, c}}
}
