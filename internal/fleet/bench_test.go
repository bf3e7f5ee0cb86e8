package fleet

import (
	"strconv"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/policy"

	"github.com/llm-gateway/llm-gateway/internal/fleet/redistest"
)

// What each use of Redis costs a call, against the Redis on this machine:
// a hit in the shared cache (a miss of the replica's own), the cache and
// coalescer round trips of a miss, and one budget check.

func benchFleet(b *testing.B) *Fleet {
	b.Helper()
	url, _ := redistest.URL(b)
	f, err := New(Options{URL: url, Prefix: "bench:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

func BenchmarkSharedCacheHit(b *testing.B) {
	f := benchFleet(b)
	c := f.Cache()
	c.Set(b.Context(), "k", &gateway.Completion{Content: "an answer of a few words", Usage: gateway.Usage{InputTokens: 20, OutputTokens: 10}})
	for b.Loop() {
		if _, ok := c.Get(b.Context(), "k"); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkMissRoundTrips is what a miss adds: the shared cache looked up
// and filled, and the call claimed and released with its outcome.
func BenchmarkMissRoundTrips(b *testing.B) {
	f := benchFleet(b)
	c, co := f.Cache(), f.Coalescer()
	comp := &gateway.Completion{Content: "an answer of a few words"}
	i := 0
	for b.Loop() {
		i++
		key := "m" + strconv.Itoa(i)
		c.Get(b.Context(), key)
		_, lease, err := co.Acquire(b.Context(), key)
		if err != nil || lease == nil {
			b.Fatal("no lease", err)
		}
		lease.Release(b.Context(), comp, nil)
		c.Set(b.Context(), key, comp)
	}
}

func BenchmarkBudgetClaimRelease(b *testing.B) {
	f := benchFleet(b)
	l := f.Limits()
	now := time.Now()
	claims := []policy.Claim{
		{Key: "agent:a|budget.daily_usd", Window: now.Truncate(24 * time.Hour).Unix(), End: now.Add(24 * time.Hour).Unix(), Max: 1 << 60, Amount: 1000},
		{Key: "global|budget.monthly_usd", Max: 1 << 60, Amount: 1000},
	}
	for b.Loop() {
		g, err := l.Claim(b.Context(), claims, now, now.Add(time.Minute))
		if err != nil || g.Refused != -1 {
			b.Fatal(g, err)
		}
		if err := l.Release(b.Context(), g.ID, claims, []int64{900, 900}); err != nil {
			b.Fatal(err)
		}
	}
}
