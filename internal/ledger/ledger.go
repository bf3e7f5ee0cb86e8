package ledger

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Defaults for the zero Options.
const (
	DefaultMaxSpool     = 100_000
	DefaultMaxBatch     = 512
	DefaultWriteTimeout = 5 * time.Second
	DefaultRetryEvery   = 2 * time.Second
	DefaultPruneEvery   = time.Hour

	DefaultMaxJournalBytes = 16 << 20
)

// Options configure a Ledger. The zero value gives the defaults.
type Options struct {
	// Retention is how long records are kept; Run prunes older ones. If
	// zero or negative, records are kept forever.
	Retention time.Duration
	// PruneEvery is how often Run prunes. If zero, hourly.
	PruneEvery time.Duration
	// RetryEvery is how often Run tries to write the spool out while the
	// store cannot be written. If zero, 2s.
	RetryEvery time.Duration
	// MaxSpool bounds the records kept in memory while the store cannot be
	// written (about 1 KiB each); records past it are counted in
	// Health.Dropped and lost. If zero, 100 000.
	MaxSpool int
	// MaxBatch bounds the records written in one commit. If zero, 512.
	MaxBatch int
	// WriteTimeout bounds one commit. If zero, 5s.
	WriteTimeout time.Duration
	// JournalDir, if set and the store is Journaled (SQLite), is where
	// this process keeps its journal: Record appends the record to it
	// (a copy into its memory mapping, or one write(2)), which survives
	// the process being killed, and returns at once; a background goroutine moves records into the
	// store in batches, and moves those of ended processes' journals
	// left in the directory. Readers move every journal in the directory
	// first, so they see every call answered by any process sharing it.
	// If empty, Record writes to the store before returning.
	JournalDir string
	// MaxJournalBytes is the size past which this process's journal, once
	// all moved into the store, is removed and a new one begun. If zero,
	// 16 MiB (about 25 000 records).
	MaxJournalBytes int64
	// Now reads the clock; if nil, time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Ledger records every finished request in a Store before the answer is
// returned, and reads totals from it. Create it with New; it is safe for
// concurrent use.
//
// With a JournalDir over a Journaled store, Record appends to this
// process's journal file and returns: a few µs rather than a commit.
// Without, it commits:
//
// Group commit: the first Record that finds no commit under way writes its
// record at once; Records arriving meanwhile queue, and the next commit
// writes all of them together, led by the first of them. One caller alone
// pays one commit; many pay about one commit each per batch.
type Ledger struct {
	Store
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	writing bool      // a commit is under way
	queue   []*waiter // records waiting for the next commit
	spool   []Record  // records the store refused, oldest first
	healthy bool
	lastErr error
	since   time.Time // when the store began failing
	dropped int64
	written int64

	// The journal, when Options.JournalDir is set over a Journaled store.
	js        Journaled     // the store, when journaling
	jf        *journalFile  // this process's journal; nil until the first record
	jerr      error         // the journal cannot be written: Record commits instead
	jfailed   time.Time     // when it last failed, to try again after RetryEvery
	pending   []pendingRec  // journaled, not yet moved into the store
	kick      chan struct{} // wakes the mover
	stop      chan struct{} // ends the mover
	moverDone chan struct{}
	moving    sync.Mutex // one move of the own journal at a time
	closing   sync.Once
}

// pendingRec is a record in the journal, not yet in the store.
type pendingRec struct {
	start, end int64 // its frame's offsets in the journal
	rec        Record
}

type waiter struct {
	rec  Record
	done chan bool // true: lead the next commit; false: written (or spooled)
}

var _ gateway.Recorder = (*Ledger)(nil)

// New returns a ledger writing to store. Run prunes and retries in the
// background; Close writes out what it can and closes the store.
func New(store Store, opts Options) *Ledger {
	if opts.PruneEvery <= 0 {
		opts.PruneEvery = DefaultPruneEvery
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = DefaultRetryEvery
	}
	if opts.MaxSpool <= 0 {
		opts.MaxSpool = DefaultMaxSpool
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.MaxJournalBytes <= 0 {
		opts.MaxJournalBytes = DefaultMaxJournalBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l := &Ledger{Store: store, opts: opts, log: log, healthy: true}
	if js, ok := store.(Journaled); ok && opts.JournalDir != "" && journalsSupported {
		l.js = js
		l.kick = make(chan struct{}, 1)
		l.stop = make(chan struct{})
		l.moverDone = make(chan struct{})
		go l.mover()
	}
	return l
}

// Record implements gateway.Recorder: it returns once ev's record is in
// the journal (see Options.JournalDir), or else committed to the store, or
// else spooled in memory if the store cannot be written.
func (l *Ledger) Record(ctx context.Context, ev gateway.Event) {
	rec := FromEvent(ev)
	if l.js != nil && l.journal(&rec) {
		return
	}
	l.mu.Lock()
	if !l.healthy {
		// Keep the order: nothing goes to the store before the spool.
		l.spoolLocked(rec)
		l.mu.Unlock()
		return
	}
	if l.writing {
		w := &waiter{rec: rec, done: make(chan bool, 1)}
		l.queue = append(l.queue, w)
		l.mu.Unlock()
		if lead := <-w.done; !lead {
			return
		}
	} else {
		l.writing = true
		l.queue = append(l.queue, &waiter{rec: rec})
		l.mu.Unlock()
	}
	l.commit(ctx)
}

// commit writes the head of the queue (which holds the caller's record) in
// one Append, then hands the lead to the first record still queued.
func (l *Ledger) commit(ctx context.Context) {
	l.mu.Lock()
	n := min(len(l.queue), l.opts.MaxBatch)
	batch := l.queue[:n:n]
	l.queue = l.queue[n:]
	l.mu.Unlock()

	recs := make([]Record, len(batch))
	for i, w := range batch {
		recs[i] = w.rec
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.opts.WriteTimeout)
	err := l.Store.Append(wctx, recs)
	cancel()

	l.mu.Lock()
	if err != nil {
		l.failLocked(err)
		for _, r := range recs {
			l.spoolLocked(r)
		}
	} else {
		l.written += int64(len(recs))
	}
	for _, w := range batch {
		if w.done != nil {
			w.done <- false
		}
	}
	if len(l.queue) > 0 {
		if !l.healthy {
			// The store just failed: spool the queue rather than try
			// again for each.
			for _, w := range l.queue {
				l.spoolLocked(w.rec)
				w.done <- false
			}
			l.queue = nil
			l.writing = false
		} else {
			l.queue[0].done <- true
		}
	} else {
		l.writing = false
	}
	l.mu.Unlock()
}

func (l *Ledger) failLocked(err error) {
	if l.healthy {
		l.since = l.opts.Now()
		where := "in memory"
		if l.js != nil && l.jerr == nil {
			where = "in the journal " + l.opts.JournalDir
		}
		l.log.Error("LEDGER STORE UNWRITABLE: answering on, keeping records "+where+" until it can be written", "error", err, "max_spool", l.opts.MaxSpool)
	}
	l.healthy = false
	l.lastErr = err
}

func (l *Ledger) spoolLocked(r Record) {
	if len(l.spool) >= l.opts.MaxSpool {
		if l.dropped == 0 {
			l.log.Error("LEDGER SPOOL FULL: records are being lost until the store can be written", "max_spool", l.opts.MaxSpool)
		}
		l.dropped++
		return
	}
	l.spool = append(l.spool, r)
}

// Health is the ledger's state, for /readyz and get_stats.
type Health struct {
	// OK is false while the store cannot be written.
	OK bool `json:"ok"`
	// Error is the store's last failure, while not OK.
	Error string `json:"error,omitempty"`
	// FailingSince is when the store began failing, while not OK.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	// Spooled is the records waiting in memory for the store.
	Spooled int `json:"spooled"`
	// Journaled is the records in this process's journal on disk, not yet
	// moved into the store: a few at most while the store is writable.
	Journaled int `json:"journaled"`
	// Dropped is the records lost because the spool was full.
	Dropped int64 `json:"dropped"`
	// Written is the records this process wrote to the store.
	Written int64 `json:"written"`
}

// Health reports whether the store can be written and what waits for it.
func (l *Ledger) Health() Health {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := Health{OK: l.healthy, Spooled: len(l.spool), Journaled: len(l.pending), Dropped: l.dropped, Written: l.written}
	if !l.healthy {
		since := l.since
		h.FailingSince = &since
		if l.lastErr != nil {
			h.Error = l.lastErr.Error()
		}
	}
	return h
}

// Flush tries to write the spool out. It returns nil when the spool is
// empty and the store writable, the store's error otherwise.
func (l *Ledger) Flush(ctx context.Context) error {
	if l.js != nil {
		if err := l.moveOwn(ctx); err != nil {
			return err
		}
	}
	for {
		l.mu.Lock()
		if len(l.spool) == 0 && !l.healthy {
			// Nothing to write, but the store failed: see that it opens now.
			l.mu.Unlock()
			if err := l.Check(ctx); err != nil {
				return err
			}
			l.mu.Lock()
		}
		if len(l.spool) == 0 {
			if !l.healthy {
				l.log.Warn("ledger store writable again", "down_for", l.opts.Now().Sub(l.since).String())
			}
			l.healthy = true
			l.mu.Unlock()
			return nil
		}
		n := min(len(l.spool), l.opts.MaxBatch)
		batch := l.spool[:n:n]
		l.mu.Unlock()

		wctx, cancel := context.WithTimeout(ctx, l.opts.WriteTimeout)
		err := l.Store.Append(wctx, batch)
		cancel()

		l.mu.Lock()
		if err != nil {
			l.failLocked(err)
			l.mu.Unlock()
			return err
		}
		// Only Flush removes from the spool's head; Record appends at its tail.
		l.spool = l.spool[n:]
		l.written += int64(n)
		l.mu.Unlock()
	}
}

// Check tries the store (opening it, for a Lazy store) without writing,
// and marks the ledger failing if it cannot be reached.
func (l *Ledger) Check(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, l.opts.WriteTimeout)
	defer cancel()
	if err := l.Store.Append(wctx, nil); err != nil {
		l.mu.Lock()
		l.failLocked(err)
		l.mu.Unlock()
		return err
	}
	return nil
}

// Run prunes records past the retention period and writes the spool out
// whenever the store comes back, until ctx ends.
func (l *Ledger) Run(ctx context.Context) {
	retry := time.NewTicker(l.opts.RetryEvery)
	defer retry.Stop()
	prune := time.NewTicker(l.opts.PruneEvery)
	defer prune.Stop()
	l.prune(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
			l.mu.Lock()
			pending := !l.healthy || len(l.spool) > 0
			l.mu.Unlock()
			if pending {
				_ = l.Flush(ctx) // a failure was logged when the store first failed
			}
		case <-prune.C:
			l.prune(ctx)
		}
	}
}

func (l *Ledger) prune(ctx context.Context) {
	if l.opts.Retention <= 0 {
		return
	}
	before := l.opts.Now().Add(-l.opts.Retention)
	n, err := l.Store.Prune(ctx, before)
	switch {
	case err != nil && ctx.Err() == nil:
		l.log.Warn("ledger: pruning old records", "error", err)
	case n > 0:
		l.log.Info("ledger: pruned old records", "records", n, "before", before.UTC().Format(time.RFC3339))
	}
}

// Close moves the journal into the store and writes out what the spool
// holds, if it can, and closes the store.
func (l *Ledger) Close(ctx context.Context) error {
	_ = l.closeJournal(ctx) // a failure is logged; the journal stays for the next process
	err := l.Flush(ctx)
	h := l.Health()
	if err != nil || h.Spooled > 0 || h.Dropped > 0 {
		l.log.Error("ledger closing with records not written", "spooled", h.Spooled, "dropped", h.Dropped, "error", err)
	}
	return l.Store.Close()
}
