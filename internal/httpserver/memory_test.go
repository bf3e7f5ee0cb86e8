package httpserver

import (
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Idle sessions hold no request bodies: 20 sessions that each made a 2 MiB
// call (with a 256-byte client name) and went idle keep less than 16 MiB
// of heap after GC between them. Before the release nudge (body.go) they
// kept 2 MiB each, 40 MiB in all.
func TestIdleSessionsHoldNoBodies(t *testing.T) {
	r := start(t, Options{})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pad := strings.Repeat("x", 2<<20-1024)
	const sessions = 20
	for range sessions {
		client := mcp.NewClient(&mcp.Implementation{Name: strings.Repeat("n", 256), Version: "1"}, nil)
		cs, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: r.url + "/mcp", HTTPClient: httpClient(t, "")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.Close() })
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{"pad": pad}}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew %d KiB for %d idle sessions", grown>>10, sessions)
	const bound = 16 << 20
	if grown > bound {
		t.Errorf("heap grew %d MiB for %d idle sessions after 2 MiB calls, want under %d MiB", grown>>20, sessions, bound>>20)
	}
}

func TestSessionCaps(t *testing.T) {
	r := start(t, Options{Keys: testKeys, MaxSessions: 3, MaxSessionsPerKey: 2})
	open := func(key string) (*http.Response, string) {
		return post(t, r.url+"/mcp", initializeBody, map[string]string{"Authorization": "Bearer " + key})
	}
	var aIDs []string
	for range 2 {
		resp, body := open(keyA)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("agent-a's session: %d %s", resp.StatusCode, body)
		}
		aIDs = append(aIDs, resp.Header.Get("Mcp-Session-Id"))
	}
	resp, body := open(keyA)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "MAX_SESSIONS_PER_KEY") {
		t.Fatalf("agent-a's third session: %d %q (Retry-After %q), want 429 naming MAX_SESSIONS_PER_KEY", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if resp, body := open(keyB); resp.StatusCode != http.StatusOK {
		t.Fatalf("agent-b's session: %d %s", resp.StatusCode, body)
	}
	resp, body = open(keyB)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "MAX_SESSIONS") {
		t.Fatalf("a fourth session: %d %q, want 503 naming MAX_SESSIONS", resp.StatusCode, body)
	}
	// A closed session makes room.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, r.url+"/mcp", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+keyA)
	req.Header.Set("Mcp-Session-Id", aIDs[0])
	if resp, body := do(t, req); resp.StatusCode >= 300 {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, body)
	}
	if resp, body := open(keyA); resp.StatusCode != http.StatusOK {
		t.Fatalf("agent-a's session after closing one: %d %s", resp.StatusCode, body)
	}
}
