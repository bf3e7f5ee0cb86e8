package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/metrics"
)

func ExampleRegistry() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	r := metrics.New(metrics.Options{Now: func() time.Time { return now }})

	// A model call, then the same request answered from the cache.
	usage := gateway.Usage{InputTokens: 10, OutputTokens: 50}
	cost := gateway.PicoUSD(10*800_000 + 50*3_200_000)
	r.Record(context.Background(), gateway.Event{Agent: "planner", Model: "nova-lite", Usage: usage, Priced: true, Cost: cost, Latency: 1200 * time.Millisecond})
	r.Record(context.Background(), gateway.Event{Agent: "planner", Model: "nova-lite", Usage: usage, Priced: true, Cached: true, Saved: cost, Latency: time.Millisecond})
	now = now.Add(time.Minute)

	s := r.Snapshot()
	fmt.Printf("%d requests, %.1f%% from cache, spent $%.6f, saved $%.6f\n",
		s.TotalRequests, s.CacheHitRatePercent, s.TotalCostUSD, s.CostSavedUSD)
	b, _ := json.Marshal(s.RequestsByAgent)
	fmt.Println(string(b))
	// Output:
	// 2 requests, 50.0% from cache, spent $0.000168, saved $0.000168
	// {"planner":{"requests":2,"tokens":60,"cost_usd":0.000168,"unpriced_requests":0}}
}
