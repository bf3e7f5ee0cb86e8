// Package policytest is the contract every policy.State passes: the
// memory one, SQLite, and any shared store added later. Call Run from the
// implementation's tests with a function that gives a fresh, empty state.
package policytest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/policy"
)

// Run checks newState's states against the State contract.
func Run(t *testing.T, newState func(t *testing.T) policy.State) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	later := t0.Add(time.Hour)
	budget := func(max, amount int64) policy.Claim {
		return policy.Claim{Key: "agent:a|budget.daily_usd", Window: t0.Truncate(24 * time.Hour).Unix(), End: t0.Truncate(24 * time.Hour).Add(24 * time.Hour).Unix(), Max: max, Amount: amount}
	}

	t.Run("claims hold until released, then count what was used", func(t *testing.T) {
		s := newState(t)
		ctx := t.Context()
		g := claim(t, s, t0, later, budget(100, 60))
		if g.Refused != -1 || g.ID == 0 {
			t.Fatalf("first claim = %+v, want granted with a hold", g)
		}
		if g := claim(t, s, t0, later, budget(100, 60)); g.Refused != 0 {
			t.Fatalf("a claim past the limit = %+v, want refused", g)
		}
		if err := s.Release(ctx, g.ID, []policy.Claim{budget(100, 60)}, []int64{25}); err != nil {
			t.Fatal(err)
		}
		want := policy.Claim{Used: 25, Held: 0}
		c := []policy.Claim{budget(100, 75)}
		g2, err := s.Claim(ctx, c, t0, later)
		if err != nil || g2.Refused != -1 || c[0].Used != want.Used || c[0].Held != want.Held {
			t.Fatalf("claim after release = %+v %v, figures used %d held %d; want granted at used 25 held 0", g2, err, c[0].Used, c[0].Held)
		}
		if g := claim(t, s, t0, later, budget(100, 1)); g.Refused != 0 {
			t.Fatalf("a claim of 1 over a full limit = %+v, want refused", g)
		}
		counters, err := s.Counters(ctx, t0)
		if err != nil || len(counters) != 1 || counters[0].Used != 25 || counters[0].Held != 75 || counters[0].Key != "agent:a|budget.daily_usd" {
			t.Fatalf("Counters = %+v %v, want one counter used 25 held 75", counters, err)
		}
	})

	t.Run("all or nothing", func(t *testing.T) {
		s := newState(t)
		rpm := policy.Claim{Key: "agent:a|requests_per_minute", Window: t0.Unix(), End: t0.Add(time.Minute).Unix(), Max: 10, Amount: 1, Instant: true}
		if g := claim(t, s, t0, later, rpm, budget(100, 101)); g.Refused != 1 {
			t.Fatalf("claim = %+v, want the budget (index 1) refused", g)
		}
		counters, _ := s.Counters(t.Context(), t0)
		for _, c := range counters {
			if c.Used != 0 || c.Held != 0 {
				t.Errorf("a refused claim counted: %+v", c)
			}
		}
		// Instant claims count at once and hold nothing.
		for range 10 {
			if g := claim(t, s, t0, later, rpm); g.Refused != -1 || g.ID != 0 {
				t.Fatalf("instant claim = %+v, want granted, no hold", g)
			}
		}
		if g := claim(t, s, t0, later, rpm); g.Refused != 0 {
			t.Fatalf("11th request = %+v, want refused", g)
		}
		// The next window starts afresh.
		next := rpm
		next.Window, next.End = rpm.End, rpm.End+60
		if g := claim(t, s, t0.Add(time.Minute), later, next); g.Refused != -1 {
			t.Fatalf("request in the next minute = %+v, want granted", g)
		}
	})

	t.Run("seed applies to a new counter only", func(t *testing.T) {
		s := newState(t)
		c := budget(100, 10)
		c.Seed, c.Seeded = 95, true
		if g := claim(t, s, t0, later, c); g.Refused != 0 {
			t.Fatalf("claim over a seeded counter = %+v, want refused", g)
		}
		c.Amount = 5
		if g := claim(t, s, t0, later, c); g.Refused != -1 {
			t.Fatalf("claim within a seeded counter = %+v, want granted", g)
		}
		// A counter that exists keeps its count: 95 used, 5 held.
		c.Seed, c.Amount = 0, 1
		if g := claim(t, s, t0, later, c); g.Refused != 0 {
			t.Fatalf("claim = %+v, want refused at 95+5+1 of 100", g)
		}
	})

	t.Run("expired holds stop counting", func(t *testing.T) {
		s := newState(t)
		conc := policy.Claim{Key: "global|max_concurrent", Max: 1, Amount: 1}
		if g := claim(t, s, t0, t0.Add(time.Minute), conc); g.Refused != -1 {
			t.Fatalf("claim = %+v", g)
		}
		if g := claim(t, s, t0.Add(59*time.Second), later, conc); g.Refused != 0 {
			t.Fatalf("claim before expiry = %+v, want refused", g)
		}
		g := claim(t, s, t0.Add(time.Minute), later, conc)
		if g.Refused != -1 {
			t.Fatalf("claim after the first hold expired = %+v, want granted", g)
		}
		// Releasing twice, or a hold that expired, does not free more.
		for range 2 {
			if err := s.Release(t.Context(), g.ID, []policy.Claim{conc}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if g := claim(t, s, t0.Add(time.Minute), later, conc); g.Refused != -1 {
			t.Fatalf("claim = %+v", g)
		}
		if g := claim(t, s, t0.Add(time.Minute), later, conc); g.Refused != 0 {
			t.Fatalf("a second concurrent claim = %+v, want refused", g)
		}
	})

	t.Run("counters of ended windows are not listed", func(t *testing.T) {
		s := newState(t)
		claim(t, s, t0, later, budget(100, 1))
		counters, err := s.Counters(t.Context(), t0.Add(48*time.Hour))
		if err != nil || len(counters) != 0 {
			t.Fatalf("Counters two days later = %+v %v, want none", counters, err)
		}
	})

	t.Run("50 concurrent calls never overshoot a budget", func(t *testing.T) {
		concurrentBudget(t, newState(t))
	})

	t.Run("concurrent claims never pass the limit", func(t *testing.T) {
		s := newState(t)
		const callers, max, each = 50, 1000, 90
		var granted atomic.Int64
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				c := []policy.Claim{budget(max, each)}
				g, err := s.Claim(context.Background(), c, t0, later)
				if err != nil {
					t.Error(err)
					return
				}
				if g.Refused == -1 {
					granted.Add(1)
					if err := s.Release(context.Background(), g.ID, c, []int64{each}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if got := granted.Load(); got != max/each {
			t.Errorf("%d claims granted, want exactly %d", got, max/each)
		}
		counters, _ := s.Counters(t.Context(), t0)
		if len(counters) != 1 || counters[0].Used != max/each*each || counters[0].Held != 0 {
			t.Errorf("counters = %+v, want used %d, held 0", counters, max/each*each)
		}
	})
}

// concurrentBudget reserves 50 calls at once through a Governor, whose
// worst cases together are five times what remains of the budget, then
// settles each admitted call at its worst case: exactly the calls that fit
// are admitted, and spend ends at the budget, not past it.
func concurrentBudget(t *testing.T, state policy.State) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p, err := policy.Parse([]byte("defaults: {budget: {daily_usd: 2}}"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := policy.New(p, policy.Options{State: state, Now: func() time.Time { return now }})
	ctx := context.Background()
	model := gateway.Model{Name: "nova-pro", Price: &gateway.Price{Input: 800, Output: 3200}}
	reserve := func(worst gateway.PicoUSD) (gateway.Settle, error) {
		return g.Reserve(ctx, gateway.Reservation{Agent: "a", Model: model, InputTokens: 10, MaxOutputTokens: 10, WorstCase: worst, Priced: true, Time: now})
	}
	// $0.75 spent already: $1.25 remains.
	first, err := reserve(gateway.PicoPerUSD)
	if err != nil {
		t.Fatal(err)
	}
	first(ctx, gateway.Usage{}, gateway.PicoPerUSD*3/4, true)
	const calls = 50
	remaining := gateway.PicoUSD(gateway.PicoPerUSD * 5 / 4)
	worst := remaining * 5 / calls

	var mu sync.Mutex
	var settles []gateway.Settle
	var refused int
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			settle, err := reserve(worst)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				settles = append(settles, settle)
			case gateway.KindOf(err) == gateway.KindBudgetExceeded:
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if want := int(remaining / worst); len(settles) != want || refused != calls-want {
		t.Errorf("%d admitted, %d refused; want exactly %d admitted", len(settles), refused, want)
	}
	for _, s := range settles {
		s(ctx, gateway.Usage{}, worst, true)
	}
	figs := g.Limits(ctx, "a", false).Agents["a"]
	if len(figs) != 1 || figs[0].Used != 2 || figs[0].Reserved != 0 || figs[0].Remaining != 0 {
		t.Errorf("budget after settling: %+v, want $2 spent of $2, nothing reserved", figs)
	}
}

func claim(t *testing.T, s policy.State, now, expires time.Time, claims ...policy.Claim) policy.Grant {
	t.Helper()
	g, err := s.Claim(t.Context(), claims, now, expires)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return g
}

// BenchmarkAdmission measures one request's whole pass through a Governor
// over state (enter, allow, reserve, settle, leave) under a policy that
// limits every call in each way.
func BenchmarkAdmission(b *testing.B, state policy.State) {
	p, err := policy.Parse([]byte(`
defaults:
  requests_per_minute: 1000000000
  tokens_per_minute: 1000000000000
  max_concurrent: 1000
  budget: { daily_usd: 1000000 }
`), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	g := policy.New(p, policy.Options{State: state})
	ctx := context.Background()
	model := gateway.Model{Name: "nova-lite", Price: &gateway.Price{Input: 60, Output: 240}}
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		leave, err := g.Enter(ctx, gateway.Entry{Agent: "a", Time: now})
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Allow(ctx, "a", model); err != nil {
			b.Fatal(err)
		}
		settle, err := g.Reserve(ctx, gateway.Reservation{Agent: "a", Model: model, InputTokens: 200, MaxOutputTokens: 500, WorstCase: 200*60 + 500*240, Priced: true, Time: now})
		if err != nil {
			b.Fatal(err)
		}
		settle(ctx, gateway.Usage{InputTokens: 150, OutputTokens: 100}, 150*60+100*240, true)
		leave()
	}
}
