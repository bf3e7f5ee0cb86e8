package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

var start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func usd(p gateway.PicoUSD) float64 { return p.USD() }

// Events of each kind the gateway records, for the tables below.
var (
	upstream = gateway.Event{
		Agent: "alice", Model: "nova-pro", Priced: true,
		Usage:   gateway.Usage{InputTokens: 10, OutputTokens: 50, CacheReadTokens: 3, CacheWriteTokens: 2},
		Cost:    168_000_000,
		Latency: 1200 * time.Millisecond,
	}
	cached = gateway.Event{
		Agent: "bob", Model: "nova-pro", Cached: true, Priced: true,
		Usage:   upstream.Usage,
		Saved:   upstream.Cost,
		Latency: 50 * time.Microsecond,
	}
	coalesced = gateway.Event{
		Agent: "alice", Model: "nova-pro", Coalesced: true, Priced: true,
		Usage:   upstream.Usage,
		Saved:   upstream.Cost,
		Latency: 900 * time.Millisecond,
	}
	unpriced = gateway.Event{
		Agent: "carol", Model: "new-model",
		Usage:   gateway.Usage{InputTokens: 7, OutputTokens: 8},
		Latency: 2 * time.Second,
	}
	throttled = gateway.Event{
		Agent: "bob", Model: "claude", Kind: gateway.KindThrottled,
		Latency: 300 * time.Millisecond,
	}
	invalid = gateway.Event{Kind: gateway.KindInvalidRequest}
	// A stream cut midway: billed, at estimated usage.
	estimated = gateway.Event{
		Agent: "dave", Model: "cut", Kind: gateway.KindUnavailable, Priced: true,
		Usage: gateway.Usage{InputTokens: 40, OutputTokens: 3}, UsageEstimated: true, Cost: 41_600_000,
	}
)

func usdp(p gateway.PicoUSD) *float64 {
	v := p.USD()
	return &v
}

