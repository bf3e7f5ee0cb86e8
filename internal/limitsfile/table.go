//go:build unix

package limitsfile

import "time"

const mask = numCounters - 1

// keyHash is the FNV-1a hash of key, never 0 (0 marks an empty slot).
func keyHash(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}

// home is where the counter of hash and win is looked for first.
func home(hash uint64, win int64) uint32 {
	x := hash ^ uint64(win)*0x9e3779b97f4a7c15 //nolint:gosec // hashing: the bits of win are what matter, not its sign
	x ^= x >> 29
	return uint32(x) & mask //nolint:gosec // masked to the table size, which fits in uint32
}

// matches reports whether c is the counter of key; a key longer than a
// slot keeps is matched on its hash and the part kept.
func (c *counter) matches(hash uint64, win int64, key string) bool {
	if c.hash != hash || c.win != win {
		return false
	}
	n := min(len(key), keyBytes)
	return int(c.keyLen) == n && string(c.key[:n]) == key[:n]
}

// find returns the counter of key and win, or nil.
func (l *Limits) find(hash uint64, win int64, key string) *counter {
	for i, n := home(hash, win), 0; n < numCounters; i, n = (i+1)&mask, n+1 {
		c := l.counterAt(i)
		if c.hash == 0 {
			return nil
		}
		if c.matches(hash, win, key) {
			return c
		}
	}
	return nil
}

// findPart returns the counter a hold's part names, by hash and window
// alone (a hold keeps no key), or nil.
func (l *Limits) findPart(p *part) *counter {
	for i, n := home(p.hash, p.win), 0; n < numCounters; i, n = (i+1)&mask, n+1 {
		c := l.counterAt(i)
		if c.hash == 0 {
			return nil
		}
		if c.hash == p.hash && c.win == p.win {
			return c
		}
	}
	return nil
}

// errFull is a table with no room left, even after ended counters were
// deleted.
type errFull string

func (e errFull) Error() string { return string(e) }

// get returns the counter of key and win, adding it (used at seed) if it
// is not there.
// It moves no other counter.
func (l *Limits) get(hash uint64, key string, win, end, seed int64) (*counter, error) {
	if c := l.find(hash, win, key); c != nil {
		return c, nil
	}
	if l.h.inUse >= maxFill {
		return nil, errFull("the limits file has no room for more counters: too many agents and models with limits at once")
	}
	i := home(hash, win)
	for l.counterAt(i).hash != 0 {
		i = (i + 1) & mask
	}
	c := l.counterAt(i)
	n := copy(c.key[:], key)
	c.keyLen = uint32(n) //nolint:gosec // keys are bounded far below 4 GiB
	c.win, c.end, c.used, c.held = win, end, seed, 0
	c.hash = hash // last: the slot is taken once its hash is written
	l.h.inUse++
	return c, nil
}

// remove empties slot i and moves later counters of its run back, so that
// every counter stays reachable from its home without tombstones (Knuth's
// algorithm R).
func (l *Limits) remove(i uint32) {
	j := i
	for {
		*l.counterAt(i) = counter{}
		for {
			j = (j + 1) & mask
			c := l.counterAt(j)
			if c.hash == 0 {
				l.h.inUse--
				return
			}
			k := home(c.hash, c.win)
			// The counter at j stays if its home is cyclically in (i, j].
			if i <= j {
				if i < k && k <= j {
					continue
				}
			} else if i < k || k <= j {
				continue
			}
			break
		}
		*l.counterAt(i) = *l.counterAt(j)
		i = j
	}
}

// sweep gives back holds that have expired and, once a minute or when
// forced, deletes counters of periods that have ended and that nothing
// holds (the ledger keeps their history).
func (l *Limits) sweep(now time.Time, force bool) {
	ns := now.UnixNano()
	if l.h.nextExpiry != 0 && ns >= l.h.nextExpiry {
		l.h.nextExpiry = 0
		for i := range l.h.holdTop {
			h := l.holdAt(i)
			if h.id == 0 {
				continue
			}
			if h.expires <= ns {
				l.end(i)
			} else if l.h.nextExpiry == 0 || h.expires < l.h.nextExpiry {
				l.h.nextExpiry = h.expires
			}
		}
	}
	if !force && now.Unix() < l.h.swept+sweepEvery {
		return
	}
	l.h.swept = now.Unix()
	for i := uint32(0); i < numCounters; {
		c := l.counterAt(i)
		if c.hash != 0 && c.end != 0 && c.end <= now.Unix() && c.held == 0 {
			l.remove(i) // another counter may have moved into i
			continue
		}
		i++
	}
}

// end gives back what hold slot i holds and frees the slot.
func (l *Limits) end(i uint32) {
	h := l.holdAt(i)
	for j := range h.nparts {
		if c := l.findPart(&h.parts[j]); c != nil {
			c.held = max(c.held-h.parts[j].amount, 0)
		}
	}
	*h = hold{next: l.h.freeHead}
	l.h.freeHead = i + 1
	l.h.holdsInUse--
}

// reap gives back the holds of processes that are gone, at most once
// every 10 ms (a storm of refusals looks once per interval, a few system
// calls per process holding something): a process killed in a call leaves
// its holds, which would otherwise count until they expire. It reports
// whether it gave back any.
func (l *Limits) reap(now time.Time) bool {
	ns := now.UnixNano()
	if l.h.holdsInUse == 0 || (ns >= l.h.reaped && ns-l.h.reaped < reapInterval) {
		return false
	}
	l.h.reaped = ns
	gone := map[owner]bool{}
	freed := false
	for i := range l.h.holdTop {
		h := l.holdAt(i)
		if h.id == 0 {
			continue
		}
		o := owner{h.pid, h.start, h.ns}
		dead, seen := gone[o]
		if !seen {
			dead = !alive(l.me, o)
			gone[o] = dead
		}
		if dead {
			l.end(i)
			freed = true
		}
	}
	return freed
}

// repair rebuilds the tables after a process died while it changed them:
// counters are put back in their places, each once, and what they hold is
// counted again from the holds.
func (l *Limits) repair() {
	var all []counter
	for i := range uint32(numCounters) {
		if c := l.counterAt(i); c.hash != 0 {
			all = append(all, *c)
			*c = counter{}
		}
	}
	l.h.inUse = 0
	for _, c := range all {
		key := string(c.key[:min(c.keyLen, keyBytes)])
		if l.find(c.hash, c.win, key) != nil {
			continue // a copy a move left behind
		}
		i := home(c.hash, c.win)
		for l.counterAt(i).hash != 0 {
			i = (i + 1) & mask
		}
		c.held = 0
		*l.counterAt(i) = c
		l.h.inUse++
	}
	l.h.holdsInUse, l.h.nextExpiry, l.h.freeHead = 0, 0, 0
	l.h.holdTop = min(l.h.holdTop, numHolds)
	for i := range l.h.holdTop {
		h := l.holdAt(i)
		if h.id == 0 {
			h.next = l.h.freeHead
			l.h.freeHead = i + 1
			continue
		}
		l.h.holdsInUse++
		if l.h.nextExpiry == 0 || h.expires < l.h.nextExpiry {
			l.h.nextExpiry = h.expires
		}
		for j := range min(h.nparts, maxParts) {
			if c := l.findPart(&h.parts[j]); c != nil {
				c.held += h.parts[j].amount
			}
		}
	}
	l.h.dirty = 0
}
