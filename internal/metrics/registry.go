// Package metrics counts what the gateway does, for the get_stats tool:
// requests, tokens, spend and savings in exact integer picodollars, cache
// hit rate, errors by kind, and latency distributions overall and per
// model, with totals per model and per agent.
//
// A Registry receives one gateway.Event per finished generate call and
// gives a consistent Snapshot on demand. Its memory is bounded: latency is
// kept in fixed-size histograms, never as samples, and the number of model
// and agent names tracked one by one is capped.
package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Defaults for the zero Options.
const (
	DefaultMaxModels = 256
	DefaultMaxAgents = 1024
)

// Names under which events are counted when their own cannot be.
const (
	// Anonymous is the agent of requests that name none.
	Anonymous = "anonymous"
	// NoModel is the model of requests that name none.
	NoModel = "(none)"
	// Other gathers the names seen after the cap on distinct names is
	// reached, and names longer than gateway.MaxNameBytes, so that agents
	// sending made-up names cannot grow the registry without bound.
	Other = "(other)"
	// Unknown gathers requests for models not in the catalog: a name an
	// agent made up is never a key.
	Unknown = "(unknown)"
)

// Options configure a Registry. The zero value gives the defaults.
type Options struct {
	// Now tells the time, for uptime. If nil, time.Now.
	Now func() time.Time
	// MaxModels caps the distinct model names counted one by one; events
	// for further names are counted together under Other. Each tracked model holds
	// a latency histogram of about 4 KiB. If zero or negative, 256.
	MaxModels int
	// MaxAgents caps the distinct agent names likewise. If zero or
	// negative, 1024.
	MaxAgents int
}

// Registry aggregates events. It implements gateway.Recorder and is safe
// for concurrent use. Create it with New.
//
// One mutex guards everything, so a Snapshot sees every event wholly or not
// at all. Record holds it for a few map lookups and counter updates, far
// less than the model call the event describes.
type Registry struct {
	now       func() time.Time
	start     time.Time
	maxModels int
	maxAgents int

	mu        sync.Mutex
	requests  int64
	failures  int64
	cacheHits int64
	coalesced int64
	unpriced  int64
	fallbacks int64
	estimated int64
	tokens    tokenCounts
	cost      money
	saved     money
	latency   histogram
	errors    map[gateway.ErrorKind]int64
	models    map[string]*modelCounts
	agents    map[string]*agentCounts
	// frontends counts requests by the API they came through: a set the
	// gateway's own front ends name (mcp, openai, anthropic), never input.
	frontends map[string]int64
}

var _ gateway.Recorder = (*Registry)(nil)

type tokenCounts struct {
	input, output, cacheRead, cacheWrite int64
}

func (t *tokenCounts) add(u gateway.Usage) {
	t.input += int64(u.InputTokens)
	t.output += int64(u.OutputTokens)
	t.cacheRead += int64(u.CacheReadTokens)
	t.cacheWrite += int64(u.CacheWriteTokens)
}

func (t tokenCounts) total() int64 { return t.input + t.output + t.cacheRead + t.cacheWrite }

type modelCounts struct {
	requests  int64
	cacheHits int64
	coalesced int64
	errors    int64
	estimated int64
	tokens    tokenCounts
	cost      money
	latency   histogram
}

type agentCounts struct {
	requests int64
	tokens   int64
	cost     money
}

// money sums the spend of events, keeping apart what cannot be summed: a
// cost that is not known, and a sum too large for a PicoUSD.
type money struct {
	sum      gateway.PicoUSD
	known    int64 // events that spent upstream at a known price
	unpriced int64 // events that spent upstream at an unknown price
	overflow bool  // the sum no longer fits; it is unknown from then on
}

// add counts one event's spend: cost if priced, else one more unpriced
// event. spent is false for events that used nothing upstream.
func (m *money) add(cost gateway.PicoUSD, priced, spent bool) {
	switch {
	case !spent:
	case !priced:
		m.unpriced++
	default:
		m.known++
	}
	if m.overflow {
		return
	}
	if s, ok := gateway.AddPico(m.sum, cost); ok {
		m.sum = s
	} else {
		m.overflow = true
	}
}

