//go:build unix

package limitsfile

import (
	"context"
	"fmt"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/policy"
)

// Claim implements policy.State: the check and the count are one step
// under the file's lock. A claim that would be refused by what is held
// first gives back the holds of processes that are gone, then is checked
// again.
func (l *Limits) Claim(_ context.Context, claims []policy.Claim, now, expires time.Time) (policy.Grant, error) {
	if err := l.lock(); err != nil {
		return policy.Grant{}, err
	}
	defer l.unlock()
	l.sweep(now, l.h.inUse+uint32(len(claims)) >= maxFill) //nolint:gosec // claims per call are a handful, far below 2^32
	var buf [maxParts]*counter
	cs := buf[:0]
	parts := 0
	for i := range claims {
		c := &claims[i]
		k, err := l.counterOf(c)
		if err != nil {
			return policy.Grant{}, fmt.Errorf("limits claim: %w", err)
		}
		cs = append(cs, k)
		if !c.Instant {
			parts++
		}
	}
	if parts > maxParts {
		return policy.Grant{}, fmt.Errorf("limits claim: %d limits held at once, more than the %d a hold keeps", parts, maxParts)
	}
	refused := func() int {
		for i := range claims {
			c, k := &claims[i], cs[i]
			c.Used, c.Held = k.used, k.held
			if c.Max > 0 && k.used+k.held+c.Amount > c.Max {
				return i
			}
		}
		return -1
	}
	r := refused()
	if r >= 0 && mayFree(&claims[r]) && l.reap(now) {
		r = refused()
	}
	if r >= 0 {
		return policy.Grant{Refused: r}, nil
	}
	g := policy.Grant{Refused: -1}
	var h *hold
	if parts > 0 {
		slot, ok := l.freeHold(now)
		if !ok {
			return policy.Grant{}, fmt.Errorf("limits claim: the limits file has no room for more holds: %d calls hold limits at once", numHolds)
		}
		h = l.holdAt(slot)
		l.h.seq++
		*h = hold{expires: expires.UnixNano(), pid: l.me.pid, start: l.me.start, ns: l.me.ns}
		g.ID = int64(l.h.seq<<slotBits | uint64(slot)) //nolint:gosec // seq<<slotBits stays below 2^63 for any number of claims a process makes
	}
	for i := range claims {
		c, k := &claims[i], cs[i]
		if c.Instant {
			k.used += c.Amount
			continue
		}
		k.held += c.Amount
		h.parts[h.nparts] = part{hash: k.hash, win: k.win, amount: c.Amount}
		h.nparts++
	}
	if h != nil {
		h.id = uint64(g.ID) //nolint:gosec // IDs are made non-negative above; last: the slot is taken once its ID is written
		l.h.holdsInUse++
		if l.h.nextExpiry == 0 || h.expires < l.h.nextExpiry {
			l.h.nextExpiry = h.expires
		}
	}
	return g, nil
}

// mayFree reports whether giving back holds could make refused claim c
// fit: only if what is held, not what is used, stands in its way.
func mayFree(c *policy.Claim) bool {
	return c.Held > 0 && c.Used+c.Amount <= c.Max
}

// counterOf is claim c's counter, made from its seed if it is new.
func (l *Limits) counterOf(c *policy.Claim) (*counter, error) {
	seed := int64(0)
	if c.Seeded {
		seed = c.Seed
	}
	return l.get(keyHash(c.Key), c.Key, c.Window, c.End, seed)
}

// freeHold takes a free hold slot: the last one freed, else one never
// used.
func (l *Limits) freeHold(now time.Time) (uint32, bool) {
	if l.h.freeHead == 0 && l.h.holdTop >= numHolds {
		l.reap(now)
	}
	if f := l.h.freeHead; f != 0 && f <= l.h.holdTop {
		l.h.freeHead = l.holdAt(f - 1).next
		return f - 1, true
	}
	if l.h.holdTop >= numHolds {
		return 0, false
	}
	l.h.holdTop++
	return l.h.holdTop - 1, true
}

// Release implements policy.State.
func (l *Limits) Release(_ context.Context, id int64, claims []policy.Claim, used []int64) error {
	if err := l.lock(); err != nil {
		return err
	}
	defer l.unlock()
	if id != 0 {
		slot := uint32(uint64(id) & (1<<slotBits - 1))          //nolint:gosec // IDs are non-negative; the low bits are the slot
		if slot < numHolds && l.holdAt(slot).id == uint64(id) { //nolint:gosec // IDs are non-negative
			l.end(slot)
		}
	}
	for i := range used {
		if used[i] == 0 || claims[i].Instant {
			continue
		}
		k, err := l.counterOf(&claims[i])
		if err != nil {
			return fmt.Errorf("limits release: %w", err)
		}
		k.used += used[i]
	}
	return nil
}

// Counters implements policy.State.
func (l *Limits) Counters(_ context.Context, now time.Time) ([]policy.Counter, error) {
	if err := l.lock(); err != nil {
		return nil, err
	}
	defer l.unlock()
	var out []policy.Counter
	for i := range uint32(numCounters) {
		c := l.counterAt(i)
		if c.hash != 0 && (c.end == 0 || c.end > now.Unix()) {
			out = append(out, policy.Counter{Key: string(c.key[:min(c.keyLen, keyBytes)]), Window: c.win, End: c.end, Used: c.used, Held: c.held})
		}
	}
	return out, nil
}
