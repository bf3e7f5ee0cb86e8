package fleet

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/policy"
)

// Failover is the fleet's limits with a way through a Redis outage, as
// FAIL_MODE chooses. While Redis does not answer, a claim that holds no
// budget (a rate or concurrency limit) is counted in this process alone;
// a claim that holds a budget is refused when Open is false (FAIL_MODE
// closed, the default: spend that cannot be checked is not allowed) and
// counted in this process alone when it is true (FAIL_MODE open: budgets
// may then be overshot by what other replicas spend meanwhile).
type Failover struct {
	Shared *Limits
	Local  policy.State
	Open   bool

	local atomic.Int64 // holds taken locally, for the log
}

var _ policy.State = (*Failover)(nil)

// Holds taken in Local are given negative IDs, so that Release finds them.

// Claim implements policy.State.
func (s *Failover) Claim(ctx context.Context, claims []policy.Claim, now, expires time.Time) (policy.Grant, error) {
	g, err := s.Shared.Claim(ctx, claims, now, expires)
	if err == nil || ctx.Err() != nil {
		return g, err
	}
	if !s.Open && holdsBudget(claims) {
		return g, err
	}
	g, lerr := s.Local.Claim(ctx, claims, now, expires)
	if lerr != nil {
		return g, lerr
	}
	if s.local.Add(1) == 1 {
		s.Shared.f.log.Warn("redis unreachable: limits counted in this process alone until it returns", "fail_mode", s.mode())
	}
	g.ID = -g.ID
	return g, nil
}

func (s *Failover) mode() string {
	if s.Open {
		return "open"
	}
	return "closed"
}

// holdsBudget reports whether any claim is against a dollar budget.
func holdsBudget(claims []policy.Claim) bool {
	for _, c := range claims {
		if strings.Contains(c.Key, "|budget.") {
			return true
		}
	}
	return false
}

// Release implements policy.State.
func (s *Failover) Release(ctx context.Context, id int64, claims []policy.Claim, used []int64) error {
	if id < 0 {
		return s.Local.Release(ctx, -id, claims, used)
	}
	return s.Shared.Release(ctx, id, claims, used)
}

// Counters implements policy.State: the fleet's, or this process's own
// while Redis does not answer.
func (s *Failover) Counters(ctx context.Context, now time.Time) ([]policy.Counter, error) {
	c, err := s.Shared.Counters(ctx, now)
	if err != nil {
		return s.Local.Counters(ctx, now)
	}
	return c, nil
}

// Close implements policy.State.
func (s *Failover) Close() error { return s.Local.Close() }