// usd is the sum in dollars, or nil when it cannot be known: it
// overflowed, or every event that spent did so at an unknown price.
func (m *money) usd() *float64 {
	if m.overflow || (m.known == 0 && m.unpriced > 0) {
		return nil
	}
	v := m.sum.USD()
	return &v
}

// New returns an empty registry whose uptime starts now.
func New(opts Options) *Registry {
	r := &Registry{
		now:       opts.Now,
		maxModels: opts.MaxModels,
		maxAgents: opts.MaxAgents,
		errors:    make(map[gateway.ErrorKind]int64),
		models:    make(map[string]*modelCounts),
		agents:    make(map[string]*agentCounts),
		frontends: make(map[string]int64),
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.maxModels <= 0 {
		r.maxModels = DefaultMaxModels
	}
	if r.maxAgents <= 0 {
		r.maxAgents = DefaultMaxAgents
	}
	r.start = r.now()
	return r
}

// Record counts one finished generate call.
//
// Tokens are counted only for calls that went upstream: the tokens of a
// cached or coalesced answer were billed once, to the call that produced
// it, and what that answer would have cost again is counted in Saved.
// Spend is the sum of Event.Cost. A failed event counts as a failure even
// if it was coalesced with a failed call; only successful answers count as
// cache hits or coalesced.
func (r *Registry) Record(_ context.Context, e gateway.Event) {
	upstream := !e.Cached && !e.Coalesced
	failed := e.Kind != ""
	// Unpriced: spend that total_cost_usd cannot include, from an upstream
	// answer, or from a failure that had used tokens, at an unknown price.
	unpriced := upstream && !e.Priced && (!failed || e.Usage.Total() > 0)
	// Spent: the event used tokens upstream (at a known price or not).
	spent := upstream && (!failed || e.Usage.Total() > 0)
	hit := !failed && e.Cached
	shared := !failed && e.Coalesced && !e.Cached

	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if e.Frontend != "" {
		r.frontends[e.Frontend]++
	}
	r.latency.record(e.Latency)
	r.cost.add(e.Cost, e.Priced, spent)
	r.saved.add(e.Saved, true, false)
	if e.UsageEstimated {
		r.estimated++
	}
	if failed {
		r.failures++
		r.errors[e.Kind]++
	}
	if hit {
		r.cacheHits++
	}
	if shared {
		r.coalesced++
	}
	if unpriced {
		r.unpriced++
	}
	if e.Fallbacks > 0 {
		r.fallbacks++
	}
	if upstream {
		r.tokens.add(e.Usage)
	}

	model := e.Model
	if e.Kind == gateway.KindUnknownModel {
		model = Unknown
	}
	m := r.model(model)
	m.requests++
	m.latency.record(e.Latency)
	m.cost.add(e.Cost, e.Priced, spent)
	if e.UsageEstimated {
		m.estimated++
	}
	if failed {
		m.errors++
	}
	if hit {
		m.cacheHits++
	}
	if shared {
		m.coalesced++
	}
	if upstream {
		m.tokens.add(e.Usage)
	}

	a := r.agent(e.Agent)
	a.requests++
	a.cost.add(e.Cost, e.Priced, spent)
	if upstream {
		a.tokens += int64(e.Usage.Total())
	}
}

// model returns the counts for name, creating them if the cap allows.
func (r *Registry) model(name string) *modelCounts {
	return counts(r.models, name, NoModel, r.maxModels)
}

// agent returns the counts for name, creating them if the cap allows.
func (r *Registry) agent(name string) *agentCounts {
	return counts(r.agents, name, Anonymous, r.maxAgents)
}

// counts returns m's counts for name (empty if name is ""), creating them;
// once m holds max names, new names are counted under Other, so that made-up
// names cannot grow memory without bound.
func counts[T any](m map[string]*T, name, empty string, max int) *T {
	if name == "" {
		name = empty
	}
	if c, ok := m[name]; ok {
		return c
	}
	if len(m) >= max || len(name) > gateway.MaxNameBytes {
		name = Other
		if c, ok := m[name]; ok {
			return c
		}
	}
	c := new(T)
	m[name] = c
	return c
}
