package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Log attribute keys, so that every line about a request reads alike.
const (
	logAgent   = "agent"
	logModel   = "model"
	logCached  = "cached"
	logLatency = "latency_ms"
	logTokens  = "tokens"
	logCost    = "cost_usd"
	logKind    = "error_kind"
	logErr     = "error"
)

// Options configure a Gateway. Catalog and Provider are required; the zero
// value of every other field means its default.
type Options struct {
	Catalog  Catalog
	Provider Provider
	// Cache stores answers shared by all agents; if nil, nothing is cached
	// (identical requests in flight are still shared).
	Cache Cache
	// Recorder receives an Event per call; if nil, nothing is recorded.
	Recorder Recorder
	// Timeout bounds every generate call, fallbacks and retries included.
	// If zero, 120s.
	Timeout time.Duration
	// Fallbacks is the default chain of models to try, by catalog name
	// ("*" for any model without a chain of its own), when a model fails in
	// a way another may not; a request's own FallbackModels replace it.
	Fallbacks map[string][]string
	// Guardrail is applied to every request that names none; nil for none.
	Guardrail *Guardrail
	// MaxInputBytes bounds the total size of a request's text. If zero, 1 MiB.
	MaxInputBytes int
	// LogPrompts logs prompts and answers at debug level. Off by default:
	// they may hold anything an agent was told.
	LogPrompts bool
	// Now reads the clock; if nil, time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Gateway is the one path every request takes: validate, look in the cache
// (sharing identical requests in flight), call the provider, price, record.
// It is safe for concurrent use.
type Gateway struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	inflight map[string]*flight
	calls    atomic.Int64 // upstream calls under way
}

// InFlight is the number of upstream calls under way now.
func (g *Gateway) InFlight() int { return int(g.calls.Load()) }

