package policy

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

var testCatalog = []string{"nova-lite", "nova-pro", "claude-opus", "free-model"}

func mustParse(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src), func(m string) bool { return contains(testCatalog, m) }, testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var (
	novaPro  = gateway.Model{Name: "nova-pro", Price: &gateway.Price{Input: 800, Output: 3200}}
	freeish  = gateway.Model{Name: "free-model"}
	dollar   = int64(gateway.PicoPerUSD)
	tenCents = gateway.PicoUSD(dollar / 10)
)

func reservation(agent string, m gateway.Model, worst gateway.PicoUSD, at time.Time) gateway.Reservation {
	return gateway.Reservation{Agent: agent, Model: m, InputTokens: 100, MaxOutputTokens: 100, WorstCase: worst, Priced: m.Price != nil, Time: at}
}

func kindOf(err error) gateway.ErrorKind { return gateway.KindOf(err) }

func TestRequestsPerMinuteBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(mustParse(t, "defaults: {requests_per_minute: 5}"), Options{})
		ctx := t.Context()
		burst := func() (admitted int, retry time.Duration) {
			for range 8 {
				leave, err := g.Enter(ctx, gateway.Entry{Agent: "a", Time: time.Now()})
				if err != nil {
					r := gateway.RefusalOf(err)
					if kindOf(err) != gateway.KindRateLimited || r == nil || r.RetryAfter <= 0 {
						t.Fatalf("refusal = %v (%+v), want rate_limited with a retry-after", err, r)
					}
					retry = r.RetryAfter
					continue
				}
				leave()
				admitted++
			}
			return admitted, retry
		}
		time.Sleep(10 * time.Second) // mid-window
		n, retry := burst()
		if n != 5 || retry != 50*time.Second {
			t.Fatalf("burst admitted %d, retry after %v; want 5 and 50s", n, retry)
		}
		// Another agent has its own count.
		if leave, err := g.Enter(ctx, gateway.Entry{Agent: "b", Time: time.Now()}); err != nil {
			t.Fatalf("agent b refused: %v", err)
		} else {
			leave()
		}
		time.Sleep(retry - time.Millisecond)
		if _, err := g.Enter(ctx, gateway.Entry{Agent: "a", Time: time.Now()}); err == nil {
			t.Fatal("admitted before the window ended")
		}
		time.Sleep(time.Millisecond)
		if n, _ := burst(); n != 5 {
			t.Fatalf("next window admitted %d, want 5", n)
		}
	})
}

func TestMaxConcurrent(t *testing.T) {
	g := New(mustParse(t, "defaults: {max_concurrent: 2}\nglobal: {max_concurrent: 3}"), Options{})
	ctx := t.Context()
	enter := func(agent string) (func(), error) { return g.Enter(ctx, gateway.Entry{Agent: agent}) }
	l1, _ := enter("a")
	l2, _ := enter("a")
	if _, err := enter("a"); kindOf(err) != gateway.KindRateLimited || !strings.Contains(err.Error(), "max_concurrent") {
		t.Fatalf("third call = %v, want rate_limited by max_concurrent", err)
	}
	l3, err := enter("b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enter("c"); err == nil || !strings.Contains(err.Error(), "global") {
		t.Fatalf("fourth call overall = %v, want refused by the global limit", err)
	}
	l1()
	l4, err := enter("a")
	if err != nil {
		t.Fatalf("after one left: %v", err)
	}
	l2()
	l3()
	l4()
}

