package metrics

import (
	"maps"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Snapshot is the registry's totals at one moment, as the get_stats tool
// shows them. The first six fields keep the names of the reference design;
// the rest are additions. Money is in US dollars, converted from exact
// picodollar sums; latency is in milliseconds; every map is non-nil.
type Snapshot struct {
	TotalRequests int64 `json:"total_requests"`
	// TotalTokens counts the tokens billed upstream (see Tokens).
	TotalTokens int64 `json:"total_tokens"`
	// TotalCostUSD is the spend on model calls; cached and coalesced
	// answers cost nothing. Calls at an unknown price are left out and
	// counted in UnpricedRequests.
	TotalCostUSD float64 `json:"total_cost_usd"`
	// CacheHitRatePercent is (CacheHits + CoalescedRequests) /
	// TotalRequests × 100, or 0 before any request: both kinds of answer
	// were served without a model call of their own.
	CacheHitRatePercent float64 `json:"cache_hit_rate_percent"`
	// AverageLatencyMs is the exact mean latency of every request, as the
	// agent waited for it (cache hits and failures included).
	AverageLatencyMs float64          `json:"average_latency_ms"`
	RequestsByModel  map[string]int64 `json:"requests_by_model"`

	SuccessfulRequests int64 `json:"successful_requests"`
	FailedRequests     int64 `json:"failed_requests"`
	// CacheHits counts successful answers from the response cache.
	CacheHits int64 `json:"cache_hits"`
	// CoalescedRequests counts successful answers shared from an identical
	// request already in flight.
	CoalescedRequests int64 `json:"coalesced_requests"`
	// FallbackRequests counts requests on which at least one model failed
	// and another was tried.
	FallbackRequests int64                       `json:"fallback_requests"`
	ErrorsByKind     map[gateway.ErrorKind]int64 `json:"errors_by_kind"`
	// LatencyMs is the distribution of the latencies averaged above.
	LatencyMs Latency `json:"latency_ms"`
	// CostSavedUSD is what cached and coalesced answers would have cost.
	CostSavedUSD float64 `json:"cost_saved_usd"`
	// UnpricedRequests counts model calls whose price the gateway does not
	// know (successful, or failed after using tokens).
	// CostOverflowed is true when a spend total grew past what a PicoUSD
	// holds (about $9.2 million): the totals in dollars are then null.
	CostOverflowed bool `json:"cost_overflowed,omitempty"`
	// UsageEstimatedRequests counts requests whose usage was estimated
	// because Bedrock never reported it (a stream cut midway).
	UsageEstimatedRequests int64 `json:"usage_estimated_requests"`
	UnpricedRequests       int64 `json:"unpriced_requests"`
	// Tokens counts the tokens billed upstream, by kind. Cached and
	// coalesced answers add none: their tokens were billed to the call
	// that produced them.
	Tokens          Tokens                `json:"tokens"`
	ByModel         map[string]ModelStats `json:"by_model"`
	RequestsByAgent map[string]AgentStats `json:"requests_by_agent"`
	// RequestsByFrontend counts requests by the API they came through:
	// "mcp", "openai", "anthropic".
	RequestsByFrontend map[string]int64 `json:"requests_by_frontend"`
	UptimeSeconds      float64          `json:"uptime_seconds"`
}

// Latency summarises a latency distribution in milliseconds. Percentiles
// are nearest-rank estimates within 3.125% of the exact value (32 ns below
// 1µs) for latencies under 18 minutes; Max is exact. All are 0 when
// nothing was recorded.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Tokens counts tokens by kind.
type Tokens struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cache_read"`
	CacheWrite int64 `json:"cache_write"`
}

