package policy

import (
	"context"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// State keeps the counters that limits are measured against, where every
// process that enforces the same policy sees them: memory for one process,
// SQLite for the processes of one machine, a shared server for a fleet.
// Implementations pass the contract suite in package policytest.
//
// A counter is named by a key and a window (the start of its period, in
// Unix seconds; 0 for a counter no period resets). It has what was used in
// the window and what holds keep of it: a hold is taken by Claim, all of
// whose claims fit or none is held, and ended by Release. A hold that is
// never released (its process died) stops counting at its expiry.
type State interface {
	// Claim checks every claim against its limit (used + held + amount ≤
	// max, where max 0 is no limit) and, if all fit, counts them all at
	// once: an Instant claim adds to used, any other is held. If one does
	// not fit, nothing is counted and Grant.Refused is its index, with its
	// figures. The check and the count are one atomic step across every
	// process sharing the state. Claim sets each claim's Used and Held to
	// its counter's figures before it, up to the refused one. Holds whose
	// expiry is at or before now no longer count.
	Claim(ctx context.Context, claims []Claim, now, expires time.Time) (Grant, error)
	// Release ends hold id: what it held of each claim stops counting, and
	// used[i] is added to claims[i]'s counter (claims as given to Claim; a
	// nil used adds nothing). Releasing a hold that expired still adds used.
	Release(ctx context.Context, id int64, claims []Claim, used []int64) error
	// Counters lists every counter of a window that has not ended at now.
	Counters(ctx context.Context, now time.Time) ([]Counter, error)
	Close() error
}

// Claim asks for Amount of one limit.
type Claim struct {
	Key    string // whose limit and which, e.g. "agent:research|budget.daily_usd"
	Window int64  // start of the period, Unix seconds; 0 for none
	End    int64  // end of the period, Unix seconds; 0 for none
	Max    int64  // 0: no limit, only counted
	Amount int64
	// Instant adds Amount to used at once, holding nothing (a request
	// counted against a rate).
	Instant bool
	// Seed, when the counter does not exist yet, is what it starts from
	// (spend so far in the period, from the ledger); Seeded says Seed is
	// given. A counter that exists keeps its count.
	Seed   int64
	Seeded bool

	// Used and Held are set by Claim: the counter's figures before it.
	Used, Held int64
}

// Grant is the outcome of a Claim.
type Grant struct {
	// ID names the hold for Release; 0 when nothing was held.
	ID int64
	// Refused is the index of the claim that did not fit, -1 when all did.
	Refused int
}

// Counter is one counter's figures.
type Counter struct {
	Key         string
	Window, End int64
	Used, Held  int64
}

// Spender reads spend so far from the usage ledger, so that budgets hold
// across restarts of a process whose state does not persist. An empty
// agent or model means every one.
type Spender interface {
	Spent(ctx context.Context, agent, model string, since time.Time) (gateway.PicoUSD, error)
}
