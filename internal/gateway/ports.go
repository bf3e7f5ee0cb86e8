package gateway

import (
	"context"
	"time"
)

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

// Recorder receives one Event per finished generate call.
type Recorder interface {
	Record(Event)
}

// Event describes one finished generate call, for metrics.
type Event struct {
	Agent string
	Model string // catalog short name, or the name as given if unresolved
	// Cached is true when the answer came from the cache; Coalesced when it
	// was shared from an identical request already in flight.
	Cached    bool
	Coalesced bool
	Kind      ErrorKind // empty on success
	Usage     Usage
	Cost      PicoUSD // spent upstream by this call; zero for cached answers
	Priced    bool    // false when the model has no known price
	Saved     PicoUSD // what a cached or coalesced answer would have cost
	Latency   time.Duration
	// Fallbacks is how many models failed before the one that answered
	// (or before the last failure).
	Fallbacks int
}
