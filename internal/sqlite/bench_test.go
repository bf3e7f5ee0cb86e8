package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/cache"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
	"github.com/llm-gateway/llm-gateway/internal/sqlite"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per operation, less sensitive than ns/op to
// a loaded machine.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

func benchEvent(i int) gateway.Event {
	return gateway.Event{Time: time.Now(), RequestID: fmt.Sprintf("%016x", i), Agent: "bench", Frontend: "mcp", Transport: "stdio",
		Model: "nova-lite", ModelID: "amazon.nova-lite-v1:0", KeyHash: "0123456789abcdef", Usage: gateway.Usage{InputTokens: 20, OutputTokens: 30},
		Cost: 1234, Priced: true, Latency: time.Millisecond}
}

// BenchmarkLedgerRecord is one call's record with the SQLite ledger, one
// caller after another: what a call pays for it before it is answered.
// journal is the default (one write to this process's journal, moved into
// the file in the background); commit writes to the file before returning.
func BenchmarkLedgerRecord(b *testing.B) {
	for _, mode := range []string{"journal", "commit"} {
		b.Run(mode, func(b *testing.B) {
			db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "gateway.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			opts := ledger.Options{}
			if mode == "journal" {
				opts.JournalDir = db.JournalDir()
			}
			l := ledger.New(db, opts)
			defer l.Close(context.Background())
			b.ReportAllocs()
			start := cpuTime()
			for i := 0; b.Loop(); i++ {
				l.Record(b.Context(), benchEvent(i))
			}
			// The background moves are part of the price.
			if _, err := l.Totals(b.Context(), ledger.Filter{}); err != nil {
				b.Fatal(err)
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkCacheSet is one answer written to the shared cache, what a
// miss pays for it, written out at the end: room has space for every
// answer, full is at CACHE_MAX_SIZE's default (1000), evicting the oldest
// for each.
func BenchmarkCacheSet(b *testing.B) {
	for _, bench := range []struct {
		name string
		max  int
	}{{"room", 0}, {"full", 1000}} {
		b.Run(bench.name, func(b *testing.B) {
			db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "gateway.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			c := db.Cache(sqlite.CacheOptions{MaxEntries: bench.max})
			comp := &gateway.Completion{Content: strings.Repeat("x", 1024), FinishReason: "stop", Usage: gateway.Usage{InputTokens: 20, OutputTokens: 300}}
			for i := range bench.max {
				c.Set(b.Context(), fmt.Sprintf("fill-%d", i), comp)
			}
			c.Flush(b.Context())
			b.ReportAllocs()
			start := cpuTime()
			for i := 0; b.Loop(); i++ {
				c.Set(b.Context(), fmt.Sprintf("key-%d", i), comp)
			}
			c.Flush(b.Context())
			reportCPU(b, start)
		})
	}
}

// BenchmarkCacheGetMiss is a miss's look in the shared cache, which every
// miss of this process's memory tier pays before it calls Bedrock.
func BenchmarkCacheGetMiss(b *testing.B) {
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "gateway.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c := db.Cache(sqlite.CacheOptions{})
	comp := &gateway.Completion{Content: strings.Repeat("x", 1024), FinishReason: "stop"}
	for i := range 1000 {
		c.Set(b.Context(), fmt.Sprintf("key-%d", i), comp)
	}
	c.Flush(b.Context())
	b.ReportAllocs()
	start := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, ok := c.Get(b.Context(), fmt.Sprintf("absent-%d", i)); ok {
			b.Fatal("a hit")
		}
	}
	reportCPU(b, start)
}

// BenchmarkMissStore is what the SQLite store adds to one miss: the shared
// cache's lookup, the answer queued for it, the call's record journaled,
// and the background commits that write both, with calls paced as one
// caller's misses are (so the background batches hold what they hold in
// use, not thousands). The memory rows do the same with this process's
// memory alone (STORE_URL=memory:): compare their CPU per call.
func BenchmarkMissStore(b *testing.B) {
	for _, store := range []string{"sqlite", "memory"} {
		b.Run(store, func(b *testing.B) {
			var c gateway.Cache = cache.NewMemory(cache.Options{})
			var st ledger.Store = ledger.NewMemory()
			opts := ledger.Options{}
			if store == "sqlite" {
				db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "gateway.db"), sqlite.Options{})
				if err != nil {
					b.Fatal(err)
				}
				c, st, opts.JournalDir = cache.Tiered{Near: c, Far: db.Cache(sqlite.CacheOptions{})}, db, db.JournalDir()
			}
			l := ledger.New(st, opts)
			defer l.Close(context.Background())
			comp := &gateway.Completion{Content: strings.Repeat("x", 300), FinishReason: "stop", Usage: gateway.Usage{InputTokens: 20, OutputTokens: 80}}
			b.ReportAllocs()
			start := cpuTime()
			for i := 0; b.Loop(); i++ {
				key := fmt.Sprintf("%064x", i)
				if _, ok := c.Get(b.Context(), key); ok {
					b.Fatal("a hit")
				}
				c.Set(b.Context(), key, comp)
				l.Record(b.Context(), benchEvent(i))
				time.Sleep(time.Millisecond) // pacing, as one caller's misses come
			}
			if _, err := l.Totals(b.Context(), ledger.Filter{}); err != nil {
				b.Fatal(err)
			}
			reportCPU(b, start)
		})
	}
}
