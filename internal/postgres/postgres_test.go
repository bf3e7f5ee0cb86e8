package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
	"github.com/llm-gateway/llm-gateway/internal/ledger/ledgertest"
	"github.com/llm-gateway/llm-gateway/internal/postgres"
	"github.com/llm-gateway/llm-gateway/internal/postgres/pgtest"
)

func TestLedgerContract(t *testing.T) {
	ledgertest.RunStoreContract(t, func(t *testing.T) ledger.Store {
		db, err := postgres.Open(t.Context(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// Gateways of a fleet start together: each migrates under the advisory
// lock, and all then share one ledger.
func TestOpenConcurrentlyAndShare(t *testing.T) {
	url := pgtest.URL(t)
	const procs, each = 6, 20
	dbs := make([]*postgres.DB, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(t.Context(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d at the same moment: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	for i := range procs {
		l := ledger.New(dbs[i], ledger.Options{})
		wg.Go(func() {
			for j := range each {
				l.Record(t.Context(), gateway.Event{Time: time.Now(), RequestID: fmt.Sprint(i, "-", j), Agent: fmt.Sprint("agent-", i), Cost: 11, Priced: true})
			}
		})
	}
	wg.Wait()
	got, err := dbs[0].Totals(t.Context(), ledger.Filter{})
	if err != nil || got.Requests != procs*each || got.Cost != procs*each*11 || len(got.ByAgent) != procs {
		t.Errorf("totals = %d requests, cost %d, %d agents, %v; want %d, %d, %d", got.Requests, got.Cost, len(got.ByAgent), err, procs*each, procs*each*11, procs)
	}
}

// TestServerStopsAndReturns: the store fails while its server is down and
// works again, on the same pool, once it is back; what was committed
// before stays, and a batch written twice (a commit whose acknowledgement
// was lost, retried by the spool) is there once.
func TestServerStopsAndReturns(t *testing.T) {
	srv := pgtest.NewServer(t)
	srv.Start()
	db, err := postgres.Open(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rec := func(id string) ledger.Record {
		return ledger.FromEvent(gateway.Event{Time: time.Now(), RequestID: id, Agent: "a", Cost: 7, Priced: true})
	}
	if err := db.Append(t.Context(), []ledger.Record{rec("before")}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := db.Append(t.Context(), []ledger.Record{rec("during")}); err == nil {
		t.Fatal("Append with the server stopped: no error")
	}
	srv.Start()
	batch := []ledger.Record{rec("during"), rec("after")}
	if err := db.Append(t.Context(), batch); err != nil {
		t.Fatalf("Append once the server is back: %v", err)
	}
	if err := db.Append(t.Context(), batch); err != nil {
		t.Fatalf("Append of the same batch again: %v", err)
	}
	got, err := db.Totals(t.Context(), ledger.Filter{})
	if err != nil || got.Requests != 3 || got.Cost != 21 {
		t.Errorf("totals = %d requests, cost %d, %v; want 3 requests (each once), cost 21", got.Requests, got.Cost, err)
	}
}