// New returns a Gateway, or an error if a required option is missing.
func New(opts Options) (*Gateway, error) {
	if opts.Catalog == nil || opts.Provider == nil {
		return nil, errors.New("gateway: Catalog and Provider are required")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 120 * time.Second
	}
	if opts.MaxInputBytes <= 0 {
		opts.MaxInputBytes = 1 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Gateway{opts: opts, log: log, inflight: make(map[string]*flight)}, nil
}

// flight is one upstream call that identical requests share.
type flight struct {
	done    chan struct{}
	comp    *Completion
	err     error
	waiters int                // requests still waiting; the call is cancelled when it drops to zero
	cancel  context.CancelFunc // cancels the upstream call
}

// Generate answers a request. Failures are *Error values (or wrap one) whose
// Kind says what went wrong and whose message says what to change. The
// gateway's timeout bounds the whole call, fallbacks and retries included.
func (g *Gateway) Generate(ctx context.Context, req *Request) (*Response, error) {
	start := g.opts.Now()
	ctx, cancel := context.WithTimeout(ctx, g.opts.Timeout)
	defer cancel()
	ev := Event{Agent: req.Agent, Model: req.Model}
	resp, err := g.generateWithFallbacks(ctx, req, &ev)
	ev.Latency = g.opts.Now().Sub(start)
	ev.Kind = KindOf(err)
	if g.opts.Recorder != nil {
		g.opts.Recorder.Record(ev)
	}
	g.logResult(req, resp, &ev, err)
	if err != nil {
		return nil, err
	}
	resp.LatencyMs = float64(ev.Latency.Microseconds()) / 1000
	return resp, nil
}

// canFallBack reports whether another model may succeed where this one
// failed: the failure was the model's or Bedrock's, not the request's.
func canFallBack(err error) bool {
	switch KindOf(err) {
	case KindThrottled, KindUnavailable, KindTimeout, KindEndOfLife, KindModelNotFound, KindModelError:
		return true
	}
	return false
}

// generateWithFallbacks tries the request's model, then each fallback in
// turn while the failure is one another model may not have.
func (g *Gateway) generateWithFallbacks(ctx context.Context, req *Request, ev *Event) (*Response, error) {
	chain := req.FallbackModels
	if chain == nil && len(g.opts.Fallbacks) > 0 {
		primary := req.Model
		if m, err := g.opts.Catalog.Resolve(req.Model); err == nil {
			primary = m.Name
		}
		chain = g.opts.Fallbacks[req.Model]
		if chain == nil {
			chain = g.opts.Fallbacks[primary]
		}
		if chain == nil {
			// The chain for any model: trying the model that just failed
			// again is no fallback.
			for _, name := range g.opts.Fallbacks["*"] {
				if name != primary && name != req.Model {
					chain = append(chain, name)
				}
			}
		}
	}
	var attempts []Attempt
	for i, name := range append([]string{req.Model}, chain...) {
		ev.Fallbacks = i
		resp, err := g.generateOne(ctx, req, name, ev)
		if err == nil {
			resp.Attempts = attempts
			return resp, nil
		}
		// A fallback that cannot take this request (no image support, a
		// lower max_tokens) is passed over; the primary's refusal is final.
		skip := i > 0 && KindOf(err) == KindInvalidRequest
		if (!canFallBack(err) && !skip) || i == len(chain) || ctx.Err() != nil {
			return nil, withAttempts(err, attempts)
		}
		attempts = append(attempts, Attempt{Model: name, Kind: KindOf(err), Error: err.Error()})
		g.log.Warn("falling back to another model", logModel, name, logKind, string(KindOf(err)), "next", chain[i])
	}
	panic("unreachable")
}

// withAttempts adds to the last failure the models tried before it.
func withAttempts(err error, attempts []Attempt) error {
	if len(attempts) == 0 {
		return err
	}
	var tried []string
	for _, a := range attempts {
		tried = append(tried, fmt.Sprintf("%s (%s)", a.Model, a.Kind))
	}
	e := &Error{Kind: KindOf(err), Retryable: IsRetryable(err), Err: err}
	e.Message = fmt.Sprintf("%v; tried before it: %s", err, strings.Join(tried, ", "))
	return e
}

func (g *Gateway) generateOne(ctx context.Context, req *Request, name string, ev *Event) (*Response, error) {
	if name == "" {
		return nil, Invalid("model", "is required; call list_models to see the catalog, e.g. \"nova-lite\"")
	}
	m, err := g.opts.Catalog.Resolve(name)
	if err != nil {
		return nil, err
	}
	ev.Model = m.Name
	if req.Guardrail == nil && g.opts.Guardrail != nil {
		r := *req
		r.Guardrail = g.opts.Guardrail
		req = &r
	}
	call, err := validate(req, m, g.opts.MaxInputBytes)
	if err != nil {
		return nil, err
	}

	key := ""
	if !req.NoCache && g.opts.Cache != nil {
		key = cacheKey(call)
		if comp, ok := g.opts.Cache.Get(ctx, key); ok {
			if req.OnDelta != nil {
				req.OnDelta(comp.Content)
			}
			return g.respond(m, comp, true, false, ev), nil
		}
	}
	switch {
	case req.Stream:
		// Streams are not shared: each caller wants its own deltas.
		start := g.opts.Now()
		var first time.Duration
		comp, err := g.stream(ctx, call, m, func(text string) {
			if first == 0 {
				first = g.opts.Now().Sub(start)
			}
			if req.OnDelta != nil {
				req.OnDelta(text)
			}
		})
		if err != nil {
			return nil, err
		}
		if key != "" {
			g.opts.Cache.Set(ctx, key, comp)
		}
		resp := g.respond(m, comp, false, false, ev)
		ttft := float64(first.Microseconds()) / 1000
		resp.TimeToFirstTokenMs = &ttft
		return resp, nil
	case req.NoCache:
		comp, err := g.callProvider(ctx, call)
		if err != nil {
			return nil, err
		}
		if req.OnDelta != nil {
			req.OnDelta(comp.Content)
		}
		return g.respond(m, comp, false, false, ev), nil
	}
	if key == "" {
		key = cacheKey(call)
	}
	comp, shared, err := g.share(ctx, key, call)
	if err != nil {
		return nil, err
	}
	if req.OnDelta != nil {
		req.OnDelta(comp.Content)
	}
	return g.respond(m, comp, shared, shared, ev), nil
}

// stream calls the provider's streaming API when it and the model have one,
// and otherwise makes a plain call and hands over its text in one piece.
func (g *Gateway) stream(ctx context.Context, call *Call, m Model, onDelta func(string)) (*Completion, error) {
	s, ok := g.opts.Provider.(Streamer)
	if !ok || !m.SupportsStreaming {
		comp, err := g.callProvider(ctx, call)
		if err == nil {
			onDelta(comp.Content)
		}
		return comp, err
	}
	g.calls.Add(1)
	defer g.calls.Add(-1)
	comp, err := s.ConverseStream(ctx, call, onDelta)
	return comp, providerError(ctx, err)
}

// share makes the upstream call for key, or joins the identical one already
// in flight. shared reports whether this caller joined.
//
// The first caller makes the call on its own goroutine (a new goroutine
// would grow its stack afresh for the SDK's deep call chain on every miss),
// on a context detached from it, so that its leaving does not fail the
// others: the call is cancelled when the last caller has gone. A first
// caller that leaves while others wait returns when the call ends.
func (g *Gateway) share(ctx context.Context, key string, call *Call) (comp *Completion, shared bool, err error) {
	g.mu.Lock()
	if f, ok := g.inflight[key]; ok {
		f.waiters++
		g.mu.Unlock()
		select {
		case <-f.done:
			return f.comp, true, f.err
		case <-ctx.Done():
			g.leave(key, f)
			return nil, false, contextError(ctx.Err())
		}
	}
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.opts.Timeout)
	f := &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
	g.inflight[key] = f
	g.mu.Unlock()

	stop := context.AfterFunc(ctx, func() { g.leave(key, f) })
	g.fly(callCtx, key, call, f)
	stop()
	if ctx.Err() != nil {
		return nil, false, contextError(ctx.Err())
	}
	return f.comp, false, f.err
}

