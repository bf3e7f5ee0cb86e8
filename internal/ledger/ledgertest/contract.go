// Package ledgertest holds the contract suite that every ledger.Store
// passes (RunStoreContract), whatever keeps its records.
package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

// T0 is the time the contract's records start from.
var T0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// Records is the contract's data set: one record of each kind the ledger
// keeps, at known times, with the figures the expected totals add up.
func Records() []ledger.Record {
	at := func(d time.Duration) time.Time { return T0.Add(d) }
	ev := []gateway.Event{
		{ // an upstream answer, priced, after one fallback
			Time: at(0), RequestID: "r1", Agent: "alice", Frontend: "mcp", Transport: "stdio", Session: "s1",
			Model: "nova-pro", ModelID: "us.amazon.nova-pro-v1:0", KeyHash: "k1", FinishReason: "stop",
			Usage: gateway.Usage{InputTokens: 100, OutputTokens: 20, CacheReadTokens: 3, CacheWriteTokens: 4},
			Cost:  1_234_567, Priced: true, Latency: 1500 * time.Microsecond, Fallbacks: 1,
			Attempts: []gateway.AttemptEvent{
				{Model: "claude", ModelID: "anthropic.claude", Kind: gateway.KindThrottled, Priced: true, Latency: 300 * time.Microsecond},
				{Model: "nova-pro", ModelID: "us.amazon.nova-pro-v1:0", Usage: gateway.Usage{InputTokens: 100, OutputTokens: 20, CacheReadTokens: 3, CacheWriteTokens: 4}, Cost: 1_234_567, Priced: true, Latency: 1200 * time.Microsecond},
			},
		},
		{ // a cache hit
			Time: at(time.Minute), RequestID: "r2", Agent: "bob", Frontend: "mcp", Transport: "http",
			Model: "nova-pro", ModelID: "us.amazon.nova-pro-v1:0", KeyHash: "k1", FinishReason: "stop",
			Cached: true, Priced: true, Saved: 1_234_567, Latency: 40 * time.Microsecond,
		},
		{ // coalesced with an identical request, streamed
			Time: at(2 * time.Minute), RequestID: "r3", Agent: "bob", Frontend: "openai", Transport: "http",
			Model: "nova-lite", ModelID: "us.amazon.nova-lite-v1:0", KeyHash: "k3", FinishReason: "length",
			Coalesced: true, Stream: true, Priced: true, Saved: 500, Latency: 2 * time.Millisecond,
		},
		{ // an upstream answer at an unknown price, usage estimated
			Time: at(time.Hour), RequestID: "r4", Agent: "", Frontend: "anthropic", Transport: "http",
			Model: "mystery", ModelID: "mystery-v1", KeyHash: "k4", FinishReason: "stop",
			Usage: gateway.Usage{InputTokens: 7, OutputTokens: 8}, UsageEstimated: true, Priced: false,
			Latency:  3 * time.Millisecond,
			Attempts: []gateway.AttemptEvent{{Model: "mystery", ModelID: "mystery-v1", Usage: gateway.Usage{InputTokens: 7, OutputTokens: 8}, UsageEstimated: true, Latency: 3 * time.Millisecond}},
		},
		{ // refused before a model answered, at an unknown price but with no tokens used: not unpriced
			Time: at(25 * time.Hour), RequestID: "r5", Agent: "alice", Frontend: "mcp", Transport: "stdio",
			Model: "", Kind: gateway.KindInvalidRequest, Priced: false, Latency: 10 * time.Microsecond,
		},
		{ // failed upstream after using tokens, priced
			Time: at(25*time.Hour + time.Second), RequestID: "r6", Agent: "alice", Frontend: "mcp", Transport: "stdio",
			Model: "nova-lite", ModelID: "us.amazon.nova-lite-v1:0", KeyHash: "k6", Kind: gateway.KindModelError,
			Usage: gateway.Usage{InputTokens: 50}, Cost: 1_000_000_000_000_000, Priced: true, Latency: 5 * time.Millisecond,
			Attempts: []gateway.AttemptEvent{{Model: "nova-lite", ModelID: "us.amazon.nova-lite-v1:0", Kind: gateway.KindModelError, Usage: gateway.Usage{InputTokens: 50}, Cost: 1_000_000_000_000_000, Priced: true, Latency: 5 * time.Millisecond}},
		},
		{ // a cache hit that failed to be delivered: counts as a failure, not a hit
			Time: at(25*time.Hour + 2*time.Second), RequestID: "r7", Agent: "carol", Frontend: "mcp", Transport: "stdio",
			Model: "nova-pro", ModelID: "us.amazon.nova-pro-v1:0", KeyHash: "k1", Cached: true, Kind: gateway.KindCanceled,
			Priced: true, Latency: 7 * time.Microsecond,
		},
	}
	out := make([]ledger.Record, len(ev))
	for i, e := range ev {
		out[i] = ledger.FromEvent(e)
	}
	return out
}

