package ledger

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Memory is a Store in this process's memory: nothing survives it, and no
// other process sees it (STORE_URL=memory:). It is safe for concurrent use.
type Memory struct {
	mu       sync.Mutex
	recs     []Record // in order of Append
	journals map[string]int64
	closed   bool
	txMu     sync.Mutex // one MoveJournals at a time
}

var _ Journaled = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{} }

// ErrClosed is returned by a store used after Close.
var ErrClosed = errors.New("ledger: store closed")

// Append implements Store.
func (m *Memory) Append(_ context.Context, recs []Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for _, r := range recs {
		r.Attempts = slices.Clone(r.Attempts)
		m.recs = append(m.recs, r)
	}
	return nil
}

// each calls fn for every record f selects, under the lock.
func (m *Memory) each(f Filter, fn func(r *Record)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for i := range m.recs {
		if f.Matches(&m.recs[i]) {
			fn(&m.recs[i])
		}
	}
	return nil
}

// Spent implements Reader.
func (m *Memory) Spent(_ context.Context, agent, model string, since time.Time) (gateway.PicoUSD, error) {
	var sum gateway.PicoUSD
	err := m.each(Filter{Since: since, Agent: agent, Model: model}, func(r *Record) { sum += r.Cost })
	return sum, err
}

// Totals implements Reader.
func (m *Memory) Totals(_ context.Context, f Filter) (Totals, error) {
	t := NewTotals()
	err := m.each(f, t.Add)
	return t, err
}

// Recent implements Reader.
func (m *Memory) Recent(_ context.Context, n int) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	out := []Record{}
	if n <= 0 {
		return out, nil
	}
	idx := make([]int, len(m.recs))
	for i := range idx {
		idx[i] = i
	}
	// Newest first; among equal times, the later written first.
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := m.recs[b].Time.Compare(m.recs[a].Time); c != 0 {
			return c
		}
		return b - a
	})
	for _, i := range idx[:min(n, len(idx))] {
		r := m.recs[i]
		r.Attempts = slices.Clone(r.Attempts)
		out = append(out, r)
	}
	return out, nil
}

// Series implements Reader.
func (m *Memory) Series(_ context.Context, since time.Time, bucket time.Duration) ([]Point, error) {
	if bucket <= 0 {
		return nil, errBucket(bucket)
	}
	byStart := map[time.Time]*Point{}
	err := m.each(Filter{Since: since}, func(r *Record) {
		s := BucketStart(r.Time, bucket)
		p := byStart[s]
		if p == nil {
			p = &Point{Start: s}
			byStart[s] = p
		}
		p.Add(r)
	})
	out := make([]Point, 0, len(byStart))
	for _, p := range byStart {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Point) int { return a.Start.Compare(b.Start) })
	return out, err
}

// Prune implements Store.
func (m *Memory) Prune(_ context.Context, before time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	n := len(m.recs)
	m.recs = slices.DeleteFunc(m.recs, func(r Record) bool { return r.Time.Before(before) })
	return int64(n - len(m.recs)), nil
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// errBucket says what to change about a bucket width.
func errBucket(b time.Duration) error {
	return &gateway.Error{Kind: gateway.KindInvalidRequest, Field: "bucket", Message: "must be a positive duration, e.g. 1h; got " + b.String()}
}

// ErrBucket is the error every store returns for a bucket width that is
// not positive.
func ErrBucket(b time.Duration) error { return errBucket(b) }

// MoveJournals implements Journaled.
func (m *Memory) MoveJournals(_ context.Context, fn func(JournalTx) error) error {
	m.txMu.Lock()
	defer m.txMu.Unlock()
	tx := &memoryTx{m: m, moved: map[string]int64{}, forget: map[string]bool{}}
	if err := fn(tx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.journals == nil {
		m.journals = map[string]int64{}
	}
	for _, r := range tx.recs {
		r.Attempts = slices.Clone(r.Attempts)
		m.recs = append(m.recs, r)
	}
	for name, off := range tx.moved {
		m.journals[name] = off
	}
	for name := range tx.forget {
		delete(m.journals, name)
	}
	return nil
}

// memoryTx gathers a MoveJournals' changes, applied when it succeeds.
type memoryTx struct {
	m      *Memory
	recs   []Record
	moved  map[string]int64
	forget map[string]bool
}

func (tx *memoryTx) Moved(name string) (int64, error) {
	if off, ok := tx.moved[name]; ok {
		return off, nil
	}
	tx.m.mu.Lock()
	defer tx.m.mu.Unlock()
	return tx.m.journals[name], nil
}

func (tx *memoryTx) Append(name string, recs []Record, moved int64) error {
	tx.recs = append(tx.recs, recs...)
	tx.moved[name] = moved
	delete(tx.forget, name)
	return nil
}

func (tx *memoryTx) Forget(name string) error {
	tx.forget[name] = true
	delete(tx.moved, name)
	return nil
}
