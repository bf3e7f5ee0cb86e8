// Package cache keeps completed answers so that an identical request is
// answered without calling the model again.
//
// Memory is the in-process store: bounded by entry count and by bytes,
// evicting the least recently used answer when full, and forgetting each
// answer a fixed time to live after it was stored. Stores shared between
// gateway processes (such as Redis) belong here too, and must pass the
// contract suite in package cachetest.
package cache

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Defaults for the zero Options.
const (
	DefaultMaxEntries       = 1000
	DefaultMaxBytes   int64 = 64 << 20
	DefaultTTL              = 3600 * time.Second
)

// EntryOverhead is the bytes charged against Options.MaxBytes for each entry
// on top of its key, content and finish reason: an estimate of the entry
// struct (128 bytes) and its map slot, rounded up. BenchmarkMemoryPerEntry
// measures the real figure: about 170 bytes besides a 64-byte key, more
// just after the map grows.
const EntryOverhead = 256

// Options configure a Memory cache. The zero value gives the defaults.
type Options struct {
	// MaxEntries bounds the number of stored answers (CACHE_MAX_SIZE).
	// If zero or negative, 1000.
	MaxEntries int
	// MaxBytes bounds the estimated size of stored answers: the bytes of
	// each key, content and finish reason plus EntryOverhead per entry.
	// An answer larger than MaxBytes on its own is not stored.
	// If zero or negative, 64 MiB.
	MaxBytes int64
	// TTL is how long an answer is served after Set (CACHE_TTL).
	// If zero or negative, 3600s.
	TTL time.Duration
	// Now tells the time. If nil, time.Now. Tests inject a fake clock.
	Now func() time.Time
}

// Stats describe a Memory cache at one moment. The JSON names are those of
// the get_stats tool.
type Stats struct {
	Entries     int     `json:"current_size"` // stored answers
	MaxEntries  int     `json:"max_size"`
	Bytes       int64   `json:"bytes"` // estimated, as charged against MaxBytes
	MaxBytes    int64   `json:"max_bytes"`
	Hits        uint64  `json:"hits"`
	Misses      uint64  `json:"misses"`      // including Gets of expired answers
	Evictions   uint64  `json:"evictions"`   // live answers dropped to make room
	Expirations uint64  `json:"expirations"` // answers dropped because their TTL passed
	TTLSeconds  float64 `json:"ttl_seconds"`
}

// Memory is an in-process LRU cache of completions with a TTL, safe for
// concurrent use. Create it with NewMemory.
//
// Set stores a copy of the completion and Get returns a fresh copy, so
// neither the caller of Set nor the caller of Get can change what others
// read. (A Completion is strings and numbers, and rarely tool calls, which
// are copied deeply; so a copy is cheap.)
//
// Expired answers are removed lazily: by the Get that finds them, and, in
// order of expiry, by every Set, Len and Stats, before any live answer is
// evicted for room.
type Memory struct {
	maxEntries int
	maxBytes   int64
	ttl        time.Duration
	now        func() time.Time
	// epoch is the reference for entry.expires. Measuring from it with
	// time.Time.Sub uses the monotonic clock when Now is time.Now, so a
	// wall-clock jump neither revives nor kills answers.
	epoch time.Time

	mu          sync.Mutex
	items       map[string]*entry
	byUse       list
	bySet       list
	bytes       int64
	hits        uint64
	misses      uint64
	evictions   uint64
	expirations uint64
}

var _ gateway.Cache = (*Memory)(nil)

// entry is one stored answer. It is kept lean (128 bytes on 64-bit
// platforms) because there may be many: the completion is held by value and
// the key shares its bytes with the map key.
type entry struct {
	key     string
	val     gateway.Completion
	expires int64 // nanoseconds since Memory.epoch
	link    [2]links
}