// allTotals is what every record of Records adds up to, counted by hand.
func allTotals() ledger.Totals {
	return ledger.Totals{
		Requests: 7, Successful: 4, Failed: 3, CacheHits: 1, Coalesced: 1, Fallbacks: 1, Unpriced: 1, UsageEstimated: 1,
		Tokens:       ledger.Tokens{Input: 157, Output: 28, CacheRead: 3, CacheWrite: 4},
		Cost:         1_000_000_001_234_567,
		Saved:        1_235_067,
		Latency:      1500*time.Microsecond + 40*time.Microsecond + 2*time.Millisecond + 3*time.Millisecond + 10*time.Microsecond + 5*time.Millisecond + 7*time.Microsecond,
		ErrorsByKind: map[gateway.ErrorKind]int64{gateway.KindInvalidRequest: 1, gateway.KindModelError: 1, gateway.KindCanceled: 1},
		ByModel: map[string]ledger.Group{
			"nova-pro":     {Requests: 3, CacheHits: 1, Errors: 1, Tokens: ledger.Tokens{Input: 100, Output: 20, CacheRead: 3, CacheWrite: 4}, Cost: 1_234_567, Saved: 1_234_567, Latency: 1547 * time.Microsecond},
			"nova-lite":    {Requests: 2, Coalesced: 1, Errors: 1, Tokens: ledger.Tokens{Input: 50}, Cost: 1_000_000_000_000_000, Saved: 500, Latency: 7 * time.Millisecond},
			"mystery":      {Requests: 1, Unpriced: 1, UsageEstimated: 1, Tokens: ledger.Tokens{Input: 7, Output: 8}, Latency: 3 * time.Millisecond},
			ledger.NoModel: {Requests: 1, Errors: 1, Latency: 10 * time.Microsecond},
		},
		ByAgent: map[string]ledger.Group{
			"alice":          {Requests: 3, Errors: 2, Tokens: ledger.Tokens{Input: 150, Output: 20, CacheRead: 3, CacheWrite: 4}, Cost: 1_000_000_001_234_567, Latency: 6510 * time.Microsecond},
			"bob":            {Requests: 2, CacheHits: 1, Coalesced: 1, Saved: 1_235_067, Latency: 2040 * time.Microsecond},
			"carol":          {Requests: 1, Errors: 1, Latency: 7 * time.Microsecond},
			ledger.Anonymous: {Requests: 1, Unpriced: 1, UsageEstimated: 1, Tokens: ledger.Tokens{Input: 7, Output: 8}, Latency: 3 * time.Millisecond},
		},
	}
}

