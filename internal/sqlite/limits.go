package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/policy"
)

// Limits keeps the governance policy's counters in the file, so that every
// gateway process on the machine enforces one set of limits and budgets,
// and a restart keeps them. Each Claim and Release is one immediate
// transaction: the check and the count are atomic across processes. It
// costs a write transaction per step (hundreds of microseconds): the
// gateway uses it only where the counter file of package limitsfile, a
// lock and a few memory writes per step, cannot be used (Windows).
type Limits struct {
	d *DB
	// mu lets one goroutine of this process at a time contend for the
	// file's write lock: the others wait here, at no cost, rather than in
	// SQLite's busy handler, which sleeps.
	mu     sync.Mutex
	swept  time.Time // when counters of ended periods were last deleted
	upsert *sql.Stmt
	update *sql.Stmt
}

var _ policy.State = (*Limits)(nil)

const (
	upsertCounter = `INSERT INTO limit_counters (key, win, end_s, used, held) VALUES (?, ?, ?, ?, 0)
		ON CONFLICT (key, win) DO UPDATE SET key = key RETURNING used, held`
	updateCounter = `INSERT INTO limit_counters (key, win, end_s, used, held) VALUES (?1, ?2, ?3, max(?4, 0), max(?5, 0))
		ON CONFLICT (key, win) DO UPDATE SET used = used + ?4, held = max(held + ?5, 0)`
)

// Limits returns the file's limit counters, a policy.State. Its Close does
// not close the file.
func (d *DB) Limits(ctx context.Context) (*Limits, error) {
	l := &Limits{d: d}
	var err error
	if l.upsert, err = d.db.PrepareContext(ctx, upsertCounter); err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", d.path, err)
	}
	if l.update, err = d.db.PrepareContext(ctx, updateCounter); err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", d.path, err)
	}
	return l, nil
}

// part is one claim's share of a hold, as kept in limit_holds.parts.
type part struct {
	Key    string
	Win    int64
	Amount int64
}

func (p part) MarshalJSON() ([]byte, error) { return json.Marshal([]any{p.Key, p.Win, p.Amount}) }

func (p *part) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &[]any{&p.Key, &p.Win, &p.Amount})
}

// Claim implements policy.State.
func (l *Limits) Claim(ctx context.Context, claims []policy.Claim, now, expires time.Time) (policy.Grant, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var g policy.Grant
	err := l.d.retry(ctx, func() error {
		g = policy.Grant{Refused: -1}
		tx, err := l.d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // after Commit it is sql.ErrTxDone; before, the error that ended the transaction is the one returned
		if err := l.sweep(ctx, tx, now); err != nil {
			return err
		}
		upsert, update := tx.StmtContext(ctx, l.upsert), tx.StmtContext(ctx, l.update)
		for i := range claims {
			c := &claims[i]
			seed := int64(0)
			if c.Seeded {
				seed = c.Seed
			}
			if err := upsert.QueryRowContext(ctx, c.Key, c.Window, c.End, seed).Scan(&c.Used, &c.Held); err != nil {
				return err
			}
			if c.Max > 0 && c.Used+c.Held+c.Amount > c.Max {
				g.Refused = i
				return nil // rolled back: nothing counted
			}
		}
		var parts []part
		for i := range claims {
			c := &claims[i]
			used, held := int64(0), c.Amount
			if c.Instant {
				used, held = c.Amount, 0
			} else {
				parts = append(parts, part{c.Key, c.Window, c.Amount})
			}
			if used != 0 || held != 0 {
				if _, err := update.ExecContext(ctx, c.Key, c.Window, c.End, used, held); err != nil {
					return err
				}
			}
		}
		if len(parts) > 0 {
			b, err := json.Marshal(parts)
			if err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, "INSERT INTO limit_holds (expires_us, parts) VALUES (?, ?) RETURNING id",
				expires.UnixMicro(), string(b)).Scan(&g.ID); err != nil {
				return err
			}
		}
		return tx.Commit()
	})
	if err != nil {
		return policy.Grant{}, fmt.Errorf("limits claim: %w", err)
	}
	return g, nil
}

// Release implements policy.State.
func (l *Limits) Release(ctx context.Context, id int64, claims []policy.Claim, used []int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.d.retry(ctx, func() error {
		tx, err := l.d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // after Commit it is sql.ErrTxDone; before, the error that ended the transaction is the one returned
		update := tx.StmtContext(ctx, l.update)
		if id != 0 {
			if err := l.endHold(ctx, tx, update, id); err != nil {
				return err
			}
		}
		for i := range used {
			if used[i] != 0 && !claims[i].Instant {
				c := &claims[i]
				if _, err := update.ExecContext(ctx, c.Key, c.Window, c.End, used[i], 0); err != nil {
					return err
				}
			}
		}
		return tx.Commit()
	})
	if err != nil {
		return fmt.Errorf("limits release: %w", err)
	}
	return nil
}

// endHold deletes hold id, if it is still there, and gives back what it
// held.
func (l *Limits) endHold(ctx context.Context, tx *sql.Tx, update *sql.Stmt, id int64) error {
	var raw string
	err := tx.QueryRowContext(ctx, "DELETE FROM limit_holds WHERE id = ? RETURNING parts", id).Scan(&raw)
	if err == sql.ErrNoRows {
		return nil // expired and swept, or released already
	}
	if err != nil {
		return err
	}
	var parts []part
	if err := json.Unmarshal([]byte(raw), &parts); err != nil {
		return fmt.Errorf("hold %d: %w", id, err)
	}
	for _, p := range parts {
		if _, err := update.ExecContext(ctx, p.Key, p.Win, 0, 0, -p.Amount); err != nil {
			return err
		}
	}
	return nil
}

// sweep gives back holds that expired (their process died before it
// released them), and deletes counters of periods that ended over a day
// ago, at most once a minute.
func (l *Limits) sweep(ctx context.Context, tx *sql.Tx, now time.Time) error {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM limit_holds WHERE expires_us <= ?", now.UnixMicro())
	if err != nil {
		return err
	}
	var expired []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		expired = append(expired, id)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(expired) > 0 {
		update := tx.StmtContext(ctx, l.update)
		for _, id := range expired {
			if err := l.endHold(ctx, tx, update, id); err != nil {
				return err
			}
		}
	}
	if now.Sub(l.swept) < time.Minute {
		return nil
	}
	l.swept = now
	_, err = tx.ExecContext(ctx, "DELETE FROM limit_counters WHERE end_s != 0 AND end_s < ? AND held = 0", now.Add(-24*time.Hour).Unix())
	return err
}

// Counters implements policy.State.
func (l *Limits) Counters(ctx context.Context, now time.Time) ([]policy.Counter, error) {
	rows, err := l.d.db.QueryContext(ctx, "SELECT key, win, end_s, used, held FROM limit_counters WHERE end_s = 0 OR end_s > ?", now.Unix())
	if err != nil {
		return nil, fmt.Errorf("limits counters: %w", err)
	}
	defer rows.Close()
	var out []policy.Counter
	for rows.Next() {
		var c policy.Counter
		if err := rows.Scan(&c.Key, &c.Window, &c.End, &c.Used, &c.Held); err != nil {
			return nil, fmt.Errorf("limits counters: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Close implements policy.State; the file stays open for its other uses.
func (l *Limits) Close() error { return nil }
