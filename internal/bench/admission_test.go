package bench

import (
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/policy"
)

func TestMeasureAdmission(t *testing.T) {
	p, err := policy.Parse([]byte("defaults: {requests_per_minute: 100000, max_concurrent: 4, budget: {daily_usd: 100}}"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := measureAdmission(t.Context(), "memory", policy.New(p, policy.Options{}), 100)
	if a.Error != "" || a.Calls != 100 || a.P50 <= 0 || a.P99 < a.P50 {
		t.Errorf("measured %+v, want 100 calls with percentiles", a)
	}
	// A policy that refuses is reported, not measured as fast.
	tight, err := policy.Parse([]byte("defaults: {requests_per_minute: 10}"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a = measureAdmission(t.Context(), "tight", policy.New(tight, policy.Options{}), 100)
	if !strings.Contains(a.Error, "requests_per_minute") {
		t.Errorf("a refusing policy measured as %+v, want its refusal reported", a)
	}
}
