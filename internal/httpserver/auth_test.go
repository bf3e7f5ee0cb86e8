package httpserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/authbackoff"
)

func TestAuthRefusals(t *testing.T) {
	// More refusals from 127.0.0.1 than the backoff's default lets through.
	r := start(t, Options{Keys: testKeys, AuthBackoff: authbackoff.New(authbackoff.Options{After: 100})})
	tests := []struct {
		name          string
		path          string
		authorization string // "" sends none
		wantChallenge string
	}{
		{"no key", "/mcp", "", `Bearer realm="llm-gateway"`},
		{"wrong key", "/mcp", "Bearer not-a-key-of-anyone-at-all", `Bearer realm="llm-gateway", error="invalid_token"`},
		{"basic scheme", "/mcp", "Basic " + keyA, `Bearer realm="llm-gateway", error="invalid_request"`},
		{"empty token", "/mcp", "Bearer ", `Bearer realm="llm-gateway", error="invalid_request"`},
		{"key with suffix", "/mcp", "Bearer " + keyA + "x", `Bearer realm="llm-gateway", error="invalid_token"`},
		{"sse without key", "/sse", "", `Bearer realm="llm-gateway"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.authorization != "" {
				h["Authorization"] = tt.authorization
			}
			resp, body := post(t, r.url+tt.path, initializeBody, h)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("POST %s = %d %q, want 401", tt.path, resp.StatusCode, body)
			}
			// Then where OAuth-minded clients find metadata, and the cause.
			want := tt.wantChallenge + `, resource_metadata="` + r.url + "/.well-known/oauth-protected-resource" + tt.path + `", error_description="`
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, want) || !strings.Contains(got, "static API key") {
				t.Errorf("WWW-Authenticate = %q, want %q… naming the static API key", got, want)
			}
			if strings.Contains(body, keyA) {
				t.Errorf("body %q repeats the key", body)
			}
		})
	}
}

func TestAuthAccepts(t *testing.T) {
	r := start(t, Options{Keys: testKeys})
	for _, auth := range []string{"Bearer " + keyA, "bearer " + keyB, "BEARER  " + keyA + " "} {
		resp, body := post(t, r.url+"/mcp", initializeBody, map[string]string{"Authorization": auth})
		if resp.StatusCode != http.StatusOK {
			t.Errorf("initialize with %q = %d %q, want 200", auth, resp.StatusCode, body)
		}
	}
}

func TestHealthNeedsNoKey(t *testing.T) {
	r := start(t, Options{Keys: testKeys})
	for _, path := range []string{"/healthz", "/readyz"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, r.url+path, nil)
		if resp, body := do(t, req); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %q, want 200", path, resp.StatusCode, body)
		}
	}
}

func TestKeyring(t *testing.T) {
	k, err := newKeyring(testKeys)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		secret, wantName string
		wantOK           bool
	}{
		{keyA, "agent-a", true},
		{keyB, "agent-b", true},
		{"", "", false},
		{keyA[:len(keyA)-1], "", false},
		{strings.ToUpper(keyA), "", false},
	}
	for _, tt := range tests {
		if name, ok := k.lookup(tt.secret); name != tt.wantName || ok != tt.wantOK {
			t.Errorf("lookup(%q) = %q, %v, want %q, %v", tt.secret, name, ok, tt.wantName, tt.wantOK)
		}
	}
	for _, bad := range [][]Key{
		{{Name: "", Secret: keyA}},
		{{Name: "a", Secret: ""}},
		{{Name: "a", Secret: keyA}, {Name: "b", Secret: keyA}},
	} {
		if _, err := newKeyring(bad); err == nil {
			t.Errorf("newKeyring(%v) = nil error, want one", bad)
		} else if strings.Contains(err.Error(), keyA) {
			t.Errorf("newKeyring error %q repeats the key", err)
		}
	}
}

func TestKeyStringHidesSecret(t *testing.T) {
	if got := (Key{Name: "a", Secret: keyA}).String(); strings.Contains(got, keyA) {
		t.Errorf("Key.String() = %q, shows the secret", got)
	}
}

// Failed keys from one address, on /mcp and on routes alike, make it wait
// (429 with Retry-After) before any key of its is checked again; turned
// off, they never do. The growth of the wait is authbackoff's own test.
func TestAuthBacksOff(t *testing.T) {
	route := Route{Pattern: "POST /v1/thing", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})}
	admin := Route{Pattern: "GET /admin", Handler: route.Handler, Guard: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+keyB {
				http.Error(w, "admin only", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}}
	r := start(t, Options{Keys: testKeys, Routes: []Route{route, admin}})
	bad := map[string]string{"Authorization": "Bearer not-a-key-of-anyone-at-all"}
	good := map[string]string{"Authorization": "Bearer " + keyA}
	// One failure on each surface, up to the default threshold.
	for i, path := range []string{"/mcp", "/v1/thing", "/mcp", "/v1/thing", "/admin"} {
		var resp *http.Response
		if path == "/admin" {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, r.url+path, nil)
			req.Header.Set("Authorization", "Bearer "+keyA) // an agent's key is no admin key
			resp, _ = do(t, req)
		} else {
			resp, _ = post(t, r.url+path, initializeBody, bad)
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d (%s) = %d, want 401", i+1, path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/mcp", "/v1/thing"} {
		resp, body := post(t, r.url+path, initializeBody, good) // unchecked, even right
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "retry after") {
			t.Errorf("%s after %d failures = %d Retry-After %q %q; want 429 with Retry-After", path, authbackoff.DefaultAfter, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}

	off := start(t, Options{Keys: testKeys, NoAuthBackoff: true})
	for i := range 2 * authbackoff.DefaultAfter {
		if resp, _ := post(t, off.url+"/mcp", initializeBody, bad); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("backoff off: failure %d = %d, want 401", i+1, resp.StatusCode)
		}
	}
	if resp, body := post(t, off.url+"/mcp", initializeBody, good); resp.StatusCode != http.StatusOK {
		t.Errorf("backoff off: right key = %d %q, want 200", resp.StatusCode, body)
	}
}
