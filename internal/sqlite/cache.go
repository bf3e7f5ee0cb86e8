package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
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
type Cache struct {
	d    *DB
	opts CacheOptions
	log  *slog.Logger
}

var _ gateway.Cache = (*Cache)(nil)

// Cache returns the file's answer cache.
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
	return &Cache{d: d, opts: opts, log: log}
}

// Get implements gateway.Cache.
func (c *Cache) Get(ctx context.Context, key string) (*gateway.Completion, bool) {
	var value []byte
	err := c.d.retry(ctx, func() error {
		return c.d.db.QueryRowContext(ctx, "SELECT value FROM answers WHERE key = ? AND expires_us > ?",
			key, c.d.now().UnixMicro()).Scan(&value)
	})
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

// Set implements gateway.Cache: the answer is written, expired answers are
// dropped, and the oldest go while the cache is over a bound.
func (c *Cache) Set(ctx context.Context, key string, comp *gateway.Completion) {
	if comp == nil {
		return
	}
	value, err := json.Marshal(comp)
	if err != nil {
		c.log.Warn("shared cache: answer not stored", "error", err)
		return
	}
	size := int64(len(key) + len(value))
	if size > c.opts.MaxBytes {
		return
	}
	now := c.d.now().UnixMicro()
	err = c.d.retry(ctx, func() error {
		tx, err := c.d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO answers (key, value, size, expires_us, written_us) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, size = excluded.size,
			expires_us = excluded.expires_us, written_us = excluded.written_us`,
			key, value, size, now+c.opts.TTL.Microseconds(), now); err != nil {
			return err
		}
		var entries, bytes int64
		if err := tx.QueryRowContext(ctx, "SELECT entries, bytes FROM answers_size").Scan(&entries, &bytes); err != nil {
			return err
		}
		if entries > int64(c.opts.MaxEntries) || bytes > c.opts.MaxBytes {
			if _, err := tx.ExecContext(ctx, "DELETE FROM answers WHERE expires_us <= ?", now); err != nil {
				return err
			}
			// Then the oldest written, a few at a time, until under both bounds.
			for {
				if err := tx.QueryRowContext(ctx, "SELECT entries, bytes FROM answers_size").Scan(&entries, &bytes); err != nil {
					return err
				}
				over := entries - int64(c.opts.MaxEntries)
				if over <= 0 && bytes <= c.opts.MaxBytes {
					break
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM answers WHERE key IN
					(SELECT key FROM answers WHERE key <> ? ORDER BY written_us LIMIT ?)`, key, max(over, 1)); err != nil {
					return err
				}
			}
		}
		return tx.Commit()
	})
	if err != nil {
		c.log.Warn("shared cache: answer not stored", "error", err)
	}
}

// Len is the number of answers stored, expired ones included until dropped.
func (c *Cache) Len(ctx context.Context) (int, error) {
	var n int
	err := c.d.db.QueryRowContext(ctx, "SELECT entries FROM answers_size").Scan(&n)
	return n, err
}
