package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	// Every bucket starts where the one before it ends, and bucketOf maps
	// both ends of a bucket to it.
	var next int64
	for i := range numBuckets {
		lo, width := bucketBounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, next)
		}
		if got := bucketOf(lo); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", lo, got, i)
		}
		if got := bucketOf(lo + width - 1); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", lo+width-1, got, i)
		}
		if i >= subCount && float64(width) > float64(lo)/subCount {
			t.Fatalf("bucket %d is %d wide from %d: wider than 1/%d of its start", i, width, lo, subCount)
		}
		next = lo + width
	}
	if next != 1<<maxExp {
		t.Errorf("buckets end at %d, want %d", next, int64(1)<<maxExp)
	}
	if got := bucketOf(math.MaxInt64); got != numBuckets-1 {
		t.Errorf("bucketOf(MaxInt64) = %d, want the last bucket", got)
	}
}

func TestHistogramAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		sample func() time.Duration
	}{
		// Log-uniform from 1ns to 2^40 ns, the whole range.
		{"log uniform", func() time.Duration { return time.Duration(math.Exp(rng.Float64() * 40 * math.Ln2)) }},
		// Typical model latencies: 200ms to 30s.
		{"model calls", func() time.Duration { return 200*time.Millisecond + time.Duration(rng.Int64N(int64(30*time.Second))) }},
		// Mostly cache hits of a few µs, some model calls.
		{"bimodal", func() time.Duration {
			if rng.IntN(10) < 7 {
				return time.Duration(500 + rng.IntN(20_000))
			}
			return time.Duration(rng.Int64N(int64(20 * time.Second)))
		}},
		{"sub-microsecond", func() time.Duration { return time.Duration(rng.IntN(1 << minExp)) }},
		{"constant", func() time.Duration { return 1234567 * time.Nanosecond }},
	}
	quantiles := []float64{0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			samples := make([]time.Duration, 10_000)
			for i := range samples {
				samples[i] = tt.sample()
				h.record(samples[i])
			}
			slices.Sort(samples)
			for _, q := range quantiles {
				rank := int(math.Ceil(q * float64(len(samples))))
				exact := samples[rank-1]
				got := h.quantile(q)
				bound := max(relError*float64(exact), absError)
				if diff := math.Abs(float64(got - exact)); diff > bound {
					t.Errorf("quantile(%v) = %v, exact %v: off by %v, beyond the bound %v",
						q, got, exact, time.Duration(diff), time.Duration(bound))
				}
			}
			if got, want := h.quantile(1), samples[len(samples)-1]; got != want {
				t.Errorf("quantile(1) = %v, want the exact max %v", got, want)
			}
			var sum time.Duration
			for _, s := range samples {
				sum += s
			}
			if got, want := h.mean(), sum/time.Duration(len(samples)); got != want {
				t.Errorf("mean() = %v, want %v", got, want)
			}
		})
	}
}

func TestHistogramEdges(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		q       float64
		want    time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one sample is exact", []time.Duration{1234567 * time.Microsecond}, 0.99, 1234567 * time.Microsecond},
		{"negative counts as zero", []time.Duration{-time.Second}, 0.5, 0},
		{"beyond the range, clamped to the max", []time.Duration{time.Hour, time.Hour}, 0.5, time.Hour},
		{"q of zero gives the min", []time.Duration{3 * time.Second, 7 * time.Second}, 0, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			for _, s := range tt.samples {
				h.record(s)
			}
			if got := h.quantile(tt.q); got != tt.want {
				t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}
