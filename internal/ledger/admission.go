package ledger

import (
	"context"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Required returns an Admission that refuses every request while the store
// cannot be written (LEDGER_REQUIRED=true), and otherwise defers to next;
// a nil next admits everything.
func (l *Ledger) Required(next gateway.Admission) gateway.Admission {
	return required{l: l, next: next}
}

type required struct {
	l    *Ledger
	next gateway.Admission
}

func (r required) Enter(ctx context.Context, e gateway.Entry) (func(), error) {
	if h := r.l.Health(); !h.OK {
		return nil, &gateway.Error{Kind: gateway.KindUnavailable, Retryable: true,
			Message: "the usage ledger cannot be written (" + h.Error + ") and LEDGER_REQUIRED=true, so calls are refused until it can; retry later, or ask the operator to fix the store"}
	}
	if r.next == nil {
		return func() {}, nil
	}
	return r.next.Enter(ctx, e)
}

func (r required) Allow(ctx context.Context, agent string, m gateway.Model) error {
	if r.next == nil {
		return nil
	}
	return r.next.Allow(ctx, agent, m)
}

func (r required) Reserve(ctx context.Context, res gateway.Reservation) (gateway.Settle, error) {
	if r.next == nil {
		return func(context.Context, gateway.Usage, gateway.PicoUSD, bool) {}, nil
	}
	return r.next.Reserve(ctx, res)
}
