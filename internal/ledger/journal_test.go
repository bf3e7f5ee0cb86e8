package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// gated is a view of a shared store whose moves fail while closed is
// set: a process that journals but has not moved anything yet.
type gated struct {
	*Memory
	closed atomic.Bool
}

func (g *gated) MoveJournals(ctx context.Context, fn func(JournalTx) error) error {
	if g.closed.Load() {
		return errors.New("not now")
	}
	return g.Memory.MoveJournals(ctx, fn)
}

func (g *gated) Close() error { return nil } // the Memory is shared

func jevent(i int) gateway.Event {
	return gateway.Event{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), RequestID: fmt.Sprint("r", i), Agent: "a", Model: "m", Cost: 5, Priced: true,
		Attempts: []gateway.AttemptEvent{{Model: "m", Latency: time.Millisecond}}}
}

func requests(t *testing.T, r Reader) int64 {
	t.Helper()
	tot, err := r.Totals(t.Context(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return tot.Requests
}

func journals(t *testing.T, dir string) []string {
	t.Helper()
	names, err := journalNames(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// A process killed before moving its journal: another process moves every
// record it journaled, once, and removes the file.
func TestJournalOfEndedProcessIsMovedOnce(t *testing.T) {
	dir := t.TempDir()
	mem := NewMemory()
	dying := &gated{Memory: mem}
	dying.closed.Store(true)
	a := New(dying, Options{JournalDir: dir, RetryEvery: time.Hour})
	const n = 25
	for i := range n {
		a.Record(t.Context(), jevent(i))
	}
	if h := a.Health(); h.Journaled != n {
		t.Fatalf("Health().Journaled = %d; want %d", h.Journaled, n)
	}
	// A live process's journal is read by others, not removed.
	b := New(&gated{Memory: mem}, Options{JournalDir: dir})
	if got := requests(t, b); got != n {
		t.Errorf("another process reads %d requests while the first lives; want %d", got, n)
	}
	if got := requests(t, b); got != n {
		t.Errorf("read again: %d requests; want %d (no record moved twice)", got, n)
	}
	if got := journals(t, dir); len(got) != 1 {
		t.Errorf("journals while their process lives: %v; want one", got)
	}
	// kill -9: the process's descriptors close, its lock with them.
	close(a.stop)
	<-a.moverDone
	a.jf.close()
	if err := b.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	c := New(&gated{Memory: mem}, Options{JournalDir: dir})
	defer c.Close(t.Context())
	if got := requests(t, c); got != n {
		t.Errorf("after the process ended: %d requests; want %d", got, n)
	}
	if got := journals(t, dir); len(got) != 0 {
		t.Errorf("journals left after their process ended and they were moved: %v", got)
	}
	if len(mem.journals) != 0 {
		t.Errorf("offsets kept for removed journals: %v", mem.journals)
	}
	recs, _ := c.Recent(t.Context(), 1)
	if len(recs) != 1 || len(recs[0].Attempts) != 1 || recs[0].Attempts[0].Latency != time.Millisecond {
		t.Errorf("a moved record = %+v; want its attempt kept", recs)
	}
}

// A journal of a few MiB, written through its moving mapped window, then
// its process killed: another process moves every record, exactly.
func TestLongJournalOfEndedProcess(t *testing.T) {
	dir := t.TempDir()
	mem := NewMemory()
	dying := &gated{Memory: mem}
	dying.closed.Store(true)
	a := New(dying, Options{JournalDir: dir, RetryEvery: time.Hour})
	n := 0
	for ; n < 100_000 && (n == 0 || a.jf.size < 3<<20); n++ {
		a.Record(t.Context(), jevent(n))
	}
	if h := a.Health(); h.Journaled != n {
		t.Fatalf("Health().Journaled = %d; want %d", h.Journaled, n)
	}
	close(a.stop) // kill -9
	<-a.moverDone
	a.jf.close()
	b := New(&gated{Memory: mem}, Options{JournalDir: dir})
	defer b.Close(t.Context())
	if got := requests(t, b); got != int64(n) {
		t.Errorf("after the process ended: %d requests; want %d", got, n)
	}
	if got := journals(t, dir); len(got) != 0 {
		t.Errorf("journals left after their process ended and they were moved: %v", got)
	}
}

// Processes sharing a store and a journal directory: each one's reads see
// every record of all, exactly, at any moment; Close leaves no journal.
func TestJournalsSharedExactly(t *testing.T) {
	dir := t.TempDir()
	mem := NewMemory()
	const procs, each = 4, 50
	ls := make([]*Ledger, procs)
	for i := range ls {
		ls[i] = New(&gated{Memory: mem}, Options{JournalDir: dir, MaxBatch: 7})
	}
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Go(func() {
			for j := range each {
				l.Record(t.Context(), jevent(i*each+j))
				if j%10 == 0 {
					requests(t, ls[(i+1)%procs]) // a reader moving others' journals meanwhile
				}
			}
		})
	}
	wg.Wait()
	for i, l := range ls {
		if got := requests(t, l); got != procs*each {
			t.Errorf("process %d reads %d requests; want %d", i, got, procs*each)
		}
	}
	for _, l := range ls {
		if err := l.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(mem.recs); got != procs*each {
		t.Errorf("the store holds %d records; want %d", got, procs*each)
	}
	if got := journals(t, dir); len(got) != 0 {
		t.Errorf("journals left after Close: %v", got)
	}
}

// A frame cut short (a write under way, or torn by a power cut) and what
// follows it are not read; the whole frames before it are.
func TestReadFramesStopsAtCutFrame(t *testing.T) {
	var b []byte
	for i := range 3 {
		rec := FromEvent(jevent(i))
		var err error
		if b, err = appendFrame(b, &rec); err != nil {
			t.Fatal(err)
		}
	}
	whole := int64(len(b))
	tests := []struct {
		name    string
		data    []byte
		want    int
		wantEnd int64
		wantBad bool
	}{
		{"whole", b, 3, whole, false},
		{"allocated ahead", append(append([]byte{}, b...), make([]byte, 4096)...), 3, whole, false},
		{"cut", b[:len(b)-5], 2, -1, false},
		{"garbage", append(append([]byte{}, b...), 9, 0, 0, 0, 1, 2, 3, 4, 'x', 'y', 'z', 'w', 'v', 'u', 't', 's', 'r'), 3, whole, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			f, _ := os.Open(path)
			defer f.Close()
			recs, end, bad, err := readJournal(f, 0)
			if err != nil || len(recs) != tt.want || bad != tt.wantBad || (tt.wantEnd >= 0 && end != tt.wantEnd) {
				t.Errorf("readJournal = %d records, end %d, bad %v, %v; want %d, %d, %v", len(recs), end, bad, err, tt.want, tt.wantEnd, tt.wantBad)
			}
		})
	}
}

// A journal all moved past its bound is removed and a new one begun: the
// journals of a long-running gateway do not grow without end.
func TestJournalReplacedPastItsBound(t *testing.T) {
	dir := t.TempDir()
	mem := NewMemory()
	l := New(&gated{Memory: mem}, Options{JournalDir: dir, MaxJournalBytes: 1})
	defer l.Close(t.Context())
	const n = 5
	for i := range n {
		l.Record(t.Context(), jevent(i))
		if err := l.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := journals(t, dir); len(got) != 0 {
			t.Errorf("after record %d was moved, journals %v; want none until the next record", i, got)
		}
	}
	if got := requests(t, l); got != n {
		t.Errorf("%d requests; want %d", got, n)
	}
	if len(mem.journals) != 0 {
		t.Errorf("offsets kept for replaced journals: %v", mem.journals)
	}
}
