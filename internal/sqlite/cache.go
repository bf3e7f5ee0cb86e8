package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

// Defaults for the zero CacheOptions.
const (
	DefaultCacheEntries = 10_000
	DefaultCacheBytes   = 256 << 20
	DefaultCacheTTL     = time.Hour
)

// CacheOptions configure the shared answer cache. The zero value gives the
// defaults.
type CacheOptions struct {
	// MaxEntries and MaxBytes bound the answers kept (CACHE_MAX_SIZE,
	// CACHE_MAX_BYTES); past either, the oldest written go first. If zero,
	// 10 000 and 256 MiB.
	MaxEntries int
	MaxBytes   int64
	// TTL is how long an answer is served after it was written
	// (CACHE_TTL). If zero, an hour.
	TTL time.Duration
	// Logger receives the failures a cache does not return (a miss or a
	// dropped answer instead); nil discards.
	Logger *slog.Logger
}

// Cache is the answer cache in the SQLite file: every gateway process that
// opens the file shares it. It implements gateway.Cache; a failure to read
// is a miss and a failure to write drops the answer, both logged.
//
// Set does not write: it queues the answer (this process's Gets find it
// there at once), and the queue is committed in batches within a few
// milliseconds of the answer, so a miss pays no commit before it is
// answered: by the ledger's mover, in the commit that moves the call's
// record (DB.MoveJournals), or else by the cache's own background writer.
// Other processes find the answer once it is committed; Flush waits for
// that. Close, or the DB's Close, writes out the queue.
type Cache struct {
	d    *DB
	opts CacheOptions
	log  *slog.Logger

	mu      sync.Mutex
	queue   map[string]queued // answers set and not yet written
	seq     uint64
	kick    chan struct{} // wakes the writer
	stop    chan struct{}
	done    chan struct{}
	dropped bool       // an answer was dropped for a full queue: logged once
	writing sync.Mutex // one batch at a time
	closing sync.Once
}

// queued is an answer waiting for the writer.
type queued struct {
	value []byte // the completion as JSON
	at    int64  // when it was set, Unix µs
	seq   uint64 // the order of Sets
}

// maxQueued bounds the answers waiting to be written; past it an answer is
// not shared (it is still in this process's memory tier).
const maxQueued = 4096

// writeDelay is how often the writer looks at the queue while answers
// wait in it: it writes those that were queued already when it last
// looked, so an answer waits for it between one and two writeDelays. That
// is longer than the ledger's mover ever waits (ledger.MoveEvery) on
// purpose: the call's record, journaled just after the answer was set, is
// moved into the file before that, with the queued answers, in the same
// commit (see MoveJournals); the writer is left the answers of a process
// whose ledger does not journal or cannot write.
const writeDelay = 2 * ledger.MoveEvery

var _ gateway.Cache = (*Cache)(nil)

// Cache returns the file's answer cache, with its writer running until
// Close or the DB's Close.
func (d *DB) Cache(opts CacheOptions) *Cache {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultCacheEntries
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultCacheBytes
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultCacheTTL
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Cache{d: d, opts: opts, log: log, queue: map[string]queued{},
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if d.indexErr != nil {
		log.Warn("shared cache: no index of its keys; every miss asks the database", "error", d.indexErr)
	}
	d.mu.Lock()
	d.caches = append(d.caches, c)
	d.mu.Unlock()
	go c.writer()
	return c
}

// Get implements gateway.Cache.
func (c *Cache) Get(ctx context.Context, key string) (*gateway.Completion, bool) {
	now := c.d.now().UnixMicro()
	c.mu.Lock()
	q, ok := c.queue[key]
	c.mu.Unlock()
	if ok && now >= q.at+c.opts.TTL.Microseconds() {
		return nil, false
	}
	value := q.value
	err := error(nil)
	if !ok {
		if !c.d.index.mayHave(key) {
			return nil, false // no process has stored it: no query
		}
		err = c.d.retry(ctx, func() error {
			return c.d.getAnswer.QueryRowContext(ctx, key, now).Scan(&value)
		})
	}
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			c.log.Warn("shared cache: read failed; a miss", "error", err)
		}
		return nil, false
	}
	var comp gateway.Completion
	if err := json.Unmarshal(value, &comp); err != nil {
		c.log.Warn("shared cache: unreadable answer; a miss", "error", err)
		return nil, false
	}
	return &comp, true
}

// Set implements gateway.Cache: the answer is queued for the writer, as
// JSON (a copy: the caller may change comp).
func (c *Cache) Set(_ context.Context, key string, comp *gateway.Completion) {
	if comp == nil {
		return
	}
	value, err := json.Marshal(comp)
	if err != nil {
		c.log.Warn("shared cache: answer not stored", "error", err)
		return
	}
	if int64(len(key)+len(value)) > c.opts.MaxBytes {
		return
	}
	at := c.d.now().UnixMicro()
	c.mu.Lock()
	if _, ok := c.queue[key]; !ok && len(c.queue) >= maxQueued {
		if !c.dropped {
			c.log.Warn("shared cache: the writer is behind; answers are not shared until it catches up", "queued", len(c.queue))
		}
		c.dropped = true
		c.mu.Unlock()
		return
	}
	c.seq++
	c.queue[key] = queued{value: value, at: at, seq: c.seq}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// writer commits the queue whenever answers arrive, until Close.
func (c *Cache) writer() {
	defer close(c.done)
	wake := time.NewTimer(writeDelay)
	wake.Stop()
	armed := false
	var mark uint64 // c.seq when the writer last woke
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
			if !armed {
				wake.Reset(writeDelay)
				armed = true
			}
			continue
		case <-wake.C:
			armed = false
		}
		// Answers queued when the writer last woke and queued still were
		// not taken by the ledger's mover (which writes them sooner, with
		// their calls' records): the writer writes them, and whatever else
		// is queued. Answers newer than that are left to the mover, and
		// looked at again at the next wake.
		c.mu.Lock()
		stale := false
		for _, q := range c.queue {
			if q.seq <= mark {
				stale = true
				break
			}
		}
		mark = c.seq
		c.mu.Unlock()
		if stale {
			c.write(context.Background())
		}
		c.mu.Lock()
		if len(c.queue) > 0 && !armed {
			wake.Reset(writeDelay)
			armed = true
		}
		c.mu.Unlock()
	}
}

