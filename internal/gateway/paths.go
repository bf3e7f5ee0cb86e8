package gateway

import (
	"context"
	"errors"
	"time"
)

// generateOne answers the request with one model, along one of four paths:
// from the cache, shared with identical requests (the default), streamed
// (each caller wants its own deltas), or uncached (the caller asked for a
// fresh answer).
func (g *Gateway) generateOne(ctx context.Context, req *Request, name string, ev *Event) (*Response, error) {
	if name == "" {
		return nil, Invalid("model", "is required; call list_models to see the catalog, e.g. \"nova-lite\"")
	}
	m, err := g.opts.Catalog.Resolve(name)
	if err != nil {
		return nil, err
	}
	ev.Model, ev.ModelID = m.Name, m.ID
	if g.opts.Admission != nil {
		if err := g.opts.Admission.Allow(ctx, req.Agent, m); err != nil {
			return nil, err
		}
	}
	if req.Guardrail == nil && g.opts.Guardrail != nil {
		r := *req
		r.Guardrail = g.opts.Guardrail
		req = &r
	}
	call, err := validate(req, m, g.opts.MaxInputBytes)
	if err != nil {
		return nil, err
	}
	key := cacheKey(call)
	ev.KeyHash = key

	if !req.NoCache && g.opts.Cache != nil {
		if comp, ok := g.opts.Cache.Get(ctx, key); ok {
			return g.cached(req, m, comp, ev), nil
		}
	}
	switch {
	case req.Stream:
		return g.streamed(ctx, req, m, call, key, ev)
	case req.NoCache:
		return g.uncached(ctx, req, m, call, ev)
	}
	return g.shared(ctx, req, m, call, key, ev)
}

// cached answers from the cache: no upstream call, nothing spent.
func (g *Gateway) cached(req *Request, m Model, comp *Completion, ev *Event) *Response {
	if req.OnDelta != nil {
		req.OnDelta(comp.Content)
	}
	ev.Cached = true
	return g.respond(m, comp, true, ev)
}

// streamed calls ConverseStream for this caller alone, and caches the
// whole answer for the next.
func (g *Gateway) streamed(ctx context.Context, req *Request, m Model, call *Call, key string, ev *Event) (*Response, error) {
	start := g.opts.Now()
	var first time.Duration
	onDelta := func(text string) {
		if first == 0 {
			first = g.opts.Now().Sub(start)
		}
		if req.OnDelta != nil {
			req.OnDelta(text)
		}
	}
	comp, err := g.upstream(ctx, req.Agent, m, call, ev, func(ctx context.Context) (*Completion, error) {
		if !m.SupportsStreaming {
			comp, err := g.opts.Provider.Converse(ctx, call)
			if err == nil {
				onDelta(comp.Content)
			}
			return comp, err
		}
		return g.opts.Provider.ConverseStream(ctx, call, onDelta)
	})
	if err != nil {
		return nil, err
	}
	if !req.NoCache && g.opts.Cache != nil {
		g.opts.Cache.Set(ctx, key, comp)
	}
	resp := g.respond(m, comp, false, ev)
	ttft := float64(first.Microseconds()) / 1000
	resp.TimeToFirstTokenMs = &ttft
	return resp, nil
}

// uncached makes a call of its own, neither read from nor written to the
// cache.
func (g *Gateway) uncached(ctx context.Context, req *Request, m Model, call *Call, ev *Event) (*Response, error) {
	comp, err := g.upstream(ctx, req.Agent, m, call, ev, func(ctx context.Context) (*Completion, error) {
		return g.opts.Provider.Converse(ctx, call)
	})
	if err != nil {
		return nil, err
	}
	if req.OnDelta != nil {
		req.OnDelta(comp.Content)
	}
	return g.respond(m, comp, false, ev), nil
}

// shared makes the upstream call, or joins an identical one in flight. A
// joined answer is coalesced: it spent nothing, and is not a cache hit.
func (g *Gateway) shared(ctx context.Context, req *Request, m Model, call *Call, key string, ev *Event) (*Response, error) {
	remote := false // answered by another process's call
	comp, joined, err := g.share(ctx, key, func(ctx context.Context) (*Completion, error) {
		fresh := func(ctx context.Context) (*Completion, error) {
			return g.upstream(ctx, req.Agent, m, call, ev, func(ctx context.Context) (*Completion, error) {
				return g.opts.Provider.Converse(ctx, call)
			})
		}
		if g.opts.Coalescer == nil {
			return fresh(ctx)
		}
		comp, remote2, err := g.coalesce(ctx, key, fresh)
		remote = remote2
		return comp, err
	})
	if err != nil {
		return nil, err
	}
	if req.OnDelta != nil {
		req.OnDelta(comp.Content)
	}
	reused := joined || remote
	ev.Coalesced = reused
	return g.respond(m, comp, reused, ev), nil
}

