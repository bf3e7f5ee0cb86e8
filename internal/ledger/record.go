package ledger

import (
	"context"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Names under which totals are grouped when a record's own is empty.
const (
	// Anonymous is the agent of requests that name none.
	Anonymous = "anonymous"
	// NoModel is the model of requests that name none.
	NoModel = "(none)"
)

// Record is one finished request as the ledger keeps it: the
// gateway.Event, with times at microsecond precision (what every store
// keeps) and the derived Unpriced flag.
type Record struct {
	Time      time.Time // when the request arrived, UTC, microseconds
	RequestID string
	Agent     string
	Frontend  string
	Transport string
	Session   string
	Model     string
	ModelID   string
	KeyHash   string

	Cached    bool
	Coalesced bool
	Stream    bool

	Kind         gateway.ErrorKind // empty on success
	FinishReason string

	Usage          gateway.Usage
	UsageEstimated bool
	Cost           gateway.PicoUSD
	Priced         bool
	// Unpriced is true for spend the cost cannot include: an upstream
	// answer, or a failure that used tokens, at an unknown price.
	Unpriced bool
	Saved    gateway.PicoUSD
	Latency  time.Duration // microseconds

	Fallbacks int
	Attempts  []gateway.AttemptEvent
}

// FromEvent makes the record of an event. It copies the attempts.
func FromEvent(ev gateway.Event) Record {
	upstream := !ev.Cached && !ev.Coalesced
	failed := ev.Kind != ""
	r := Record{
		Time:      ev.Time.UTC().Truncate(time.Microsecond),
		RequestID: ev.RequestID, Agent: ev.Agent, Frontend: ev.Frontend,
		Transport: ev.Transport, Session: ev.Session,
		Model: ev.Model, ModelID: ev.ModelID, KeyHash: ev.KeyHash,
		Cached: ev.Cached, Coalesced: ev.Coalesced, Stream: ev.Stream,
		Kind: ev.Kind, FinishReason: ev.FinishReason,
		Usage: ev.Usage, UsageEstimated: ev.UsageEstimated,
		Cost: ev.Cost, Priced: ev.Priced,
		Unpriced:  upstream && !ev.Priced && (!failed || ev.Usage.Total() > 0),
		Saved:     ev.Saved,
		Latency:   ev.Latency.Truncate(time.Microsecond),
		Fallbacks: ev.Fallbacks,
	}
	if len(ev.Attempts) > 0 {
		r.Attempts = make([]gateway.AttemptEvent, len(ev.Attempts))
		for i, a := range ev.Attempts {
			a.Latency = a.Latency.Truncate(time.Microsecond)
			r.Attempts[i] = a
		}
	}
	return r
}

// Filter narrows totals. Zero fields do not narrow.
type Filter struct {
	Since time.Time // records at or after Since
	Until time.Time // records before Until
	Agent string    // exact agent name
	Model string    // exact catalog model name
}

// Tokens counts tokens billed upstream, by kind.
type Tokens struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cache_read"`
	CacheWrite int64 `json:"cache_write"`
}

// Total is every token counted.
func (t Tokens) Total() int64 { return t.Input + t.Output + t.CacheRead + t.CacheWrite }

// Totals sums records. A request counts as failed when it has a Kind, as a
// cache hit when it succeeded from the cache, as coalesced when it
// succeeded shared with an identical request (not a cache hit). Tokens and
// cost are what was billed upstream: cached and coalesced answers add none,
// their would-be cost is in Saved. Every map is non-nil.
type Totals struct {
	Requests   int64
	Successful int64
	Failed     int64
	CacheHits  int64
	Coalesced  int64
	// Fallbacks counts requests on which at least one model failed and
	// another was tried.
	Fallbacks int64
	Unpriced  int64
	// UsageEstimated counts requests whose usage was partly estimated.
	UsageEstimated int64
	Tokens         Tokens
	Cost           gateway.PicoUSD
	Saved          gateway.PicoUSD
	// Latency is the sum of every request's latency: divide by Requests
	// for the mean.
	Latency time.Duration

	ErrorsByKind map[gateway.ErrorKind]int64
	// ByModel and ByAgent group the same figures; an empty name is
	// counted under NoModel or Anonymous.
	ByModel map[string]Group
	ByAgent map[string]Group
}

// Group is the totals of one model or one agent.
type Group struct {
	Requests  int64
	CacheHits int64
	Coalesced int64
	Errors    int64
	Unpriced  int64
	// UsageEstimated counts requests whose usage was partly estimated.
	UsageEstimated int64
	Tokens         Tokens
	Cost           gateway.PicoUSD
	Saved          gateway.PicoUSD
	Latency        time.Duration // sum
}

// Point is the totals of one time bucket, for charts.
type Point struct {
	Start     time.Time // UTC; a multiple of the bucket since the Unix epoch
	Requests  int64
	Errors    int64
	CacheHits int64
	Coalesced int64
	Unpriced  int64
	Tokens    Tokens
	Cost      gateway.PicoUSD
	Saved     gateway.PicoUSD
	Latency   time.Duration // sum
}

// Reader answers questions about what was recorded. Every method is safe
// for concurrent use and sees every record written before it was called,
// by any process sharing the store.
type Reader interface {
	// Spent sums the cost of the records at or after since; an empty agent
	// or model means all, a zero since means ever.
	Spent(ctx context.Context, agent, model string, since time.Time) (gateway.PicoUSD, error)
	// Totals sums the records that f selects.
	Totals(ctx context.Context, f Filter) (Totals, error)
	// Recent returns the n newest records, newest first.
	Recent(ctx context.Context, n int) ([]Record, error)
	// Series sums the records at or after since into buckets of the given
	// width, aligned to multiples of it since the Unix epoch (UTC days for
	// 24h). Only buckets holding records are returned, oldest first.
	Series(ctx context.Context, since time.Time, bucket time.Duration) ([]Point, error)
}

