package train

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/ferryml/ferry/dataset"
)

// encoder is the feature pipeline of the linear models, as the ONNX graph runs it:
// numbers are imputed with their training mean and standardised, categories are
// one-hot encoded over their most frequent training levels. Unseen levels and nulls
// encode as all zeros. Means and scales are float32 values, as in the graph.
type encoder struct {
	feats  []feature
	nums   []int // indexes into feats
	cats   []int
	mean   []float32 // per number feature
	scale  []float32 // 1/std, 1 for a constant column
	levels [][]string
	offset []int // first one-hot column of each category feature
	dim    int
}

func fitEncoder(f *dataset.Frame, feats []feature, maxCategories int) *encoder {
	e := &encoder{feats: feats}
	for i, ft := range feats {
		c := f.Col(ft.name)
		if !ft.category {
			e.nums = append(e.nums, i)
			var sum, n float64
			for _, v := range c.Floats {
				if !math.IsNaN(v) {
					sum += float64(float32(v))
					n++
				}
			}
			mean := 0.0
			if n > 0 {
				mean = sum / n
			}
			var ss float64
			for _, v := range c.Floats {
				if !math.IsNaN(v) {
					d := float64(float32(v)) - mean
					ss += d * d
				}
			}
			scale := 1.0
			if n > 0 && ss > 0 {
				scale = 1 / math.Sqrt(ss/n)
			}
			e.mean = append(e.mean, float32(mean))
			e.scale = append(e.scale, float32(scale))
			continue
		}
		e.cats = append(e.cats, i)
		e.levels = append(e.levels, topLevels(c, maxCategories))
	}
	e.dim = len(e.nums)
	for _, lv := range e.levels {
		e.offset = append(e.offset, e.dim)
		e.dim += len(lv)
	}
	return e
}

// topLevels returns up to k levels of a category column, the most frequent first
// chosen (ties by name), then sorted by name so the encoding does not depend on
// the frame's dictionary order.
func topLevels(c *dataset.Column, k int) []string {
	counts := make([]int, len(c.Levels))
	for _, code := range c.Codes {
		if code >= 0 {
			counts[code]++
		}
	}
	// Frames may repeat a level string under two codes; merge by name.
	byName := map[string]int{}
	for i, l := range c.Levels {
		byName[l] += counts[i]
	}
	names := make([]string, 0, len(byName))
	for l, n := range byName {
		if n > 0 {
			names = append(names, l)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if byName[names[i]] != byName[names[j]] {
			return byName[names[i]] > byName[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) > k {
		names = names[:k]
	}
	sort.Strings(names)
	return names
}

// design is an encoded frame: dense standardised numbers plus, per category feature,
// the one-hot column that is 1 (or -1 for none).
type design struct {
	n    int
	nNum int
	nCat int
	num  []float64 // n × nNum
	cat  []int32   // n × nCat, absolute column index or -1
}

// encode applies the pipeline in float32 arithmetic, as onnxruntime does.
func (e *encoder) encode(f *dataset.Frame) (*design, error) {
	d := &design{n: f.Rows, nNum: len(e.nums), nCat: len(e.cats)}
	d.num = make([]float64, d.n*d.nNum)
	d.cat = make([]int32, d.n*d.nCat)
	for j, fi := range e.nums {
		c, err := column(f, e.feats[fi])
		if err != nil {
			return nil, err
		}
		m, s := e.mean[j], e.scale[j]
		for i, v := range c.Floats {
			x := float32(v)
			if v != v {
				x = m
			}
			d.num[i*d.nNum+j] = float64(float32(float32(x-m) * s))
		}
	}
	for j, fi := range e.cats {
		c, err := column(f, e.feats[fi])
		if err != nil {
			return nil, err
		}
		m := codeMap(c, e.levels[j])
		off := int32(e.offset[j])
		for i, code := range c.Codes {
			k := int32(-1)
			if code >= 0 && m[code] >= 0 {
				k = off + m[code]
			}
			d.cat[i*d.nCat+j] = k
		}
	}
	return d, nil
}

// codeMap maps a column's dictionary codes to indexes of levels (-1 when absent).
func codeMap(c *dataset.Column, levels []string) []int32 {
	idx := make(map[string]int32, len(levels))
	for i, l := range levels {
		idx[l] = int32(i)
	}
	m := make([]int32, len(c.Levels))
	for i, l := range c.Levels {
		if k, ok := idx[l]; ok {
			m[i] = k
		} else {
			m[i] = -1
		}
	}
	return m
}

// column returns the frame's column for a feature, checking its type.
func column(f *dataset.Frame, ft feature) (*dataset.Column, error) {
	c := f.Col(ft.name)
	if c == nil {
		return nil, fmt.Errorf("feature column %q is not in the data", ft.name)
	}
	if ft.category && c.Type != dataset.Category {
		return nil, fmt.Errorf("feature %q: the model takes a category, the data has a number column", ft.name)
	}
	if !ft.category && c.Type != dataset.Number {
		return nil, fmt.Errorf("feature %q: the model takes a number, the data has a category column", ft.name)
	}
	return c, nil
}

// nChunks is the number of ranges [0, n) is cut into: it depends on n only, so
// per-chunk sums merged in chunk order are the same on any machine.
func nChunks(n, minChunk int) int {
	k := n / minChunk
	if k < 1 {
		k = 1
	}
	if k > 16 {
		k = 16
	}
	return k
}

// parallel runs fn over k chunks of [0, n) on up to GOMAXPROCS goroutines.
func parallel(k, n int, fn func(chunk, lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > k {
		workers = k
	}
	if workers <= 1 {
		for c := 0; c < k; c++ {
			fn(c, c*n/k, (c+1)*n/k)
		}
		return
	}
	next := make(chan int, k)
	for c := 0; c < k; c++ {
		next <- c
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				fn(c, c*n/k, (c+1)*n/k)
			}
		}()
	}
	wg.Wait()
}
