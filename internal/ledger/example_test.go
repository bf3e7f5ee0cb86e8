package ledger_test

import (
	"context"
	"fmt"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

// A Ledger is the gateway's recorder; its readers answer budget and
// dashboard questions. Any Store works the same: memory here, SQLite or
// PostgreSQL in a gateway.
func Example() {
	ctx := context.Background()
	l := ledger.New(ledger.NewMemory(), ledger.Options{Retention: 90 * 24 * time.Hour})
	defer l.Close(ctx)

	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	l.Record(ctx, gateway.Event{Time: now, Agent: "research", Model: "nova-pro", Cost: 2_500_000_000, Priced: true,
		Usage: gateway.Usage{InputTokens: 1000, OutputTokens: 200}})
	l.Record(ctx, gateway.Event{Time: now.Add(time.Minute), Agent: "research", Model: "nova-pro", Cached: true, Priced: true, Saved: 2_500_000_000})

	spent, _ := l.Spent(ctx, "research", "", now.Add(-24*time.Hour))
	t, _ := l.Totals(ctx, ledger.Filter{Agent: "research"})
	fmt.Printf("spent $%.4f; %d requests, %d cache hit, saved $%.4f\n", spent.USD(), t.Requests, t.CacheHits, t.Saved.USD())
	// Output: spent $0.0025; 2 requests, 1 cache hit, saved $0.0025
}
