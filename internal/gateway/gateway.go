package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	// Timeout bounds every upstream call. If zero, 120s.
	Timeout time.Duration
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
// Kind says what went wrong and whose message says what to change.
func (g *Gateway) Generate(ctx context.Context, req *Request) (*Response, error) {
	start := g.opts.Now()
	ev := Event{Agent: req.Agent, Model: req.Model}
	resp, err := g.generate(ctx, req, &ev)
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

func (g *Gateway) generate(ctx context.Context, req *Request, ev *Event) (*Response, error) {
	if req.Model == "" {
		return nil, Invalid("model", "is required; call list_models to see the catalog, e.g. \"nova-lite\"")
	}
	m, err := g.opts.Catalog.Resolve(req.Model)
	if err != nil {
		return nil, err
	}
	ev.Model = m.Name
	call, err := validate(req, m, g.opts.MaxInputBytes)
	if err != nil {
		return nil, err
	}

	if req.NoCache {
		comp, err := g.callProvider(ctx, call)
		if err != nil {
			return nil, err
		}
		return g.respond(m, comp, false, false, ev), nil
	}

	key := cacheKey(call)
	if g.opts.Cache != nil {
		if comp, ok := g.opts.Cache.Get(ctx, key); ok {
			return g.respond(m, comp, true, false, ev), nil
		}
	}
	comp, shared, err := g.share(ctx, key, call)
	if err != nil {
		return nil, err
	}
	return g.respond(m, comp, shared, shared, ev), nil
}

// share makes the upstream call for key, or joins the identical one already
// in flight. The call runs on a context detached from any one caller, so a
// caller that goes away does not fail the others; it is cancelled when the
// last caller has gone. shared reports whether this caller joined.
func (g *Gateway) share(ctx context.Context, key string, call *Call) (comp *Completion, shared bool, err error) {
	g.mu.Lock()
	f, shared := g.inflight[key]
	if shared {
		f.waiters++
	} else {
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.opts.Timeout)
		f = &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
		g.inflight[key] = f
		go g.fly(callCtx, key, call, f)
	}
	g.mu.Unlock()

	select {
	case <-f.done:
		return f.comp, shared, f.err
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody wants the answer any more: stop the upstream call, and
			// let a request arriving now start afresh rather than join a
			// call that is being cancelled.
			f.cancel()
			if g.inflight[key] == f {
				delete(g.inflight, key)
			}
		}
		g.mu.Unlock()
		return nil, false, contextError(ctx.Err())
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
	ctx, cancel := context.WithTimeout(ctx, g.opts.Timeout)
	defer cancel()
	g.calls.Add(1)
	comp, err := g.opts.Provider.Converse(ctx, call)
	g.calls.Add(-1)
	if err != nil && KindOf(err) == KindInternal && ctx.Err() != nil {
		return nil, contextError(ctx.Err())
	}
	return comp, err
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
	g.log.LogAttrs(context.Background(), slog.LevelInfo, "generate", attrs...)
	if g.opts.LogPrompts {
		g.log.Debug("generate exchange", "messages", fmt.Sprint(req.Messages), "system", req.System, "answer", resp.Content)
	}
}
