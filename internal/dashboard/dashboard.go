// Package dashboard serves the gateway's live web dashboard at /ui/: spend,
// requests, cache, latency and errors, per agent and per model, charts over
// the last hour, day and 30 days, the latest calls (never their text), and
// the catalog's lifecycle warnings. It reads everything from the usage
// ledger, so `llm-gateway dashboard` shows what every gateway sharing a
// store recorded, stdio ones included.
//
// The page set is embedded (go:embed): no CDN, no request leaves the page,
// no chart library (charts are SVG drawn by a few lines of JavaScript). The
// page follows /ui/api/events, server-sent events that carry the summary
// whenever it changes (the ledger is read once a second however many pages
// are open, and not at all when none is); /ui/api/summary is the same
// summary on request. Admin access is by an
// adminauth.Guard: on a non-loopback address an admin key, typed once into
// the login form and kept in an HttpOnly, SameSite=Strict cookie.
package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/adminauth"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

//go:embed static
var static embed.FS

// Store is what the dashboard reads from the ledger.
type Store interface {
	Totals(ctx context.Context, f ledger.Filter) (ledger.Totals, error)
	Recent(ctx context.Context, n int) ([]ledger.Record, error)
	Series(ctx context.Context, since time.Time, bucket time.Duration) ([]ledger.Point, error)
}

// Model is a catalog entry as the dashboard shows it.
type Model struct {
	Name        string `json:"name"`
	Status      string `json:"status"`                // active, legacy, end-of-life
	EndOfLife   string `json:"end_of_life,omitempty"` // YYYY-MM-DD
	Replacement string `json:"replacement,omitempty"`
}

// Options configure the dashboard. Store and Guard are required.
type Options struct {
	Store Store
	Guard *adminauth.Guard
	// Models lists the catalog, for lifecycle warnings. If nil, none.
	Models func() []Model
	// Budgets reports the dollar budgets of the policy in force, with
	// spend so far, as get_stats' limits section does; if nil, none.
	Budgets func(ctx context.Context) []Budget
	// Now reads the clock; if nil, time.Now.
	Now func() time.Time
	// Interval is how often the ledger is read while a page follows the
	// events; if zero, every second.
	Interval time.Duration
	Logger   *slog.Logger
}

// Budget is one dollar budget of the policy for its current period, for
// "spend against budget": the figures of get_stats' limits section.
type Budget struct {
	Scope        string  `json:"scope"` // agent, model or global
	Name         string  `json:"name"`  // the agent or model; empty for global
	Limit        string  `json:"limit"` // as in the policy file: budget.daily_usd, budget.monthly_usd, …
	MaxUSD       float64 `json:"max_usd"`
	UsedUSD      float64 `json:"used_usd"`
	ReservedUSD  float64 `json:"reserved_usd"` // held by calls in flight
	RemainingUSD float64 `json:"remaining_usd"`
	ResetsAt     string  `json:"resets_at,omitempty"` // RFC 3339
}

// Handler serves the dashboard under /ui/.
type Handler struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	feed *feed
}

// New returns the dashboard's handler, to be mounted at /ui/.
func New(opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	h := &Handler{opts: opts, log: log, mux: http.NewServeMux()}
	h.feed = newFeed(h.Summary, opts.Interval, log)
	files, _ := fs.Sub(static, "static") // never fails: the directory is embedded
	assets := http.FileServerFS(files)
	h.mux.Handle("POST /ui/login", opts.Guard.Login("/ui/"))
	h.mux.HandleFunc("GET /ui/{$}", h.index)
	h.mux.Handle("GET /ui/api/summary", opts.Guard.Require(http.HandlerFunc(h.summary)))
	h.mux.Handle("GET /ui/api/events", opts.Guard.Require(http.HandlerFunc(h.events)))
	// The assets hold no data: the login page needs them too.
	h.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", assets))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// No external requests, no framing, nothing inline but our own.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer Chromium sends the
	// login form with "Origin: null", which the origin check refuses.
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// index serves the page, or the login form to a browser without a key.
func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	name := "static/index.html"
	if !h.opts.Guard.Allowed(r) {
		name = "static/login.html"
		w.WriteHeader(http.StatusUnauthorized)
	}
	b, _ := static.ReadFile(name)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b)
}

