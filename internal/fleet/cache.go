package fleet

import (
	"context"
	"encoding/json"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Cache is the fleet's shared answer cache. It implements gateway.Cache;
// every failure of Redis is a miss (or a Set that did not happen).
type Cache struct{ f *Fleet }

var _ gateway.Cache = Cache{}

// Cache returns the shared answer cache.
func (f *Fleet) Cache() Cache { return Cache{f} }

// entry is a cached answer as stored: the expiry travels with it, so that
// every replica (and a test's clock) agrees on it; Redis's own expiry only
// reclaims the space.
type entry struct {
	Expires    time.Time           `json:"exp"`
	Completion *gateway.Completion `json:"c"`
}

// Get returns the answer cached for key, if any and not expired.
func (c Cache) Get(ctx context.Context, key string) (*gateway.Completion, bool) {
	ctx, cancel := context.WithTimeout(ctx, c.f.opts.OpTimeout)
	defer cancel()
	b, err := c.f.rdb.Get(ctx, c.f.key("c", key)).Bytes()
	if c.f.observe(err) != nil {
		return nil, false
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.Completion == nil || !c.f.opts.Now().Before(e.Expires) {
		return nil, false
	}
	return e.Completion, true
}

// Set stores an answer for TTL, unless it is larger than MaxValueBytes.
func (c Cache) Set(ctx context.Context, key string, comp *gateway.Completion) {
	b, err := json.Marshal(entry{Expires: c.f.opts.Now().Add(c.f.opts.TTL), Completion: comp})
	if err != nil || len(b) > c.f.opts.MaxValueBytes {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.f.opts.OpTimeout)
	defer cancel()
	c.f.observe(c.f.rdb.Set(ctx, c.f.key("c", key), b, c.f.opts.TTL).Err()) //nolint:errcheck // observe returns its argument for chaining; here it only records Redis health
}
