package policy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// whose names a scope in a message: agent "a", model x, all agents.
func whose(scope string) string {
	switch {
	case strings.HasPrefix(scope, "agent:"):
		return fmt.Sprintf("agent %q's", strings.TrimPrefix(scope, "agent:"))
	case strings.HasPrefix(scope, "model:"):
		return fmt.Sprintf("model %s's (all agents together)", strings.TrimPrefix(scope, "model:"))
	}
	return "the global"
}

// refusal is the error for claim i of s, which did not fit; model is the
// model of a reservation ("" at the door).
func (g *Governor) refusal(ctx context.Context, p *Policy, s *claimSet, i int, now time.Time, model string) error {
	c, a := &s.claims[i], &s.about[i]
	r := &gateway.Refusal{Limit: a.limit, Scope: a.scope}
	if c.End != 0 {
		r.ResetsAt = time.Unix(c.End, 0).In(p.loc)
	}
	e := &gateway.Error{Kind: gateway.KindRateLimited, Retryable: true, Refusal: r}
	wait := r.ResetsAt.Sub(now)
	switch a.limit {
	case limitRPM:
		r.Unit = "requests"
		r.RetryAfter = wait
		e.Message = fmt.Sprintf("%s requests_per_minute limit of %d is reached; retry in %s", whose(a.scope), c.Max, seconds(wait))
	case limitConcurrent:
		r.Unit = "calls"
		r.RetryAfter = time.Second // when one ends; no clock says when
		e.Message = fmt.Sprintf("%s max_concurrent limit of %d calls in flight is reached; retry when one of them has ended", whose(a.scope), c.Max)
	case limitTPM:
		r.Unit = "tokens"
		e.Message = fmt.Sprintf("%s tokens_per_minute limit of %d would be passed: %d used and %d held by calls in flight this minute, and this call may use up to %d (its input, bounded from its size, plus max_tokens)",
			whose(a.scope), c.Max, c.Used, c.Held, c.Amount)
		if c.Amount > c.Max {
			e.Retryable = false
			e.Message += "; that is more than the whole limit, so ask for fewer max_tokens or send less"
		} else {
			r.RetryAfter = wait
			e.Message += fmt.Sprintf("; retry in %s or ask for fewer max_tokens", seconds(wait))
		}
	default: // a budget
		e.Kind, e.Retryable = gateway.KindBudgetExceeded, false
		r.Unit = "usd"
		r.Max, r.Used, r.Reserved = gateway.PicoUSD(c.Max).USD(), gateway.PicoUSD(c.Used).USD(), gateway.PicoUSD(c.Held).USD()
		e.Message = fmt.Sprintf("%s %s budget of %s cannot take this call: %s spent and %s held by calls in flight, and this call with %s may cost up to %s (its input plus max_tokens at the output price). It resets at %s",
			whose(a.scope), a.period.noun(), money(c.Max), money(c.Used), money(c.Held), model, money(c.Amount), r.ResetsAt.Format(time.RFC3339))
		if a.down != "" && a.down != model {
			r.Downgrade = a.down
			e.Message += fmt.Sprintf("; the policy downgrades to %s", a.down)
		} else {
			e.Message += "; ask for fewer max_tokens or a cheaper model, or wait"
		}
		g.logRefusal(ctx, a, c, e, now)
		return e
	}
	r.Max, r.Used, r.Reserved = float64(c.Max), float64(c.Used), float64(c.Held)
	g.logRefusal(ctx, a, c, e, now)
	return e
}

// logRefusal logs a limit's first refusal in its period, once across the
// processes sharing the state; the gateway logs each failed call on its
// own.
func (g *Governor) logRefusal(ctx context.Context, a *about, c *Claim, e *gateway.Error, now time.Time) {
	if g.once(ctx, "refuse:"+c.Key, c, now) {
		g.log.Warn("limit reached; calls are refused until it resets", "scope", a.scope, "limit", a.limit, "error_kind", string(e.Kind),
			"max", e.Refusal.Max, "used", e.Refusal.Used, "reserved", e.Refusal.Reserved)
	}
}

// unpriced refuses a model without a known price to an agent with a
// dollar budget: its cost could not be counted against it.
func (g *Governor) unpriced(p *Policy, scope string, per period, max gateway.PicoUSD, res gateway.Reservation, now time.Time) error {
	_, end := per.window(now, p.loc)
	return &gateway.Error{
		Kind: gateway.KindBudgetExceeded,
		Message: fmt.Sprintf("%s has no known price, so it cannot be charged to %s %s budget of %s; ask for a model with a price (list_models shows them), or add its price to MODELS_FILE",
			res.Model.Name, whose(scope), per.noun(), money(int64(max))),
		Refusal: &gateway.Refusal{Limit: budgetPrefix + per.key(), Scope: scope, Unit: "usd", Max: max.USD(), ResetsAt: end},
	}
}

// seconds writes a wait for a message, rounded up to whole seconds.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%ds", int64((d+time.Second-1)/time.Second))
}
