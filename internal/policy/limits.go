package policy

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Limits is the limits section of get_stats: each limit that applies, with
// what is used of it.
type Limits struct {
	// Enabled is false when no policy is in force: nothing is limited.
	Enabled  bool                `json:"enabled"`
	Timezone string              `json:"timezone,omitempty"`
	Agents   map[string][]Figure `json:"agents,omitempty"`
	Models   map[string][]Figure `json:"models,omitempty"`
	Global   []Figure            `json:"global,omitempty"`
	// Error says why the figures could not be read, if they could not.
	Error string `json:"error,omitempty"`
}

// Figure is one limit's figures in its current period. Dollars are USD;
// requests, tokens and calls are counts.
type Figure struct {
	Limit     string  `json:"limit"` // as in the policy file: requests_per_minute, budget.daily_usd, …
	Unit      string  `json:"unit"`  // requests, tokens, calls or usd
	Max       float64 `json:"max"`
	Used      float64 `json:"used"`
	Reserved  float64 `json:"reserved"` // held by calls in flight
	Remaining float64 `json:"remaining"`
	// ResetsAt is when the period ends (RFC 3339); empty for max_concurrent.
	ResetsAt string `json:"resets_at,omitempty"`
}

// Limits reports the figures of agent's limits; with all, those of every
// agent the policy names or the state has counted, and the model and
// global caps.
func (g *Governor) Limits(ctx context.Context, agent string, all bool) Limits {
	p := g.policy.Load()
	if p == nil {
		return Limits{}
	}
	if p.broken != nil {
		return Limits{Enabled: true, Error: "the policy file is invalid; no call is admitted: " + p.broken.Error()}
	}
	now := g.opts.Now()
	out := Limits{Enabled: true, Timezone: p.loc.String(), Agents: map[string][]Figure{}}
	counters, err := g.opts.State.Counters(ctx, now)
	if err != nil {
		out.Error = "the limits store cannot be read: " + err.Error()
	}
	byKey := make(map[string]Counter, len(counters))
	for _, c := range counters {
		byKey[c.Key] = c
	}
	agents := []string{agentName(agent)}
	if all {
		agents = sortedKeys(p.agents)
		for _, c := range counters {
			if name, ok := strings.CutPrefix(c.Key, "agent:"); ok {
				name = name[:strings.LastIndexByte(name, '|')]
				agents = append(agents, name)
			}
		}
		slices.Sort(agents)
		agents = slices.Compact(agents)
	}
	for _, a := range agents {
		out.Agents[a] = figures(p, "agent:"+a, p.rulesFor(a), byKey, now)
	}
	if all {
		out.Models = map[string][]Figure{}
		for _, m := range sortedKeys(p.models) {
			out.Models[m] = figures(p, "model:"+m, p.models[m], byKey, now)
		}
		out.Global = figures(p, "global", &p.global, byKey, now)
	}
	return out
}

func figures(p *Policy, scope string, r *rules, byKey map[string]Counter, now time.Time) []Figure {
	var out []Figure
	add := func(limit, unit string, per period, max int64) {
		f := Figure{Limit: limit, Unit: unit, Max: float64(max)}
		c, ok := byKey[scope+"|"+limit]
		if per != numPeriods {
			start, end := per.window(now, p.loc)
			f.ResetsAt = end.Format(time.RFC3339)
			ok = ok && c.Window == start.Unix()
		}
		if ok {
			f.Used, f.Reserved = float64(c.Used), float64(c.Held)
		}
		rem := max - int64(f.Used) - int64(f.Reserved)
		if unit == "usd" {
			f.Max, f.Used, f.Reserved = gateway.PicoUSD(max).USD(), gateway.PicoUSD(c.Used).USD(), gateway.PicoUSD(c.Held).USD()
			if !ok {
				f.Used, f.Reserved = 0, 0
				rem = max
			} else {
				rem = max - c.Used - c.Held
			}
			f.Remaining = gateway.PicoUSD(max0(rem)).USD()
		} else {
			f.Remaining = float64(max0(rem))
		}
		out = append(out, f)
	}
	if r.rpm > 0 {
		add(limitRPM, "requests", minute, r.rpm)
	}
	if r.tpm > 0 {
		add(limitTPM, "tokens", minute, r.tpm)
	}
	if r.concurrent > 0 {
		add(limitConcurrent, "calls", numPeriods, r.concurrent)
	}
	for per := range numPeriods {
		if r.budgets[per] > 0 {
			add(budgetPrefix+per.key(), "usd", per, int64(r.budgets[per]))
		}
	}
	return out
}

func max0(v int64) int64 { return max(v, 0) }

// agentName is the name limits are kept under: an agent with no name is
// "default".
func agentName(a string) string {
	if a == "" {
		return "default"
	}
	return a
}
