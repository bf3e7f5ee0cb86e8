package gateway

import (
	"context"
	"time"
)

// The life of one call, and the port each step consults:
//
//	enter    Admission.Enter      rate and concurrency limits, once per request
//	resolve  Catalog.Resolve      per model tried (the primary, then fallbacks)
//	allow    Admission.Allow      model allow-lists, per model tried
//	cache    Cache.Get            a hit ends the call here
//	reserve  Admission.Reserve    tokens and dollars, per upstream attempt
//	call     Provider             Converse or ConverseStream
//	settle   Settle               the attempt's real usage and cost
//	record   Recorder.Record      every recorder, once per request, any outcome
//
// Each port is small, declared here and implemented elsewhere; main wires them.

// Catalog resolves the model an agent names.
type Catalog interface {
	// Resolve accepts a catalog short name, a Bedrock model ID, or an
	// inference-profile ID or ARN, and returns the model to call from the
	// configured region. An unknown name gives an *Error of KindUnknownModel
	// whose message names the closest catalog names.
	Resolve(name string) (Model, error)
}

// Cache keeps completed answers by request key. Implementations are safe for
// concurrent use and bound their own size; a Get after expiry misses.
type Cache interface {
	Get(ctx context.Context, key string) (*Completion, bool)
	Set(ctx context.Context, key string, c *Completion)
}

// Provider calls a model. Implementations classify their failures as *Error.
// A wrapper (tracing, fault injection) implements both methods, so that
// wrapping a provider never hides its streaming.
type Provider interface {
	Converse(ctx context.Context, c *Call) (*Completion, error)
	// ConverseStream streams an answer: onDelta is called with each piece of
	// text as it arrives, in order, from the calling goroutine; the returned
	// Completion holds the whole answer. A provider that cannot stream makes
	// a plain call and hands over the text in one piece.
	ConverseStream(ctx context.Context, c *Call, onDelta func(text string)) (*Completion, error)
}

// Recorder receives one Event per finished request, of any outcome: answered
// upstream, from the cache, shared with an identical request, refused, or
// failed. Record is called before the answer is returned to the caller, so
// that an answer that reached an agent has been recorded (a durable recorder
// commits before it returns, or says in its doc what it risks). It must not
// keep ev's slices past the call unless it copies them.
type Recorder interface {
	Record(ctx context.Context, ev Event)
}

// Admission governs who may call what: limits and budgets. Every method is
// safe for concurrent use; a refusal is an *Error whose kind says why
// (KindModelNotAllowed, KindRateLimited, KindBudgetExceeded) and whose
// message says which limit, its figures and when it resets.
type Admission interface {
	// Enter is consulted once per request, before anything else (a cache hit
	// counts as a request): request-rate and concurrency limits. leave is
	// called exactly once when the request ends.
	Enter(ctx context.Context, e Entry) (leave func(), err error)
	// Allow is consulted for each model a request would use (the primary and
	// each fallback), before the cache: model allow-lists.
	Allow(ctx context.Context, agent string, m Model) error
	// Reserve is consulted after a cache miss, before each upstream attempt,
	// with the attempt's worst case: token and dollar budgets. It holds the
	// worst case against every limit that applies until settle is called,
	// exactly once, with what the attempt really used (a failed attempt
	// settles with whatever it was billed, often nothing).
	Reserve(ctx context.Context, r Reservation) (settle Settle, err error)
}

// Entry is a request as Admission.Enter sees it.
type Entry struct {
	Agent    string
	Frontend string
	Model    string // as the caller named it
	Time     time.Time
}

// Reservation is one upstream attempt's worst case.
type Reservation struct {
	Agent string
	Model Model // resolved; Model.Price is nil when unpriced
	// InputTokens is an upper bound on the attempt's input tokens, from the
	// size of what is sent; MaxOutputTokens is its max_tokens.
	InputTokens     int
	MaxOutputTokens int
	// WorstCase is what the attempt can cost at most; meaningful when
	// Priced (an unpriced model cannot be charged to a dollar budget).
	WorstCase PicoUSD
	Priced    bool
	Time      time.Time
}

// Settle ends a reservation with what the attempt used and cost.
type Settle func(ctx context.Context, used Usage, cost PicoUSD, priced bool)

// Event describes one finished request: for the ledger, metrics and traces.
// It carries no prompt or answer text.
type Event struct {
	Time      time.Time // when the request arrived
	RequestID string
	Agent     string
	Frontend  string // "mcp", "openai", "anthropic"
	Transport string // "stdio", "http", …
	Session   string // the transport's session ID, if any

	Model   string // catalog short name of the model that answered (or failed last), or the name as given if unresolved
	ModelID string // the model or inference-profile ID called
	// KeyHash identifies the request's content (the cache key, a hash): two
	// events with the same KeyHash asked the same thing.
	KeyHash string

	// Cached is true when the answer came from the cache; Coalesced when it
	// was shared from an identical request already in flight.
	Cached    bool
	Coalesced bool
	Stream    bool

	Kind         ErrorKind // empty on success
	FinishReason string

	// Usage and Cost are what the request consumed upstream, summed over
	// every attempt; zero for cached and coalesced answers. UsageEstimated
	// is true when some of it was estimated (a stream cut before Bedrock
	// reported usage).
	Usage          Usage
	UsageEstimated bool
	Cost           PicoUSD
	Priced         bool    // false when any attempt's cost is unknown
	Saved          PicoUSD // what a cached or coalesced answer would have cost
	Latency        time.Duration

	// Attempts is every upstream attempt, in order, the last one included;
	// empty for answers that made no upstream call.
	Attempts []AttemptEvent
	// Fallbacks is how many models failed before the one that answered
	// (or before the last failure).
	Fallbacks int
}

// AttemptEvent is one upstream call of a request.
type AttemptEvent struct {
	Model          string
	ModelID        string
	Kind           ErrorKind // empty on success
	Usage          Usage
	UsageEstimated bool
	Cost           PicoUSD
	Priced         bool
	Latency        time.Duration
}

// Coalescer shares one upstream call among gateway processes (replicas
// behind a load balancer), as the in-process flight table does among the
// requests of one process. Implementations are safe for concurrent use.
type Coalescer interface {
	// Acquire either returns the answer to key that another process has
	// produced (or was producing and has now finished), or a lease: the
	// caller makes the call and ends the lease with its outcome. When the
	// other process's call failed, err is that failure as an *Error of its
	// kind. A failure of the shared state itself (unreachable, slow) is any
	// other error (never an *Error), and the caller goes on alone: sharing is
	// an optimisation, never a reason to fail. Waiting honours ctx.
	Acquire(ctx context.Context, key string) (comp *Completion, lease Lease, err error)
}

// Lease is the right to make the upstream call for one key.
type Lease interface {
	// Release publishes the call's outcome to the processes waiting on it
	// (the answer, or the failure) and gives up the lease.
	Release(ctx context.Context, comp *Completion, err error)
}
