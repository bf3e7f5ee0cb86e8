package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/policy/policytest"
)

func TestLimitsContract(t *testing.T) {
	policytest.Run(t, func(t *testing.T) policy.State {
		d, err := Open(t.Context(), filepath.Join(t.TempDir(), "gateway.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		l, err := d.Limits(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

// TestLimitsSharedByProcesses opens the file twice, as two gateway
// processes do, and claims from both at once: the limit holds across them.
func TestLimitsSharedByProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db")
	var states [2]*Limits
	for i := range states {
		d, err := Open(t.Context(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if states[i], err = d.Limits(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	c := policy.Claim{Key: "agent:a|budget.daily_usd", Window: 1, End: now.Add(time.Hour).Unix(), Max: 1000, Amount: 30}
	var granted atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			g, err := states[i%2].Claim(context.Background(), []policy.Claim{c}, now, now.Add(time.Hour))
			if err != nil {
				t.Error(err)
			} else if g.Refused == -1 {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	if granted.Load() != 1000/30 {
		t.Errorf("%d claims granted across two handles, want exactly %d", granted.Load(), 1000/30)
	}
}

func BenchmarkAdmissionSQLite(b *testing.B) {
	d, err := Open(b.Context(), filepath.Join(b.TempDir(), "gateway.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	l, err := d.Limits(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	policytest.BenchmarkAdmission(b, l)
}
