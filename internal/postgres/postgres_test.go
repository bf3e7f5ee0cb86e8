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
