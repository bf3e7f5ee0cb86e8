package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/cache/cachetest"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
	"github.com/llm-gateway/llm-gateway/internal/sqlite"
)

func openDB(t *testing.T, now func() time.Time) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gateway.db"), sqlite.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCacheContract(t *testing.T) {
	cachetest.RunCacheContract(t, func(t *testing.T, now func() time.Time) gateway.Cache {
		return openDB(t, now).Cache(sqlite.CacheOptions{TTL: cachetest.TTL})
	})
}

func TestCacheBounds(t *testing.T) {
	tests := []struct {
		name       string
		opts       sqlite.CacheOptions
		set        int
		answerSize int
		wantLen    int
	}{
		{"entries", sqlite.CacheOptions{MaxEntries: 5}, 12, 10, 5},
		{"bytes", sqlite.CacheOptions{MaxBytes: 3000}, 12, 800, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := cachetest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			c := openDB(t, clock.Now).Cache(tt.opts)
			for i := range tt.set {
				c.Set(t.Context(), fmt.Sprint("k", i), &gateway.Completion{Content: strings.Repeat("x", tt.answerSize)})
				clock.Advance(time.Millisecond)
			}
			c.Flush(t.Context())
			if n, err := c.Len(t.Context()); err != nil || n != tt.wantLen {
				t.Errorf("Len after %d Sets = %d, %v; want %d", tt.set, n, err, tt.wantLen)
			}
			if _, ok := c.Get(t.Context(), fmt.Sprint("k", tt.set-1)); !ok {
				t.Error("the newest answer was evicted")
			}
			if _, ok := c.Get(t.Context(), "k0"); ok {
				t.Error("the oldest answer was kept past the bound")
			}
		})
	}
}

// Two handles on one file are two gateway processes: what one stores, the
// other finds.
func TestCacheSharedBetweenHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ca := a.Cache(sqlite.CacheOptions{})
	ca.Set(t.Context(), "k", &gateway.Completion{Content: "from a"})
	ca.Flush(t.Context()) // Set only queues the answer for the writer
	got, ok := b.Cache(sqlite.CacheOptions{}).Get(t.Context(), "k")
	if !ok || got.Content != "from a" {
		t.Errorf("Get in the other handle = %+v, %v; want the answer", got, ok)
	}
}

// A miss's answer is written in the commit that moves the call's record
// out of the ledger's journal: once the ledger has moved it (as a read of
// its totals does), another process finds the answer without the cache's
// own writer having run.
func TestCacheWrittenWithLedgerMove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(a, ledger.Options{JournalDir: a.JournalDir()})
	defer l.Close(context.Background())
	b, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.Cache(sqlite.CacheOptions{}).Set(t.Context(), "k", &gateway.Completion{Content: "from a"})
	l.Record(t.Context(), gateway.Event{Time: time.Now(), RequestID: "r1", Model: "m"})
	if tot, err := l.Totals(t.Context(), ledger.Filter{}); err != nil || tot.Requests != 1 {
		t.Fatalf("Totals = %+v, %v; want the record moved", tot, err)
	}
	got, ok := b.Cache(sqlite.CacheOptions{}).Get(t.Context(), "k")
	if !ok || got.Content != "from a" {
		t.Errorf("Get in the other handle after the ledger's move = %+v, %v; want the answer", got, ok)
	}
}

// Answers queued when the file is closed are written out, not lost.
func TestCacheWrittenOutAtClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db")
	a, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := a.Cache(sqlite.CacheOptions{})
	for i := range 300 { // more than one batch
		c.Set(t.Context(), fmt.Sprint("k", i), &gateway.Completion{Content: fmt.Sprint("answer ", i)})
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cb := b.Cache(sqlite.CacheOptions{})
	if n, err := cb.Len(t.Context()); err != nil || n != 300 {
		t.Errorf("after Close and Open: %d answers, %v; want 300", n, err)
	}
	if got, ok := cb.Get(t.Context(), "k299"); !ok || got.Content != "answer 299" {
		t.Errorf("Get(k299) after Close and Open = %+v, %v; want answer 299", got, ok)
	}
}

// An answer alone nearly as large as the bound is kept, and the writer
// does not spin trying to evict it.
func TestCacheKeepsOneLargeAnswer(t *testing.T) {
	c := openDB(t, nil).Cache(sqlite.CacheOptions{MaxBytes: 1000})
	c.Set(t.Context(), "small", &gateway.Completion{Content: "x"})
	c.Set(t.Context(), "large", &gateway.Completion{Content: strings.Repeat("x", 830)})
	c.Flush(t.Context())
	if _, ok := c.Get(t.Context(), "large"); !ok {
		t.Error("the large answer was evicted")
	}
	if n, err := c.Len(t.Context()); err != nil || n != 1 {
		t.Errorf("Len = %d, %v; want 1 (the small one evicted)", n, err)
	}
}

// Without a ledger moving them, answers are written by the cache's own
// writer, within two of its delays, and another process finds them.
func TestCacheWriterWritesAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "shared.db")
		a, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		a.Cache(sqlite.CacheOptions{}).Set(t.Context(), "k", &gateway.Completion{Content: "from a"})
		time.Sleep(3 * ledger.MoveEvery)
		synctest.Wait()
		if _, ok := b.Cache(sqlite.CacheOptions{}).Get(t.Context(), "k"); ok {
			t.Fatal("written before the writer's first look; want it left to the ledger's mover that long")
		}
		time.Sleep(2 * ledger.MoveEvery)
		synctest.Wait()
		got, ok := b.Cache(sqlite.CacheOptions{}).Get(t.Context(), "k")
		if !ok || got.Content != "from a" {
			t.Errorf("Get in the other handle = %+v, %v; want the answer the writer wrote", got, ok)
		}
	})
}
