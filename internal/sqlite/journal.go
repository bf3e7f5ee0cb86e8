package sqlite

import (
	"context"
	"database/sql"

	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

var _ ledger.Journaled = (*DB)(nil)

// MoveJournals implements ledger.Journaled: fn runs in one immediate
// transaction (the file's write lock), retried while another process
// holds it. The answers this process's caches have queued are written in
// the same transaction, so that a miss's record and its answer share one
// commit rather than take one each. If the transaction fails with them,
// it is tried again without them (they stay queued for the cache's
// writer), so that a failure of the cache never holds back the ledger.
func (d *DB) MoveJournals(ctx context.Context, fn func(ledger.JournalTx) error) error {
	queued := d.takeQueued()
	err := d.retry(ctx, func() error { return d.moveJournals(ctx, fn, queued) })
	for _, q := range queued {
		if err == nil {
			q.c.written(q.batch)
		}
		q.c.writing.Unlock()
	}
	if err != nil && len(queued) > 0 && ctx.Err() == nil {
		queued[0].c.log.Warn("shared cache: answers not stored with the ledger's records; the cache's writer tries again", "error", err)
		err = d.retry(ctx, func() error { return d.moveJournals(ctx, fn, nil) })
	}
	return err
}

// moveJournals is one attempt of MoveJournals.
func (d *DB) moveJournals(ctx context.Context, fn func(ledger.JournalTx) error, queued []queuedAnswers) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is sql.ErrTxDone; before, the error that ended the transaction is the one returned
	jt := &journalTx{ctx: ctx, tx: tx, d: d}
	if err := fn(jt); err != nil {
		return err
	}
	for _, q := range queued {
		if err := q.c.upsert(ctx, tx, q.batch); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// queuedAnswers is a cache's batch of queued answers, taken to be written
// in a MoveJournals transaction; the cache's writing lock is held for it.
type queuedAnswers struct {
	c     *Cache
	batch []entry
}

// takeQueued takes a batch from each cache whose writer is not writing.
func (d *DB) takeQueued() []queuedAnswers {
	d.mu.Lock()
	caches := d.caches
	d.mu.Unlock()
	var out []queuedAnswers
	for _, c := range caches {
		if !c.writing.TryLock() {
			continue // its writer writes them
		}
		if b := c.batch(); len(b) > 0 {
			out = append(out, queuedAnswers{c: c, batch: b})
		} else {
			c.writing.Unlock()
		}
	}
	return out
}

// journalTx is a MoveJournals transaction.
type journalTx struct {
	ctx context.Context
	tx  *sql.Tx
	d   *DB
}

const (
	journalMoved = "SELECT moved FROM ledger_journals WHERE name = ?"
	setMoved     = `INSERT INTO ledger_journals (name, moved) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET moved = excluded.moved`
)

// Moved implements ledger.JournalTx.
func (t *journalTx) Moved(name string) (int64, error) {
	var moved int64
	err := t.tx.StmtContext(t.ctx, t.d.journalMoved).QueryRowContext(t.ctx, name).Scan(&moved)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return moved, err
}

// Append implements ledger.JournalTx.
func (t *journalTx) Append(name string, recs []ledger.Record, moved int64) error {
	if err := t.d.insertRecords(t.ctx, t.tx, recs); err != nil {
		return err
	}
	_, err := t.tx.StmtContext(t.ctx, t.d.setMoved).ExecContext(t.ctx, name, moved)
	return err
}

// Forget implements ledger.JournalTx.
func (t *journalTx) Forget(name string) error {
	_, err := t.tx.ExecContext(t.ctx, "DELETE FROM ledger_journals WHERE name = ?", name)
	return err
}
