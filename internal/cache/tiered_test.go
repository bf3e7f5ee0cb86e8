package cache_test

import (
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/cache"
	"github.com/llm-gateway/llm-gateway/internal/cache/cachetest"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestTieredContract(t *testing.T) {
	cachetest.RunCacheContract(t, func(t *testing.T, now func() time.Time) gateway.Cache {
		opts := cache.Options{TTL: cachetest.TTL, Now: now}
		return cache.Tiered{Near: cache.NewMemory(opts), Far: cache.NewMemory(opts)}
	})
}

func TestTieredFarAnswersWhatNearLacks(t *testing.T) {
	opts := cache.Options{TTL: time.Minute}
	near, far := cache.NewMemory(opts), cache.NewMemory(opts)
	far.Set(t.Context(), "k", &gateway.Completion{Content: "from another process"})
	got, ok := cache.Tiered{Near: near, Far: far}.Get(t.Context(), "k")
	if !ok || got.Content != "from another process" {
		t.Fatalf("Get = %+v, %v; want the far tier's answer", got, ok)
	}
	if near.Len() != 0 {
		t.Errorf("the near tier holds %d answers after a far hit; want 0 (it would outlive CACHE_TTL)", near.Len())
	}
	cache.Tiered{Near: near, Far: far}.Set(t.Context(), "n", &gateway.Completion{Content: "new"})
	if _, ok := near.Get(t.Context(), "n"); !ok {
		t.Error("Set did not write the near tier")
	}
	if _, ok := far.Get(t.Context(), "n"); !ok {
		t.Error("Set did not write the far tier")
	}
}