// Summary is what the page shows, in one poll.
type Summary struct {
	Now         time.Time `json:"now"`
	RPS         float64   `json:"rps"` // over the last minute
	Today       Figures   `json:"today"`
	Month       Figures   `json:"month"`
	All         Figures   `json:"all"`
	LatencyMs   Latency   `json:"latency_ms"` // of the latest calls
	ByAgent     []Row     `json:"by_agent"`   // this month
	ByModel     []Row     `json:"by_model"`   // this month
	Hour        []Point   `json:"hour"`       // 1-minute buckets
	Day         []Point   `json:"day"`        // 1-hour buckets
	Days30      []Point   `json:"days30"`     // 1-day buckets
	Recent      []Call    `json:"recent"`
	Lifecycle   []Warning `json:"lifecycle"`
	Budgets     []Budget  `json:"budgets,omitempty"`
	TotalModels int       `json:"catalog_models"`
}

// Figures are totals over a period.
type Figures struct {
	Requests     int64            `json:"requests"`
	Errors       int64            `json:"errors"`
	CacheHits    int64            `json:"cache_hits"`
	Coalesced    int64            `json:"coalesced"`
	CacheHitRate float64          `json:"cache_hit_rate_percent"`
	CostUSD      float64          `json:"cost_usd"`
	SavedUSD     float64          `json:"saved_usd"`
	Unpriced     int64            `json:"unpriced"`
	Tokens       int64            `json:"tokens"`
	ErrorsByKind map[string]int64 `json:"errors_by_kind"`
}

// Latency is percentiles of the latest calls' latency.
type Latency struct {
	P50     float64 `json:"p50"`
	P95     float64 `json:"p95"`
	P99     float64 `json:"p99"`
	Samples int     `json:"samples"`
}

// Row is one agent's or model's figures.
type Row struct {
	Name      string  `json:"name"`
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"`
	CacheHits int64   `json:"cache_hits"`
	Tokens    int64   `json:"tokens"`
	CostUSD   float64 `json:"cost_usd"`
	SavedUSD  float64 `json:"saved_usd"`
	AvgMs     float64 `json:"avg_latency_ms"`
}

// Point is one bucket of a chart.
type Point struct {
	T        int64   `json:"t"` // Unix milliseconds of the bucket's start
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	CostUSD  float64 `json:"cost_usd"`
}

// Call is one recent request: never its text.
type Call struct {
	Time      time.Time `json:"time"`
	Agent     string    `json:"agent"`
	Model     string    `json:"model"`
	Tokens    int       `json:"tokens"`
	CostUSD   *float64  `json:"cost_usd"` // null when unpriced
	LatencyMs float64   `json:"latency_ms"`
	Cached    bool      `json:"cached"`
	Outcome   string    `json:"outcome"` // ok or the error kind
}

// Warning is a model in use that is legacy or near its end of life.
type Warning struct {
	Model
	Requests int64  `json:"requests_30d"`
	Message  string `json:"message"`
}

// recentCalls is how many calls the table shows; latencySample how many
// the percentiles are taken over.
const (
	recentCalls   = 50
	latencySample = 1000
)

