package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// benchKey returns a key shaped like the gateway's: 64 hex digits.
func benchKey(i int) string {
	sum := sha256.Sum256([]byte(strconv.Itoa(i)))
	return hex.EncodeToString(sum[:])
}

func benchCache(b *testing.B, n int) (*Memory, []string) {
	b.Helper()
	m := NewMemory(Options{MaxEntries: n})
	keys := make([]string, n)
	for i := range keys {
		keys[i] = benchKey(i)
		c := gateway.Completion{Content: strings.Repeat("x", 1024), FinishReason: gateway.FinishStop}
		m.Set(b.Context(), keys[i], &c)
	}
	return m, keys
}

func BenchmarkGetHit(b *testing.B) {
	m, keys := benchCache(b, 1000)
	i := 0
	for b.Loop() {
		if _, ok := m.Get(b.Context(), keys[i%len(keys)]); !ok {
			b.Fatal("miss")
		}
		i++
	}
}

// BenchmarkGetHitParallel shows whether the single mutex is a bottleneck
// (and so whether sharding would pay).
func BenchmarkGetHitParallel(b *testing.B) {
	m, keys := benchCache(b, 1000)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Get(b.Context(), keys[i%len(keys)])
			i++
		}
	})
}

// BenchmarkSet measures a Set into a full cache, so each one also evicts.
func BenchmarkSet(b *testing.B) {
	const n = 1000
	m, _ := benchCache(b, n)
	keys := make([]string, 2*n)
	for i := range keys {
		keys[i] = benchKey(n + i)
	}
	c := &gateway.Completion{Content: strings.Repeat("y", 1024), FinishReason: gateway.FinishStop}
	i := 0
	for b.Loop() {
		m.Set(b.Context(), keys[i%len(keys)], c)
		i++
	}
}

// BenchmarkMemoryPerEntry fills a cache with 10,000 answers of 1 KiB under
// 64-digit keys and reports the heap it holds per entry: "B/entry" is the
// total, "overhead-B/entry" what is left after the 1 KiB of content.
func BenchmarkMemoryPerEntry(b *testing.B) {
	const n, size = 10_000, 1024
	var perEntry float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)

		m := NewMemory(Options{MaxEntries: n})
		for i := range n {
			// A distinct content string per entry, as real answers are.
			content := []byte(strings.Repeat("z", size))
			copy(content, strconv.Itoa(i))
			c := gateway.Completion{Content: string(content), FinishReason: gateway.FinishStop}
			m.Set(b.Context(), benchKey(i), &c)
		}

		runtime.GC()
		runtime.ReadMemStats(&after)
		if m.Len() != n {
			b.Fatalf("Len() = %d, want %d", m.Len(), n)
		}
		perEntry = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		runtime.KeepAlive(m)
	}
	b.ReportMetric(perEntry, "B/entry")
	b.ReportMetric(perEntry-size, "overhead-B/entry")
}
