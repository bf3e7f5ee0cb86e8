package policy

import (
	"context"
	"sync"
	"time"
)

// Memory is a State for one process: limits hold among its own calls.
type Memory struct {
	mu       sync.Mutex
	counters map[counterID]*memCounter
	holds    map[int64]memHold
	next     int64
	// nextExpiry is the earliest expiry of a hold, Unix nanoseconds; 0
	// when none is held.
	nextExpiry int64
	swept      int64 // Unix second counters were last swept
}

var _ State = (*Memory)(nil)

type counterID struct {
	key    string
	window int64
}

type memCounter struct {
	end        int64
	used, held int64
}

type memHold struct {
	expires int64 // Unix nanoseconds
	parts   []memPart
}

type memPart struct {
	c      *memCounter
	amount int64
}

// NewMemory returns an empty in-memory State.
func NewMemory() *Memory {
	return &Memory{counters: map[counterID]*memCounter{}, holds: map[int64]memHold{}}
}

func (m *Memory) counter(c *Claim) *memCounter {
	id := counterID{c.Key, c.Window}
	mc := m.counters[id]
	if mc == nil {
		mc = &memCounter{end: c.End}
		if c.Seeded {
			mc.used = c.Seed
		}
		m.counters[id] = mc
	}
	return mc
}

func (m *Memory) Claim(_ context.Context, claims []Claim, now, expires time.Time) (Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	var parts [8]*memCounter
	cs := parts[:0]
	for i := range claims {
		c := &claims[i]
		mc := m.counter(c)
		c.Used, c.Held = mc.used, mc.held
		if c.Max > 0 && mc.used+mc.held+c.Amount > c.Max {
			return Grant{Refused: i}, nil
		}
		cs = append(cs, mc)
	}
	g := Grant{Refused: -1}
	var hold memHold
	for i := range claims {
		c := &claims[i]
		if c.Instant {
			cs[i].used += c.Amount
			continue
		}
		cs[i].held += c.Amount
		hold.parts = append(hold.parts, memPart{cs[i], c.Amount})
	}
	if len(hold.parts) > 0 {
		m.next++
		hold.expires = expires.UnixNano()
		m.holds[m.next] = hold
		if m.nextExpiry == 0 || hold.expires < m.nextExpiry {
			m.nextExpiry = hold.expires
		}
		g.ID = m.next
	}
	return g, nil
}

func (m *Memory) Release(_ context.Context, id int64, claims []Claim, used []int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h, ok := m.holds[id]; ok {
		for _, p := range h.parts {
			p.c.held -= p.amount
		}
		delete(m.holds, id)
	}
	for i := range used {
		if used[i] != 0 && !claims[i].Instant {
			m.counter(&claims[i]).used += used[i]
		}
	}
	return nil
}

// sweep ends holds that have expired, and forgets counters of ended
// periods once a minute.
func (m *Memory) sweep(now time.Time) {
	if m.nextExpiry != 0 && now.UnixNano() >= m.nextExpiry {
		m.nextExpiry = 0
		for id, h := range m.holds {
			if h.expires <= now.UnixNano() {
				for _, p := range h.parts {
					p.c.held -= p.amount
				}
				delete(m.holds, id)
			} else if m.nextExpiry == 0 || h.expires < m.nextExpiry {
				m.nextExpiry = h.expires
			}
		}
	}
	if now.Unix() < m.swept+60 {
		return
	}
	m.swept = now.Unix()
	for id, c := range m.counters {
		if c.end != 0 && c.end < now.Unix() && c.held == 0 {
			delete(m.counters, id)
		}
	}
}

func (m *Memory) Counters(_ context.Context, now time.Time) ([]Counter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Counter
	for id, c := range m.counters {
		if c.end == 0 || c.end > now.Unix() {
			out = append(out, Counter{Key: id.key, Window: id.window, End: c.end, Used: c.used, Held: c.held})
		}
	}
	return out, nil
}

func (m *Memory) Close() error { return nil }