// NewMemory returns an empty cache.
func NewMemory(opts Options) *Memory {
	m := &Memory{
		maxEntries: opts.MaxEntries,
		maxBytes:   opts.MaxBytes,
		ttl:        opts.TTL,
		now:        opts.Now,
		items:      make(map[string]*entry),
	}
	if m.maxEntries <= 0 {
		m.maxEntries = DefaultMaxEntries
	}
	if m.maxBytes <= 0 {
		m.maxBytes = DefaultMaxBytes
	}
	if m.ttl <= 0 {
		m.ttl = DefaultTTL
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.epoch = m.now()
	m.byUse.init(byUse)
	m.bySet.init(bySet)
	return m
}

// clock returns the time in nanoseconds since m.epoch.
func (m *Memory) clock() int64 { return int64(m.now().Sub(m.epoch)) }

// Get returns a copy of the answer stored under key, if it has not expired,
// and marks it as the most recently used.
func (m *Memory) Get(_ context.Context, key string) (*gateway.Completion, bool) {
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.items[key]
	if !ok {
		m.misses++
		return nil, false
	}
	if e.expires <= now {
		m.remove(e)
		m.expirations++
		m.misses++
		return nil, false
	}
	m.byUse.moveToFront(e)
	m.hits++
	c := e.val
	c.ToolCalls = cloneToolCalls(c.ToolCalls)
	return &c, true
}

// cloneToolCalls copies tool calls and their arguments; nil stays nil.
func cloneToolCalls(calls []gateway.ToolCall) []gateway.ToolCall {
	if calls == nil {
		return nil
	}
	out := make([]gateway.ToolCall, len(calls))
	for i, tc := range calls {
		tc.Arguments = append(json.RawMessage(nil), tc.Arguments...)
		out[i] = tc
	}
	return out
}

// Set stores a copy of c under key for the TTL, replacing any answer stored
// under the same key. To make room it drops expired answers first, then the
// least recently used. An answer larger than MaxBytes is not stored (and
// any older answer under key is dropped). A nil c is ignored.
func (m *Memory) Set(_ context.Context, key string, c *gateway.Completion) {
	if c == nil {
		return
	}
	size := entrySize(key, c)
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if old, ok := m.items[key]; ok {
		m.remove(old)
	}
	if size > m.maxBytes {
		return
	}
	for len(m.items) >= m.maxEntries || m.bytes+size > m.maxBytes {
		m.remove(m.byUse.back())
		m.evictions++
	}
	e := &entry{key: key, val: *c, expires: now + int64(m.ttl)}
	e.val.ToolCalls = cloneToolCalls(c.ToolCalls)
	m.items[key] = e
	m.byUse.pushFront(e)
	m.bySet.pushBack(e)
	m.bytes += size
}

// Len returns the number of live answers stored.
func (m *Memory) Len() int {
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	return len(m.items)
}

// Stats returns the cache's size, bounds and counters.
func (m *Memory) Stats() Stats {
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	return Stats{
		Entries:     len(m.items),
		MaxEntries:  m.maxEntries,
		Bytes:       m.bytes,
		MaxBytes:    m.maxBytes,
		Hits:        m.hits,
		Misses:      m.misses,
		Evictions:   m.evictions,
		Expirations: m.expirations,
		TTLSeconds:  m.ttl.Seconds(),
	}
}

// expire drops the answers whose TTL has passed. They are at the front of
// bySet, so this stops at the first live one: amortised O(1) per Set.
func (m *Memory) expire(now int64) {
	for e := m.bySet.front(); e != nil && e.expires <= now; e = m.bySet.front() {
		m.remove(e)
		m.expirations++
	}
}

func (m *Memory) remove(e *entry) {
	delete(m.items, e.key)
	m.byUse.remove(e)
	m.bySet.remove(e)
	m.bytes -= entrySize(e.key, &e.val)
}

// entrySize is what an answer is charged against MaxBytes.
func entrySize(key string, c *gateway.Completion) int64 {
	n := len(key) + len(c.Content) + len(c.FinishReason)
	for _, tc := range c.ToolCalls {
		n += len(tc.ID) + len(tc.Name) + len(tc.Arguments) + 64 // 64: the ToolCall itself
	}
	return int64(n) + EntryOverhead
}