// ModelStats are one model's totals. Tokens and cost count as in Snapshot.
// CostUSD sums the calls whose price is known; it is null, never 0, when
// every call that spent did so at an unknown price (UnpricedRequests says
// how many did).
type ModelStats struct {
	Requests          int64    `json:"requests"`
	CacheHits         int64    `json:"cache_hits"`
	CoalescedRequests int64    `json:"coalesced_requests"`
	Errors            int64    `json:"errors"`
	InputTokens       int64    `json:"input_tokens"`
	OutputTokens      int64    `json:"output_tokens"`
	CostUSD           *float64 `json:"cost_usd"`
	UnpricedRequests  int64    `json:"unpriced_requests"`
	// UsageEstimatedRequests counts requests whose usage was estimated.
	UsageEstimatedRequests int64   `json:"usage_estimated_requests"`
	LatencyMs              Latency `json:"latency_ms"`
}

// AgentStats are one agent's totals. Tokens counts every kind billed
// upstream for the agent's requests; cost counts as in Snapshot.
type AgentStats struct {
	Requests         int64    `json:"requests"`
	Tokens           int64    `json:"tokens"`
	CostUSD          *float64 `json:"cost_usd"`
	UnpricedRequests int64    `json:"unpriced_requests"`
}

// Snapshot returns the totals so far.
func (r *Registry) Snapshot() Snapshot {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Snapshot{
		TotalRequests:          r.requests,
		TotalTokens:            r.tokens.total(),
		TotalCostUSD:           r.cost.sum.USD(),
		AverageLatencyMs:       ms(r.latency.mean()),
		RequestsByModel:        make(map[string]int64, len(r.models)),
		SuccessfulRequests:     r.requests - r.failures,
		FailedRequests:         r.failures,
		CacheHits:              r.cacheHits,
		CoalescedRequests:      r.coalesced,
		FallbackRequests:       r.fallbacks,
		ErrorsByKind:           make(map[gateway.ErrorKind]int64, len(r.errors)),
		LatencyMs:              summarise(&r.latency),
		CostSavedUSD:           r.saved.sum.USD(),
		UnpricedRequests:       r.unpriced,
		CostOverflowed:         r.cost.overflow || r.saved.overflow,
		UsageEstimatedRequests: r.estimated,
		Tokens: Tokens{
			Input:      r.tokens.input,
			Output:     r.tokens.output,
			CacheRead:  r.tokens.cacheRead,
			CacheWrite: r.tokens.cacheWrite,
		},
		ByModel:            make(map[string]ModelStats, len(r.models)),
		RequestsByAgent:    make(map[string]AgentStats, len(r.agents)),
		RequestsByFrontend: maps.Clone(r.frontends),
		UptimeSeconds:      now.Sub(r.start).Seconds(),
	}
	if r.requests > 0 {
		s.CacheHitRatePercent = float64(r.cacheHits+r.coalesced) / float64(r.requests) * 100
	}
	for k, n := range r.errors {
		s.ErrorsByKind[k] = n
	}
	for name, m := range r.models {
		s.RequestsByModel[name] = m.requests
		s.ByModel[name] = ModelStats{
			Requests:               m.requests,
			CacheHits:              m.cacheHits,
			CoalescedRequests:      m.coalesced,
			Errors:                 m.errors,
			InputTokens:            m.tokens.input,
			OutputTokens:           m.tokens.output,
			CostUSD:                m.cost.usd(),
			UnpricedRequests:       m.cost.unpriced,
			UsageEstimatedRequests: m.estimated,
			LatencyMs:              summarise(&m.latency),
		}
	}
	for name, a := range r.agents {
		s.RequestsByAgent[name] = AgentStats{Requests: a.requests, Tokens: a.tokens, CostUSD: a.cost.usd(), UnpricedRequests: a.cost.unpriced}
	}
	return s
}

func summarise(h *histogram) Latency {
	return Latency{
		P50: ms(h.quantile(0.50)),
		P95: ms(h.quantile(0.95)),
		P99: ms(h.quantile(0.99)),
		Max: ms(time.Duration(h.max)),
	}
}

// ms converts to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
