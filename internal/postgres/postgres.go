// Package postgres keeps the usage ledger in PostgreSQL, for a fleet of
// gateways on many machines (STORE_URL=postgres://…). It implements
// ledger.Store over pgx.
//
// The schema is migrated at Open by embedded, numbered, forward-only
// scripts, under a transaction-scoped advisory lock, so gateways starting
// together apply each script exactly once. A search_path given in the URL
// (…?search_path=gateway) puts the tables in that schema.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key migrations hold ("llmgw" in ASCII).
const migrationLock = 0x6c6c6d6777

// DB is a ledger in PostgreSQL. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
}

var _ ledger.Store = (*DB)(nil)

// Open connects to the database at url and migrates its schema.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	d := &DB{pool: pool}
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return d, nil
}

// Close closes the connections.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

func (d *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"); err != nil {
			return err
		}
		var have int
		err := tx.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&have)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, "INSERT INTO schema_version VALUES (0)"); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if have > len(names) {
			return fmt.Errorf("the database's schema is version %d, newer than this llm-gateway knows (%d): upgrade llm-gateway", have, len(names))
		}
		for i, name := range names[have:] {
			script, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(script)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, "UPDATE schema_version SET version = $1", have+i+1); err != nil {
				return err
			}
		}
		return nil
	})
}

const insertRecord = `INSERT INTO requests (time, request_id, agent, frontend, transport, session, model, model_id, key_hash,
	cached, coalesced, stream, kind, finish_reason, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
	usage_estimated, cost_pico, priced, unpriced, saved_pico, latency_us, fallbacks, attempts)
	VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26)
	ON CONFLICT (request_id) DO NOTHING`

// Append implements ledger.Store: one transaction, one round trip. A
// record whose request_id is already there is not written again: the
// ledger retries a batch whose commit it did not hear of, and so each
// request is in the ledger once.
func (d *DB) Append(ctx context.Context, recs []ledger.Record) error {
	if len(recs) == 0 {
		return nil
	}
	var b pgx.Batch
	for i := range recs {
		r := &recs[i]
		attempts := []byte("[]")
		if len(r.Attempts) > 0 {
			var err error
			if attempts, err = json.Marshal(r.Attempts); err != nil {
				return err
			}
		}
		b.Queue(insertRecord, r.Time, r.RequestID, r.Agent, r.Frontend, r.Transport, r.Session, r.Model, r.ModelID, r.KeyHash,
			r.Cached, r.Coalesced, r.Stream, string(r.Kind), r.FinishReason,
			r.Usage.InputTokens, r.Usage.OutputTokens, r.Usage.CacheReadTokens, r.Usage.CacheWriteTokens,
			r.UsageEstimated, int64(r.Cost), r.Priced, r.Unpriced, int64(r.Saved), r.Latency.Microseconds(), r.Fallbacks,
			string(attempts))
	}
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
	if err != nil {
		return fmt.Errorf("ledger append: %w", err)
	}
	return nil
}

