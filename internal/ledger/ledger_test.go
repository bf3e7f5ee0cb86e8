package ledger_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

// flaky is a memory store whose writes fail while down is set, as a disk
// that filled up or a database that went away.
type flaky struct {
	*ledger.Memory
	down    atomic.Bool
	appends atomic.Int64
}

func (f *flaky) Append(ctx context.Context, recs []ledger.Record) error {
	f.appends.Add(1)
	if f.down.Load() {
		return errors.New("disk full")
	}
	return f.Memory.Append(ctx, recs)
}

func event(id string) gateway.Event {
	return gateway.Event{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), RequestID: id, Agent: "a", Model: "m", Cost: 5, Priced: true}
}

func TestSpoolWhileStoreDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &flaky{Memory: ledger.NewMemory()}
		l := ledger.New(st, ledger.Options{MaxSpool: 3, RetryEvery: time.Second})
		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { l.Run(ctx) })

		l.Record(ctx, event("before"))
		st.down.Store(true)
		for _, id := range []string{"s1", "s2", "s3", "lost"} {
			l.Record(ctx, event(id)) // returns: the gateway keeps answering
		}
		h := l.Health()
		if h.OK || h.Spooled != 3 || h.Dropped != 1 || h.Error == "" || h.FailingSince == nil {
			t.Fatalf("Health while down = %+v; want not ok, 3 spooled, 1 dropped, an error", h)
		}
		tries := st.appends.Load()
		time.Sleep(5 * time.Second) // fake time: Run retries each second
		synctest.Wait()
		if st.appends.Load() <= tries {
			t.Errorf("Run made no new attempt to write the spool in 5s")
		}

		st.down.Store(false)
		time.Sleep(time.Second)
		synctest.Wait()
		if h := l.Health(); !h.OK || h.Spooled != 0 || h.Written != 4 {
			t.Errorf("Health after the store came back = %+v; want ok, nothing spooled, 4 written", h)
		}
		recent, _ := st.Recent(ctx, 10)
		var got []string
		for _, r := range recent {
			got = append(got, r.RequestID)
		}
		if want := []string{"s3", "s2", "s1", "before"}; len(got) != 4 || got[0] != want[0] || got[3] != want[3] {
			t.Errorf("records after the spool was written = %v; want %v", got, want)
		}
		l.Record(ctx, event("after"))
		if n, _ := st.Totals(ctx, ledger.Filter{}); n.Requests != 5 {
			t.Errorf("%d records after recovery; want 5", n.Requests)
		}
		stop()
		wg.Wait()
	})
}

func TestRetentionPrunes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := ledger.NewMemory()
		now := time.Now()
		old, recent := event("old"), event("recent")
		old.Time = now.Add(-91 * 24 * time.Hour)
		recent.Time = now.Add(-89 * 24 * time.Hour)
		l := ledger.New(st, ledger.Options{Retention: 90 * 24 * time.Hour, PruneEvery: time.Hour})
		l.Record(t.Context(), old)
		l.Record(t.Context(), recent)
		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { l.Run(ctx) })
		synctest.Wait()
		if got, _ := st.Totals(ctx, ledger.Filter{}); got.Requests != 1 {
			t.Errorf("%d records after pruning at start; want 1", got.Requests)
		}
		time.Sleep(2 * 24 * time.Hour) // the recent one ages past 90 days
		synctest.Wait()
		if got, _ := st.Totals(ctx, ledger.Filter{}); got.Requests != 0 {
			t.Errorf("%d records two days later; want 0", got.Requests)
		}
		stop()
		wg.Wait()
	})
}
