package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configure a Fleet. URL is required; the zero value of every
// other field means its default.
type Options struct {
	// URL is the Redis URL: redis://[user:password@]host:port[/db], or
	// rediss:// for TLS. With Cluster, more seed nodes may follow as
	// ?addr=host:port&addr=host:port.
	URL string
	// Cluster talks to a Redis Cluster: the nodes are found from the seeds
	// in URL, and every key is under one hash tag (the Prefix, made a tag
	// if it holds none), so that each script's keys share one slot.
	Cluster bool
	// Prefix starts every key, so that several gateways (or tests) can
	// share one Redis. If empty, "llm-gateway:". With Cluster, a prefix
	// without a hash tag ({…}) is wrapped in one: "{llm-gateway:}".
	Prefix string
	// TTL is how long a cached answer is served. If zero, 1h.
	TTL time.Duration
	// MaxValueBytes bounds one cached answer; larger answers are not
	// shared. If zero, 1 MiB.
	MaxValueBytes int
	// LockTTL is how long a replica's claim on a call lasts without being
	// renewed: how long the others wait before taking over from a replica
	// that died mid-call. If zero, 10s.
	LockTTL time.Duration
	// OpTimeout bounds each Redis operation. If zero, 250ms.
	OpTimeout time.Duration
	// Now reads the clock for cache expiry; if nil, time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Fleet is a connection to the Redis that a fleet of gateways shares.
type Fleet struct {
	opts Options
	rdb  redis.UniversalClient
	log  *slog.Logger

	mu      sync.Mutex
	down    bool   // the last operation failed
	lastErr string // why

	// onWait, if set, is called when a replica starts waiting for another's
	// call (tests synchronise on it).
	onWait func(key string)
}

// New connects to Redis. It does not wait for Redis to answer: a fleet
// whose Redis is down at start comes up, reports it, and shares once Redis
// answers.
func New(opts Options) (*Fleet, error) {
	if opts.Prefix == "" {
		opts.Prefix = "llm-gateway:"
	}
	if opts.TTL <= 0 {
		opts.TTL = time.Hour
	}
	if opts.MaxValueBytes <= 0 {
		opts.MaxValueBytes = 1 << 20
	}
	if opts.LockTTL <= 0 {
		opts.LockTTL = 10 * time.Second
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = 250 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Cluster {
		opts.Prefix = hashTagged(opts.Prefix)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rdb, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	quietDriver.Do(func() {
		// go-redis reports dial failures through a logger of its own, one
		// for the whole process, in plain text on stderr; Fleet reports
		// outages itself (once each), so the driver's lines are dropped.
		redis.SetLogger(discardLogger{})
	})
	return &Fleet{opts: opts, rdb: rdb, log: log}, nil
}

// newClient is a client of one Redis, or of a Redis Cluster: the same
// timeouts and retries either way. One retry, at once, on a fresh
// connection: after Redis restarts, the pool's old connections fail on
// first use. An outage costs two quick refused dials, not a backoff in the
// caller's latency.
func newClient(opts Options) (redis.UniversalClient, error) {
	if opts.Cluster {
		co, err := redis.ParseClusterURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w; want redis://host:port[?addr=host:port&addr=host:port] for a cluster", err)
		}
		co.DialTimeout, co.ReadTimeout, co.WriteTimeout = opts.OpTimeout, opts.OpTimeout, opts.OpTimeout
		co.MaxRetries, co.MinRetryBackoff, co.MaxRetryBackoff = 1, -1, -1
		co.DialerRetries = 1
		co.DisableIdentity = true
		return redis.NewClusterClient(co), nil
	}
	ro, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w; want redis://host:port[/db]", err)
	}
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = opts.OpTimeout, opts.OpTimeout, opts.OpTimeout
	ro.MaxRetries, ro.MinRetryBackoff, ro.MaxRetryBackoff = 1, -1, -1
	ro.DialerRetries = 1
	ro.DisableIdentity = true
	return redis.NewClient(ro), nil
}

// hashTagged makes prefix a Redis Cluster hash tag unless it holds one:
// keys with one tag share one slot, as the scripts need.
func hashTagged(prefix string) string {
	if i := strings.IndexByte(prefix, '{'); i >= 0 {
		if j := strings.IndexByte(prefix[i+1:], '}'); j > 0 {
			return prefix
		}
	}
	return "{" + prefix + "}"
}

// node is where the keys live for commands that a cluster does not route
// by key (SCAN): the primary holding the prefix's slot, or the one Redis.
func (f *Fleet) node(ctx context.Context) (redis.Cmdable, error) {
	if cc, ok := f.rdb.(*redis.ClusterClient); ok {
		return cc.MasterForKey(ctx, f.opts.Prefix)
	}
	return f.rdb, nil
}

// Close closes the connections to Redis.
func (f *Fleet) Close() error { return f.rdb.Close() }

// Health reports whether the last Redis operation succeeded, and if not,
// why.
func (f *Fleet) Health() (ok bool, detail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.down, f.lastErr
}

// Ping checks that Redis answers, and updates Health.
func (f *Fleet) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, f.opts.OpTimeout)
	defer cancel()
	return f.observe(f.rdb.Ping(ctx).Err())
}

// observe notes the outcome of a Redis operation: the first failure of an
// outage and the recovery are logged once each. Misses (redis.Nil) and the
// caller's own cancellation are not failures of Redis.
func (f *Fleet) observe(err error) error {
	if errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case err != nil && !f.down:
		f.down, f.lastErr = true, err.Error()
		f.log.Warn("redis unreachable: serving from local cache and local coalescing until it returns", "error", err.Error())
	case err != nil:
		f.lastErr = err.Error()
	case f.down:
		f.down, f.lastErr = false, ""
		f.log.Info("redis reachable again: sharing cache and calls across the fleet")
	}
	return err
}

var quietDriver sync.Once

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

func (f *Fleet) key(kind, key string) string { return f.opts.Prefix + kind + ":" + key }
