package dashboard_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/adminauth"
	"github.com/llm-gateway/llm-gateway/internal/dashboard"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

// readEvent reads the stream up to its next event, and returns its name
// and data.
func readEvent(t *testing.T, r *bufio.Reader) (name, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && name != "":
			return name, data
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// TestEvents: the page's event stream carries the summary, budgets
// included, at once and again after a call is recorded, and ends when the
// dashboard is closed.
func TestEvents(t *testing.T) {
	st := store(t)
	g, err := adminauth.New(adminauth.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	budget := dashboard.Budget{Scope: "agent", Name: "planner", Limit: "budget.daily_usd", MaxUSD: 1, UsedUSD: 0.25, RemainingUSD: 0.75}
	h := dashboard.New(dashboard.Options{
		Store: st, Guard: g, Now: func() time.Time { return now }, Interval: 10 * time.Millisecond,
		Budgets: func(context.Context) []dashboard.Budget { return []dashboard.Budget{budget} },
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a bound, should the stream stall
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/ui/api/events", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /ui/api/events = %d %s, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := bufio.NewReader(resp.Body)
	summary := func() dashboard.Summary {
		t.Helper()
		name, data := readEvent(t, events)
		var s dashboard.Summary
		if name != "summary" || json.Unmarshal([]byte(data), &s) != nil {
			t.Fatalf("event %q %q, want a summary", name, data)
		}
		return s
	}
	s := summary()
	if s.All.Requests != 4 || len(s.Budgets) != 1 || s.Budgets[0] != budget {
		t.Errorf("first summary: %d requests, budgets %+v; want 4 and %+v", s.All.Requests, s.Budgets, budget)
	}

	rec := ledger.FromEvent(gateway.Event{Time: now.Add(-time.Second), Agent: "planner", Model: "nova-lite", Priced: true, Cost: 1_000_000})
	if err := st.Append(t.Context(), []ledger.Record{rec}); err != nil {
		t.Fatal(err)
	}
	if s := summary(); s.All.Requests != 5 || s.Recent[0].CostUSD == nil || *s.Recent[0].CostUSD != gateway.PicoUSD(1_000_000).USD() {
		t.Errorf("after a call: %d requests, newest %+v; want 5, the new call first", s.All.Requests, s.Recent[0])
	}

	h.Close()
	if _, err := io.ReadAll(events); err != nil {
		t.Errorf("after Close the stream ended with %v, want its end", err)
	}
}
