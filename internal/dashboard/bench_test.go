package dashboard_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/adminauth"
	"github.com/llm-gateway/llm-gateway/internal/dashboard"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

// BenchmarkSummary is what one tick of the event feed costs (one read of
// the summary, whatever the number of open pages), over an in-memory
// ledger of 10,000 calls spread over 30 days.
func BenchmarkSummary(b *testing.B) {
	st := ledger.NewMemory()
	var recs []ledger.Record
	for i := range 10_000 {
		recs = append(recs, ledger.FromEvent(gateway.Event{
			Time: now.Add(-time.Duration(i) * 4 * time.Minute), Agent: fmt.Sprintf("agent-%d", i%20), Model: "nova-lite",
			Usage: gateway.Usage{InputTokens: 100, OutputTokens: 50}, Cost: 2_000_000, Priced: true, Latency: time.Duration(i%1000) * time.Millisecond,
		}))
	}
	if err := st.Append(b.Context(), recs); err != nil {
		b.Fatal(err)
	}
	g, err := adminauth.New(adminauth.Options{Loopback: true})
	if err != nil {
		b.Fatal(err)
	}
	h := dashboard.New(dashboard.Options{Store: st, Guard: g, Now: func() time.Time { return now }})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Summary(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
