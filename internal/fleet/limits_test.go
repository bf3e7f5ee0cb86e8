package fleet

import (
	"net"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"

	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/policy/policytest"

	"github.com/llm-gateway/llm-gateway/internal/fleet/redistest"
)

func TestLimitsContract(t *testing.T) {
	url, _ := redistest.URL(t)
	policytest.Run(t, func(t *testing.T) policy.State {
		return newFleet(t, Options{URL: url, Prefix: newPrefix(t)}).Limits()
	})
}

// TestLimitsExactBeyondFloat: pico-dollar budgets pass 2^53, where Lua's
// numbers round; a claim one pico-dollar over the limit is still refused.
func TestLimitsExactBeyondFloat(t *testing.T) {
	url, _ := redistest.URL(t)
	l := newFleet(t, Options{URL: url, Prefix: newPrefix(t)}).Limits()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const limit = 20_000*gateway.PicoPerUSD + 1 // $20,000 and one pico-dollar
	c := func(amount int64) []policy.Claim {
		return []policy.Claim{{Key: "global|budget.monthly_usd", Max: limit, Amount: amount}}
	}
	for _, step := range []struct {
		amount  int64
		refused int
	}{
		{limit - 1, -1}, // leaves exactly 1
		{2, 0},          // one over
		{1, -1},         // exactly full
		{1, 0},
	} {
		claims := c(step.amount)
		g, err := l.Claim(t.Context(), claims, now, now.Add(time.Hour))
		if err != nil || g.Refused != step.refused {
			t.Fatalf("claim %d = %+v, %v; want refused %d", step.amount, g, err, step.refused)
		}
	}
	counters, err := l.Counters(t.Context(), now)
	if err != nil || len(counters) != 1 || counters[0].Held != limit {
		t.Errorf("Counters = %+v, %v; want %d held exactly", counters, err, int64(limit))
	}
}

// TestFailoverWhileRedisIsDown: FAIL_MODE closed refuses what holds a
// budget and counts rate limits locally; open counts everything locally.
func TestFailoverWhileRedisIsDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rpm := policy.Claim{Key: "agent:a|requests_per_minute", Window: now.Unix(), End: now.Add(time.Minute).Unix(), Max: 1, Amount: 1, Instant: true}
	budget := policy.Claim{Key: "agent:a|budget.daily_usd", Max: 100, Amount: 10}
	for _, open := range []bool{false, true} {
		s := &Failover{Shared: newFleet(t, Options{URL: "redis://" + addr}).Limits(), Local: policy.NewMemory(), Open: open}
		g, err := s.Claim(t.Context(), []policy.Claim{rpm}, now, now.Add(time.Hour))
		if err != nil || g.Refused != -1 {
			t.Errorf("open=%v: rate claim = %+v, %v; want counted locally", open, g, err)
		}
		if g, err := s.Claim(t.Context(), []policy.Claim{rpm}, now, now.Add(time.Hour)); err != nil || g.Refused != 0 {
			t.Errorf("open=%v: second rate claim = %+v, %v; want refused by the local count", open, g, err)
		}
		g, err = s.Claim(t.Context(), []policy.Claim{budget}, now, now.Add(time.Hour))
		switch {
		case !open && err == nil:
			t.Errorf("closed: budget claim = %+v, want an error (budgets cannot be checked)", g)
		case open && (err != nil || g.Refused != -1 || g.ID >= 0):
			t.Errorf("open: budget claim = %+v, %v; want a local hold (negative ID)", g, err)
		case open:
			if err := s.Release(t.Context(), g.ID, []policy.Claim{budget}, []int64{7}); err != nil {
				t.Errorf("open: release of the local hold: %v", err)
			}
			if c, _ := s.Counters(t.Context(), now); len(c) != 2 {
				t.Errorf("open: counters = %+v, want the local rate and budget counters", c)
			}
		}
	}
}
