package gateway

import "context"

// Notice is something the caller of one call should know that is not an
// error: a retry, a fallback, a model near its end of life, a budget
// nearly spent. Fronts that can tell the caller (MCP log notifications)
// pass it on; the others drop it.
type Notice struct {
	Level   string // "info" or "warning"
	Kind    string // "retry", "fallback", "lifecycle", "budget", …
	Message string // for the caller: what happened and what to do
}

type noticeKey struct{}

// WithNotify returns ctx carrying fn, which receives the notices of the
// call made with ctx. A context rather than a Request field because the
// notices come from deep inside a call (the AWS SDK's retry loop sees only
// the context), and from packages that get no Request (admission).
func WithNotify(ctx context.Context, fn func(Notice)) context.Context {
	return context.WithValue(ctx, noticeKey{}, fn)
}

// Notify passes n to the function WithNotify put in ctx, if any. It must
// not block: fn sends at once or drops.
func Notify(ctx context.Context, n Notice) {
	if fn, ok := ctx.Value(noticeKey{}).(func(Notice)); ok && fn != nil {
		fn(n)
	}
}
