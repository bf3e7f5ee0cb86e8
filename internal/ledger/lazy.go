package ledger

import (
	"context"
	"sync"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Lazy is a Store that opens the real one when first used and, while that
// fails, tries again at most once per RetryGap, returning the failure
// meanwhile. A gateway whose store is unreachable at start (PostgreSQL
// down, a read-only disk) still starts and answers, spooling its records,
// and begins writing them once the store can be opened.
type Lazy struct {
	open func(context.Context) (Store, error)
	gap  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	st      Store
	err     error
	tried   time.Time
	onOpen  func(Store)
	closed  bool
	opening sync.Mutex // one Open at a time
}

var _ Store = (*Lazy)(nil)

// NewLazy returns a store that opens with open, trying again at most once
// per gap (if zero, a second). onOpen, if not nil, is called once with the
// store when it opens.
func NewLazy(open func(context.Context) (Store, error), gap time.Duration, onOpen func(Store)) *Lazy {
	if gap <= 0 {
		gap = time.Second
	}
	return &Lazy{open: open, gap: gap, now: time.Now, onOpen: onOpen}
}

func (l *Lazy) get(ctx context.Context) (Store, error) {
	l.mu.Lock()
	if l.st != nil || l.closed {
		st := l.st
		l.mu.Unlock()
		if st == nil {
			return nil, ErrClosed
		}
		return st, nil
	}
	l.mu.Unlock()
	l.opening.Lock()
	defer l.opening.Unlock()
	l.mu.Lock()
	if l.st != nil {
		defer l.mu.Unlock()
		return l.st, nil
	}
	if !l.tried.IsZero() && l.now().Sub(l.tried) < l.gap {
		defer l.mu.Unlock()
		return nil, l.err
	}
	l.mu.Unlock()
	st, err := l.open(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tried = l.now()
	if err != nil {
		l.err = err
		return nil, err
	}
	if l.closed {
		_ = st.Close()
		return nil, ErrClosed
	}
	l.st = st
	if l.onOpen != nil {
		l.onOpen(st)
	}
	return st, nil
}

// Err is the last failure to open, or nil once open.
func (l *Lazy) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != nil {
		return nil
	}
	return l.err
}

// Append implements Store.
func (l *Lazy) Append(ctx context.Context, recs []Record) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.Append(ctx, recs)
}

// Spent implements Reader.
func (l *Lazy) Spent(ctx context.Context, agent, model string, since time.Time) (gateway.PicoUSD, error) {
	st, err := l.get(ctx)
	if err != nil {
		return 0, err
	}
	return st.Spent(ctx, agent, model, since)
}

// Totals implements Reader.
func (l *Lazy) Totals(ctx context.Context, f Filter) (Totals, error) {
	st, err := l.get(ctx)
	if err != nil {
		return Totals{}, err
	}
	return st.Totals(ctx, f)
}

// Recent implements Reader.
func (l *Lazy) Recent(ctx context.Context, n int) ([]Record, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Recent(ctx, n)
}

// Series implements Reader.
func (l *Lazy) Series(ctx context.Context, since time.Time, bucket time.Duration) ([]Point, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Series(ctx, since, bucket)
}

// Prune implements Store.
func (l *Lazy) Prune(ctx context.Context, before time.Time) (int64, error) {
	st, err := l.get(ctx)
	if err != nil {
		return 0, err
	}
	return st.Prune(ctx, before)
}

// Close implements Store.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.st != nil {
		return l.st.Close()
	}
	return nil
}
