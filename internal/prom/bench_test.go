package prom_test

import (
	"context"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/prom"
)

// BenchmarkRecord is what the Prometheus recorder adds to every request: a
// miss (one attempt) and a cache hit.
func BenchmarkRecord(b *testing.B) {
	r := prom.New(prom.Options{Models: []string{"nova-lite", "nova-pro"}})
	usage := gateway.Usage{InputTokens: 120, OutputTokens: 40}
	miss := gateway.Event{Agent: "bench", Model: "nova-lite", Usage: usage, Priced: true, Cost: 30_000_000, Latency: 400 * time.Microsecond,
		Attempts: []gateway.AttemptEvent{{Model: "nova-lite", Usage: usage, Cost: 30_000_000, Priced: true, Latency: 350 * time.Microsecond}}}
	hit := gateway.Event{Agent: "bench", Model: "nova-lite", Priced: true, Cached: true, Saved: 30_000_000, Latency: 9 * time.Microsecond}
	for name, ev := range map[string]gateway.Event{"miss": miss, "hit": hit} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Record(context.Background(), ev)
			}
		})
	}
}
