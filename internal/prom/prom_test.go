package prom_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/prom"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// events are one of each kind of request the gateway records.
func events() []gateway.Event {
	usage := gateway.Usage{InputTokens: 100, OutputTokens: 50, CacheReadTokens: 20}
	return []gateway.Event{
		{ // answered upstream
			Agent: "planner", Model: "nova-lite", Usage: usage, Priced: true, Cost: 1_000_000, Latency: 300 * time.Millisecond,
			Attempts: []gateway.AttemptEvent{{Model: "nova-lite", Usage: usage, Cost: 1_000_000, Priced: true, Latency: 290 * time.Millisecond}},
		},
		{ // from the cache
			Agent: "planner", Model: "nova-lite", Priced: true, Cached: true, Saved: 1_000_000, Latency: 50 * time.Microsecond,
		},
		{ // shared with an identical request
			Agent: "coder", Model: "nova-lite", Priced: true, Coalesced: true, Saved: 1_000_000, Latency: 250 * time.Millisecond,
		},
		{ // throttled, then answered by a fallback
			Agent: "coder", Model: "claude-haiku", Usage: usage, Priced: true, Cost: 3_000_000, Fallbacks: 1, Latency: 2 * time.Second,
			Attempts: []gateway.AttemptEvent{
				{Model: "nova-lite", Kind: gateway.KindThrottled, Priced: true, Latency: 100 * time.Millisecond},
				{Model: "claude-haiku", Usage: usage, Cost: 3_000_000, Priced: true, Latency: 1800 * time.Millisecond},
			},
		},
		{ // a model the catalog does not know, from an agent who names none
			Model: "made-up-model", Kind: gateway.KindUnknownModel, Priced: true, Latency: time.Millisecond,
		},
		{ // an unpriced model
			Agent: "planner", Model: "new-model", Usage: usage, Priced: false, Latency: time.Second,
			Attempts: []gateway.AttemptEvent{{Model: "new-model", Usage: usage, Latency: time.Second}},
		},
	}
}

func TestExposition(t *testing.T) {
	r := prom.New(prom.Options{
		Models:   []string{"nova-lite", "claude-haiku", "new-model"},
		InFlight: func() int { return 2 },
		Budgets: func(context.Context) []prom.Budget {
			return []prom.Budget{{Agent: "planner", Period: "day", RemainingUSD: 4.5}}
		},
		Version: "test",
	})
	for _, ev := range events() {
		r.Record(context.Background(), ev)
	}
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q, want the text exposition format", ct)
	}
	golden(t, "exposition.golden", string(body))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestLabelsAreBounded(t *testing.T) {
	r := prom.New(prom.Options{Models: []string{"nova-lite"}, MaxAgents: 3})
	for i := range 50 {
		r.Record(context.Background(), gateway.Event{
			Agent: fmt.Sprintf("agent-%d", i), Model: fmt.Sprintf("model-%d", i), Kind: gateway.KindUnknownModel,
		})
	}
	// 3 agents by name and one Other, each with the one model label Other.
	got, err := testutil.GatherAndCount(r.Gatherer(), "llm_gateway_requests_total")
	if err != nil {
		t.Fatal(err)
	}
	if got != 4 {
		t.Errorf("llm_gateway_requests_total has %d series, want 4", got)
	}
}
