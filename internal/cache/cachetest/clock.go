// Package cachetest holds what tests of gateway.Cache implementations
// share: a contract suite that every cache must pass (RunCacheContract) and
// a fake clock to drive expiry without sleeping.
package cachetest

import (
	"sync"
	"time"
)

// Clock is a fake clock, safe for concurrent use. Pass its Now method where
// a cache takes a clock, and move time with Advance.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until advanced.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (or back, if d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
