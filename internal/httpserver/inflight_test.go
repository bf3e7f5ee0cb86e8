package httpserver

import (
	"net/http"
	"strings"
	"testing"
)

func TestInFlightCaps(t *testing.T) {
	tl := newTools()
	tl.release = make(chan struct{})
	r := start(t, Options{Server: newMCPServer(tl), Keys: testKeys, Stateless: true,
		MaxConcurrent: 2, MaxConcurrentPerKey: 1, MaxBytesInFlight: 1000})
	block := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"block","arguments":{}}}`
	pad := func(n int) string {
		return `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","arguments":{"pad":"` + strings.Repeat("x", n) + `"}}}`
	}
	as := func(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }
	done := make(chan int, 2)
	go func() { resp, _ := post(t, r.url+"/mcp", block, as(keyA)); done <- resp.StatusCode }()
	<-tl.started

	for _, tt := range []struct {
		name, key, body string
		status          int
		setting         string
	}{
		{"the key's share", keyA, pad(10), http.StatusTooManyRequests, "MAX_CONCURRENT_CALLS_PER_KEY"},
		{"bytes in flight", keyB, pad(1000), http.StatusServiceUnavailable, "MAX_BYTES_IN_FLIGHT"},
	} {
		resp, body := post(t, r.url+"/mcp", tt.body, as(tt.key))
		if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, tt.setting) {
			t.Errorf("%s: %d %q (Retry-After %q), want %d naming %s", tt.name, resp.StatusCode, body, resp.Header.Get("Retry-After"), tt.status, tt.setting)
		}
	}
	go func() { resp, _ := post(t, r.url+"/mcp", block, as(keyB)); done <- resp.StatusCode }()
	<-tl.started
	if resp, body := post(t, r.url+"/mcp", pad(10), as(keyB)); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "MAX_CONCURRENT_CALLS") {
		t.Errorf("past the total: %d %q, want 503 naming MAX_CONCURRENT_CALLS", resp.StatusCode, body)
	}
	close(tl.release)
	for range 2 {
		if s := <-done; s != http.StatusOK {
			t.Errorf("blocked call ended with %d", s)
		}
	}
	// Room again once the calls are answered.
	if resp, body := post(t, r.url+"/mcp", pad(10), as(keyA)); resp.StatusCode != http.StatusOK {
		t.Errorf("after the calls ended: %d %q", resp.StatusCode, body)
	}
}
