package policy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Names of the limits, as in the policy file; they name counters and
// refusals.
const (
	limitModels     = "models"
	limitRPM        = "requests_per_minute"
	limitTPM        = "tokens_per_minute"
	limitConcurrent = "max_concurrent"
	budgetPrefix    = "budget."
)

// Options configure a Governor. The zero value of each field means its
// default.
type Options struct {
	// State keeps the counters; if nil, a new Memory (this process alone).
	State State
	// Spent reads spend so far from the ledger, for a budget counter that
	// the state does not have yet (after a restart with memory state); if
	// nil, such a counter starts from zero.
	Spent Spender
	// HoldTTL is how long a hold counts if its process dies before
	// releasing it: longer than any call. If zero, 10 minutes.
	HoldTTL time.Duration
	// Now reads the clock; if nil, time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Governor enforces a Policy: it is the gateway's Admission. The policy can
// be swapped at any time; a call holds to the policy it was admitted under.
type Governor struct {
	policy atomic.Pointer[Policy]
	opts   Options
	log    *slog.Logger

	mu     sync.Mutex
	seeded map[counterID]bool // budget counters already seeded from the ledger
	warned map[counterID]bool // soft thresholds and refusals logged this period
}

var _ gateway.Admission = (*Governor)(nil)

// New returns a Governor enforcing p; a nil p limits nothing.
func New(p *Policy, opts Options) *Governor {
	if opts.State == nil {
		opts.State = NewMemory()
	}
	if opts.HoldTTL <= 0 {
		opts.HoldTTL = 10 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g := &Governor{opts: opts, log: log, seeded: map[counterID]bool{}, warned: map[counterID]bool{}}
	g.policy.Store(p)
	return g
}

// SetPolicy replaces the policy; calls already admitted settle as they were
// reserved, and the next call meets the new limits.
func (g *Governor) SetPolicy(p *Policy) { g.policy.Store(p) }

// Policy is the policy in force.
func (g *Governor) Policy() *Policy { return g.policy.Load() }

// claimSet is the claims of one step with what each is about, for messages.
type claimSet struct {
	claims []Claim
	about  []about
}

type about struct {
	scope  string // "agent:NAME", "model:NAME", "global"
	limit  string // limitRPM, … or budgetPrefix+period key
	period period
	warnAt float64
	down   string // downgrade_to of a budget
}

func (s *claimSet) add(scope, limit string, p period, loc *time.Location, now time.Time, max, amount int64, instant bool) *Claim {
	c := Claim{Key: scope + "|" + limit, Max: max, Amount: amount, Instant: instant}
	if p != numPeriods { // numPeriods: a limit no period resets (concurrency)
		start, end := p.window(now, loc)
		c.Window, c.End = start.Unix(), end.Unix()
	}
	s.claims = append(s.claims, c)
	s.about = append(s.about, about{scope: scope, limit: limit, period: p})
	return &s.claims[len(s.claims)-1]
}

// Enter counts the request against requests_per_minute and holds a place
// under max_concurrent, the agent's and the global ones.
func (g *Governor) Enter(ctx context.Context, e gateway.Entry) (func(), error) {
	p := g.policy.Load()
	if p == nil {
		return nop, nil
	}
	if p.broken != nil {
		return nil, &gateway.Error{Kind: gateway.KindUnavailable,
			Message: fmt.Sprintf("the gateway's policy file is invalid, so no call is admitted until it is fixed (it is reloaded when it changes): %v", p.broken)}
	}
	now := g.now(e.Time)
	r := p.rulesFor(agentName(e.Agent))
	var s claimSet
	agent := "agent:" + agentName(e.Agent)
	for _, l := range []struct {
		scope string
		r     *rules
	}{{agent, r}, {"global", &p.global}} {
		if l.r.rpm > 0 {
			s.add(l.scope, limitRPM, minute, p.loc, now, l.r.rpm, 1, true)
		}
		if l.r.concurrent > 0 {
			s.add(l.scope, limitConcurrent, numPeriods, p.loc, now, l.r.concurrent, 1, false)
		}
	}
	if len(s.claims) == 0 {
		return nop, nil
	}
	grant, err := g.opts.State.Claim(ctx, s.claims, now, now.Add(g.opts.HoldTTL))
	if err != nil {
		return nil, stateError(err)
	}
	if grant.Refused >= 0 {
		return nil, g.refusal(ctx, p, &s, grant.Refused, now, "")
	}
	if grant.ID == 0 {
		return nop, nil
	}
	return func() {
		if err := g.opts.State.Release(context.WithoutCancel(ctx), grant.ID, s.claims, nil); err != nil {
			g.log.Error("release of a concurrency hold failed; it lapses on its own", "error", err)
		}
	}, nil
}

func nop() {}

// Allow checks the agent's model allow-list.
func (g *Governor) Allow(_ context.Context, agent string, m gateway.Model) error {
	p := g.policy.Load()
	if p == nil {
		return nil
	}
	agent = agentName(agent)
	r := p.rulesFor(agent)
	if r.models == nil {
		return nil
	}
	for _, glob := range r.models {
		if ok, _ := path.Match(glob, m.Name); ok {
			return nil
		}
	}
	return &gateway.Error{
		Kind: gateway.KindModelNotAllowed,
		Message: fmt.Sprintf("agent %q may not use %s; its policy allows %s. Ask for one of those (list_models shows them)",
			agent, m.Name, strings.Join(r.models, ", ")),
		Refusal: &gateway.Refusal{Limit: limitModels, Scope: "agent:" + agent},
	}
}

// Reserve holds the attempt's worst case against tokens_per_minute and
// every budget that applies: the agent's, the model's and the global one;
// and counts the attempt against its model's requests_per_minute and
// max_concurrent, holding its place there until it settles.
func (g *Governor) Reserve(ctx context.Context, res gateway.Reservation) (gateway.Settle, error) {
	p := g.policy.Load()
	if p == nil {
		return nopSettle, nil
	}
	now := g.now(res.Time)
	tokens := int64(res.InputTokens) + int64(res.MaxOutputTokens)
	var s claimSet
	scopes := [3]struct {
		scope string
		r     *rules
	}{{"agent:" + agentName(res.Agent), p.rulesFor(agentName(res.Agent))}, {"model:" + res.Model.Name, p.models[res.Model.Name]}, {"global", &p.global}}
	budgets := false
	for i, sc := range scopes {
		if sc.r == nil {
			continue
		}
		if i == 1 { // a model's rate and concurrency count the calls sent to it
			if sc.r.rpm > 0 {
				s.add(sc.scope, limitRPM, minute, p.loc, now, sc.r.rpm, 1, true)
			}
			if sc.r.concurrent > 0 {
				s.add(sc.scope, limitConcurrent, numPeriods, p.loc, now, sc.r.concurrent, 1, false)
			}
		}
		if sc.r.tpm > 0 {
			s.add(sc.scope, limitTPM, minute, p.loc, now, sc.r.tpm, tokens, false)
		}
		for per := range numPeriods {
			max := sc.r.budgets[per]
			if max == 0 {
				continue
			}
			budgets = true
			if !res.Priced {
				return nil, g.unpriced(p, sc.scope, per, max, res, now)
			}
			c := s.add(sc.scope, budgetPrefix+per.key(), per, p.loc, now, int64(max), int64(res.WorstCase), false)
			s.about[len(s.about)-1].warnAt = sc.r.warnAt
			s.about[len(s.about)-1].down = sc.r.downgradeTo
			g.seed(ctx, c, sc.scope, per, p.loc, now)
		}
	}
	if len(s.claims) == 0 {
		return nopSettle, nil
	}
	grant, err := g.opts.State.Claim(ctx, s.claims, now, now.Add(g.opts.HoldTTL))
	if err != nil {
		return nil, stateError(err)
	}
	if grant.Refused >= 0 {
		return nil, g.refusal(ctx, p, &s, grant.Refused, now, res.Model.Name)
	}
	if budgets {
		g.warnSoft(ctx, &s, now)
	}
	return func(ctx context.Context, used gateway.Usage, cost gateway.PicoUSD, _ bool) {
		spent := make([]int64, len(s.claims))
		for i, a := range s.about {
			switch {
			case a.limit == limitTPM:
				spent[i] = int64(used.Total())
			case strings.HasPrefix(a.limit, budgetPrefix):
				spent[i] = int64(cost)
			}
		}
		if err := g.opts.State.Release(ctx, grant.ID, s.claims, spent); err != nil {
			g.log.Error("settling a reservation failed; its hold lapses on its own and its spend is in the ledger", "error", err)
		}
	}, nil
}

func nopSettle(context.Context, gateway.Usage, gateway.PicoUSD, bool) {}

func (g *Governor) now(t time.Time) time.Time {
	if t.IsZero() {
		return g.opts.Now()
	}
	return t
}

// seed gives a budget counter its start from the ledger, the first time
// this process claims it in a period; the state keeps a counter that
// exists already.
func (g *Governor) seed(ctx context.Context, c *Claim, scope string, per period, loc *time.Location, now time.Time) {
	if g.opts.Spent == nil {
		return
	}
	id := counterID{c.Key, c.Window}
	g.mu.Lock()
	done := g.seeded[id]
	g.mu.Unlock()
	if done {
		return
	}
	var agent, model string
	switch {
	case strings.HasPrefix(scope, "agent:"):
		agent = strings.TrimPrefix(scope, "agent:")
	case strings.HasPrefix(scope, "model:"):
		model = strings.TrimPrefix(scope, "model:")
	}
	start, _ := per.window(now, loc)
	spent, err := g.opts.Spent.Spent(ctx, agent, model, start)
	if err != nil {
		g.log.Warn("reading spend so far from the ledger failed; the budget counts from what the limits store has", "scope", scope, "error", err)
		return
	}
	c.Seed, c.Seeded = int64(spent), true
	g.mu.Lock()
	g.seeded[id] = true
	g.mu.Unlock()
}

// once reports whether the note for key in the period of c has not been
// logged yet by any process sharing the state, and marks it logged: the
// first process to note it claims a counter of its own for it (key
// "note|KEY", at most 1), so several gateways on one store log it once
// between them. A limit no period resets (max_concurrent) is noted once an
// hour. Each process remembers what it has seen, so the state is asked
// once a period at most.
func (g *Governor) once(ctx context.Context, key string, c *Claim, now time.Time) bool {
	win, end := c.Window, c.End
	if end == 0 {
		start := now.Truncate(time.Hour)
		win, end = start.Unix(), start.Add(time.Hour).Unix()
	}
	id := counterID{key, win}
	g.mu.Lock()
	seen := g.warned[id]
	if !seen {
		if len(g.warned) > 10000 { // notes of past periods; bounded
			clear(g.warned)
		}
		g.warned[id] = true
	}
	g.mu.Unlock()
	if seen {
		return false
	}
	note := []Claim{{Key: "note|" + key, Window: win, End: end, Max: 1, Amount: 1, Instant: true}}
	grant, err := g.opts.State.Claim(context.WithoutCancel(ctx), note, now, now)
	return err != nil || grant.Refused < 0 // when in doubt, log
}

// warnSoft logs, once per period, a budget that spend and holds have taken
// past its soft threshold.
func (g *Governor) warnSoft(ctx context.Context, s *claimSet, now time.Time) {
	for i, a := range s.about {
		c := &s.claims[i]
		if a.warnAt == 0 || !strings.HasPrefix(a.limit, budgetPrefix) {
			continue
		}
		if float64(c.Used+c.Held+c.Amount) < a.warnAt*float64(c.Max) {
			continue
		}
		// The caller hears it on every call past the threshold (an MCP log
		// notification, where the front has one); the log, once a period.
		gateway.Notify(ctx, gateway.Notice{Level: "warning", Kind: "budget", Message: fmt.Sprintf(
			"%s's %s is nearly spent: %s of %s used or reserved, past its warning threshold of %.0f%%; it resets at %s",
			a.scope, a.limit, money(c.Used+c.Held+c.Amount), money(c.Max), 100*a.warnAt,
			time.Unix(c.End, 0).UTC().Format(time.RFC3339))})
		if g.once(ctx, "warn:"+c.Key, c, now) {
			g.log.Warn("budget past its soft threshold", "scope", a.scope, "budget", a.limit,
				"limit_usd", usd(c.Max), "spent_usd", usd(c.Used), "reserved_usd", usd(c.Held),
				"threshold", a.warnAt, "resets_at", time.Unix(c.End, 0).UTC().Format(time.RFC3339))
		}
	}
}

func stateError(err error) error {
	return &gateway.Error{Kind: gateway.KindUnavailable, Retryable: true,
		Message: "the limits store cannot be read, so the call is not admitted; retry, and see the gateway's log", Err: err}
}

func usd(p int64) string { return fmt.Sprintf("$%.6f", gateway.PicoUSD(p).USD()) }

// money writes an amount for a message: cents unless it is smaller.
func money(p int64) string {
	d := gateway.PicoUSD(p).USD()
	if d >= 1 || d == 0 {
		return fmt.Sprintf("$%.2f", d)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("$%.6f", d), "0"), ".")
}
