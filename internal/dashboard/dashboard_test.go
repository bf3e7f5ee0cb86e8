package dashboard_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/adminauth"
	"github.com/llm-gateway/llm-gateway/internal/dashboard"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

const adminKey = "dashboard-admin-key-0123"

var now = time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)

func store(t *testing.T) *ledger.Memory {
	t.Helper()
	st := ledger.NewMemory()
	recs := []gateway.Event{
		{Time: now.Add(-10 * time.Second), Agent: "planner", Model: "nova-lite", Usage: gateway.Usage{InputTokens: 100, OutputTokens: 50}, Cost: 2_000_000, Priced: true, Latency: 800 * time.Millisecond},
		{Time: now.Add(-5 * time.Second), Agent: "planner", Model: "nova-lite", Cached: true, Saved: 2_000_000, Priced: true, Latency: time.Millisecond},
		{Time: now.Add(-2 * time.Hour), Agent: "coder", Model: "claude-3-haiku", Kind: gateway.KindThrottled, Priced: true, Latency: 3 * time.Second},
		{Time: now.AddDate(0, 0, -3), Agent: "coder", Model: "claude-3-haiku", Usage: gateway.Usage{InputTokens: 10, OutputTokens: 10}, Cost: 5_000_000, Priced: true, Latency: time.Second},
	}
	var rs []ledger.Record
	for _, ev := range recs {
		rs = append(rs, ledger.FromEvent(ev))
	}
	if err := st.Append(t.Context(), rs); err != nil {
		t.Fatal(err)
	}
	return st
}

func server(t *testing.T, keys ...adminauth.Key) *httptest.Server {
	t.Helper()
	g, err := adminauth.New(adminauth.Options{Keys: keys, Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	h := dashboard.New(dashboard.Options{
		Store: store(t), Guard: g, Now: func() time.Time { return now },
		Models: func() []dashboard.Model {
			return []dashboard.Model{
				{Name: "nova-lite", Status: gateway.StatusActive},
				{Name: "claude-3-haiku", Status: gateway.StatusLegacy, EndOfLife: "2027-01-15", Replacement: "claude-haiku-4-5"},
				{Name: "unused-old", Status: gateway.StatusLegacy},
			}
		},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestSummary(t *testing.T) {
	srv := server(t)
	resp, err := http.Get(srv.URL + "/ui/api/summary")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s dashboard.Summary
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if s.Today.Requests != 3 || s.Month.Requests != 4 || s.Today.CacheHits != 1 || s.Today.Errors != 1 {
		t.Errorf("today %+v, month requests %d; want 3 requests (1 hit, 1 error) today and 4 this month", s.Today, s.Month.Requests)
	}
	if got, want := s.Month.CostUSD, gateway.PicoUSD(7_000_000).USD(); got != want {
		t.Errorf("month spend = %v, want %v", got, want)
	}
	if s.RPS != 2.0/60 {
		t.Errorf("rps = %v, want 2 calls over the last minute", s.RPS)
	}
	if len(s.Recent) != 4 || s.Recent[0].Model != "nova-lite" || !s.Recent[0].Cached {
		t.Errorf("recent = %+v, want 4 calls, newest (the cache hit) first", s.Recent)
	}
	if s.LatencyMs.P50 != 800 || s.LatencyMs.P99 != 3000 {
		t.Errorf("latency = %+v, want p50 800 and p99 3000", s.LatencyMs)
	}
	if len(s.Lifecycle) != 1 || s.Lifecycle[0].Name != "claude-3-haiku" || !strings.Contains(s.Lifecycle[0].Message, "claude-haiku-4-5") {
		t.Errorf("lifecycle = %+v, want one warning: claude-3-haiku (in use, legacy, end of life soon), not the unused model", s.Lifecycle)
	}
	if len(s.Hour) != 61 || len(s.Days30) != 31 {
		t.Errorf("%d hour points and %d 30-day points, want every bucket (61, 31)", len(s.Hour), len(s.Days30))
	}
}

func TestLogin(t *testing.T) {
	srv := server(t, adminauth.Key{Name: "ops", Secret: adminKey})
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	get := func(path string, cookies ...*http.Cookie) (int, string, http.Header) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if code, body, h := get("/ui/"); code != http.StatusUnauthorized || !strings.Contains(body, `action="/ui/login"`) {
		t.Errorf("GET /ui/ without a key = %d, want 401 and the login form", code)
	} else if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("no Content-Security-Policy keeping the page to its own origin")
	}
	for _, path := range []string{"/ui/api/summary", "/ui/api/events"} {
		if code, _, _ := get(path); code != http.StatusUnauthorized {
			t.Errorf("GET %s without a key = %d, want 401", path, code)
		}
	}

	resp, err := client.PostForm(srv.URL+"/ui/login", url.Values{"key": {adminKey}, "next": {"/ui/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("login = %d with %d cookies, want 303 and a cookie", resp.StatusCode, len(cookies))
	}
	if code, body, _ := get("/ui/", cookies[0]); code != http.StatusOK || !strings.Contains(body, "app.js") {
		t.Errorf("GET /ui/ with the cookie = %d, want 200 and the dashboard", code)
	}
	if code, _, _ := get("/ui/api/summary", cookies[0]); code != http.StatusOK {
		t.Errorf("GET /ui/api/summary with the cookie = %d, want 200", code)
	}
}

// TestNoExternalReferences: the page set names no other origin.
func TestNoExternalReferences(t *testing.T) {
	srv := server(t)
	for _, path := range []string{"/ui/", "/ui/static/app.js", "/ui/static/app.css"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
		for _, bad := range []string{"https://", "http://", "//cdn"} {
			if i := strings.Index(string(b), bad); i >= 0 && !strings.Contains(string(b)[i:min(i+40, len(b))], "www.w3.org/2000/svg") {
				t.Errorf("%s refers to another origin: %q", path, string(b)[i:min(i+40, len(b))])
			}
		}
	}
}
