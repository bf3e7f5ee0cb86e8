package fleet

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/llm-gateway/llm-gateway/internal/cache/cachetest"
	"github.com/llm-gateway/llm-gateway/internal/gateway"

	"github.com/llm-gateway/llm-gateway/internal/fleet/redistest"
)

// newPrefix is a key prefix of the test's own on the shared test Redis.
func newPrefix(t testing.TB) string {
	_, prefix := redistest.URL(t)
	return prefix
}

func newFleet(t *testing.T, opts Options) *Fleet {
	t.Helper()
	f, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestCacheContract(t *testing.T) {
	url, _ := redistest.URL(t)
	cachetest.RunCacheContract(t, func(t *testing.T, now func() time.Time) gateway.Cache {
		return newFleet(t, Options{URL: url, Prefix: newPrefix(t), TTL: cachetest.TTL, Now: now}).Cache()
	})
}

func TestCacheSharedBetweenReplicas(t *testing.T) {
	url, _ := redistest.URL(t)
	prefix := newPrefix(t)
	a := newFleet(t, Options{URL: url, Prefix: prefix, MaxValueBytes: 1024})
	b := newFleet(t, Options{URL: url, Prefix: prefix, MaxValueBytes: 1024})
	a.Cache().Set(t.Context(), "k", &gateway.Completion{Content: "shared"})
	if got, ok := b.Cache().Get(t.Context(), "k"); !ok || got.Content != "shared" {
		t.Errorf("Get on another replica = %v, %v; want the answer set on the first", got, ok)
	}
	big := make([]byte, 2048)
	a.Cache().Set(t.Context(), "big", &gateway.Completion{Content: string(big)})
	if _, ok := b.Cache().Get(t.Context(), "big"); ok {
		t.Error("an answer over MaxValueBytes was shared")
	}
}

// waiting returns a fleet on prefix whose waiters announce themselves on
// the returned channel.
func waitingFleet(t *testing.T, url, prefix string, lockTTL time.Duration) (*Fleet, chan string) {
	f := newFleet(t, Options{URL: url, Prefix: prefix, LockTTL: lockTTL})
	waits := make(chan string, 16)
	f.onWait = func(key string) { waits <- key }
	return f, waits
}

func TestCoalescerWaiterGetsTheHolderOutcome(t *testing.T) {
	url, _ := redistest.URL(t)
	answer := &gateway.Completion{Content: "one call", Usage: gateway.Usage{InputTokens: 3}}
	tests := []struct {
		name     string
		comp     *gateway.Completion
		err      error
		wantKind gateway.ErrorKind
	}{
		{name: "answer", comp: answer},
		{name: "failure", err: &gateway.Error{Kind: gateway.KindThrottled, Retryable: true, Message: "slow down"}, wantKind: gateway.KindThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := newPrefix(t)
			a := newFleet(t, Options{URL: url, Prefix: prefix})
			b, waits := waitingFleet(t, url, prefix, 0)
			comp, lease, err := a.Coalescer().Acquire(t.Context(), "k")
			if err != nil || lease == nil || comp != nil {
				t.Fatalf("first Acquire = %v, %v, %v; want a lease", comp, lease, err)
			}
			type result struct {
				comp  *gateway.Completion
				lease gateway.Lease
				err   error
			}
			done := make(chan result, 1)
			go func() {
				c, l, err := b.Coalescer().Acquire(t.Context(), "k")
				done <- result{c, l, err}
			}()
			<-waits // b waits on a's call
			lease.Release(t.Context(), tt.comp, tt.err)
			r := <-done
			if r.lease != nil {
				t.Fatal("the waiting replica got a lease of its own; want the holder's outcome")
			}
			if gateway.KindOf(r.err) != tt.wantKind {
				t.Fatalf("waiter error = %v, want kind %q", r.err, tt.wantKind)
			}
			if tt.comp != nil && (r.comp == nil || r.comp.Content != tt.comp.Content || r.comp.Usage != tt.comp.Usage) {
				t.Errorf("waiter answer = %+v, want %+v", r.comp, tt.comp)
			}
			// Just after the call ended, its answer is served like a cache
			// hit (the cache may not have it yet); a failure is not: the
			// next request makes a call of its own.
			c, l, err := b.Coalescer().Acquire(t.Context(), "k")
			switch {
			case tt.comp != nil && (l != nil || c == nil || c.Content != tt.comp.Content || err != nil):
				t.Errorf("Acquire just after the call = %v, %v, %v; want its answer", c, l, err)
			case tt.comp == nil && (l == nil || c != nil || err != nil):
				t.Errorf("Acquire after a failed call = %v, %v, %v; want a lease", c, l, err)
			}
		})
	}
}