// coalesce makes the call through the Coalescer: another process's answer
// if it has one, else this process's own call, published to the others.
// When the shared state fails, the call is made alone.
func (g *Gateway) coalesce(ctx context.Context, key string, call func(context.Context) (*Completion, error)) (comp *Completion, remote bool, err error) {
	comp, lease, err := g.opts.Coalescer.Acquire(ctx, key)
	var theirs *Error
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, false, contextError(ctx.Err())
	case errors.As(err, &theirs):
		// Another process's call failed: the same failure, as for a
		// request that joined it here.
		return nil, true, err
	case err != nil:
		g.log.Debug("sharing with other processes failed; calling alone", logErr, err.Error())
		comp, err := call(ctx)
		return comp, false, err
	case lease == nil:
		return comp, true, nil
	}
	comp, err = call(ctx)
	lease.Release(context.WithoutCancel(ctx), comp, err)
	return comp, false, err
}

// upstream makes one attempt: reserve its worst case, call, settle what it
// really cost, and note the attempt in ev. A provider may return the usage
// Bedrock billed alongside an error (a stream cut midway); it is settled
// and recorded all the same.
func (g *Gateway) upstream(ctx context.Context, agent string, m Model, call *Call, ev *Event, do func(context.Context) (*Completion, error)) (*Completion, error) {
	now := g.opts.Now()
	var settle Settle
	if g.opts.Admission != nil {
		r := reservation(agent, m, call, now)
		s, err := g.opts.Admission.Reserve(ctx, r)
		if err != nil {
			return nil, err
		}
		settle = s
	}
	g.calls.Add(1)
	comp, err := do(ctx)
	g.calls.Add(-1)
	err = optInHint(m, providerError(ctx, err))

	a := AttemptEvent{Model: m.Name, ModelID: call.ModelID, Kind: KindOf(err), Latency: g.opts.Now().Sub(now), Priced: true}
	if comp != nil {
		a.Usage, a.UsageEstimated = comp.Usage, comp.UsageEstimated
		a.Cost, a.Priced = g.price(m, comp, now)
	}
	if settle != nil {
		settle(context.WithoutCancel(ctx), a.Usage, a.Cost, a.Priced)
	}
	ev.Attempts = append(ev.Attempts, a)
	ev.Usage = ev.Usage.Add(a.Usage)
	ev.UsageEstimated = ev.UsageEstimated || a.UsageEstimated
	ev.Cost += a.Cost
	return comp, err
}

// price is what a completion of m costs at time at, on the service tier
// that served it, and whether that is known. It is the one place a cost is
// computed.
func (g *Gateway) price(m Model, comp *Completion, at time.Time) (PicoUSD, bool) {
	return m.Cost(comp.Usage, comp.ServiceTier.String(), at)
}

// respond turns a completion into the caller's answer, and fills the
// event's pricing. A cached or shared answer spent nothing: its cost is
// counted as saved instead.
func (g *Gateway) respond(m Model, comp *Completion, reused bool, ev *Event) *Response {
	resp := &Response{
		Content:      comp.Content,
		ToolCalls:    comp.ToolCalls,
		Model:        m.Name,
		ModelID:      m.ID,
		Usage:        responseUsage(comp.Usage),
		FinishReason: comp.FinishReason,
		Cached:       reused,
	}
	resp.UsageEstimated = comp.UsageEstimated
	cost, priced := g.price(m, comp, ev.Time)
	ev.Priced = priced
	for _, a := range ev.Attempts {
		ev.Priced = ev.Priced && a.Priced
	}
	if !priced {
		return resp
	}
	if reused {
		ev.Saved = cost
		resp.EstimatedCostUSD = usd(0)
		resp.SavedCostUSD = usd(cost)
	} else {
		resp.EstimatedCostUSD = usd(cost)
	}
	return resp
}