func (h *Handler) summary(w http.ResponseWriter, r *http.Request) {
	s, err := h.Summary(r.Context())
	if err != nil {
		h.log.Warn("dashboard summary", "error", err)
		http.Error(w, "the usage ledger cannot be read: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}

// Summary reads what the page shows.
func (h *Handler) Summary(ctx context.Context) (*Summary, error) {
	now := h.opts.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	s := &Summary{Now: now}

	var err error
	totals := func(since time.Time) ledger.Totals {
		if err != nil {
			return ledger.NewTotals()
		}
		var t ledger.Totals
		t, err = h.opts.Store.Totals(ctx, ledger.Filter{Since: since})
		return t
	}
	minute, today, mon, all := totals(now.Add(-time.Minute)), totals(day), totals(month), totals(time.Time{})
	if err != nil {
		return nil, err
	}
	s.RPS = float64(minute.Requests) / 60
	s.Today, s.Month, s.All = figures(today), figures(mon), figures(all)
	s.ByAgent, s.ByModel = rows(mon.ByAgent), rows(mon.ByModel)

	series := func(since time.Time, bucket time.Duration) []Point {
		if err != nil {
			return nil
		}
		var pts []ledger.Point
		pts, err = h.opts.Store.Series(ctx, since, bucket)
		return points(pts, ledger.BucketStart(since, bucket), bucket, now)
	}
	s.Hour = series(now.Add(-time.Hour), time.Minute)
	s.Day = series(now.Add(-24*time.Hour), time.Hour)
	s.Days30 = series(now.AddDate(0, 0, -30), 24*time.Hour)
	if err != nil {
		return nil, err
	}

	recs, err := h.opts.Store.Recent(ctx, latencySample)
	if err != nil {
		return nil, err
	}
	s.LatencyMs = latency(recs)
	for i, rec := range recs {
		if i == recentCalls {
			break
		}
		s.Recent = append(s.Recent, call(rec))
	}

	if h.opts.Models != nil {
		used, err := h.opts.Store.Totals(ctx, ledger.Filter{Since: now.AddDate(0, 0, -30)})
		if err != nil {
			return nil, err
		}
		models := h.opts.Models()
		s.TotalModels = len(models)
		s.Lifecycle = lifecycle(models, used.ByModel, now)
	}
	if h.opts.Budgets != nil {
		s.Budgets = h.opts.Budgets(ctx)
	}
	return s, nil
}

func figures(t ledger.Totals) Figures {
	f := Figures{
		Requests: t.Requests, Errors: t.Failed, CacheHits: t.CacheHits, Coalesced: t.Coalesced,
		CostUSD: t.Cost.USD(), SavedUSD: t.Saved.USD(), Unpriced: t.Unpriced, Tokens: t.Tokens.Total(),
		ErrorsByKind: map[string]int64{},
	}
	if t.Requests > 0 {
		f.CacheHitRate = float64(t.CacheHits) * 100 / float64(t.Requests)
	}
	for k, n := range t.ErrorsByKind {
		f.ErrorsByKind[string(k)] = n
	}
	return f
}

func rows(groups map[string]ledger.Group) []Row {
	out := make([]Row, 0, len(groups))
	for name, g := range groups {
		r := Row{Name: name, Requests: g.Requests, Errors: g.Errors, CacheHits: g.CacheHits,
			Tokens: g.Tokens.Total(), CostUSD: g.Cost.USD(), SavedUSD: g.Saved.USD()}
		if g.Requests > 0 {
			r.AvgMs = float64(g.Latency.Microseconds()) / 1000 / float64(g.Requests)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CostUSD != out[j].CostUSD {
			return out[i].CostUSD > out[j].CostUSD
		}
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// points fills the buckets from start to now, empty ones as zeros, so that
// a chart's x axis is time.
func points(pts []ledger.Point, start time.Time, bucket time.Duration, now time.Time) []Point {
	byStart := make(map[int64]ledger.Point, len(pts))
	for _, p := range pts {
		byStart[p.Start.UnixMilli()] = p
	}
	var out []Point
	for t := start; !t.After(now); t = t.Add(bucket) {
		p := byStart[t.UnixMilli()]
		out = append(out, Point{T: t.UnixMilli(), Requests: p.Requests, Errors: p.Errors, CostUSD: p.Cost.USD()})
	}
	return out
}

// latency is nearest-rank percentiles of the records' latencies.
func latency(recs []ledger.Record) Latency {
	if len(recs) == 0 {
		return Latency{}
	}
	ms := make([]float64, len(recs))
	for i, r := range recs {
		ms[i] = float64(r.Latency.Microseconds()) / 1000
	}
	slices.Sort(ms)
	rank := func(q float64) float64 {
		i := int(q*float64(len(ms)) + 0.999999)
		return ms[min(max(i, 1), len(ms))-1]
	}
	return Latency{P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Samples: len(ms)}
}

func call(r ledger.Record) Call {
	c := Call{
		Time: r.Time, Agent: r.Agent, Model: r.Model, Tokens: r.Usage.Total(),
		LatencyMs: float64(r.Latency.Microseconds()) / 1000, Cached: r.Cached || r.Coalesced, Outcome: "ok",
	}
	if c.Agent == "" {
		c.Agent = ledger.Anonymous
	}
	if r.Kind != "" {
		c.Outcome = string(r.Kind)
	}
	if !r.Unpriced {
		usd := r.Cost.USD()
		c.CostUSD = &usd
	}
	return c
}

// nearEndOfLife is how close an end-of-life date must be to warn.
const nearEndOfLife = 90 * 24 * time.Hour

// lifecycle warns of models used in the last 30 days that are legacy,
// past or near their end of life.
func lifecycle(models []Model, used map[string]ledger.Group, now time.Time) []Warning {
	var out []Warning
	for _, m := range models {
		g, ok := used[m.Name]
		if !ok || g.Requests == 0 {
			continue
		}
		w := Warning{Model: m, Requests: g.Requests}
		eol, err := time.Parse("2006-01-02", m.EndOfLife)
		switch {
		case m.Status == gateway.StatusEndOfLife || (err == nil && !eol.After(now)):
			w.Message = "end of life: calls fail"
		case err == nil && eol.Sub(now) < nearEndOfLife:
			w.Message = "end of life on " + m.EndOfLife
		case m.Status == gateway.StatusLegacy:
			w.Message = "legacy"
		default:
			continue
		}
		if m.Replacement != "" {
			w.Message += "; move to " + m.Replacement
		}
		out = append(out, w)
	}
	return out
}
