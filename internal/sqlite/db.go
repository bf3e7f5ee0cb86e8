// Package sqlite keeps the gateway's state in one SQLite file, through a
// pure-Go driver (no cgo): the usage ledger (a ledger.Store) and the answer
// cache that every gateway process on the machine shares (a gateway.Cache).
//
// Many processes may open the same file at once, as an IDE starting one
// stdio gateway per agent does. The file is in WAL mode, so readers never
// wait for writers; writers take the lock in turn, waiting up to a busy
// timeout and then retrying, so that SQLITE_BUSY never reaches a caller
// while the context allows. A commit in WAL mode with synchronous=NORMAL
// is in the operating system's hands when it returns: it survives the
// process being killed at any moment (not a power cut, which may lose the
// last commits but never corrupts the file).
//
// The schema is migrated at Open by embedded, numbered, forward-only
// scripts, inside one write transaction, so processes starting together
// apply each script exactly once.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long SQLite itself waits for another process's lock
// before giving up; retry then tries again until the context ends.
const busyTimeout = 5 * time.Second

// DB is an open SQLite file. It is safe for concurrent use.
type DB struct {
	db           *sql.DB
	insert       *sql.Stmt // insertRecord, a row
	insertFew    *sql.Stmt // insertFew rows
	insertMany   *sql.Stmt // insertMany rows
	upsertAnswer *sql.Stmt // upsertAnswer
	getAnswer    *sql.Stmt // getAnswer
	answersSize  *sql.Stmt // answersSize
	evictAnswers *sql.Stmt // evictAnswers
	journalMoved *sql.Stmt // journalMoved
	setMoved     *sql.Stmt // setMoved
	path         string
	now          func() time.Time
	index        *index // of the shared cache's keys; nil if it cannot be used
	indexErr     error  // why not, for the cache to log

	mu     sync.Mutex
	caches []*Cache // to write out and stop at Close
}

// Options configure Open. The zero value gives the defaults.
type Options struct {
	// Now reads the clock, for the cache's expiry; if nil, time.Now.
	Now func() time.Time
}

// Open opens (creating it and its directory if needed) and migrates the
// SQLite file at path.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path; give a file, e.g. sqlite:/var/lib/llm-gateway/gateway.db")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(busyTimeout.Milliseconds()))+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	// A few connections: readers run beside the writer in WAL mode; more
	// would only queue on the one write lock.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	d := &DB{db: db, path: path, now: opts.Now}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	// Statements of the hot paths, parsed once per connection rather than
	// per call.
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&d.insert, insertRows(1)}, {&d.insertFew, insertRows(insertFew)}, {&d.insertMany, insertRows(insertMany)}, {&d.upsertAnswer, upsertAnswer}, {&d.getAnswer, getAnswer},
		{&d.answersSize, answersSize}, {&d.evictAnswers, evictAnswers},
		{&d.journalMoved, journalMoved}, {&d.setMoved, setMoved},
	} {
		if *p.stmt, err = db.PrepareContext(ctx, p.sql); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite %s: %w", path, err)
		}
	}
	if d.index, err = d.openIndex(ctx); err != nil {
		d.index, d.indexErr = nil, fmt.Errorf("%s-answers: %w", path, err)
	}
	return d, nil
}

// Path is the file's path.
func (d *DB) Path() string { return d.path }

// JournalDir is where the gateway processes sharing the file keep their
// ledger journals (ledger.Options.JournalDir): beside it, PATH.journals.
func (d *DB) JournalDir() string { return d.path + ".journals" }

// Close writes out what its caches hold and closes the file.
func (d *DB) Close() error {
	d.mu.Lock()
	caches := d.caches
	d.caches = nil
	d.mu.Unlock()
	for _, c := range caches {
		c.Close()
	}
	d.index.close()
	return d.db.Close()
}

// Flush writes out what its caches hold, so that every process sharing the
// file finds it.
func (d *DB) Flush(ctx context.Context) {
	d.mu.Lock()
	caches := d.caches
	d.mu.Unlock()
	for _, c := range caches {
		c.Flush(ctx)
	}
}

// migrate applies the embedded scripts the file has not seen, in order, in
// one immediate transaction: a process starting at the same moment waits
// for it, then finds nothing left to do. PRAGMA user_version holds the
// number of the last script applied. A file already up to date is only
// read: opening it does not wait for another process's write.
func (d *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	// Usually the file is up to date: a read says so without the write
	// lock, which every gateway starting beside others would queue for.
	var have int
	if err := d.retry(ctx, func() error {
		return d.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have)
	}); err != nil {
		return err
	}
	if have > len(names) {
		return newerSchema(have, len(names))
	}
	if have == len(names) {
		return nil
	}
	return d.retry(ctx, func() error {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // after Commit it is sql.ErrTxDone; before, the error that ended the transaction is the one returned
		var have int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
			return err
		}
		if have > len(names) {
			return newerSchema(have, len(names))
		}
		for i, name := range names[have:] {
			script, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(script)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(have+i+1)); err != nil {
				return err
			}
		}
		return tx.Commit()
	})
}

func newerSchema(have, know int) error {
	return fmt.Errorf("the file's schema is version %d, newer than this llm-gateway knows (%d): upgrade llm-gateway, or point STORE_URL at another file", have, know)
}

// retry runs fn until it succeeds, fails with something other than a busy
// or locked database, or ctx ends.
func (d *DB) retry(ctx context.Context, fn func() error) error {
	wait := time.Millisecond
	for {
		err := fn()
		if err == nil || !busy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("database busy: %w (%w)", err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

func busy(err error) bool {
	var e *sqlite3.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_LOCKED:
			return true
		}
	}
	return strings.Contains(err.Error(), "database is locked")
}
