//go:build !unix

package limitsfile

import (
	"context"
	"errors"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/policy"
)

// Limits is not available on this system.
type Limits struct{}

var _ policy.State = (*Limits)(nil)

// ErrUnsupported is returned by Open on systems without flock and mmap.
var ErrUnsupported = errors.New("limits file: not supported on this system")

// Open returns ErrUnsupported.
func Open(string) (*Limits, error) { return nil, ErrUnsupported }

func (*Limits) Claim(context.Context, []policy.Claim, time.Time, time.Time) (policy.Grant, error) {
	return policy.Grant{}, ErrUnsupported
}
func (*Limits) Release(context.Context, int64, []policy.Claim, []int64) error { return ErrUnsupported }
func (*Limits) Counters(context.Context, time.Time) ([]policy.Counter, error) {
	return nil, ErrUnsupported
}
func (*Limits) Close() error { return nil }

// Path is empty.
func (*Limits) Path() string { return "" }