func TestRecord(t *testing.T) {
	tests := []struct {
		name   string
		events []gateway.Event
		pick   func(Snapshot) any
		want   any
	}{
		{
			name: "empty",
			pick: func(s Snapshot) any { return s },
			want: Snapshot{
				RequestsByModel:    map[string]int64{},
				ErrorsByKind:       map[gateway.ErrorKind]int64{},
				ByModel:            map[string]ModelStats{},
				RequestsByAgent:    map[string]AgentStats{},
				RequestsByFrontend: map[string]int64{},
			},
		},
		{
			name:   "request counts",
			events: []gateway.Event{upstream, cached, coalesced, unpriced, throttled, invalid},
			pick: func(s Snapshot) any {
				return []int64{s.TotalRequests, s.SuccessfulRequests, s.FailedRequests, s.CacheHits, s.CoalescedRequests, s.UnpricedRequests}
			},
			want: []int64{6, 4, 2, 1, 1, 1},
		},
		{
			name:   "fallbacks",
			events: []gateway.Event{upstream, {Model: "nova-lite", Fallbacks: 1}, {Model: "x", Fallbacks: 2, Kind: gateway.KindThrottled}},
			pick:   func(s Snapshot) any { return s.FallbackRequests },
			want:   int64(2),
		},
		{
			name:   "hit rate counts cached and coalesced answers",
			events: []gateway.Event{upstream, cached, coalesced, throttled},
			pick:   func(s Snapshot) any { return s.CacheHitRatePercent },
			want:   50.0,
		},
		{
			name:   "a coalesced failure is no hit",
			events: []gateway.Event{throttled, {Model: "claude", Coalesced: true, Kind: gateway.KindThrottled}},
			pick:   func(s Snapshot) any { return []any{s.CacheHitRatePercent, s.CoalescedRequests, s.FailedRequests} },
			want:   []any{0.0, int64(0), int64(2)},
		},
		{
			name:   "spend excludes cached and coalesced answers",
			events: []gateway.Event{upstream, cached, coalesced, upstream},
			pick:   func(s Snapshot) any { return s.TotalCostUSD },
			want:   usd(2 * upstream.Cost),
		},
		{
			name:   "saved counts cached and coalesced answers",
			events: []gateway.Event{upstream, cached, coalesced},
			pick:   func(s Snapshot) any { return s.CostSavedUSD },
			want:   usd(2 * upstream.Cost),
		},
		{
			name:   "tokens count upstream calls only",
			events: []gateway.Event{upstream, cached, coalesced, unpriced},
			pick:   func(s Snapshot) any { return []any{s.TotalTokens, s.Tokens} },
			want:   []any{int64(65 + 15), Tokens{Input: 17, Output: 58, CacheRead: 3, CacheWrite: 2}},
		},
		{
			name: "unpriced counts answers and failures that used tokens",
			events: []gateway.Event{
				unpriced,
				{Model: "new-model", Kind: gateway.KindModelError, Usage: gateway.Usage{OutputTokens: 4}},
				{Model: "new-model", Kind: gateway.KindThrottled},
				{Model: "new-model", Cached: true},
				invalid,
			},
			pick: func(s Snapshot) any { return s.UnpricedRequests },
			want: int64(2),
		},
		{
			name:   "errors by kind",
			events: []gateway.Event{throttled, throttled, invalid, upstream, {Kind: gateway.KindTimeout}},
			pick:   func(s Snapshot) any { return s.ErrorsByKind },
			want: map[gateway.ErrorKind]int64{
				gateway.KindThrottled:      2,
				gateway.KindInvalidRequest: 1,
				gateway.KindTimeout:        1,
			},
		},
		{
			name: "per frontend",
			events: []gateway.Event{
				{Model: "m", Frontend: "mcp"}, {Model: "m", Frontend: "openai"}, {Model: "m", Frontend: "openai", Cached: true},
				{Model: "m", Frontend: "anthropic", Kind: gateway.KindThrottled}, {Model: "m"},
			},
			pick: func(s Snapshot) any { return s.RequestsByFrontend },
			// Every request counts under its front end, answered or not;
			// one that names none (a caller of the core itself) under none.
			want: map[string]int64{"mcp": 1, "openai": 2, "anthropic": 1},
		},
		{
			name:   "per agent",
			events: []gateway.Event{upstream, cached, coalesced, unpriced, throttled, invalid},
			pick:   func(s Snapshot) any { return s.RequestsByAgent },
			// An agent that spent only at unknown prices has a null cost,
			// never 0; one that spent nothing upstream has $0.
			want: map[string]AgentStats{
				"alice":   {Requests: 2, Tokens: 65, CostUSD: usdp(upstream.Cost)},
				"bob":     {Requests: 2, CostUSD: usdp(0)},
				"carol":   {Requests: 1, Tokens: 15, UnpricedRequests: 1},
				Anonymous: {Requests: 1, CostUSD: usdp(0)},
			},
		},
		{
			name:   "requests by model",
			events: []gateway.Event{upstream, cached, coalesced, unpriced, throttled, invalid},
			pick:   func(s Snapshot) any { return s.RequestsByModel },
			want:   map[string]int64{"nova-pro": 3, "new-model": 1, "claude": 1, NoModel: 1},
		},
		{
			name:   "per model",
			events: []gateway.Event{upstream, cached, coalesced, throttled, unpriced, estimated},
			pick: func(s Snapshot) any {
				// Latency is checked in TestLatency.
				for name, m := range s.ByModel {
					m.LatencyMs = Latency{}
					s.ByModel[name] = m
				}
				return s.ByModel
			},
			want: map[string]ModelStats{
				"nova-pro": {
					Requests: 3, CacheHits: 1, CoalescedRequests: 1,
					InputTokens: 10, OutputTokens: 50, CostUSD: usdp(upstream.Cost),
				},
				"claude":    {Requests: 1, Errors: 1, CostUSD: usdp(0)},
				"new-model": {Requests: 1, InputTokens: 7, OutputTokens: 8, UnpricedRequests: 1},
				"cut": {Requests: 1, Errors: 1, InputTokens: 40, OutputTokens: 3,
					CostUSD: usdp(estimated.Cost), UsageEstimatedRequests: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(Options{Now: func() time.Time { return start }})
			for _, e := range tt.events {
				r.Record(context.Background(), e)
			}
			if diff := cmp.Diff(tt.want, tt.pick(r.Snapshot())); diff != "" {
				t.Errorf("Snapshot() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCostOverflow checks that a total too large for a PicoUSD is reported
// as overflowed and unknown, never as a wrapped-around number.
func TestCostOverflow(t *testing.T) {
	r := New(Options{})
	big := gateway.Event{Agent: "a", Model: "m", Priced: true, Usage: gateway.Usage{InputTokens: 1}, Cost: math.MaxInt64 / 2}
	for range 3 {
		r.Record(context.Background(), big)
	}
	s := r.Snapshot()
	if !s.CostOverflowed || s.ByModel["m"].CostUSD != nil || s.RequestsByAgent["a"].CostUSD != nil {
		t.Errorf("after overflow: overflowed %v, model cost %v, agent cost %v; want true, null, null",
			s.CostOverflowed, s.ByModel["m"].CostUSD, s.RequestsByAgent["a"].CostUSD)
	}
}

func TestCostIsExact(t *testing.T) {
	// A float sum of 100,000 costs of $0.000001 drifts; the PicoUSD sum
	// does not.
	r := New(Options{})
	const n, each = 100_000, gateway.PicoUSD(1_000_000)
	for range n {
		r.Record(context.Background(), gateway.Event{Model: "m", Priced: true, Cost: each})
	}
	if got, want := r.Snapshot().TotalCostUSD, 0.1; got != want {
		t.Errorf("TotalCostUSD = %v, want %v", got, want)
	}
}

func TestLatency(t *testing.T) {
	r := New(Options{})
	// 1ms, 2ms, ..., 100ms on model a; 1s on model b.
	for i := 1; i <= 100; i++ {
		r.Record(context.Background(), gateway.Event{Model: "a", Latency: time.Duration(i) * time.Millisecond})
	}
	r.Record(context.Background(), gateway.Event{Model: "b", Latency: time.Second})
	s := r.Snapshot()

	within := func(name string, got, want float64) {
		t.Helper()
		if d := got - want; d > want*relError || -d > want*relError {
			t.Errorf("%s = %vms, want %vms within %.3f%%", name, got, want, relError*100)
		}
	}
	// Nearest rank over 101 samples: p50 is the 51st, p95 the 96th, p99 the 100th.
	within("p50", s.LatencyMs.P50, 51)
	within("p95", s.LatencyMs.P95, 96)
	within("p99", s.LatencyMs.P99, 100)
	if got, want := s.LatencyMs.Max, 1000.0; got != want {
		t.Errorf("max = %vms, want %vms", got, want)
	}
	if got, want := s.AverageLatencyMs, ms(6050*time.Millisecond/101); got != want {
		t.Errorf("AverageLatencyMs = %v, want %v", got, want)
	}
	a := s.ByModel["a"].LatencyMs
	within("a p50", a.P50, 50)
	within("a p95", a.P95, 95)
	within("a p99", a.P99, 99)
	if got, want := s.ByModel["b"].LatencyMs, (Latency{P50: 1000, P95: 1000, P99: 1000, Max: 1000}); got != want {
		t.Errorf("b latency = %+v, want %+v", got, want)
	}
}

func TestUptime(t *testing.T) {
	now := start
	r := New(Options{Now: func() time.Time { return now }})
	now = now.Add(90 * time.Second)
	if got := r.Snapshot().UptimeSeconds; got != 90 {
		t.Errorf("UptimeSeconds = %v, want 90", got)
	}
}

func TestNameCaps(t *testing.T) {
	r := New(Options{MaxModels: 2, MaxAgents: 1})
	for _, name := range []string{"a", "b", "c", "d", "a"} {
		r.Record(context.Background(), gateway.Event{Model: name, Agent: name})
	}
	s := r.Snapshot()
	if diff := cmp.Diff(map[string]int64{"a": 2, "b": 1, Other: 2}, s.RequestsByModel); diff != "" {
		t.Errorf("RequestsByModel mismatch (-want +got):\n%s", diff)
	}
	// Answers with no price are unpriced, so their agents' cost is null.
	if diff := cmp.Diff(map[string]AgentStats{"a": {Requests: 2, UnpricedRequests: 2}, Other: {Requests: 3, UnpricedRequests: 3}}, s.RequestsByAgent); diff != "" {
		t.Errorf("RequestsByAgent mismatch (-want +got):\n%s", diff)
	}
}

func TestMadeUpNamesAreNotKeys(t *testing.T) {
	r := New(Options{})
	long := strings.Repeat("x", gateway.MaxNameBytes+1)
	for i := range 3 {
		r.Record(context.Background(), gateway.Event{Model: fmt.Sprint("made-up-", i), Kind: gateway.KindUnknownModel, Agent: "a"})
	}
	r.Record(context.Background(), gateway.Event{Model: "nova-pro", Agent: long})
	s := r.Snapshot()
	if diff := cmp.Diff(map[string]int64{Unknown: 3, "nova-pro": 1}, s.RequestsByModel); diff != "" {
		t.Errorf("RequestsByModel mismatch (-want +got):\n%s", diff)
	}
	// Refusals spent nothing ($0); an answer with no price is unpriced.
	if diff := cmp.Diff(map[string]AgentStats{"a": {Requests: 3, CostUSD: usdp(0)}, Other: {Requests: 1, UnpricedRequests: 1}}, s.RequestsByAgent); diff != "" {
		t.Errorf("RequestsByAgent mismatch (-want +got):\n%s", diff)
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	r := New(Options{})
	r.Record(context.Background(), upstream)
	s := r.Snapshot()
	s.RequestsByModel["nova-pro"] = 99
	s.ErrorsByKind[gateway.KindTimeout] = 99
	if got := r.Snapshot(); got.RequestsByModel["nova-pro"] != 1 || len(got.ErrorsByKind) != 0 {
		t.Errorf("changing a snapshot changed the registry: %+v", got)
	}
}

func TestSnapshotJSONNames(t *testing.T) {
	r := New(Options{})
	r.Record(context.Background(), upstream)
	b, err := json.Marshal(r.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		// The reference design's names, kept.
		"total_requests", "total_tokens", "total_cost_usd", "cache_hit_rate_percent", "average_latency_ms", "requests_by_model",
		// Additions.
		"successful_requests", "failed_requests", "cache_hits", "coalesced_requests", "errors_by_kind", "latency_ms",
		"cost_saved_usd", "unpriced_requests", "tokens", "by_model", "requests_by_agent", "uptime_seconds",
	} {
		if _, ok := got[name]; !ok {
			t.Errorf("JSON snapshot lacks %q: %s", name, b)
		}
	}
}

func TestConcurrentRecord(t *testing.T) {
	r := New(Options{})
	const workers, rounds = 4, 1000
	events := []gateway.Event{upstream, cached, coalesced, unpriced, throttled, invalid}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				r.Record(context.Background(), events[(w+i)%len(events)])
				if i%100 == 0 {
					r.Snapshot()
				}
			}
		})
	}
	wg.Wait()

	s := r.Snapshot()
	if got, want := s.TotalRequests, int64(workers*rounds); got != want {
		t.Errorf("TotalRequests = %d, want %d", got, want)
	}
	var byModel, byAgent int64
	for _, n := range s.RequestsByModel {
		byModel += n
	}
	for _, a := range s.RequestsByAgent {
		byAgent += a.Requests
	}
	if byModel != s.TotalRequests || byAgent != s.TotalRequests {
		t.Errorf("requests by model add up to %d, by agent to %d, want %d", byModel, byAgent, s.TotalRequests)
	}
}

func BenchmarkRecord(b *testing.B) {
	r := New(Options{})
	events := []gateway.Event{upstream, cached, coalesced, unpriced, throttled, invalid}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r.Record(context.Background(), events[i%len(events)])
			i++
		}
	})
}

func BenchmarkSnapshot(b *testing.B) {
	r := New(Options{})
	for i := range 20 {
		r.Record(context.Background(), gateway.Event{Model: fmt.Sprintf("model-%d", i), Agent: fmt.Sprintf("agent-%d", i), Latency: time.Second})
	}
	for b.Loop() {
		r.Snapshot()
	}
}
