package httpserver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRoute checks that a mounted route stands behind the same keys, Origin
// check and body limit as /mcp, accepts its own key header, refuses in its
// own shape, and names the agent to its handler.
func TestRoute(t *testing.T) {
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, AgentFrom(r.Context()))
	})
	refuse := func(w http.ResponseWriter, _ *http.Request, status int, msg string) {
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":%q}`, msg)
	}
	rs := start(t, Options{
		Keys:         testKeys,
		MaxBodyBytes: 1 << 10,
		Routes: []Route{
			{Pattern: "POST /v1/a", Handler: whoami, KeyHeader: "x-api-key", Refuse: refuse},
			{Pattern: "POST /v1/plain", Handler: whoami},
			{Pattern: "POST /admin", Handler: whoami, Guard: adminOnly},
		},
	})
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"bearer", "/v1/a", map[string]string{"Authorization": "Bearer " + keyA}, "{}", 200, "agent-a"},
		{"key header", "/v1/a", map[string]string{"x-api-key": keyB}, "{}", 200, "agent-b"},
		{"key header first", "/v1/a", map[string]string{"x-api-key": keyB, "Authorization": "Bearer " + keyA}, "{}", 200, "agent-b"},
		{"no key", "/v1/a", nil, "{}", 401, `{"error":"missing API key: send the header x-api-key: <key> or Authorization: Bearer <key>"}`},
		{"bad key", "/v1/a", map[string]string{"x-api-key": "nope"}, "{}", 401, `{"error":"invalid API key"}`},
		{"foreign origin", "/v1/a", map[string]string{"x-api-key": keyA, "Origin": "https://evil.example"}, "{}", 403, `{"error":"origin \"https://evil.example\" is not allowed (cross-site requests to the gateway are refused; see ALLOWED_ORIGINS)"}`},
		{"too large", "/v1/a", map[string]string{"x-api-key": keyA}, strings.Repeat("x", 2<<10), 413, `{"error":"request body too large: the limit is 1 KiB"}`},
		{"plain route ignores the key header", "/v1/plain", map[string]string{"x-api-key": keyA}, "{}", 401, "missing API key: send the header Authorization: Bearer <key>\n"},
		{"plain route", "/v1/plain", map[string]string{"Authorization": "Bearer " + keyA}, "{}", 200, "agent-a"},
		{"guarded route refuses an agent key", "/admin", map[string]string{"Authorization": "Bearer " + keyA}, "{}", 401, "admins only\n"},
		{"guarded route takes its own key", "/admin", map[string]string{"Authorization": "Bearer admin"}, "{}", 200, ""},
		{"guarded route keeps the origin check", "/admin", map[string]string{"Authorization": "Bearer admin", "Origin": "https://evil.example"}, "{}", 403, "origin \"https://evil.example\" is not allowed (cross-site requests to the gateway are refused; see ALLOWED_ORIGINS)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, rs.url+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
				t.Errorf("POST %s = %d %q, want %d %q", tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// adminOnly is a route's own guard: one key, not an agent's.
func adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer admin" {
			http.Error(w, "admins only", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestRouteBadPattern(t *testing.T) {
	_, err := New(Options{Server: newMCPServer(newTools()), Routes: []Route{
		{Pattern: "POST /v1/x", Handler: http.NotFoundHandler()},
		{Pattern: "POST /v1/x", Handler: http.NotFoundHandler()},
	}})
	if err == nil || !strings.Contains(err.Error(), `route "POST /v1/x"`) {
		t.Errorf("New with clashing routes = %v, want an error naming the route", err)
	}
}
