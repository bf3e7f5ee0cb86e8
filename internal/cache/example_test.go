package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/cache"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func ExampleMemory() {
	ctx := context.Background()
	c := cache.NewMemory(cache.Options{MaxEntries: 100, TTL: 10 * time.Minute})

	answer := &gateway.Completion{Content: "Paris", FinishReason: gateway.FinishStop}
	c.Set(ctx, "request-key", answer)

	if got, ok := c.Get(ctx, "request-key"); ok {
		fmt.Println("hit:", got.Content)
	}
	if _, ok := c.Get(ctx, "another-key"); !ok {
		fmt.Println("miss")
	}
	st := c.Stats()
	fmt.Printf("%d of %d stored, %d hits, %d misses\n", st.Entries, st.MaxEntries, st.Hits, st.Misses)
	// Output:
	// hit: Paris
	// miss
	// 1 of 100 stored, 1 hits, 1 misses
}
