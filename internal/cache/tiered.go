package cache

import (
	"context"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Tiered puts a near cache (this process's memory) in front of a far one
// that other processes share (a SQLite file). Get asks the near tier, then
// the far one; Set writes both. An answer found only in the far tier is
// not copied into the near one: the near tier would serve it a full TTL
// from now, past the time it was written plus CACHE_TTL.
type Tiered struct {
	Near, Far gateway.Cache
}

var _ gateway.Cache = Tiered{}

// Get implements gateway.Cache.
func (t Tiered) Get(ctx context.Context, key string) (*gateway.Completion, bool) {
	if c, ok := t.Near.Get(ctx, key); ok {
		return c, true
	}
	return t.Far.Get(ctx, key)
}

// Set implements gateway.Cache.
func (t Tiered) Set(ctx context.Context, key string, c *gateway.Completion) {
	t.Near.Set(ctx, key, c)
	t.Far.Set(ctx, key, c)
}
