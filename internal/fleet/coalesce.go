package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Coalescer shares one upstream call per identical request across the
// fleet. It implements gateway.Coalescer.
//
// The first replica to ask claims the call's lock (SET NX with LockTTL) and
// renews it while the call runs; the others wait for its outcome, announced
// on a channel and kept for a while under r:KEY, and serve it as coalesced.
// A replica that dies mid-call stops renewing: its lock expires and a
// waiting replica claims the call in its place.
type Coalescer struct{ f *Fleet }

var _ gateway.Coalescer = (*Coalescer)(nil)

// Coalescer returns the fleet's coalescer.
func (f *Fleet) Coalescer() *Coalescer { return &Coalescer{f} }

// outcome is a finished call as published to the replicas that waited.
// Token names the lock it was made under, so that a waiter never takes an
// older call's outcome for the one it waited on.
type outcome struct {
	Token      string              `json:"t"`
	Completion *gateway.Completion `json:"c,omitempty"`
	Kind       gateway.ErrorKind   `json:"k,omitempty"`
	Message    string              `json:"m,omitempty"`
	Retryable  bool                `json:"r,omitempty"`
}

// Lua scripts that act on the lock only while it is still ours.
var (
	renewScript   = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) end return 0`)
	releaseScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)
)

// Acquire claims the call for key, or waits for the replica that holds it
// and returns its outcome. A failure of Redis is returned as a plain error:
// the gateway then calls alone.
func (c *Coalescer) Acquire(ctx context.Context, key string) (*gateway.Completion, gateway.Lease, error) {
	f := c.f
	lockKey := f.key("l", key)
	token := newToken()
	for {
		claimed, held, err := c.claim(ctx, lockKey, token)
		if err != nil {
			return nil, nil, err
		}
		if claimed {
			// A replica may have finished the same call between our cache
			// lookup and our claim: its answer is as good as a cache hit.
			if o, err := c.outcome(ctx, key, ""); err == nil && o != nil && o.Completion != nil {
				c.unlock(ctx, key, token)
				return o.Completion, nil, nil
			}
			return nil, c.newLease(key, token), nil
		}
		if held == "" {
			continue // the holder finished between our two looks: claim again
		}
		o, err := c.wait(ctx, key, held)
		if err != nil {
			return nil, nil, err
		}
		if o == nil {
			continue // the holder went away without an outcome: claim it
		}
		if o.Completion != nil {
			return o.Completion, nil, nil
		}
		return nil, nil, &gateway.Error{Kind: o.Kind, Message: o.Message, Retryable: o.Retryable}
	}
}

// claim tries to take the lock; when another replica holds it, held is its
// token (empty if the lock vanished meanwhile).
func (c *Coalescer) claim(ctx context.Context, lockKey, token string) (claimed bool, held string, err error) {
	f := c.f
	opCtx, cancel := context.WithTimeout(ctx, f.opts.OpTimeout)
	defer cancel()
	old, err := f.rdb.SetArgs(opCtx, lockKey, token, redis.SetArgs{Mode: "NX", Get: true, TTL: f.opts.LockTTL}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		f.observe(nil)       //nolint:errcheck // observe returns its argument for chaining; here it only records Redis health
		return true, "", nil // there was no lock: ours now
	case f.observe(err) != nil:
		return false, "", fmt.Errorf("redis lock: %w", err)
	}
	return false, old, nil
}

// wait waits for the outcome of the call made under token. It returns nil
// when the lock is gone without an outcome (the holder died, or gave up).
func (c *Coalescer) wait(ctx context.Context, key, token string) (*outcome, error) {
	f := c.f
	sub := f.rdb.Subscribe(ctx, f.key("d", key))
	defer sub.Close()
	subCtx, cancel := context.WithTimeout(ctx, f.opts.OpTimeout)
	_, err := sub.Receive(subCtx) // the subscription is in place
	cancel()
	if f.observe(err) != nil {
		return nil, fmt.Errorf("redis subscribe: %w", err)
	}
	announced := sub.Channel()
	if f.onWait != nil {
		f.onWait(key)
	}
	// The lock is looked at every quarter of its TTL, so that a holder that
	// died is noticed soon after its lock expires.
	poll := time.NewTicker(max(f.opts.LockTTL/4, 10*time.Millisecond))
	defer poll.Stop()
	for {
		o, err := c.outcome(ctx, key, token)
		if err != nil || o != nil {
			return o, err
		}
		gone, err := c.lockGone(ctx, key, token)
		if err != nil || gone {
			// Gone: one last look, as the outcome is written before the
			// lock is released.
			if err == nil {
				o, err = c.outcome(ctx, key, token)
			}
			return o, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-announced:
		case <-poll.C:
		}
	}
}

// outcome reads the published outcome of the call made under token, if
// any; with token "", of the last call for key, whoever made it.
func (c *Coalescer) outcome(ctx context.Context, key, token string) (*outcome, error) {
	f := c.f
	opCtx, cancel := context.WithTimeout(ctx, f.opts.OpTimeout)
	defer cancel()
	b, err := f.rdb.Get(opCtx, f.key("r", key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if f.observe(err) != nil {
		return nil, fmt.Errorf("redis outcome: %w", err)
	}
	var o outcome
	if json.Unmarshal(b, &o) != nil || (token != "" && o.Token != token) {
		return nil, nil
	}
	return &o, nil
}

// unlock gives up the lock taken under token, if still held.
func (c *Coalescer) unlock(ctx context.Context, key, token string) {
	f := c.f
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.opts.OpTimeout)
	defer cancel()
	f.observe(releaseScript.Run(ctx, f.rdb, []string{f.key("l", key)}, token).Err()) //nolint:errcheck // observe returns its argument for chaining; here it only records Redis health
}

// lockGone reports whether the lock taken under token is no longer held.
func (c *Coalescer) lockGone(ctx context.Context, key, token string) (bool, error) {
	f := c.f
	opCtx, cancel := context.WithTimeout(ctx, f.opts.OpTimeout)
	defer cancel()
	cur, err := f.rdb.Get(opCtx, f.key("l", key)).Result()
	if errors.Is(err, redis.Nil) {
		return true, nil
	}
	if f.observe(err) != nil {
		return false, fmt.Errorf("redis lock: %w", err)
	}
	return cur != token, nil
}

// lease is a claimed call: its lock is renewed until Release.
type lease struct {
	c          *Coalescer
	key, token string
	stop       context.CancelFunc
	renewed    chan struct{} // closed when renewing has stopped
}

func (c *Coalescer) newLease(key, token string) *lease {
	ctx, stop := context.WithCancel(context.Background())
	l := &lease{c: c, key: key, token: token, stop: stop, renewed: make(chan struct{})}
	go l.renew(ctx)
	return l
}

// renew extends the lock every third of its TTL while the call runs.
func (l *lease) renew(ctx context.Context) {
	defer close(l.renewed)
	f := l.c.f
	t := time.NewTicker(max(f.opts.LockTTL/3, 5*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			opCtx, cancel := context.WithTimeout(ctx, f.opts.OpTimeout)
			err := renewScript.Run(opCtx, f.rdb, []string{f.key("l", l.key)}, l.token, f.opts.LockTTL.Milliseconds()).Err()
			cancel()
			if ctx.Err() == nil {
				f.observe(err) //nolint:errcheck // observe returns its argument for chaining; here it only records Redis health
			}
		}
	}
}

// Release publishes the call's outcome to the replicas waiting on it and
// gives up the lock. A cancelled call publishes nothing: a waiting replica,
// whose caller is still there, claims the call in its place.
func (l *lease) Release(ctx context.Context, comp *gateway.Completion, err error) {
	l.stop()
	<-l.renewed
	f := l.c.f
	ctx, cancel := context.WithTimeout(ctx, 2*f.opts.OpTimeout)
	defer cancel()
	if gateway.KindOf(err) != gateway.KindCanceled {
		o := outcome{Token: l.token, Completion: comp}
		if err != nil {
			var ge *gateway.Error
			o.Completion, o.Kind, o.Message = nil, gateway.KindOf(err), err.Error()
			if errors.As(err, &ge) {
				o.Retryable = ge.Retryable
			}
		}
		if b, merr := json.Marshal(o); merr == nil && len(b) <= f.opts.MaxValueBytes {
			// One round trip: the outcome (kept long enough for a waiter
			// polling at a quarter of the lock TTL to find it), its
			// announcement, and the lock given up.
			keys := []string{f.key("r", l.key), f.key("d", l.key), f.key("l", l.key)}
			f.observe(publishScript.Run(ctx, f.rdb, keys, b, (2 * f.opts.LockTTL).Milliseconds(), l.token).Err()) //nolint:errcheck // observe returns its argument for chaining; here it only records Redis health
			return
		}
	}
	l.c.unlock(ctx, l.key, l.token)
}

// publishScript: KEYS = outcome, channel, lock; ARGV = outcome, its TTL in
// ms, lock token.
var publishScript = redis.NewScript(`
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
redis.call("PUBLISH", KEYS[2], ARGV[3])
if redis.call("GET", KEYS[3]) == ARGV[3] then redis.call("DEL", KEYS[3]) end
return 1
`)

// newToken returns a random lock token.
func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b[:])
}
