package serve

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// latencyHist is a lock-free latency histogram with buckets about 6% wide
// (eight per power of two of microseconds), enough for a canary's p99.
type latencyHist struct {
	counts [numBuckets]atomic.Uint64
}

const numBuckets = 16 + 40*8

func bucketOf(us uint64) int {
	if us < 16 {
		return int(us)
	}
	e := bits.Len64(us) // ≥ 5
	i := 16 + (e-5)*8 + int((us>>(e-4))&7)
	return min(i, numBuckets-1)
}

// bucketUpper is the exclusive upper bound of bucket i, in microseconds.
func bucketUpper(i int) uint64 {
	if i < 16 {
		return uint64(i) + 1
	}
	e := (i-16)/8 + 5
	sub := uint64((i - 16) % 8)
	return (9 + sub) << (e - 4)
}

func (h *latencyHist) observe(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[bucketOf(uint64(us))].Add(1)
}

// quantile returns the upper bound of the bucket holding quantile q, in
// milliseconds, or 0 without observations.
func (h *latencyHist) quantile(q float64) float64 {
	var total uint64
	var counts [numBuckets]uint64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			return float64(bucketUpper(i)) / 1000
		}
	}
	return float64(bucketUpper(numBuckets-1)) / 1000
}
