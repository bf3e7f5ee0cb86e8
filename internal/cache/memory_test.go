package cache

import (
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/cache/cachetest"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

var epoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestMemoryContract(t *testing.T) {
	cachetest.RunCacheContract(t, func(t *testing.T, now func() time.Time) gateway.Cache {
		m := NewMemory(Options{TTL: cachetest.TTL, Now: now})
		t.Cleanup(func() { checkInvariants(t, m) })
		return m
	})
}

func TestMemoryDefaults(t *testing.T) {
	got := NewMemory(Options{}).Stats()
	want := Stats{MaxEntries: 1000, MaxBytes: 64 << 20, TTLSeconds: 3600}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewMemory(Options{}).Stats() mismatch (-want +got):\n%s", diff)
	}
}

func TestMemoryExpiresExactlyAtTTL(t *testing.T) {
	clock := cachetest.NewClock(epoch)
	m := NewMemory(Options{TTL: time.Minute, Now: clock.Now})
	set(t, m, "k", "v")
	clock.Advance(time.Minute - time.Nanosecond)
	if _, ok := m.Get(t.Context(), "k"); !ok {
		t.Fatalf("Get 1ns before the TTL missed, want a hit")
	}
	clock.Advance(time.Nanosecond)
	if _, ok := m.Get(t.Context(), "k"); ok {
		t.Fatalf("Get at the TTL hit, want a miss")
	}
	if got := m.Stats(); got.Expirations != 1 || got.Entries != 0 || got.Bytes != 0 {
		t.Errorf("Stats() = %+v, want 1 expiration and nothing stored", got)
	}
	checkInvariants(t, m)
}

func TestMemoryLRU(t *testing.T) {
	tests := []struct {
		name  string
		ops   []string // "set k" or "get k", in order
		alive []string
		gone  []string
	}{
		{
			name:  "oldest is evicted",
			ops:   []string{"set a", "set b", "set c", "set d"},
			alive: []string{"b", "c", "d"},
			gone:  []string{"a"},
		},
		{
			name:  "a get saves an entry",
			ops:   []string{"set a", "set b", "set c", "get a", "set d"},
			alive: []string{"a", "c", "d"},
			gone:  []string{"b"},
		},
		{
			name:  "an overwrite saves an entry",
			ops:   []string{"set a", "set b", "set c", "set a", "set d", "set e"},
			alive: []string{"a", "d", "e"},
			gone:  []string{"b", "c"},
		},
		{
			name:  "a miss changes nothing",
			ops:   []string{"set a", "set b", "set c", "get x", "set d"},
			alive: []string{"b", "c", "d"},
			gone:  []string{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(Options{MaxEntries: 3})
			for _, op := range tt.ops {
				verb, key, _ := strings.Cut(op, " ")
				if verb == "set" {
					set(t, m, key, "answer "+key)
				} else {
					m.Get(t.Context(), key)
				}
			}
			checkInvariants(t, m)
			// Look at the stored keys directly: a Get would reorder them.
			for _, k := range tt.alive {
				if _, ok := m.items[k]; !ok {
					t.Errorf("after %q, %q was evicted, want it kept", tt.ops, k)
				}
			}
			for _, k := range tt.gone {
				if _, ok := m.items[k]; ok {
					t.Errorf("after %q, %q is kept, want it evicted", tt.ops, k)
				}
			}
		})
	}
}

func TestMemoryEvictsExpiredFirst(t *testing.T) {
	clock := cachetest.NewClock(epoch)
	m := NewMemory(Options{MaxEntries: 2, TTL: time.Minute, Now: clock.Now})
	set(t, m, "old", "set first, used last")
	clock.Advance(30 * time.Second)
	set(t, m, "young", "set last, used first")
	m.Get(t.Context(), "young")
	m.Get(t.Context(), "old") // old is now the most recently used
	clock.Advance(31 * time.Second)
	set(t, m, "new", "needs room")

	if _, ok := m.items["young"]; !ok {
		t.Errorf("young (live, least recently used) was evicted, want the expired entry dropped instead")
	}
	if _, ok := m.items["old"]; ok {
		t.Errorf("old (expired) is still stored")
	}
	if got := m.Stats(); got.Evictions != 0 || got.Expirations != 1 {
		t.Errorf("Stats() = %+v, want 0 evictions and 1 expiration", got)
	}
	checkInvariants(t, m)
}

func TestMemoryByteBound(t *testing.T) {
	const content = 1000
	one := int64(1 + content + len(gateway.FinishStop) + EntryOverhead) // size of one entry with a 1-byte key
	m := NewMemory(Options{MaxBytes: 3 * one})
	for _, k := range []string{"a", "b", "c"} {
		set(t, m, k, strings.Repeat(k, content))
	}
	if got := m.Stats().Bytes; got != 3*one {
		t.Fatalf("Bytes after 3 entries = %d, want %d", got, 3*one)
	}
	m.Get(t.Context(), "a")
	set(t, m, "d", strings.Repeat("d", content)) // evicts b, the least recently used
	if _, ok := m.items["b"]; ok {
		t.Errorf("b is still stored, want it evicted for d")
	}
	// An answer the size of two evicts two (c, then a).
	set(t, m, "e", strings.Repeat("e", content+int(one)))
	if got, want := m.Len(), 2; got != want {
		t.Errorf("Len() = %d, want %d (d and e)", got, want)
	}
	for _, k := range []string{"d", "e"} {
		if _, ok := m.items[k]; !ok {
			t.Errorf("%s was evicted, want it kept", k)
		}
	}
	if got := m.Stats(); got.Evictions != 3 || got.Bytes > got.MaxBytes {
		t.Errorf("Stats() = %+v, want 3 evictions and Bytes within MaxBytes", got)
	}
	checkInvariants(t, m)
}