// TestModelRateAndConcurrency: a model's requests_per_minute and
// max_concurrent count the calls sent to it by every agent together, each
// held from its reservation to its settlement; other models are not
// counted against them.
func TestModelRateAndConcurrency(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC)
	g := New(mustParse(t, "models: {nova-pro: {requests_per_minute: 3, max_concurrent: 2}}"), Options{Now: func() time.Time { return now }})
	ctx := t.Context()
	reserve := func(agent string, m gateway.Model) (gateway.Settle, error) {
		return g.Reserve(ctx, reservation(agent, m, 1, now))
	}
	s1, err := reserve("a", novaPro)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := reserve("b", novaPro)
	if err != nil {
		t.Fatal(err)
	}
	_, err = reserve("c", novaPro)
	if r := gateway.RefusalOf(err); kindOf(err) != gateway.KindRateLimited || r == nil || r.Limit != "max_concurrent" || r.Scope != "model:nova-pro" {
		t.Fatalf("a third call to nova-pro in flight = %v, want rate_limited by the model's max_concurrent", err)
	}
	lite := gateway.Model{Name: "nova-lite", Price: novaPro.Price}
	if _, err := reserve("c", lite); err != nil {
		t.Fatalf("another model is not capped: %v", err)
	}
	s1(ctx, gateway.Usage{}, 1, true)
	s3, err := reserve("c", novaPro)
	if err != nil {
		t.Fatalf("after one call to nova-pro ended: %v", err)
	}
	s2(ctx, gateway.Usage{}, 1, true)
	s3(ctx, gateway.Usage{}, 1, true)
	// Three calls were sent this minute: the fourth waits for the next.
	_, err = reserve("d", novaPro)
	if r := gateway.RefusalOf(err); r == nil || r.Limit != "requests_per_minute" || r.RetryAfter != 30*time.Second {
		t.Fatalf("a fourth call in the minute = %v, want refused by the model's requests_per_minute, retry in 30s", err)
	}
	figs := g.Limits(ctx, "", true).Models["nova-pro"]
	if len(figs) != 2 || figs[0].Limit != "requests_per_minute" || figs[0].Used != 3 || figs[1].Limit != "max_concurrent" || figs[1].Used != 0 || figs[1].Reserved != 0 {
		t.Errorf("nova-pro's figures = %+v, want 3 requests used, no call in flight", figs)
	}
}

func TestModelAllowList(t *testing.T) {
	g := New(mustParse(t, `
defaults: {models: ["nova-*"]}
agents:
  research: {models: ["claude-*"]}
  open: {requests_per_minute: 10}
`), Options{})
	tests := []struct {
		agent, model string
		ok           bool
	}{
		{"x", "nova-pro", true}, {"x", "claude-opus", false},
		{"research", "claude-opus", true}, {"research", "nova-pro", false},
		{"open", "nova-lite", true}, {"open", "claude-opus", false}, // inherits the default's list
	}
	for _, tt := range tests {
		err := g.Allow(t.Context(), tt.agent, gateway.Model{Name: tt.model})
		if (err == nil) != tt.ok || (err != nil && kindOf(err) != gateway.KindModelNotAllowed) {
			t.Errorf("Allow(%s, %s) = %v, want allowed %v", tt.agent, tt.model, err, tt.ok)
		}
	}
}

func TestUnpricedModelRefusedUnderABudget(t *testing.T) {
	g := New(mustParse(t, "agents: {rich: {budget: {daily_usd: 5}}}"), Options{})
	_, err := g.Reserve(t.Context(), reservation("rich", freeish, 0, time.Now()))
	if kindOf(err) != gateway.KindBudgetExceeded || !strings.Contains(err.Error(), "no known price") {
		t.Errorf("Reserve(unpriced) = %v, want budget_exceeded saying it has no price", err)
	}
	if _, err := g.Reserve(t.Context(), reservation("other", freeish, 0, time.Now())); err != nil {
		t.Errorf("an agent without a budget was refused an unpriced model: %v", err)
	}
}

