package httpserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// Every transport hands the tools the name of the key's holder.
func TestAgentIdentity(t *testing.T) {
	for _, tt := range []struct {
		name      string
		stateless bool
		sse       bool
	}{
		{"streamable", false, false},
		{"stateless", true, false},
		{"sse", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := start(t, Options{Keys: testKeys, Stateless: tt.stateless})
			for _, k := range testKeys {
				cs := connect(t, r.url, k.Secret, tt.sse)
				if got := callText(t, cs, "whoami"); got != k.Name {
					t.Errorf("whoami with the key of %s = %q", k.Name, got)
				}
			}
		})
	}
}

func TestNoKeysIsOpenOnLoopback(t *testing.T) {
	r := start(t, Options{})
	cs := connect(t, r.url, "", false)
	if got := callText(t, cs, "whoami"); got != "" {
		t.Errorf("whoami without keys = %q, want no name", got)
	}
}

// A session opened with one key cannot be used with another.
func TestSessionBoundToKey(t *testing.T) {
	r := start(t, Options{Keys: testKeys})
	cs := connect(t, r.url, keyA, false)
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	h := map[string]string{"Mcp-Session-Id": cs.ID(), "Mcp-Protocol-Version": "2025-06-18"}

	h["Authorization"] = "Bearer " + keyB
	if resp, body := post(t, r.url+"/mcp", list, h); resp.StatusCode != http.StatusForbidden {
		t.Errorf("tools/list on agent-a's session with agent-b's key = %d %q, want 403", resp.StatusCode, body)
	}
	h["Authorization"] = "Bearer " + keyA
	if resp, body := post(t, r.url+"/mcp", list, h); resp.StatusCode != http.StatusOK {
		t.Errorf("tools/list on agent-a's session with its key = %d %q, want 200", resp.StatusCode, body)
	}
}

func TestSSESessionBoundToKey(t *testing.T) {
	r := start(t, Options{Keys: testKeys})
	// Open an SSE stream with agent-a's key and read its endpoint event.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, r.url+"/sse", nil)
	resp, err := httpClient(t, keyA).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 512)
	n, err := resp.Body.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(buf[:n]), "data: ")
	if !ok {
		t.Fatalf("first SSE event = %q, want an endpoint event", buf[:n])
	}
	endpoint, _, _ := strings.Cut(rest, "\n")

	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	for _, tt := range []struct {
		key        string
		wantStatus int
	}{{keyB, http.StatusForbidden}, {keyA, http.StatusAccepted}} {
		resp, body := post(t, r.url+endpoint, ping, map[string]string{"Authorization": "Bearer " + tt.key})
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("POST %s with the key of another = %d %q, want %d", endpoint, resp.StatusCode, body, tt.wantStatus)
		}
	}
}

func TestStatelessRefusesGET(t *testing.T) {
	r := start(t, Options{Stateless: true})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, r.url+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	if resp, body := do(t, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /mcp in stateless mode = %d %q, want 405", resp.StatusCode, body)
	}
}

func TestReadyz(t *testing.T) {
	var loaded, redisDown atomic.Bool
	r := start(t, Options{Ready: func(context.Context) error {
		if !loaded.Load() {
			return errors.New("catalog not loaded")
		}
		return nil
	}, Degraded: func() []string {
		if redisDown.Load() {
			return []string{"redis unreachable"}
		}
		return nil
	}})
	get := func() (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, r.url+"/readyz", nil)
		resp, body := do(t, req)
		return resp.StatusCode, body
	}
	if code, body := get(); code != http.StatusServiceUnavailable || body != "not ready: catalog not loaded\n" {
		t.Errorf("GET /readyz when not ready = %d %q, want 503 with the reason", code, body)
	}
	loaded.Store(true)
	if code, body := get(); code != http.StatusOK || body != "ready\n" {
		t.Errorf("GET /readyz when ready = %d %q, want 200", code, body)
	}
	// A shared part down degrades the gateway, which still answers.
	redisDown.Store(true)
	if code, body := get(); code != http.StatusOK || body != "ready\ndegraded: redis unreachable\n" {
		t.Errorf("GET /readyz when degraded = %d %q, want 200 naming what is degraded", code, body)
	}
}