// leave drops a caller from a flight; the last one out cancels the call,
// and lets a request arriving now start afresh rather than join a call
// that is being cancelled.
func (g *Gateway) leave(key string, f *flight) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if g.inflight[key] == f {
			delete(g.inflight, key)
		}
	}
}

func (g *Gateway) fly(ctx context.Context, key string, call *Call, f *flight) {
	defer f.cancel()
	g.calls.Add(1)
	f.comp, f.err = g.opts.Provider.Converse(ctx, call)
	g.calls.Add(-1)
	if f.err == nil && g.opts.Cache != nil {
		// Stored before the flight is forgotten, so that a request arriving
		// in between finds it in one place or the other.
		g.opts.Cache.Set(ctx, key, f.comp)
	}
	g.mu.Lock()
	if g.inflight[key] == f {
		delete(g.inflight, key)
	}
	g.mu.Unlock()
	close(f.done)
}

func (g *Gateway) callProvider(ctx context.Context, call *Call) (*Completion, error) {
	g.calls.Add(1)
	defer g.calls.Add(-1)
	comp, err := g.opts.Provider.Converse(ctx, call)
	return comp, providerError(ctx, err)
}

// providerError gives an unclassified failure that came with the end of
// ctx the kind of that end.
func providerError(ctx context.Context, err error) error {
	if err != nil && KindOf(err) == KindInternal && ctx.Err() != nil {
		return contextError(ctx.Err())
	}
	return err
}

// contextError classifies a context's end for the caller.
func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Retryable: true, Message: "the request timed out; retry, ask for fewer max_tokens, or raise REQUEST_TIMEOUT", Err: err}
	}
	return &Error{Kind: KindCanceled, Message: "the request was cancelled", Err: err}
}

// respond prices a completion and fills the event. A cached or shared
// answer spent nothing: its cost is counted as saved instead.
func (g *Gateway) respond(m Model, comp *Completion, cached, coalesced bool, ev *Event) *Response {
	resp := &Response{
		Content:      comp.Content,
		ToolCalls:    comp.ToolCalls,
		Model:        m.Name,
		ModelID:      m.ID,
		Usage:        responseUsage(comp.Usage),
		FinishReason: comp.FinishReason,
		Cached:       cached,
	}
	ev.Usage = comp.Usage
	ev.Cached = cached && !coalesced
	ev.Coalesced = coalesced
	if m.Price == nil {
		return resp
	}
	cost := m.Price.Cost(comp.Usage)
	ev.Priced = true
	if cached {
		ev.Saved = cost
		resp.EstimatedCostUSD = usd(0)
		resp.SavedCostUSD = usd(cost)
	} else {
		ev.Cost = cost
		resp.EstimatedCostUSD = usd(cost)
	}
	return resp
}

func (g *Gateway) logResult(req *Request, resp *Response, ev *Event, err error) {
	attrs := []slog.Attr{
		slog.String(logAgent, ev.Agent),
		slog.String(logModel, ev.Model),
		slog.Float64(logLatency, float64(ev.Latency.Microseconds())/1000),
	}
	if err != nil {
		attrs = append(attrs, slog.String(logKind, string(ev.Kind)), slog.String(logErr, err.Error()))
		level := slog.LevelWarn
		if ev.Kind == KindInternal {
			level = slog.LevelError
		}
		g.log.LogAttrs(context.Background(), level, "generate failed", attrs...)
		return
	}
	attrs = append(attrs,
		slog.Bool(logCached, resp.Cached),
		slog.Int(logTokens, ev.Usage.Total()),
		slog.Float64(logCost, ev.Cost.USD()))
	// A cache hit is logged at debug: it costs a log line as much as the
	// rest of the hit, and reached no model.
	level := slog.LevelInfo
	if resp.Cached {
		level = slog.LevelDebug
	}
	g.log.LogAttrs(context.Background(), level, "generate", attrs...)
	if g.opts.LogPrompts {
		g.log.Debug("generate exchange", "messages", fmt.Sprint(req.Messages), "system", req.System, "answer", resp.Content)
	}
}