func TestTokensPerMinute(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC)
	g := New(mustParse(t, "defaults: {tokens_per_minute: 500}"), Options{})
	ctx := t.Context()
	s1, err := g.Reserve(ctx, reservation("a", novaPro, 1, now)) // holds 200
	if err != nil {
		t.Fatal(err)
	}
	s2, err := g.Reserve(ctx, reservation("a", novaPro, 1, now)) // 400
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Reserve(ctx, reservation("a", novaPro, 1, now))
	if r := gateway.RefusalOf(err); kindOf(err) != gateway.KindRateLimited || r == nil || r.RetryAfter != 30*time.Second {
		t.Fatalf("third reservation = %v, want rate_limited retry in 30s", err)
	}
	// Settled to what was used: the rest of the hold is given back.
	s1(ctx, gateway.Usage{InputTokens: 10, OutputTokens: 10}, 1, true)
	s2(ctx, gateway.Usage{InputTokens: 10, OutputTokens: 10}, 1, true)
	if _, err := g.Reserve(ctx, reservation("a", novaPro, 1, now)); err != nil {
		t.Fatalf("after settling below the worst case: %v", err)
	}
}

func TestBudgetRollsOverAtMidnightInThePolicysTimezone(t *testing.T) {
	madrid, _ := time.LoadLocation("Europe/Madrid")
	now := time.Date(2026, 12, 1, 23, 59, 0, 0, madrid)
	g := New(mustParse(t, "timezone: Europe/Madrid\ndefaults: {budget: {daily_usd: 1}}"), Options{})
	ctx := t.Context()
	s, err := g.Reserve(ctx, reservation("a", novaPro, gateway.PicoUSD(dollar), now))
	if err != nil {
		t.Fatal(err)
	}
	s(ctx, gateway.Usage{}, gateway.PicoUSD(dollar), true)
	_, err = g.Reserve(ctx, reservation("a", novaPro, 1, now.Add(59*time.Second)))
	r := gateway.RefusalOf(err)
	if kindOf(err) != gateway.KindBudgetExceeded || r == nil || !r.ResetsAt.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, madrid)) {
		t.Fatalf("at 23:59:59 = %v (%+v), want budget_exceeded resetting at midnight in Madrid", err, r)
	}
	if r.Max != 1 || r.Used != 1 || r.Reserved != 0 {
		t.Errorf("figures = %+v, want $1 of $1 spent", r)
	}
	// Midnight in Madrid is 23:00 in UTC: the new day has its own budget.
	if _, err := g.Reserve(ctx, reservation("a", novaPro, 1, now.Add(time.Minute))); err != nil {
		t.Fatalf("after midnight in Madrid: %v", err)
	}
}

func TestDowngradeNamedWhenTheWorstCaseDoesNotFit(t *testing.T) {
	g := New(mustParse(t, "defaults: {budget: {daily_usd: 0.2, downgrade_to: nova-lite}}"), Options{})
	_, err := g.Reserve(t.Context(), reservation("a", novaPro, 3*tenCents, time.Now()))
	if r := gateway.RefusalOf(err); r == nil || r.Downgrade != "nova-lite" {
		t.Fatalf("refusal = %v, want one naming nova-lite", err)
	}
	lite := gateway.Model{Name: "nova-lite", Price: novaPro.Price}
	_, err = g.Reserve(t.Context(), reservation("a", lite, 3*tenCents, time.Now()))
	if r := gateway.RefusalOf(err); r == nil || r.Downgrade != "" {
		t.Fatalf("refusal of the cheaper model = %v, want no further downgrade", err)
	}
}