func where(f ledger.Filter, args []any) (string, []any) {
	var conds []string
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if !f.Since.IsZero() {
		add("time >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		add("time < $%d", f.Until)
	}
	if f.Agent != "" {
		add("agent = $%d", f.Agent)
	}
	if f.Model != "" {
		add("model = $%d", f.Model)
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Spent implements ledger.Reader.
func (d *DB) Spent(ctx context.Context, agent, model string, since time.Time) (gateway.PicoUSD, error) {
	w, args := where(ledger.Filter{Since: since, Agent: agent, Model: model}, nil)
	var sum int64
	if err := d.pool.QueryRow(ctx, "SELECT coalesce(sum(cost_pico), 0)::bigint FROM requests"+w, args...).Scan(&sum); err != nil {
		return 0, fmt.Errorf("ledger spent: %w", err)
	}
	return gateway.PicoUSD(sum), nil
}

const sums = `count(*), sum(input_tokens)::bigint, sum(output_tokens)::bigint, sum(cache_read_tokens)::bigint,
	sum(cache_write_tokens)::bigint, sum(cost_pico)::bigint, sum(saved_pico)::bigint, sum(latency_us)::bigint`

func scanSum(rows pgx.Rows, s *ledger.Sum, keys ...any) error {
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
	w, args := where(f, nil)
	rows, err := d.pool.Query(ctx, `SELECT model, agent, kind, cached, coalesced, fallbacks > 0, unpriced, usage_estimated, `+sums+
		` FROM requests`+w+` GROUP BY model, agent, kind, cached, coalesced, fallbacks > 0, unpriced, usage_estimated`, args...)
	if err != nil {
		return ledger.Totals{}, fmt.Errorf("ledger totals: %w", err)
	}
	defer rows.Close()
	t := ledger.NewTotals()
	for rows.Next() {
		var s ledger.Sum
		var kind string
		if err := scanSum(rows, &s, &s.Model, &s.Agent, &kind, &s.Cached, &s.Coalesced, &s.Fallback, &s.Unpriced, &s.Estimated); err != nil {
			return ledger.Totals{}, fmt.Errorf("ledger totals: %w", err)
		}
		s.Kind = gateway.ErrorKind(kind)
		t.AddSum(s)
	}
	if err := rows.Err(); err != nil {
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
	rows, err := d.pool.Query(ctx, `SELECT time, request_id, agent, frontend, transport, session, model, model_id, key_hash,
		cached, coalesced, stream, kind, finish_reason, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
		usage_estimated, cost_pico, priced, unpriced, saved_pico, latency_us, fallbacks, attempts::text
		FROM requests ORDER BY time DESC, id DESC LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("ledger recent: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r ledger.Record
		var in, outTok, cr, cw, cost, saved, lat int64
		var kind, attempts string
		if err := rows.Scan(&r.Time, &r.RequestID, &r.Agent, &r.Frontend, &r.Transport, &r.Session, &r.Model, &r.ModelID, &r.KeyHash,
			&r.Cached, &r.Coalesced, &r.Stream, &kind, &r.FinishReason, &in, &outTok, &cr, &cw,
			&r.UsageEstimated, &cost, &r.Priced, &r.Unpriced, &saved, &lat, &r.Fallbacks, &attempts); err != nil {
			return nil, fmt.Errorf("ledger recent: %w", err)
		}
		r.Time = r.Time.UTC()
		r.Kind = gateway.ErrorKind(kind)
		r.Usage = gateway.Usage{InputTokens: int(in), OutputTokens: int(outTok), CacheReadTokens: int(cr), CacheWriteTokens: int(cw)}
		r.Cost, r.Saved, r.Latency = gateway.PicoUSD(cost), gateway.PicoUSD(saved), time.Duration(lat)*time.Microsecond
		if attempts != "[]" {
			if err := json.Unmarshal([]byte(attempts), &r.Attempts); err != nil {
				return nil, fmt.Errorf("ledger recent: request %s: attempts: %w", r.RequestID, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger recent: %w", err)
	}
	return out, nil
}

// Series implements ledger.Reader.
func (d *DB) Series(ctx context.Context, since time.Time, bucket time.Duration) ([]ledger.Point, error) {
	b := bucket.Microseconds()
	if b <= 0 {
		return nil, ledger.ErrBucket(bucket)
	}
	w, args := where(ledger.Filter{Since: since}, []any{b})
	rows, err := d.pool.Query(ctx, `SELECT (EXTRACT(EPOCH FROM time) * 1000000)::bigint / $1 * $1 AS b, kind, cached, coalesced, unpriced, `+sums+
		` FROM requests`+w+` GROUP BY b, kind, cached, coalesced, unpriced ORDER BY b`, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger series: %w", err)
	}
	defer rows.Close()
	var out []ledger.Point
	for rows.Next() {
		var s ledger.Sum
		var start int64
		var kind string
		if err := scanSum(rows, &s, &start, &kind, &s.Cached, &s.Coalesced, &s.Unpriced); err != nil {
			return nil, fmt.Errorf("ledger series: %w", err)
		}
		s.Kind = gateway.ErrorKind(kind)
		st := time.UnixMicro(start).UTC()
		if len(out) == 0 || !out[len(out)-1].Start.Equal(st) {
			out = append(out, ledger.Point{Start: st})
		}
		out[len(out)-1].AddSum(s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger series: %w", err)
	}
	return out, nil
}

// Prune implements ledger.Store.
func (d *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	tag, err := d.pool.Exec(ctx, "DELETE FROM requests WHERE time < $1", before)
	if err != nil {
		return 0, fmt.Errorf("ledger prune: %w", err)
	}
	return tag.RowsAffected(), nil
}