// TestCoalescerTakesOverFromDeadHolder: a replica that dies holding the
// lock stops renewing it; a waiter claims the call once the lock expires.
// A cancelled call publishes nothing, and a waiter takes it over at once.
func TestCoalescerTakesOverFromDeadHolder(t *testing.T) {
	url, _ := redistest.URL(t)
	for _, cancelled := range []bool{false, true} {
		t.Run("cancelled="+strconv.FormatBool(cancelled), func(t *testing.T) {
			prefix := newPrefix(t)
			const lockTTL = 300 * time.Millisecond
			a := newFleet(t, Options{URL: url, Prefix: prefix, LockTTL: lockTTL})
			b, waits := waitingFleet(t, url, prefix, lockTTL)
			_, held, err := a.Coalescer().Acquire(t.Context(), "k")
			if err != nil || held == nil {
				t.Fatalf("Acquire = %v, %v; want a lease", held, err)
			}
			done := make(chan gateway.Lease, 1)
			go func() {
				_, l, err := b.Coalescer().Acquire(t.Context(), "k")
				if err != nil {
					t.Error(err)
				}
				done <- l
			}()
			<-waits
			if cancelled {
				held.Release(t.Context(), nil, &gateway.Error{Kind: gateway.KindCanceled, Message: "gone"})
			} else {
				l := held.(*lease)
				l.stop() // dies: no more renewals, no release
				<-l.renewed
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			select {
			case l := <-done:
				if l == nil {
					t.Fatal("the waiter got no lease after the holder went away")
				}
				l.Release(t.Context(), &gateway.Completion{Content: "taken over"}, nil)
			case <-ctx.Done():
				t.Fatal("the waiter did not take over within 10s of a 300ms lock")
			}
		})
	}
}

// TestCoalescerRenewsWhileCalling: a call longer than the lock's TTL keeps
// its lock, so no second replica makes the same call.
func TestCoalescerRenewsWhileCalling(t *testing.T) {
	url, _ := redistest.URL(t)
	prefix := newPrefix(t)
	const lockTTL = 150 * time.Millisecond
	a := newFleet(t, Options{URL: url, Prefix: prefix, LockTTL: lockTTL})
	_, lease, err := a.Coalescer().Acquire(t.Context(), "k")
	if err != nil || lease == nil {
		t.Fatalf("Acquire = %v, %v; want a lease", lease, err)
	}
	defer lease.Release(t.Context(), nil, errors.New("test over"))
	ro, _ := redis.ParseURL(url)
	c := redis.NewClient(ro)
	defer c.Close()
	// Watch the lock over several of its lifetimes; bounded.
	deadline := time.Now().Add(4 * lockTTL)
	for time.Now().Before(deadline) {
		if n, err := c.Exists(t.Context(), prefix+"l:k").Result(); err != nil || n != 1 {
			t.Fatalf("the lock of a running call expired (exists=%d, %v)", n, err)
		}
		time.Sleep(lockTTL / 5) // sampling the lock's state, not synchronising
	}
}

// TestRedisDown: with Redis unreachable, the cache misses, the coalescer
// says to call alone, quickly, and Health says why.
func TestRedisDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	f := newFleet(t, Options{URL: "redis://" + addr})
	f.Cache().Set(t.Context(), "k", &gateway.Completion{Content: "x"})
	if _, ok := f.Cache().Get(t.Context(), "k"); ok {
		t.Error("Get hit with Redis down")
	}
	comp, lease, err := f.Coalescer().Acquire(t.Context(), "k")
	var ge *gateway.Error
	if err == nil || lease != nil || comp != nil || errors.As(err, &ge) {
		t.Errorf("Acquire = %v, %v, %v; want a plain error (call alone)", comp, lease, err)
	}
	if ok, why := f.Health(); ok || why == "" {
		t.Errorf("Health() = %v, %q; want down with a reason", ok, why)
	}
}

// TestRedisRestart: sharing stops while Redis is down and resumes by
// itself when it is back.
func TestRedisRestart(t *testing.T) {
	srv := redistest.NewServer(t)
	f := newFleet(t, Options{URL: srv.URL})
	srv.Start()
	f.Cache().Set(t.Context(), "k", &gateway.Completion{Content: "before"})
	if _, ok := f.Cache().Get(t.Context(), "k"); !ok {
		t.Fatal("no hit with Redis up")
	}
	srv.Stop()
	if _, ok := f.Cache().Get(t.Context(), "k"); ok {
		t.Error("hit with Redis stopped")
	}
	if ok, _ := f.Health(); ok {
		t.Error("Health() ok with Redis stopped")
	}
	srv.Start()
	f.Cache().Set(t.Context(), "k", &gateway.Completion{Content: "after"})
	if got, ok := f.Cache().Get(t.Context(), "k"); !ok || got.Content != "after" {
		t.Errorf("after restart Get = %v, %v; want sharing resumed", got, ok)
	}
	if ok, why := f.Health(); !ok {
		t.Errorf("Health() = down (%s) after Redis returned", why)
	}
}