// Store keeps records.
type Store interface {
	Reader
	// Append writes records, all or none: once it returns nil they are
	// readable by every process sharing the store and survive the
	// process being killed.
	Append(ctx context.Context, recs []Record) error
	// Prune deletes the records before t and says how many.
	Prune(ctx context.Context, before time.Time) (int64, error)
	// Close releases the store.
	Close() error
}

// BucketStart is the start of the bucket of the given width holding t:
// a multiple of the width since the Unix epoch, in UTC.
func BucketStart(t time.Time, bucket time.Duration) time.Time {
	n := t.UnixNano()
	b := int64(bucket)
	s := n - n%b
	if n < 0 && n%b != 0 {
		s -= b
	}
	return time.Unix(0, s).UTC()
}

// NewTotals returns empty totals with non-nil maps.
func NewTotals() Totals {
	return Totals{
		ErrorsByKind: map[gateway.ErrorKind]int64{},
		ByModel:      map[string]Group{},
		ByAgent:      map[string]Group{},
	}
}

// Sum is records that share a model, an agent, a kind and every flag the
// totals look at, summed: what a store's GROUP BY gives. Stores that sum
// in their own engine fold their groups with AddSum, so that every store
// counts alike.
type Sum struct {
	Model, Agent string
	Kind         gateway.ErrorKind
	Cached       bool
	Coalesced    bool
	Fallback     bool // Fallbacks > 0
	Unpriced     bool
	Estimated    bool // UsageEstimated

	N       int64
	Tokens  Tokens
	Cost    gateway.PicoUSD
	Saved   gateway.PicoUSD
	Latency time.Duration
}

// SumOf is one record as a Sum.
func SumOf(r *Record) Sum {
	return Sum{
		Model: r.Model, Agent: r.Agent, Kind: r.Kind, Cached: r.Cached, Coalesced: r.Coalesced,
		Fallback: r.Fallbacks > 0, Unpriced: r.Unpriced, Estimated: r.UsageEstimated,
		N: 1, Tokens: tokensOf(r.Usage), Cost: r.Cost, Saved: r.Saved, Latency: r.Latency,
	}
}

// Add counts one record into the totals.
func (t *Totals) Add(r *Record) { t.AddSum(SumOf(r)) }

// AddSum counts a group of like records into the totals.
func (t *Totals) AddSum(s Sum) {
	failed := s.Kind != ""
	hit := !failed && s.Cached
	shared := !failed && s.Coalesced && !s.Cached
	n := s.N
	when := func(b bool) int64 {
		if b {
			return n
		}
		return 0
	}
	t.Requests += n
	t.Failed += when(failed)
	t.Successful += when(!failed)
	if failed {
		t.ErrorsByKind[s.Kind] += n
	}
	t.CacheHits += when(hit)
	t.Coalesced += when(shared)
	t.Fallbacks += when(s.Fallback)
	t.Unpriced += when(s.Unpriced)
	t.UsageEstimated += when(s.Estimated)
	t.Tokens = t.Tokens.add(s.Tokens)
	t.Cost += s.Cost
	t.Saved += s.Saved
	t.Latency += s.Latency
	g := func(m map[string]Group, name, empty string) {
		if name == "" {
			name = empty
		}
		x := m[name]
		x.Requests += n
		x.CacheHits += when(hit)
		x.Coalesced += when(shared)
		x.Errors += when(failed)
		x.Unpriced += when(s.Unpriced)
		x.UsageEstimated += when(s.Estimated)
		x.Tokens = x.Tokens.add(s.Tokens)
		x.Cost += s.Cost
		x.Saved += s.Saved
		x.Latency += s.Latency
		m[name] = x
	}
	g(t.ByModel, s.Model, NoModel)
	g(t.ByAgent, s.Agent, Anonymous)
}

func tokensOf(u gateway.Usage) Tokens {
	return Tokens{Input: int64(u.InputTokens), Output: int64(u.OutputTokens), CacheRead: int64(u.CacheReadTokens), CacheWrite: int64(u.CacheWriteTokens)}
}

func (t Tokens) add(u Tokens) Tokens {
	return Tokens{Input: t.Input + u.Input, Output: t.Output + u.Output, CacheRead: t.CacheRead + u.CacheRead, CacheWrite: t.CacheWrite + u.CacheWrite}
}

// Matches reports whether f selects r.
func (f Filter) Matches(r *Record) bool {
	return (f.Since.IsZero() || !r.Time.Before(f.Since)) &&
		(f.Until.IsZero() || r.Time.Before(f.Until)) &&
		(f.Agent == "" || r.Agent == f.Agent) &&
		(f.Model == "" || r.Model == f.Model)
}

// Add counts r into the point.
func (p *Point) Add(r *Record) { p.AddSum(SumOf(r)) }

// AddSum counts a group of like records into the point.
func (p *Point) AddSum(s Sum) {
	failed := s.Kind != ""
	p.Requests += s.N
	if failed {
		p.Errors += s.N
	}
	if !failed && s.Cached {
		p.CacheHits += s.N
	}
	if !failed && s.Coalesced && !s.Cached {
		p.Coalesced += s.N
	}
	if s.Unpriced {
		p.Unpriced += s.N
	}
	p.Tokens = p.Tokens.add(s.Tokens)
	p.Cost += s.Cost
	p.Saved += s.Saved
	p.Latency += s.Latency
}
