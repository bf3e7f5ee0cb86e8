package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

var _ ledger.Store = (*DB)(nil)

const insertRecord = `INSERT INTO requests (time_us, request_id, agent, frontend, transport, session, model, model_id, key_hash,
	cached, coalesced, stream, kind, finish_reason, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
	usage_estimated, cost_pico, priced, unpriced, saved_pico, latency_us, fallbacks, attempts)
	VALUES `

// recordRow is one row of insertRecord's VALUES.
const recordRow = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

// Rows per INSERT: a statement's execution costs about what a row does
// (the driver's conversions, a goroutine watching the context), so
// records are inserted insertMany, then insertFew, then one at a time.
const (
	insertMany = 32
	insertFew  = 4
)

// insertRows is insertRecord for n rows.
func insertRows(n int) string {
	return insertRecord + strings.Repeat(recordRow+",", n-1) + recordRow
}

// insertRecords inserts recs in tx, several rows per statement.
func (d *DB) insertRecords(ctx context.Context, tx *sql.Tx, recs []ledger.Record) error {
	var args []any
	for len(recs) > 0 {
		n, stmt := 1, d.insert
		switch {
		case len(recs) >= insertMany:
			n, stmt = insertMany, d.insertMany
		case len(recs) >= insertFew:
			n, stmt = insertFew, d.insertFew
		}
		args = args[:0]
		for i := range recs[:n] {
			a, err := recordArgs(&recs[i])
			if err != nil {
				return err
			}
			args = append(args, a...)
		}
		s := tx.StmtContext(ctx, stmt)
		_, err := s.ExecContext(ctx, args...)
		s.Close()
		if err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// Append implements ledger.Store: one transaction for the batch.
func (d *DB) Append(ctx context.Context, recs []ledger.Record) error {
	if len(recs) == 0 {
		return nil
	}
	return d.retry(ctx, func() error {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // after Commit it is sql.ErrTxDone; before, the error that ended the transaction is the one returned
		if err := d.insertRecords(ctx, tx, recs); err != nil {
			return err
		}
		return tx.Commit()
	})
}

func recordArgs(r *ledger.Record) ([]any, error) {
	attempts := []byte("[]")
	if len(r.Attempts) > 0 {
		var err error
		if attempts, err = json.Marshal(r.Attempts); err != nil {
			return nil, err
		}
	}
	return []any{r.Time.UnixMicro(), r.RequestID, r.Agent, r.Frontend, r.Transport, r.Session, r.Model, r.ModelID, r.KeyHash,
		r.Cached, r.Coalesced, r.Stream, string(r.Kind), r.FinishReason,
		r.Usage.InputTokens, r.Usage.OutputTokens, r.Usage.CacheReadTokens, r.Usage.CacheWriteTokens,
		r.UsageEstimated, int64(r.Cost), r.Priced, r.Unpriced, int64(r.Saved), r.Latency.Microseconds(), r.Fallbacks,
		string(attempts)}, nil
}

// where builds the WHERE clause of a filter.
func where(f ledger.Filter) (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds, args = append(conds, "time_us >= ?"), append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, "time_us < ?"), append(args, f.Until.UnixMicro())
	}
	if f.Agent != "" {
		conds, args = append(conds, "agent = ?"), append(args, f.Agent)
	}
	if f.Model != "" {
		conds, args = append(conds, "model = ?"), append(args, f.Model)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Spent implements ledger.Reader.
func (d *DB) Spent(ctx context.Context, agent, model string, since time.Time) (gateway.PicoUSD, error) {
	w, args := where(ledger.Filter{Since: since, Agent: agent, Model: model})
	var sum int64
	err := d.retry(ctx, func() error {
		return d.db.QueryRowContext(ctx, "SELECT coalesce(sum(cost_pico), 0) FROM requests"+w, args...).Scan(&sum)
	})
	if err != nil {
		return 0, fmt.Errorf("ledger spent: %w", err)
	}
	return gateway.PicoUSD(sum), nil
}

const sums = `count(*), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
	sum(cost_pico), sum(saved_pico), sum(latency_us)`

func scanSum(rows *sql.Rows, s *ledger.Sum, keys ...any) error {
	var cost, saved, lat int64
	dest := append(keys, &s.N, &s.Tokens.Input, &s.Tokens.Output, &s.Tokens.CacheRead, &s.Tokens.CacheWrite, &cost, &saved, &lat)
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	s.Cost, s.Saved, s.Latency = gateway.PicoUSD(cost), gateway.PicoUSD(saved), time.Duration(lat)*time.Microsecond
	return nil
}

// Totals implements ledger.Reader: one GROUP BY, folded by ledger.Totals.AddSum.
func (d *DB) Totals(ctx context.Context, f ledger.Filter) (ledger.Totals, error) {
	w, args := where(f)
	q := `SELECT model, agent, kind, cached, coalesced, fallbacks > 0, unpriced, usage_estimated, ` + sums + ` FROM requests` + w + //nolint:gosec // sums and w are built from constant column names; every value is a ? parameter
		` GROUP BY model, agent, kind, cached, coalesced, fallbacks > 0, unpriced, usage_estimated`
	var t ledger.Totals
	err := d.retry(ctx, func() error {
		t = ledger.NewTotals()
		rows, err := d.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s ledger.Sum
			var kind string
			if err := scanSum(rows, &s, &s.Model, &s.Agent, &kind, &s.Cached, &s.Coalesced, &s.Fallback, &s.Unpriced, &s.Estimated); err != nil {
				return err
			}
			s.Kind = gateway.ErrorKind(kind)
			t.AddSum(s)
		}
		return rows.Err()
	})
	if err != nil {
		return ledger.Totals{}, fmt.Errorf("ledger totals: %w", err)
	}
	return t, nil
}

// Recent implements ledger.Reader.
func (d *DB) Recent(ctx context.Context, n int) ([]ledger.Record, error) {
	out := []ledger.Record{}
	if n <= 0 {
		return out, nil
	}
	err := d.retry(ctx, func() error {
		out = out[:0]
		rows, err := d.db.QueryContext(ctx, `SELECT time_us, request_id, agent, frontend, transport, session, model, model_id, key_hash,
			cached, coalesced, stream, kind, finish_reason, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
			usage_estimated, cost_pico, priced, unpriced, saved_pico, latency_us, fallbacks, attempts
			FROM requests ORDER BY time_us DESC, id DESC LIMIT ?`, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r ledger.Record
			var t, cost, saved, lat int64
			var kind, attempts string
			if err := rows.Scan(&t, &r.RequestID, &r.Agent, &r.Frontend, &r.Transport, &r.Session, &r.Model, &r.ModelID, &r.KeyHash,
				&r.Cached, &r.Coalesced, &r.Stream, &kind, &r.FinishReason,
				&r.Usage.InputTokens, &r.Usage.OutputTokens, &r.Usage.CacheReadTokens, &r.Usage.CacheWriteTokens,
				&r.UsageEstimated, &cost, &r.Priced, &r.Unpriced, &saved, &lat, &r.Fallbacks, &attempts); err != nil {
				return err
			}
			r.Time = time.UnixMicro(t).UTC()
			r.Kind = gateway.ErrorKind(kind)
			r.Cost, r.Saved, r.Latency = gateway.PicoUSD(cost), gateway.PicoUSD(saved), time.Duration(lat)*time.Microsecond
			if attempts != "[]" {
				if err := json.Unmarshal([]byte(attempts), &r.Attempts); err != nil {
					return fmt.Errorf("request %s: attempts: %w", r.RequestID, err)
				}
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("ledger recent: %w", err)
	}
	return out, nil
}

// Series implements ledger.Reader.
func (d *DB) Series(ctx context.Context, since time.Time, bucket time.Duration) ([]ledger.Point, error) {
	if bucket <= 0 {
		return nil, ledger.ErrBucket(bucket)
	}
	b := bucket.Microseconds()
	if b <= 0 {
		return nil, ledger.ErrBucket(bucket)
	}
	w, args := where(ledger.Filter{Since: since})
	q := `SELECT time_us - (time_us % ?) AS b, kind, cached, coalesced, unpriced, ` + sums + ` FROM requests` + w + //nolint:gosec // sums and w are built from constant column names; every value is a ? parameter
		` GROUP BY b, kind, cached, coalesced, unpriced ORDER BY b`
	var out []ledger.Point
	err := d.retry(ctx, func() error {
		out = nil
		rows, err := d.db.QueryContext(ctx, q, append([]any{b}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s ledger.Sum
			var start int64
			var kind string
			if err := scanSum(rows, &s, &start, &kind, &s.Cached, &s.Coalesced, &s.Unpriced); err != nil {
				return err
			}
			s.Kind = gateway.ErrorKind(kind)
			st := time.UnixMicro(start).UTC()
			if len(out) == 0 || !out[len(out)-1].Start.Equal(st) {
				out = append(out, ledger.Point{Start: st})
			}
			out[len(out)-1].AddSum(s)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("ledger series: %w", err)
	}
	return out, nil
}

// Prune implements ledger.Store.
func (d *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := d.retry(ctx, func() error {
		res, err := d.db.ExecContext(ctx, "DELETE FROM requests WHERE time_us < ?", before.UnixMicro())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ledger prune: %w", err)
	}
	return n, nil
}