func TestMemoryOversizeNotStored(t *testing.T) {
	m := NewMemory(Options{MaxBytes: 4096})
	set(t, m, "small", "fits")
	set(t, m, "big", "stale answer that fits")
	set(t, m, "big", strings.Repeat("x", 4096))

	if _, ok := m.Get(t.Context(), "big"); ok {
		t.Errorf("Get(big) hit after an oversize Set, want a miss (not stored, and the stale answer dropped)")
	}
	if _, ok := m.Get(t.Context(), "small"); !ok {
		t.Errorf("Get(small) missed: an oversize Set must not evict others")
	}
	if got := m.Stats().Evictions; got != 0 {
		t.Errorf("Evictions = %d, want 0", got)
	}
	checkInvariants(t, m)
}

func TestMemoryOverwriteAccounting(t *testing.T) {
	m := NewMemory(Options{})
	set(t, m, "k", strings.Repeat("a", 100))
	set(t, m, "k", strings.Repeat("b", 300))
	want := int64(len("k") + 300 + len(gateway.FinishStop) + EntryOverhead)
	if got := m.Stats(); got.Entries != 1 || got.Bytes != want {
		t.Errorf("Stats() = %+v, want 1 entry of %d bytes", got, want)
	}
	checkInvariants(t, m)
}

func TestMemoryStats(t *testing.T) {
	clock := cachetest.NewClock(epoch)
	m := NewMemory(Options{MaxEntries: 2, TTL: time.Minute, Now: clock.Now})
	set(t, m, "a", "1")
	set(t, m, "b", "2")
	m.Get(t.Context(), "a") // hit
	m.Get(t.Context(), "a") // hit
	m.Get(t.Context(), "x") // miss
	set(t, m, "c", "3")     // evicts b
	m.Get(t.Context(), "b") // miss
	clock.Advance(time.Minute)
	m.Get(t.Context(), "a") // miss, expired
	set(t, m, "d", "4")     // c expired, dropped on Set

	got := m.Stats()
	want := Stats{
		Entries:     1,
		MaxEntries:  2,
		Bytes:       int64(len("d") + len("4") + len(gateway.FinishStop) + EntryOverhead),
		MaxBytes:    DefaultMaxBytes,
		Hits:        2,
		Misses:      3,
		Evictions:   1,
		Expirations: 2,
		TTLSeconds:  60,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stats() mismatch (-want +got):\n%s", diff)
	}
	checkInvariants(t, m)
}

func TestMemoryConcurrent(t *testing.T) {
	clock := cachetest.NewClock(epoch)
	const maxBytes = 20 * (EntryOverhead + 64)
	m := NewMemory(Options{MaxEntries: 16, MaxBytes: maxBytes, TTL: time.Second, Now: clock.Now})
	const workers, rounds = 4, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				key := fmt.Sprintf("k%d", (i*7+w)%40)
				switch i % 4 {
				case 0:
					c := gateway.Completion{Content: strings.Repeat("x", i%50)}
					m.Set(t.Context(), key, &c)
				case 1:
					if w == 0 && i%100 == 1 {
						clock.Advance(100 * time.Millisecond)
					}
					m.Stats()
				default:
					m.Get(t.Context(), key)
				}
			}
		})
	}
	wg.Wait()

	st := m.Stats()
	if st.Entries > st.MaxEntries || st.Bytes > st.MaxBytes {
		t.Errorf("Stats() = %+v, beyond its bounds", st)
	}
	if got, want := st.Hits+st.Misses, uint64(workers*rounds/2); got != want {
		t.Errorf("Hits+Misses = %d, want %d Gets", got, want)
	}
	checkInvariants(t, m)
}

func TestEntryIsLean(t *testing.T) {
	if bits.UintSize != 64 {
		t.Skip("sizes are checked on 64-bit platforms")
	}
	// 160 is a malloc size class; the Completion's tool calls took the
	// entry past 128.
	if got := unsafe.Sizeof(entry{}); got > 160 {
		t.Errorf("unsafe.Sizeof(entry{}) = %d, want at most 160 (a malloc size class)", got)
	}
}

func set(t *testing.T, m *Memory, key, content string) {
	t.Helper()
	c := gateway.Completion{Content: content, FinishReason: gateway.FinishStop}
	m.Set(t.Context(), key, &c)
}

// checkInvariants walks both lists and checks that they and the map hold
// the same entries, and that the byte count adds up.
func checkInvariants(t *testing.T, m *Memory) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range []*list{&m.byUse, &m.bySet} {
		seen := 0
		var bytes int64
		prev := &l.root
		for e := l.root.link[l.which].next; e != &l.root; e = e.link[l.which].next {
			if e.link[l.which].prev != prev {
				t.Fatalf("list %d: broken prev link at %q", l.which, e.key)
			}
			if m.items[e.key] != e {
				t.Fatalf("list %d: entry %q is not the map's", l.which, e.key)
			}
			prev = e
			seen++
			bytes += entrySize(e.key, &e.val)
			if seen > len(m.items) {
				t.Fatalf("list %d: longer than the map (%d entries)", l.which, len(m.items))
			}
		}
		if seen != len(m.items) {
			t.Errorf("list %d holds %d entries, map %d", l.which, seen, len(m.items))
		}
		if bytes != m.bytes {
			t.Errorf("list %d entries add up to %d bytes, counted %d", l.which, bytes, m.bytes)
		}
	}
	if len(m.items) > m.maxEntries || m.bytes > m.maxBytes {
		t.Errorf("%d entries, %d bytes: beyond bounds %d, %d", len(m.items), m.bytes, m.maxEntries, m.maxBytes)
	}
}
