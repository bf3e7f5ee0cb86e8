package httpserver

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

func TestBodyLimit(t *testing.T) {
	const limit = 2048
	r := start(t, Options{Keys: testKeys, MaxBodyBytes: limit})
	// A JSON-RPC request padded to n bytes with a long clientInfo name.
	bodyOf := func(n int) string {
		head, tail := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"version":"1","name":"`, `"}}}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	tests := []struct {
		name       string
		size       int
		chunked    bool // no Content-Length: the limit must hold while reading
		path       string
		wantStatus int
	}{
		{"at limit", limit, false, "/mcp", http.StatusOK},
		{"over limit", limit + 1, false, "/mcp", http.StatusRequestEntityTooLarge},
		{"over limit chunked", 4 * limit, true, "/mcp", http.StatusRequestEntityTooLarge},
		{"over limit sse", limit + 1, false, "/sse?sessionid=x", http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(bodyOf(tt.size))
			if tt.chunked {
				body = io.MultiReader(body) // hides the length from the client
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, r.url+tt.path, body)
			req.Header.Set("Authorization", "Bearer "+keyA)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, got := do(t, req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("POST %d bytes = %d %q, want %d", tt.size, resp.StatusCode, got, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusRequestEntityTooLarge && !strings.Contains(got, "limit is 2 KiB") {
				t.Errorf("413 body = %q, want it to state the limit", got)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{4 << 20: "4 MiB", 2048: "2 KiB", 1500: "1500 bytes"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

var _ httpapi.Held = (*heldBody)(nil)
