package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
	"github.com/llm-gateway/llm-gateway/internal/metrics"
	"github.com/llm-gateway/llm-gateway/internal/postgres"
	"github.com/llm-gateway/llm-gateway/internal/sqlite"
)

// storeOpenTimeout bounds the first attempt to open the store at start; a
// store that is not there by then is tried again in the background.
const storeOpenTimeout = 5 * time.Second

// defaultStoreURL is where the ledger lives when STORE_URL is unset: the
// platform's data directory, as the XDG base directory spec places it.
func defaultStoreURL(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return "sqlite:" + filepath.Join(d, "llm-gateway", "gateway.db")
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return "sqlite:" + filepath.Join(h, ".local", "share", "llm-gateway", "gateway.db")
	}
	return "memory:"
}

// openStore opens the store a URL names. sqliteDB is the SQLite file when
// the store is one, for the shared answer cache.
func openStore(ctx context.Context, url string) (st ledger.Store, sqliteDB *sqlite.DB, err error) {
	switch {
	case url == "memory:":
		return ledger.NewMemory(), nil, nil
	case strings.HasPrefix(url, "sqlite:"):
		db, err := sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite:"), sqlite.Options{})
		if err != nil {
			return nil, nil, err
		}
		return db, db, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, nil, err
		}
		return db, nil, nil
	}
	return nil, nil, fmt.Errorf("STORE_URL=%s: want sqlite:PATH, postgres://user@host/database or memory:", config.RedactStoreURL(url))
}

// journalDir is where the ledger journals of the processes sharing a
// SQLite file live; none for other stores, which are written before each
// answer.
func journalDir(db *sqlite.DB) string {
	if db == nil {
		return ""
	}
	return db.JournalDir()
}

// openReader opens the store a URL names for reading, as the usage and
// dashboard commands do: its reads first move the records that gateways
// sharing it have journaled and not yet moved. Close closes the store.
func openReader(ctx context.Context, url string, log *slog.Logger) (*ledger.Ledger, error) {
	st, db, err := openStore(ctx, url)
	if err != nil {
		return nil, err
	}
	return ledger.New(st, ledger.Options{JournalDir: journalDir(db), Logger: log}), nil
}

// usageLedger is the wired ledger: where it lives and whether it is on.
type usageLedger struct {
	*ledger.Ledger
	url      string // redacted
	required bool
	sqlite   *sqlite.DB // the SQLite file, once open, for the shared cache; nil otherwise
}

// openLedger opens the ledger of cfg. A store that cannot be opened does
// not stop the gateway: it is tried again in the background while records
// wait in the spool (or, with LEDGER_REQUIRED, calls are refused). The
// returned wait ends its background work after ctx ends and closes it.
func openLedger(ctx context.Context, cfg *config.Config, log *slog.Logger) (*usageLedger, func()) {
	url := cfg.StoreURL
	if url == "" {
		url = "memory:" // run resolves the default; a caller that did not wants nothing kept
	}
	u := &usageLedger{url: config.RedactStoreURL(url), required: cfg.LedgerRequired}
	// The open is not cut short by ctx: start opens the store beside the
	// session, which may end before it has opened.
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeOpenTimeout)
	st, db, err := openStore(octx, url)
	cancel()
	if err != nil {
		log.Error("LEDGER STORE UNAVAILABLE at start: answering on, records kept in memory until it opens", "store", u.url, "error", err, "ledger_required", cfg.LedgerRequired)
		st = ledger.NewLazy(func(ctx context.Context) (ledger.Store, error) {
			st, _, err := openStore(ctx, url)
			return st, err
		}, 0, func(ledger.Store) { log.Warn("ledger store opened", "store", u.url) })
	}
	u.sqlite = db
	u.Ledger = ledger.New(st, ledger.Options{Retention: cfg.LedgerRetention, JournalDir: journalDir(db), Logger: log})
	if err != nil {
		_ = u.Check(ctx) // marks it failing, for /readyz, get_stats and LEDGER_REQUIRED
	}
	log.Info("usage ledger", "store", u.url, "retention", cfg.LedgerRetention.String(), "required", cfg.LedgerRequired)
	done := make(chan struct{})
	go func() {
		defer close(done)
		u.Run(ctx)
	}()
	return u, func() {
		<-done
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeOpenTimeout)
		defer cancel()
		if err := u.Close(cctx); err != nil {
			log.Warn("closing the ledger store", "error", err)
		}
	}
}

// ready is the ledger's part of /readyz: an error only when calls are
// refused for it (LEDGER_REQUIRED); warning otherwise says it is failing.
func (u *usageLedger) ready() (warning string, err error) {
	h := u.Health()
	if h.OK {
		return "", nil
	}
	msg := fmt.Sprintf("the ledger store %s cannot be written (%s); %d records waiting in the journal, %d spooled in memory, %d lost", u.url, h.Error, h.Journaled, h.Spooled, h.Dropped)
	if u.required {
		return "", errors.New(msg + "; LEDGER_REQUIRED=true refuses calls until it can")
	}
	return msg + "; answering on", nil
}

// LedgerInfo is get_stats's account of the ledger behind its totals.
type LedgerInfo struct {
	// Store is where the records live (a password is not shown).
	Store string `json:"store"`
	ledger.Health
	// Scope says which figures span the store and which are this process's.
	Scope string `json:"scope"`
	// Since, Agent and Model echo the filters applied, if any.
	Since string `json:"since,omitempty"`
	Agent string `json:"agent,omitempty"`
	Model string `json:"model,omitempty"`
}

