package httpserver

import (
	"net/http"
	"strings"
	"testing"
)

func TestOrigin(t *testing.T) {
	r := start(t, Options{Keys: testKeys, AllowedOrigins: []string{"https://App.example.com:443"}})
	tests := []struct {
		origin     string
		wantStatus int
		wantCORS   bool
	}{
		{"", http.StatusOK, false},
		{"http://localhost:6274", http.StatusOK, true},
		{"http://127.0.0.1:3000", http.StatusOK, true},
		{"http://[::1]:8080", http.StatusOK, true},
		{"https://app.example.com", http.StatusOK, true},
		{"http://evil.example.com", http.StatusForbidden, false},
		{"http://app.example.com", http.StatusForbidden, false}, // scheme differs
		{"https://app.example.com:8443", http.StatusForbidden, false},
		{"https://localhost.evil.example", http.StatusForbidden, false},
		{"null", http.StatusForbidden, false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + keyA}
			if tt.origin != "" {
				h["Origin"] = tt.origin
			}
			resp, body := post(t, r.url+"/mcp", initializeBody, h)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("initialize with Origin %q = %d %q, want %d", tt.origin, resp.StatusCode, body, tt.wantStatus)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); (got != "") != tt.wantCORS || (got != "" && got != tt.origin) {
				t.Errorf("Access-Control-Allow-Origin = %q, want CORS %v for %q", got, tt.wantCORS, tt.origin)
			}
		})
	}
}

// A forbidden origin is refused even without a key: the origin check
// comes first, so a cross-site page learns nothing about keys.
func TestOriginBeforeAuth(t *testing.T) {
	r := start(t, Options{Keys: testKeys})
	resp, body := post(t, r.url+"/mcp", initializeBody, map[string]string{"Origin": "http://evil.example.com"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with bad origin and no key = %d %q, want 403", resp.StatusCode, body)
	}
}

func TestPreflight(t *testing.T) {
	r := start(t, Options{Keys: testKeys, AllowedOrigins: []string{"https://app.example.com"}})
	tests := []struct {
		origin     string
		wantStatus int
	}{
		{"https://app.example.com", http.StatusNoContent},
		{"http://evil.example.com", http.StatusForbidden},
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions, r.url+"/mcp", nil)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, body := do(t, req)
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("preflight from %s = %d %q, want %d", tt.origin, resp.StatusCode, body, tt.wantStatus)
		}
		if tt.wantStatus == http.StatusNoContent && resp.Header.Get("Access-Control-Allow-Headers") == "" {
			t.Errorf("preflight from %s: no Access-Control-Allow-Headers", tt.origin)
		}
	}
}

// The conformance suite's DNS-rebinding scenario: a request whose Host and
// Origin both name another site, arriving on a loopback listener.
func TestDNSRebinding(t *testing.T) {
	r := start(t, Options{})
	for _, tt := range []struct {
		host       string
		wantStatus int
	}{
		{"evil.example.com", http.StatusForbidden},
		{r.url[len("http://"):], http.StatusOK},
		{"localhost", http.StatusOK},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, r.url+"/mcp", strings.NewReader(initializeBody))
		req.Host = tt.host
		req.Header.Set("Origin", "http://"+tt.host)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if resp, body := do(t, req); resp.StatusCode != tt.wantStatus {
			t.Errorf("Host and Origin %s: %d %q, want %d", tt.host, resp.StatusCode, body, tt.wantStatus)
		}
	}
}

func TestNormaliseOrigin(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "https://app.example.com", want: "https://app.example.com"},
		{in: "HTTPS://App.Example.com:443/", want: "https://app.example.com"},
		{in: "http://example.com:80", want: "http://example.com"},
		{in: "http://example.com:8080", want: "http://example.com:8080"},
		{in: "http://[::1]:3000", want: "http://[::1]:3000"},
		{in: "example.com", wantErr: true},
		{in: "https://example.com/path", wantErr: true},
		{in: "ftp://example.com", wantErr: true},
		{in: "null", wantErr: true},
	}
	for _, tt := range tests {
		got, err := normaliseOrigin(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("normaliseOrigin(%q) = %q, %v, want %q (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := New(Options{Server: newMCPServer(newTools()), AllowedOrigins: []string{"*"}}); err == nil {
		t.Error(`New with allowed origin "*" = nil error, want one`)
	}
}