// Flush writes the answers queued so far, so that every process sharing
// the file finds them.
func (c *Cache) Flush(ctx context.Context) {
	c.write(ctx)
}

// Close writes out the queue and stops the writer.
func (c *Cache) Close() {
	c.closing.Do(func() {
		close(c.stop)
		<-c.done
		c.write(context.Background())
	})
}

// write commits the queue in batches of at most maxBatch answers.
func (c *Cache) write(ctx context.Context) {
	c.writing.Lock()
	defer c.writing.Unlock()
	for {
		batch := c.batch()
		if len(batch) == 0 {
			return
		}
		err := c.d.retry(ctx, func() error {
			tx, err := c.d.db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback() //nolint:errcheck // after Commit it is sql.ErrTxDone; before, the error that ended the transaction is the one returned
			if err := c.upsert(ctx, tx, batch); err != nil {
				return err
			}
			return tx.Commit()
		})
		if err != nil {
			c.log.Warn("shared cache: answers not stored", "answers", len(batch), "error", err)
		}
		c.written(batch)
	}
}

// maxBatch bounds the answers written in one transaction.
const maxBatch = 256

// batch is the oldest queued answers, at most maxBatch, oldest first (the
// bounds evict by the time written). The caller holds c.writing.
func (c *Cache) batch() []entry {
	c.mu.Lock()
	batch := make([]entry, 0, len(c.queue))
	for k, q := range c.queue {
		batch = append(batch, entry{k, q})
	}
	c.mu.Unlock()
	slices.SortFunc(batch, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
	return batch[:min(len(batch), maxBatch)]
}

// written takes a batch out of the queue, written or given up on, but for
// the answers set again meanwhile. The caller holds c.writing.
func (c *Cache) written(batch []entry) {
	c.mu.Lock()
	for _, e := range batch {
		if c.queue[e.key].seq == e.seq {
			delete(c.queue, e.key)
		}
	}
	if len(c.queue) == 0 {
		c.dropped = false
	}
	c.mu.Unlock()
}

// entry is a queued answer and its key.
type entry struct {
	key string
	queued
}

// upsert writes a batch of answers in tx, oldest first; then, if the cache
// is over a bound, expired answers are dropped and the oldest go.
func (c *Cache) upsert(ctx context.Context, tx *sql.Tx, rows []entry) error {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.key
	}
	c.d.index.add(keys) // before the commit: a key stored is in the index
	upsert := tx.StmtContext(ctx, c.d.upsertAnswer)
	defer upsert.Close()
	for _, r := range rows {
		if _, err := upsert.ExecContext(ctx, r.key, r.value, int64(len(r.key)+len(r.value)), r.at+c.opts.TTL.Microseconds(), r.at); err != nil {
			return err
		}
	}
	// Built again, the index is built from the keys stored, these too.
	if err := c.d.index.maybeRebuild(ctx, tx); err != nil {
		return err
	}
	// Past a bound, the oldest written go, a few at a time, until 5% under
	// both bounds (so that a full cache evicts once per twentieth of its
	// size rather than at every write); never the answer written last.
	// With one TTL the oldest written are the first expired too; an
	// expired answer kept until then is never served.
	size := tx.StmtContext(ctx, c.d.answersSize)
	defer size.Close()
	var entries, bytes int64
	if err := size.QueryRowContext(ctx).Scan(&entries, &bytes); err != nil {
		return err
	}
	if entries <= int64(c.opts.MaxEntries) && bytes <= c.opts.MaxBytes {
		return nil
	}
	lowEntries := int64(c.opts.MaxEntries - c.opts.MaxEntries/20)
	lowBytes := c.opts.MaxBytes - c.opts.MaxBytes/20
	evict := tx.StmtContext(ctx, c.d.evictAnswers)
	defer evict.Close()
	last := rows[len(rows)-1].key
	for entries > lowEntries || bytes > lowBytes {
		res, err := evict.ExecContext(ctx, last, max(entries-lowEntries, 1))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			break // only the last answer is left
		}
		if err := size.QueryRowContext(ctx).Scan(&entries, &bytes); err != nil {
			return err
		}
	}
	return nil
}

const (
	getAnswer    = "SELECT value FROM answers WHERE key = ? AND expires_us > ?"
	answersSize  = "SELECT entries, bytes FROM answers_size"
	evictAnswers = "DELETE FROM answers WHERE key IN (SELECT key FROM answers WHERE key <> ? ORDER BY written_us LIMIT ?)"
)

const upsertAnswer = `INSERT INTO answers (key, value, size, expires_us, written_us) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET value = excluded.value, size = excluded.size,
	expires_us = excluded.expires_us, written_us = excluded.written_us`

// Len is the number of answers stored, expired ones included until dropped.
func (c *Cache) Len(ctx context.Context) (int, error) {
	var n int
	err := c.d.db.QueryRowContext(ctx, "SELECT entries FROM answers_size").Scan(&n)
	return n, err
}