// RunStoreContract checks the behaviour every ledger.Store must have.
// newStore must return a new, empty store; each subtest calls it once and
// closes what it returns.
func RunStoreContract(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	t.Helper()
	open := func(t *testing.T) ledger.Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	filled := func(t *testing.T) ledger.Store {
		t.Helper()
		s := open(t)
		if err := s.Append(t.Context(), Records()); err != nil {
			t.Fatalf("Append(Records()) = %v", err)
		}
		return s
	}

	t.Run("JournalMovedOnce", func(t *testing.T) {
		js, ok := open(t).(ledger.Journaled)
		if !ok {
			return // written before each answer: no journal
		}
		recs := Records()
		move := func(name string, from, to int, moved int64, fail error) error {
			return js.MoveJournals(t.Context(), func(tx ledger.JournalTx) error {
				if err := tx.Append(name, recs[from:to], moved); err != nil {
					return err
				}
				return fail
			})
		}
		moved := func(name string) int64 {
			t.Helper()
			var got int64
			if err := js.MoveJournals(t.Context(), func(tx ledger.JournalTx) (err error) {
				got, err = tx.Moved(name)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := moved("a.journal"); got != 0 {
			t.Errorf("Moved of a journal never seen = %d; want 0", got)
		}
		if err := move("a.journal", 0, 2, 100, nil); err != nil {
			t.Fatal(err)
		}
		if err := move("a.journal", 2, 4, 250, errors.New("the reader failed")); err == nil {
			t.Error("MoveJournals returned nil when fn failed")
		}
		if err := move("b.journal", 2, len(recs), 70, nil); err != nil {
			t.Fatal(err)
		}
		if got := moved("a.journal"); got != 100 {
			t.Errorf("Moved(a) after a failed move = %d; want 100, as before it", got)
		}
		if got := moved("b.journal"); got != 70 {
			t.Errorf("Moved(b) = %d; want 70", got)
		}
		got, err := js.Totals(t.Context(), ledger.Filter{})
		if err != nil || got.Requests != int64(len(recs)) {
			t.Errorf("Totals after the moves = %d requests, %v; want %d (the failed move's none)", got.Requests, err, len(recs))
		}
		if err := js.MoveJournals(t.Context(), func(tx ledger.JournalTx) error { return tx.Forget("a.journal") }); err != nil {
			t.Fatal(err)
		}
		if got := moved("a.journal"); got != 0 {
			t.Errorf("Moved(a) after Forget = %d; want 0", got)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		got, err := s.Totals(t.Context(), ledger.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ledger.NewTotals(), got); diff != "" {
			t.Errorf("Totals of an empty store (-want +got):\n%s", diff)
		}
		if got.ErrorsByKind == nil || got.ByModel == nil || got.ByAgent == nil {
			t.Errorf("Totals of an empty store has nil maps: %+v", got)
		}
		spent, err := s.Spent(t.Context(), "", "", time.Time{})
		if err != nil || spent != 0 {
			t.Errorf("Spent of an empty store = %v, %v; want 0, nil", spent, err)
		}
		recent, err := s.Recent(t.Context(), 10)
		if err != nil || len(recent) != 0 {
			t.Errorf("Recent(10) of an empty store = %v, %v; want none", recent, err)
		}
		series, err := s.Series(t.Context(), time.Time{}, time.Hour)
		if err != nil || len(series) != 0 {
			t.Errorf("Series of an empty store = %v, %v; want none", series, err)
		}
	})

	t.Run("Totals", func(t *testing.T) {
		s := filled(t)
		got, err := s.Totals(t.Context(), ledger.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allTotals(), got); diff != "" {
			t.Errorf("Totals (-want +got):\n%s", diff)
		}
	})

	t.Run("TotalsAgreeWithAdd", func(t *testing.T) {
		s := filled(t)
		for _, f := range filters() {
			want := ledger.NewTotals()
			for _, r := range Records() {
				if f.Matches(&r) {
					want.Add(&r)
				}
			}
			got, err := s.Totals(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Totals(%+v) (-want +got):\n%s", f, diff)
			}
		}
	})

	t.Run("Spent", func(t *testing.T) {
		s := filled(t)
		tests := []struct {
			agent, model string
			since        time.Time
			want         gateway.PicoUSD
		}{
			{"", "", time.Time{}, 1_000_000_001_234_567},
			{"alice", "", time.Time{}, 1_000_000_001_234_567},
			{"bob", "", time.Time{}, 0},
			{"", "nova-pro", time.Time{}, 1_234_567},
			{"alice", "nova-pro", time.Time{}, 1_234_567},
			{"", "", T0.Add(time.Second), 1_000_000_000_000_000},
			{"", "", T0, 1_000_000_001_234_567}, // since is inclusive
			{"", "", T0.Add(26 * time.Hour), 0},
			{"nobody", "", time.Time{}, 0},
		}
		for _, tt := range tests {
			got, err := s.Spent(t.Context(), tt.agent, tt.model, tt.since)
			if err != nil || got != tt.want {
				t.Errorf("Spent(%q, %q, %v) = %d, %v; want %d", tt.agent, tt.model, tt.since, got, err, tt.want)
			}
		}
	})

	t.Run("Recent", func(t *testing.T) {
		s := filled(t)
		all := Records()
		for _, n := range []int{0, -1, 1, 3, len(all), len(all) + 5} {
			got, err := s.Recent(t.Context(), n)
			if err != nil {
				t.Fatal(err)
			}
			want := []ledger.Record{}
			for i := len(all) - 1; i >= 0 && len(want) < n; i-- {
				want = append(want, all[i])
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Recent(%d) (-want +got):\n%s", n, diff)
			}
		}
	})

	t.Run("RecentTiesNewestWrittenFirst", func(t *testing.T) {
		s := open(t)
		a, b := Records()[0], Records()[0]
		a.RequestID, b.RequestID = "first", "second"
		if err := s.Append(t.Context(), []ledger.Record{a}); err != nil {
			t.Fatal(err)
		}
		if err := s.Append(t.Context(), []ledger.Record{b}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Recent(t.Context(), 2)
		if err != nil || len(got) != 2 || got[0].RequestID != "second" || got[1].RequestID != "first" {
			t.Errorf("Recent(2) of two records at one time = %v, %v; want second, first", ids(got), err)
		}
	})

	t.Run("Series", func(t *testing.T) {
		s := filled(t)
		recs := Records()
		got, err := s.Series(t.Context(), time.Time{}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var want []ledger.Point
		for _, idx := range [][]int{{0, 1, 2}, {3}, {4, 5, 6}} {
			p := ledger.Point{Start: ledger.BucketStart(recs[idx[0]].Time, time.Hour)}
			for _, i := range idx {
				p.Add(&recs[i])
			}
			want = append(want, p)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Series(hour) (-want +got):\n%s", diff)
		}

		day, err := s.Series(t.Context(), T0.Add(time.Minute), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(day) != 2 || day[0].Start != T0.Truncate(24*time.Hour) || day[0].Requests != 3 || day[1].Requests != 3 {
			t.Errorf("Series(since T0+1m, day) = %+v; want 3 requests on %v and 3 the day after", day, T0.Truncate(24*time.Hour))
		}
		if _, err := s.Series(t.Context(), time.Time{}, 0); err == nil {
			t.Error("Series with a zero bucket = nil error; want one")
		}
	})

	t.Run("Prune", func(t *testing.T) {
		s := filled(t)
		n, err := s.Prune(t.Context(), T0.Add(time.Hour))
		if err != nil || n != 3 {
			t.Fatalf("Prune(T0+1h) = %d, %v; want 3", n, err)
		}
		got, err := s.Totals(t.Context(), ledger.Filter{})
		if err != nil || got.Requests != 4 {
			t.Errorf("Totals after Prune = %d requests, %v; want 4", got.Requests, err)
		}
		n, err = s.Prune(t.Context(), T0.Add(time.Hour))
		if err != nil || n != 0 {
			t.Errorf("Prune again = %d, %v; want 0", n, err)
		}
	})

	t.Run("ConcurrentAppends", func(t *testing.T) {
		s := open(t)
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					r := Records()[0]
					r.RequestID = fmt.Sprintf("w%d-%d", w, i)
					r.Agent = fmt.Sprintf("agent-%d", w)
					if err := s.Append(t.Context(), []ledger.Record{r}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Append: %v", err)
		}
		got, err := s.Totals(t.Context(), ledger.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Requests != writers*each || got.Cost != writers*each*1_234_567 || len(got.ByAgent) != writers {
			t.Errorf("after %d concurrent Appends: %d requests, cost %d, %d agents", writers*each, got.Requests, got.Cost, len(got.ByAgent))
		}
	})

	t.Run("LedgerRecordsBeforeReturning", func(t *testing.T) {
		s := open(t)
		l := ledger.New(s, ledger.Options{})
		const callers, each = 8, 20
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				for i := range each {
					l.Record(context.Background(), gateway.Event{
						Time: T0.Add(time.Duration(i) * time.Second), RequestID: fmt.Sprintf("c%d-%d", c, i),
						Agent: "a", Model: "m", Cost: 3, Priced: true,
					})
				}
			})
		}
		wg.Wait()
		got, err := l.Totals(t.Context(), ledger.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Requests != callers*each || got.Cost != callers*each*3 {
			t.Errorf("after %d Records: %d requests, cost %d; want %d, %d", callers*each, got.Requests, got.Cost, callers*each, callers*each*3)
		}
		if h := l.Health(); !h.OK || h.Written != callers*each || h.Spooled != 0 {
			t.Errorf("Health = %+v; want ok, %d written", h, callers*each)
		}
	})
}

func filters() []ledger.Filter {
	return []ledger.Filter{
		{},
		{Since: T0.Add(time.Minute)},
		{Until: T0.Add(time.Hour)},
		{Since: T0.Add(time.Minute), Until: T0.Add(25*time.Hour + time.Second)},
		{Agent: "alice"},
		{Agent: "bob", Model: "nova-pro"},
		{Model: "nova-lite"},
		{Agent: "nobody"},
	}
}

func ids(rs []ledger.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.RequestID)
	}
	return out
}
