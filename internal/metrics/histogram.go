package metrics

import (
	"math"
	"math/bits"
	"time"
)

// The histogram's buckets are log-linear, as in HdrHistogram: every
// power-of-two range of nanoseconds [2^e, 2^(e+1)) from 2^10 ns (about 1µs)
// to 2^40 ns (about 18.3 minutes) is cut into 16 buckets of equal width
// 2^(e-4), and [0, 2^10) into 16 buckets of 64 ns.
//
// Error bound: a quantile is reported as the midpoint of the bucket that
// holds the exact sample, so it is off by at most half a bucket's width.
// A bucket's width is at most 1/16 of its lower bound, hence for samples
// from 1µs up to 2^40 ns the estimate is within 1/32 (3.125%) of the exact
// value, and below 1µs within 32 ns. The lowest and highest ranks return
// the exact minimum and maximum, and other estimates are clamped to them.
// Samples of 2^40 ns or more all count in the last bucket, where only the
// exact maximum bounds the estimate.
const (
	subBits    = 4
	subCount   = 1 << subBits                     // buckets per power of two
	minExp     = 10                               // below 2^minExp ns, buckets are linear
	maxExp     = 40                               // from 2^maxExp ns, samples share the last bucket
	numBuckets = (maxExp - minExp + 1) * subCount // 496
	relError   = 1.0 / (2 * subCount)             // the bound above 2^minExp
	absError   = (1 << (minExp - subBits)) / 2    // the bound below 2^minExp, in ns
)

// histogram is a distribution of durations in constant memory (about 4 KiB).
// The zero value is empty and ready to use. It is not safe for concurrent
// use: the Registry's mutex guards it.
type histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    int64 // ns; overflows only after some 292 years of latency
	min    int64 // ns, valid when n > 0
	max    int64
}

func (h *histogram) record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
}

// quantile estimates the q-quantile (0 < q ≤ 1) as the nearest-rank
// percentile: the smallest sample with at least q·n samples at or below it.
// It returns 0 for an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	switch rank { // the extremes are known exactly
	case 1:
		return time.Duration(h.min)
	case h.n:
		return time.Duration(h.max)
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, width := bucketBounds(i)
			return time.Duration(min(max(lo+width/2, h.min), h.max))
		}
	}
	return time.Duration(h.max) // unreachable: the counts add up to n
}

// mean returns the exact average sample, or 0 for an empty histogram.
func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / int64(h.n)) //nolint:gosec // n counts observations, far below 2^63
}

// bucketOf returns the index of the bucket that counts v ns (v ≥ 0).
func bucketOf(v int64) int {
	if v < 1<<minExp {
		return int(v >> (minExp - subBits))
	}
	if v >= 1<<maxExp {
		return numBuckets - 1
	}
	e := bits.Len64(uint64(v)) - 1 // minExp ≤ e < maxExp
	// v>>(e-subBits) is in [subCount, 2·subCount): the leading subBits+1 bits.
	return (e-minExp)*subCount + int(v>>(e-subBits))
}

// bucketBounds returns the lowest value, in ns, that bucket i counts and
// its width.
func bucketBounds(i int) (lo, width int64) {
	if i < subCount {
		return int64(i) << (minExp - subBits), 1 << (minExp - subBits)
	}
	e := i/subCount - 1 + minExp
	shift := e - subBits
	return int64(subCount+i%subCount) << shift, 1 << shift
}
