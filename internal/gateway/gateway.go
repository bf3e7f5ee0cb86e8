package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	logReqID   = "request_id"
)

// Options configure a Gateway. Catalog and Provider are required; the zero
// value of every other field means its default.
type Options struct {
	Catalog  Catalog
	Provider Provider
	// Cache stores answers shared by all agents; if nil, nothing is cached
	// (identical requests in flight are still shared).
	Cache Cache
	// Recorders each receive an Event per request, in order; none if empty.
	Recorders []Recorder
	// Admission governs limits and budgets; if nil, nothing is limited.
	Admission Admission
	// Coalescer shares identical upstream calls with other gateway
	// processes; if nil, only requests of this process share a call.
	Coalescer Coalescer
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

// Gateway is the one path every request takes: admit, validate, look in the
// cache (sharing identical requests in flight), reserve, call the provider,
// settle, price, record. It is safe for concurrent use.
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
		log = slog.New(slog.DiscardHandler) // disabled at every level: no line is even built
	}
	return &Gateway{opts: opts, log: log, inflight: make(map[string]*flight)}, nil
}

// Generate answers a request. Failures are *Error values (or wrap one) whose
// Kind says what went wrong and whose message says what to change. The
// gateway's timeout bounds the whole call, fallbacks and retries included.
// Every request, whatever its outcome, is recorded before Generate returns.
func (g *Gateway) Generate(ctx context.Context, req *Request) (*Response, error) {
	start := g.opts.Now()
	if req.RequestID == "" {
		req.RequestID = newRequestID()
	}
	ctx, cancel := context.WithTimeout(ctx, g.opts.Timeout)
	defer cancel()
	req.Agent = boundName(req.Agent)
	ev := Event{
		Time: start, RequestID: req.RequestID, Agent: req.Agent, Frontend: req.Frontend,
		Transport: req.Transport, Session: req.Session, Model: boundName(req.Model), Stream: req.Stream,
	}
	var resp *Response
	err := checkNames(req)
	if err == nil {
		resp, err = g.admitted(ctx, req, &ev)
	}
	ev.Latency = g.opts.Now().Sub(start)
	ev.Kind = KindOf(err)
	if resp != nil {
		ev.FinishReason = resp.FinishReason
	} else {
		// A failure's cost is known when every attempt's is.
		ev.Priced = true
		for _, a := range ev.Attempts {
			ev.Priced = ev.Priced && a.Priced
		}
	}
	g.record(ctx, ev)
	g.logResult(req, resp, &ev, err)
	if err != nil {
		return nil, err
	}
	resp.LatencyMs = float64(ev.Latency.Microseconds()) / 1000
	return resp, nil
}

// admitted passes the request through Admission.Enter, then answers it.
func (g *Gateway) admitted(ctx context.Context, req *Request, ev *Event) (*Response, error) {
	if g.opts.Admission != nil {
		leave, err := g.opts.Admission.Enter(ctx, Entry{Agent: req.Agent, Frontend: req.Frontend, Model: req.Model, Time: ev.Time})
		if err != nil {
			return nil, err
		}
		defer leave()
	}
	return g.generateWithFallbacks(ctx, req, ev)
}

// record hands the event to every recorder. The context is detached from
// the caller's: a request that timed out or was cancelled is still recorded.
func (g *Gateway) record(ctx context.Context, ev Event) {
	rctx := context.WithoutCancel(ctx)
	for _, r := range g.opts.Recorders {
		r.Record(rctx, ev)
	}
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b[:])
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

// fallbackChain is the models to try after req.Model, in order.
func (g *Gateway) fallbackChain(req *Request) []string {
	if req.FallbackModels != nil || len(g.opts.Fallbacks) == 0 {
		return req.FallbackModels
	}
	primary := req.Model
	if m, err := g.opts.Catalog.Resolve(req.Model); err == nil {
		primary = m.Name
	}
	if chain := g.opts.Fallbacks[req.Model]; chain != nil {
		return chain
	}
	if chain := g.opts.Fallbacks[primary]; chain != nil {
		return chain
	}
	// The chain for any model: trying the model that just failed again is
	// no fallback.
	var chain []string
	for _, name := range g.opts.Fallbacks["*"] {
		if name != primary && name != req.Model {
			chain = append(chain, name)
		}
	}
	return chain
}

// generateWithFallbacks tries the request's model, then each fallback in
// turn while the failure is one another model may not have.
func (g *Gateway) generateWithFallbacks(ctx context.Context, req *Request, ev *Event) (*Response, error) {
	names := append([]string{req.Model}, g.fallbackChain(req)...)
	var attempts []Attempt
	for i := 0; i < len(names); i++ {
		ev.Fallbacks = i
		resp, err := g.generateOne(ctx, req, names[i], ev)
		if err == nil {
			resp.Attempts = attempts
			return resp, nil
		}
		kind := KindOf(err)
		// A budget that cannot take this model's worst case may name a
		// cheaper model to use instead: it is tried next, once.
		if r := RefusalOf(err); r != nil && r.Downgrade != "" && !slices.Contains(names[:i+1], r.Downgrade) && ctx.Err() == nil {
			names = slices.Insert(names, i+1, r.Downgrade)
			attempts = append(attempts, Attempt{Model: names[i], Kind: kind, Error: err.Error()})
			g.log.Warn("downgrading to a cheaper model", logReqID, req.RequestID, logModel, names[i], logKind, string(kind), "next", r.Downgrade)
			continue
		}
		// A fallback that cannot take this request (no image support, a
		// lower max_tokens, not allowed to this agent) is passed over; the
		// primary's refusal is final.
		skip := i > 0 && (kind == KindInvalidRequest || kind == KindModelNotAllowed)
		if (!canFallBack(err) && !skip) || i == len(names)-1 || ctx.Err() != nil {
			return nil, withAttempts(err, attempts)
		}
		attempts = append(attempts, Attempt{Model: names[i], Kind: kind, Error: err.Error()})
		g.log.Warn("falling back to another model", logReqID, req.RequestID, logModel, names[i], logKind, string(kind), "next", names[i+1])
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

func (g *Gateway) logResult(req *Request, resp *Response, ev *Event, err error) {
	// A cache hit is logged at debug: it costs a log line as much as the
	// rest of the hit, and reached no model.
	level := slog.LevelInfo
	switch {
	case err != nil && ev.Kind == KindInternal:
		level = slog.LevelError
	case err != nil:
		level = slog.LevelWarn
	case resp.Cached:
		level = slog.LevelDebug
	}
	ctx := context.Background()
	if !g.log.Enabled(ctx, level) {
		return // the line's attributes are not even built
	}
	attrs := []slog.Attr{
		slog.String(logReqID, ev.RequestID),
		slog.String(logAgent, ev.Agent),
		slog.String(logModel, ev.Model),
		slog.Float64(logLatency, float64(ev.Latency.Microseconds())/1000),
	}
	if err != nil {
		attrs = append(attrs, slog.String(logKind, string(ev.Kind)), slog.String(logErr, err.Error()))
		g.log.LogAttrs(ctx, level, "generate failed", attrs...)
		return
	}
	attrs = append(attrs,
		slog.Bool(logCached, resp.Cached),
		slog.Int(logTokens, ev.Usage.Total()),
		slog.Float64(logCost, ev.Cost.USD()))
	g.log.LogAttrs(ctx, level, "generate", attrs...)
	if g.opts.LogPrompts {
		g.log.Debug("generate exchange", logReqID, ev.RequestID, "messages", fmt.Sprint(req.Messages), "system", req.System, "answer", resp.Content)
	}
}
