package cachetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// TTL is the time to live the contract expects of the caches it is given.
const TTL = time.Minute

// start is the time the contract's clocks read before they are advanced.
var start = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// RunCacheContract checks the behaviour every gateway.Cache must have.
//
// newCache must return a new, empty cache that reads the time from now,
// expires answers TTL after they are Set, and has room for at least 64
// answers of up to 64 KiB each. Each subtest calls it once.
func RunCacheContract(t *testing.T, newCache func(t *testing.T, now func() time.Time) gateway.Cache) {
	t.Helper()
	setup := func(t *testing.T) (gateway.Cache, *Clock) {
		t.Helper()
		clock := NewClock(start)
		return newCache(t, clock.Now), clock
	}

	t.Run("MissWhenEmpty", func(t *testing.T) {
		c, _ := setup(t)
		mustMiss(t, c, "absent")
	})

	t.Run("GetReturnsWhatWasSet", func(t *testing.T) {
		tests := []struct {
			name string
			key  string
			val  gateway.Completion
		}{
			{"typical", "k1", completion("hello")},
			{"empty answer", "k2", gateway.Completion{FinishReason: gateway.FinishLength}},
			{"empty key", "", completion("for the empty key")},
			{"unicode", "clé-ñ-鍵", completion("réponse ✓ 答え \x00 nul")},
			{"large", "big", completion(strings.Repeat("0123456789abcdef", 4096))},
			{"tool calls", "tools", withToolCall(completion(""))},
		}
		c, _ := setup(t)
		for _, tt := range tests {
			val := tt.val
			c.Set(t.Context(), tt.key, &val)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				mustHit(t, c, tt.key, tt.val)
			})
		}
	})

	t.Run("KeysAreIndependent", func(t *testing.T) {
		c, _ := setup(t)
		a, b := completion("a"), completion("b")
		c.Set(t.Context(), "a", &a)
		c.Set(t.Context(), "b", &b)
		mustHit(t, c, "a", a)
		mustHit(t, c, "b", b)
		mustMiss(t, c, "A")
	})

	t.Run("OverwriteReplaces", func(t *testing.T) {
		c, _ := setup(t)
		first, second := completion("first"), completion("second")
		c.Set(t.Context(), "k", &first)
		c.Set(t.Context(), "k", &second)
		mustHit(t, c, "k", second)
	})

	t.Run("StoresACopy", func(t *testing.T) {
		c, _ := setup(t)
		orig := completion("original")
		c.Set(t.Context(), "k", &orig)
		orig.Content = "changed by the caller of Set"
		orig.Usage.OutputTokens = 999
		got := mustHit(t, c, "k", completion("original"))
		got.Content = "changed by the caller of Get"
		mustHit(t, c, "k", completion("original"))

		calls := withToolCall(completion(""))
		c.Set(t.Context(), "t", &calls)
		calls.ToolCalls[0].Arguments[2] = 'X'
		got = mustHit(t, c, "t", withToolCall(completion("")))
		got.ToolCalls[0].Name = "changed by the caller of Get"
		got.ToolCalls[0].Arguments[2] = 'Y'
		mustHit(t, c, "t", withToolCall(completion("")))
	})

	t.Run("NilIsIgnored", func(t *testing.T) {
		c, _ := setup(t)
		c.Set(t.Context(), "k", nil)
		mustMiss(t, c, "k")
	})

	t.Run("Expiry", func(t *testing.T) {
		c, clock := setup(t)
		v := completion("short-lived")
		c.Set(t.Context(), "k", &v)
		clock.Advance(TTL - time.Second)
		mustHit(t, c, "k", v)
		clock.Advance(2 * time.Second)
		mustMiss(t, c, "k")
	})

	t.Run("ExpiryIsPerEntry", func(t *testing.T) {
		c, clock := setup(t)
		old, young := completion("old"), completion("young")
		c.Set(t.Context(), "old", &old)
		clock.Advance(TTL / 2)
		c.Set(t.Context(), "young", &young)
		clock.Advance(TTL/2 + time.Second)
		mustMiss(t, c, "old")
		mustHit(t, c, "young", young)
	})

	t.Run("OverwriteRenewsTTL", func(t *testing.T) {
		c, clock := setup(t)
		first, second := completion("first"), completion("second")
		c.Set(t.Context(), "k", &first)
		clock.Advance(TTL / 2)
		c.Set(t.Context(), "k", &second)
		clock.Advance(TTL/2 + time.Second)
		mustHit(t, c, "k", second)
	})

	t.Run("GetDoesNotRenewTTL", func(t *testing.T) {
		c, clock := setup(t)
		v := completion("v")
		c.Set(t.Context(), "k", &v)
		clock.Advance(TTL / 2)
		mustHit(t, c, "k", v)
		clock.Advance(TTL/2 + time.Second)
		mustMiss(t, c, "k")
	})

	t.Run("SetAfterExpiry", func(t *testing.T) {
		c, clock := setup(t)
		first, second := completion("first"), completion("second")
		c.Set(t.Context(), "k", &first)
		clock.Advance(TTL + time.Second)
		mustMiss(t, c, "k")
		c.Set(t.Context(), "k", &second)
		mustHit(t, c, "k", second)
	})

	t.Run("Concurrent", func(t *testing.T) {
		// Run under -race, this checks that Get and Set may overlap; every
		// Get must see either a miss or one of the answers set for its key.
		c, _ := setup(t)
		const workers, rounds, keys = 4, 200, 16
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range rounds {
					key := fmt.Sprintf("k%d", (w*rounds+i)%keys)
					if i%3 == 0 {
						v := completion(key)
						c.Set(t.Context(), key, &v)
						continue
					}
					if got, ok := c.Get(t.Context(), key); ok && got.Content != key {
						t.Errorf("Get(%q).Content = %q, want %q", key, got.Content, key)
					}
				}
			})
		}
		wg.Wait()
	})
}

// completion returns a typical answer with the given content.
func completion(content string) gateway.Completion {
	return gateway.Completion{
		Content:      content,
		FinishReason: gateway.FinishStop,
		Usage:        gateway.Usage{InputTokens: 12, OutputTokens: 34, CacheReadTokens: 5},
		Latency:      1500 * time.Millisecond,
	}
}

func mustHit(t *testing.T, c gateway.Cache, key string, want gateway.Completion) *gateway.Completion {
	t.Helper()
	got, ok := c.Get(t.Context(), key)
	if !ok {
		t.Fatalf("Get(%q) missed, want a hit", key)
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Fatalf("Get(%q) mismatch (-want +got):\n%s", key, diff)
	}
	return got
}

func mustMiss(t *testing.T, c gateway.Cache, key string) {
	t.Helper()
	if got, ok := c.Get(t.Context(), key); ok {
		t.Fatalf("Get(%q) = %+v, want a miss", key, got)
	}
}

// withToolCall gives c a tool call, as an answer with finish_reason
// tool_calls has.
func withToolCall(c gateway.Completion) gateway.Completion {
	c.FinishReason = gateway.FinishToolCalls
	c.ToolCalls = []gateway.ToolCall{{ID: "tooluse_1", Name: "lookup", Arguments: []byte(`{"q":"x"}`)}}
	return c
}
