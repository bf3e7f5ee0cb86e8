package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llm-gateway/llm-gateway/internal/gateway"

	"github.com/llm-gateway/llm-gateway/internal/ledger"
	"github.com/llm-gateway/llm-gateway/internal/ledger/ledgertest"
	"github.com/llm-gateway/llm-gateway/internal/sqlite"
)

func TestLedgerContract(t *testing.T) {
	ledgertest.RunStoreContract(t, func(t *testing.T) ledger.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gateway.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// A batch is inserted several rows per statement (32, then 4, then one):
// every field of every row lands where it belongs.
func TestAppendManyRows(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gateway.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := ledgertest.Records()
	var recs []ledger.Record
	for i := range 32 + 4 + 3 {
		r := base[i%len(base)]
		r.RequestID = fmt.Sprint("m", i)
		r.Time = time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)
		recs = append(recs, r)
	}
	if err := db.Append(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	got, err := db.Recent(t.Context(), len(recs)+1)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(got)
	if diff := cmp.Diff(recs, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Recent after one Append of %d (-want +got):\n%s", len(recs), diff)
	}
}

// Many processes open one file at the same moment when an IDE starts a
// gateway per agent: each handle here is opened as a process would, with a
// pool of its own, and the migrations must run once.
func TestOpenConcurrentlyAndShare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	const procs, each = 8, 30
	dbs := make([]*sqlite.DB, procs)
	var wg sync.WaitGroup
	errs := make([]error, procs)
	for i := range procs {
		wg.Go(func() { dbs[i], errs[i] = sqlite.Open(t.Context(), path, sqlite.Options{}) })
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
				l.Record(t.Context(), gateway.Event{Time: time.Now(), RequestID: fmt.Sprint(i, "-", j), Agent: fmt.Sprint("agent-", i), Cost: 7, Priced: true})
			}
		})
	}
	wg.Wait()
	for i := range procs {
		got, err := dbs[i].Totals(t.Context(), ledger.Filter{})
		if err != nil || got.Requests != procs*each || got.Cost != procs*each*7 || len(got.ByAgent) != procs {
			t.Errorf("handle %d sees %d requests, cost %d, %d agents, %v; want %d, %d, %d", i, got.Requests, got.Cost, len(got.ByAgent), err, procs*each, procs*each*7, procs)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "future.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlite.Open(t.Context(), path, sqlite.Options{})
	if err == nil || !strings.Contains(err.Error(), "upgrade llm-gateway") {
		t.Errorf("Open of a file from a newer version = %v; want an error saying to upgrade", err)
	}
}

// A gateway starting while another process writes opens an up-to-date file
// at once: only a migration needs the write lock.
func TestOpenUpToDateWhileAnotherWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	writer, err := raw.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer writer.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck // the test is over
	// Bounded, not timed: waiting for the lock would outlast it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open while another process holds the write lock = %v, want it open", err)
	}
	db.Close()
}

func TestReopenKeepsRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Append(t.Context(), ledgertest.Records()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Totals(t.Context(), ledger.Filter{})
	if err != nil || got.Requests != int64(len(ledgertest.Records())) {
		t.Errorf("after reopening: %d requests, %v; want %d", got.Requests, err, len(ledgertest.Records()))
	}
}
