package gateway

import "context"

// flight is one upstream call that identical requests share.
type flight struct {
	done    chan struct{}
	comp    *Completion
	err     error
	waiters int                // requests still waiting; the call is cancelled when it drops to zero
	cancel  context.CancelFunc // cancels the upstream call
}

// refused reports whether err is the flight owner's own refusal by
// Admission: another caller, with limits of its own, may still go ahead.
func refused(err error) bool {
	switch KindOf(err) {
	case KindModelNotAllowed, KindRateLimited, KindBudgetExceeded:
		return true
	}
	return false
}

// share makes the upstream call for key with do, or joins the identical one
// already in flight. joined reports whether this caller joined.
//
// The first caller makes the call on its own goroutine (a new goroutine
// would grow its stack afresh for the SDK's deep call chain on every miss),
// on a context detached from it, so that its leaving does not fail the
// others: the call is cancelled when the last caller has gone. A first
// caller that leaves while others wait returns when the call ends.
func (g *Gateway) share(ctx context.Context, key string, do func(context.Context) (*Completion, error)) (comp *Completion, joined bool, err error) {
	// A joiner whose flight was refused for its owner's limits tries again
	// on its own; a few times at most, then it makes a call of its own
	// rather than wait on yet another flight.
	g.mu.Lock()
	for joins := 0; ; joins++ {
		f, ok := g.inflight[key]
		if !ok {
			break // the lock is held
		}
		if joins == 3 {
			g.mu.Unlock()
			comp, err := do(ctx)
			return comp, false, err
		}
		f.waiters++
		g.mu.Unlock()
		select {
		case <-f.done:
			if !refused(f.err) {
				return f.comp, true, f.err
			}
			g.mu.Lock()
		case <-ctx.Done():
			g.leave(key, f)
			return nil, false, contextError(ctx.Err())
		}
	}
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.opts.Timeout)
	f := &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
	g.inflight[key] = f
	g.mu.Unlock()

	stop := context.AfterFunc(ctx, func() { g.leave(key, f) })
	g.fly(callCtx, key, f, do)
	stop()
	if ctx.Err() != nil {
		return nil, false, contextError(ctx.Err())
	}
	return f.comp, false, f.err
}

// leave drops a caller from a flight; the last one out cancels the call,
// and lets a request arriving now start afresh rather than join a call
// that is being cancelled.
func (g *Gateway) leave(key string, f *flight) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if g.inflight[key] == f {
			delete(g.inflight, key)
		}
	}
}

func (g *Gateway) fly(ctx context.Context, key string, f *flight, do func(context.Context) (*Completion, error)) {
	defer f.cancel()
	f.comp, f.err = do(ctx)
	if f.err == nil && g.opts.Cache != nil {
		// Stored before the flight is forgotten, so that a request arriving
		// in between finds it in one place or the other.
		g.opts.Cache.Set(ctx, key, f.comp)
	}
	g.mu.Lock()
	if g.inflight[key] == f {
		delete(g.inflight, key)
	}
	g.mu.Unlock()
	close(f.done)
}