// TestSoftThresholdAndRefusalLoggedOncePerPeriod runs two governors over
// one state, as two gateway processes sharing a store, taking turns: each
// threshold and refusal is logged once a period between them.
func TestSoftThresholdAndRefusalLoggedOncePerPeriod(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	state := NewMemory()
	p := mustParse(t, "defaults: {budget: {daily_usd: 1, warn_at: 0.5}, max_concurrent: 1}")
	gs := [2]*Governor{New(p, Options{Logger: log, State: state, HoldTTL: 3 * time.Hour}), New(p, Options{Logger: log, State: state, HoldTTL: 3 * time.Hour})}
	var notices []gateway.Notice
	ctx := gateway.WithNotify(t.Context(), func(n gateway.Notice) { notices = append(notices, n) })
	for i := range 12 {
		if s, err := gs[i%2].Reserve(ctx, reservation("a", novaPro, tenCents, now)); err == nil {
			s(ctx, gateway.Usage{}, tenCents, true)
		}
	}
	// Calls 5 to 10 of a $1 budget at 10 cents each pass its 50% mark; each
	// tells its caller, as an MCP log notification would.
	if len(notices) != 6 || notices[0].Kind != "budget" || !strings.Contains(notices[0].Message, "nearly spent") {
		t.Errorf("notices = %+v, want 6 budget notices, one per call past the threshold", notices)
	}
	out := buf.String()
	if n := strings.Count(out, "soft threshold"); n != 1 {
		t.Errorf("soft threshold logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "limit reached"); n != 1 || !strings.Contains(out, "level=WARN") {
		t.Errorf("refusal logged %d times, want once at WARN:\n%s", n, out)
	}
	// The next day warns again.
	if s, err := gs[1].Reserve(ctx, reservation("a", novaPro, 6*tenCents, now.Add(24*time.Hour))); err == nil {
		s(ctx, gateway.Usage{}, tenCents, true)
	}
	if n := strings.Count(buf.String(), "soft threshold"); n != 2 {
		t.Errorf("soft threshold logged %d times over two days, want twice", n)
	}
	// A limit no period resets is logged once an hour.
	leave, err := gs[0].Enter(ctx, gateway.Entry{Agent: "a", Time: now})
	if err != nil {
		t.Fatal(err)
	}
	defer leave()
	for i, at := range []time.Duration{0, time.Minute, time.Hour} {
		if _, err := gs[i%2].Enter(ctx, gateway.Entry{Agent: "a", Time: now.Add(at)}); kindOf(err) != gateway.KindRateLimited {
			t.Fatalf("second call in flight = %v, want rate_limited", err)
		}
	}
	if n := strings.Count(buf.String(), "limit=max_concurrent"); n != 2 {
		t.Errorf("max_concurrent refusals logged %d times over two hours, want twice:\n%s", n, buf.String())
	}
}

type fixedSpend gateway.PicoUSD

func (f fixedSpend) Spent(context.Context, string, string, time.Time) (gateway.PicoUSD, error) {
	return gateway.PicoUSD(f), nil
}

func TestSpendSoFarComesFromTheLedger(t *testing.T) {
	g := New(mustParse(t, "defaults: {budget: {daily_usd: 1}}"), Options{Spent: fixedSpend(dollar * 9 / 10)})
	if _, err := g.Reserve(t.Context(), reservation("a", novaPro, 2*tenCents, time.Now())); kindOf(err) != gateway.KindBudgetExceeded {
		t.Fatalf("Reserve = %v, want refused: the ledger says $0.90 of $1 is spent", err)
	}
	if _, err := g.Reserve(t.Context(), reservation("a", novaPro, tenCents, time.Now())); err != nil {
		t.Fatalf("Reserve within what remains: %v", err)
	}
}

func TestReloadKeepsCallsInFlight(t *testing.T) {
	g := New(mustParse(t, "defaults: {budget: {daily_usd: 1}, max_concurrent: 1}"), Options{})
	ctx := t.Context()
	leave, err := g.Enter(ctx, gateway.Entry{Agent: "a"})
	if err != nil {
		t.Fatal(err)
	}
	settle, err := g.Reserve(ctx, reservation("a", novaPro, tenCents, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	g.SetPolicy(mustParse(t, "defaults: {budget: {daily_usd: 0.5}, max_concurrent: 1}"))
	settle(ctx, gateway.Usage{}, tenCents, true)
	leave()
	if _, err := g.Reserve(ctx, reservation("a", novaPro, 5*tenCents, time.Now())); kindOf(err) != gateway.KindBudgetExceeded {
		t.Fatalf("after the reload = %v, want the new, smaller budget to refuse", err)
	}
	if leave, err := g.Enter(ctx, gateway.Entry{Agent: "a"}); err != nil {
		t.Fatalf("the call in flight under the old policy left no place: %v", err)
	} else {
		leave()
	}
}