const statsScope = "request, token, cost, cache-hit and error totals come from the ledger: every gateway process sharing the store, across restarts, within the retention period. " +
	"latency_ms percentiles (overall and per model) and uptime_seconds are this process's own, since it started, whatever the filters."

// parseSince reads get_stats's and usage's since: a duration back from now
// or an RFC 3339 time; empty is no bound.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, gateway.Invalid("since", "must be a positive duration such as 24h, or an RFC 3339 time; got %q", s)
		}
		return now.Add(-d), nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil && n >= 0 && fmt.Sprint(n) == days {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, gateway.Invalid("since", "want a duration such as 24h or 7d, or an RFC 3339 time such as 2026-01-31T00:00:00Z; got %q", s)
	}
	return t, nil
}

// ledgerSnapshot gives the ledger's totals the shape of metrics.Snapshot,
// keeping proc's latency distributions and uptime, which are per process.
func ledgerSnapshot(t ledger.Totals, proc metrics.Snapshot) metrics.Snapshot {
	s := proc
	s.TotalRequests = t.Requests
	s.TotalTokens = t.Tokens.Total()
	s.TotalCostUSD = t.Cost.USD()
	s.CacheHitRatePercent, s.AverageLatencyMs = 0, 0
	if t.Requests > 0 {
		s.CacheHitRatePercent = float64(t.CacheHits+t.Coalesced) / float64(t.Requests) * 100
		s.AverageLatencyMs = float64(t.Latency.Microseconds()) / 1000 / float64(t.Requests)
	}
	s.SuccessfulRequests, s.FailedRequests = t.Successful, t.Failed
	s.CacheHits, s.CoalescedRequests, s.FallbackRequests = t.CacheHits, t.Coalesced, t.Fallbacks
	s.ErrorsByKind = t.ErrorsByKind
	s.CostSavedUSD = t.Saved.USD()
	s.UnpricedRequests = t.Unpriced
	s.UsageEstimatedRequests = t.UsageEstimated
	s.Tokens = metrics.Tokens{Input: t.Tokens.Input, Output: t.Tokens.Output, CacheRead: t.Tokens.CacheRead, CacheWrite: t.Tokens.CacheWrite}
	s.RequestsByModel = make(map[string]int64, len(t.ByModel))
	s.ByModel = make(map[string]metrics.ModelStats, len(t.ByModel))
	for name, g := range t.ByModel {
		s.RequestsByModel[name] = g.Requests
		s.ByModel[name] = metrics.ModelStats{
			Requests: g.Requests, CacheHits: g.CacheHits, CoalescedRequests: g.Coalesced, Errors: g.Errors,
			InputTokens: g.Tokens.Input, OutputTokens: g.Tokens.Output, CostUSD: groupUSD(g),
			UnpricedRequests: g.Unpriced, UsageEstimatedRequests: g.UsageEstimated,
			LatencyMs: proc.ByModel[name].LatencyMs,
		}
	}
	s.RequestsByAgent = make(map[string]metrics.AgentStats, len(t.ByAgent))
	for name, g := range t.ByAgent {
		s.RequestsByAgent[name] = metrics.AgentStats{Requests: g.Requests, Tokens: g.Tokens.Total(), CostUSD: groupUSD(g), UnpricedRequests: g.Unpriced}
	}
	return s
}

// groupUSD is a group's cost in dollars, or nil (unknown, never $0) when
// its only spend was at an unknown price.
func groupUSD(g ledger.Group) *float64 {
	if g.Unpriced > 0 && g.Cost == 0 {
		return nil
	}
	v := g.Cost.USD()
	return &v
}

// statsFor answers get_stats with filters, from the ledger. A caller who
// may not see every agent's usage may narrow to their own agent only, and
// sees only their own agent's row.
func (s statsSource) statsFor(ctx context.Context, c mcpserver.Caller, q mcpserver.StatsQuery) (any, error) {
	since, err := parseSince(q.Since, time.Now())
	if err != nil {
		return nil, err
	}
	if !c.All && q.Agent != "" && q.Agent != c.Agent {
		return nil, gateway.Invalid("agent", "only an admin key may see another agent's usage; omit agent, or give your own (%q)", c.Agent)
	}
	out := s.stats(ctx, c).(Stats)
	if s.ledger.sqlite != nil {
		// The answers this process gave are in the shared cache for the
		// others from now on, if not already.
		s.ledger.sqlite.Flush(ctx)
	}
	// Totals move every process's journaled records into the store first.
	t, err := s.ledger.Totals(ctx, ledger.Filter{Since: since, Agent: q.Agent, Model: q.Model})
	info := LedgerInfo{Store: s.ledger.url, Health: s.ledger.Health(), Scope: statsScope, Agent: q.Agent, Model: q.Model}
	if !since.IsZero() {
		info.Since = since.UTC().Format(time.RFC3339)
	}
	if err != nil {
		// The totals cannot be read: this process's own figures, said so.
		info.Scope = "the ledger cannot be read (" + err.Error() + "): every figure is this process's own, since it started, unfiltered"
	} else {
		out.Metrics = ledgerSnapshot(t, out.Metrics)
		if !c.All {
			own, ok := out.Metrics.RequestsByAgent[c.Agent]
			out.Metrics.RequestsByAgent = map[string]metrics.AgentStats{}
			if ok {
				out.Metrics.RequestsByAgent[c.Agent] = own
			}
		}
	}
	out.Ledger = &info
	return out, nil
}
