package fleet

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/cache/cachetest"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/policy/policytest"

	"github.com/llm-gateway/llm-gateway/internal/fleet/redistest"
)

// TestCluster: on a real Redis Cluster of three primaries, the shared
// cache, the limits (their scripts touch several keys) and the coalescer
// (its outcome announced on a channel) work as on one Redis.
func TestCluster(t *testing.T) {
	url := redistest.Cluster(t)
	var n atomic.Int64
	onCluster := func(t *testing.T, opts Options) *Fleet {
		opts.URL, opts.Cluster, opts.Prefix = url, true, "t"+strconv.FormatInt(n.Add(1), 10)+":"
		return newFleet(t, opts)
	}
	t.Run("cache", func(t *testing.T) {
		cachetest.RunCacheContract(t, func(t *testing.T, now func() time.Time) gateway.Cache {
			return onCluster(t, Options{TTL: cachetest.TTL, Now: now}).Cache()
		})
	})
	t.Run("limits", func(t *testing.T) {
		policytest.Run(t, func(t *testing.T) policy.State {
			return onCluster(t, Options{}).Limits()
		})
	})
	t.Run("coalescer", func(t *testing.T) {
		a := onCluster(t, Options{})
		b := newFleet(t, Options{URL: url, Cluster: true, Prefix: a.opts.Prefix})
		waits := make(chan string, 1)
		b.onWait = func(key string) { waits <- key }
		_, lease, err := a.Coalescer().Acquire(t.Context(), "k")
		if err != nil || lease == nil {
			t.Fatalf("first Acquire = %v, %v; want a lease", lease, err)
		}
		done := make(chan *gateway.Completion, 1)
		go func() {
			c, l, err := b.Coalescer().Acquire(t.Context(), "k")
			if err != nil || l != nil {
				t.Errorf("waiting Acquire = %v, %v; want the holder's answer", l, err)
			}
			done <- c
		}()
		<-waits
		lease.Release(t.Context(), &gateway.Completion{Content: "one call"}, nil)
		if c := <-done; c == nil || c.Content != "one call" {
			t.Errorf("waiter's answer = %+v, want the holder's", c)
		}
	})
	if got := hashTagged("llm-gateway:"); got != "{llm-gateway:}" {
		t.Errorf("hashTagged(llm-gateway:) = %q, want {llm-gateway:}", got)
	}
	if got := hashTagged("team-{a}:"); got != "team-{a}:" {
		t.Errorf("hashTagged(team-{a}:) = %q, want it kept", got)
	}
}
