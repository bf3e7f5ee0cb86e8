//go:build unix

package sqlite

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// A miss for a key no process has stored asks the index, not the database:
// with the database closed under it, the miss is not a failed read.
func TestIndexSparesTheQuery(t *testing.T) {
	d, err := Open(t.Context(), filepath.Join(t.TempDir(), "gateway.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	t.Cleanup(func() { d.Close() })
	c := d.Cache(CacheOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c.Set(t.Context(), "stored", &gateway.Completion{Content: "x"})
	c.Flush(t.Context())
	if err := d.db.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, ok := c.Get(t.Context(), fmt.Sprint("absent ", i)); ok {
			t.Fatal("a hit for a key never stored")
		}
	}
	if strings.Contains(logs.String(), "read failed") {
		t.Errorf("misses of keys never stored queried the database: %s", logs.String())
	}
	// A stored key is asked of the database, which is closed: a failed read.
	if _, ok := c.Get(t.Context(), "stored"); ok || !strings.Contains(logs.String(), "read failed") {
		t.Errorf("Get of a stored key = %v, log %q; want the database asked", ok, logs.String())
	}
}

// The index is built again from the keys stored once many were added, and
// when the file was written in another boot; it holds every key stored,
// before and after, in every process.
func TestIndexRebuilt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db")
	a, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ca := a.Cache(CacheOptions{})
	for i := range 50 {
		ca.Set(t.Context(), fmt.Sprint("k", i), &gateway.Completion{Content: "x"})
	}
	ca.Flush(t.Context())
	gen := a.index.h.gen.Load()
	// Keys added and never stored (a transaction rolled back, answers
	// evicted) until past the bound:
	fake := make([]string, indexRebuild+1)
	for i := range fake {
		fake[i] = fmt.Sprint("gone", i)
	}
	a.index.add(fake)
	ca.Set(t.Context(), "last", &gateway.Completion{Content: "x"})
	ca.Flush(t.Context())
	if got := a.index.h.gen.Load(); got != gen+1 {
		t.Fatalf("generation %d after %d keys added; want %d (built again)", got, len(fake), gen+1)
	}
	for _, k := range []string{"k0", "k49", "last"} {
		if !a.index.mayHave(k) {
			t.Errorf("stored key %s not in the index built again", k)
		}
	}
	present := 0
	for _, k := range fake[:1000] {
		if a.index.mayHave(k) {
			present++
		}
	}
	if present > 10 {
		t.Errorf("%d of 1000 keys never stored are in the index built again", present)
	}
	// Another boot: the next process to open the file builds it again.
	a.index.h.boot[0] ^= 1
	b, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.index.h.gen.Load(); got != gen+2 {
		t.Errorf("generation %d after a boot; want %d (built again)", got, gen+2)
	}
	for _, x := range []*index{a.index, b.index} {
		for i := range 50 {
			if !x.mayHave(fmt.Sprint("k", i)) {
				t.Errorf("stored key k%d not in the index", i)
			}
		}
		if !x.mayHave("last") {
			t.Error("stored key last not in the index")
		}
	}
}
