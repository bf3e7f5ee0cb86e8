package httpserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	mcpgoclient "github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// A client that meets the 401 and goes looking for OAuth, as Claude Code
// and the Inspector do, is led through the discovery documents to dynamic
// registration, whose RFC 7591 error says that a static key is needed and
// how to send it. mcp-go's OAuth client walks the same path here.
func TestOAuthDiscoveryEndsInTheKeyHelp(t *testing.T) {
	r := start(t, Options{Keys: testKeys})
	c, err := mcpgoclient.NewOAuthStreamableHttpClient(r.url+"/mcp", mcpgoclient.OAuthConfig{
		RedirectURI: "http://127.0.0.1:1/callback", PKCEEnabled: true,
		TokenStore: mcpgoclient.NewMemoryTokenStore(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err = c.Initialize(t.Context(), mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{ClientInfo: mcpgo.Implementation{Name: "oauth-probe"}}})
	if !mcpgoclient.IsOAuthAuthorizationRequiredError(err) {
		t.Fatalf("initialize without a key = %v; want the client to ask for OAuth", err)
	}
	handler := mcpgoclient.GetOAuthHandler(err)
	meta, err := handler.GetServerMetadata(t.Context())
	if err != nil {
		t.Fatalf("authorization server discovery: %v", err)
	}
	if meta.RegistrationEndpoint != r.url+"/register" {
		t.Errorf("registration_endpoint = %q", meta.RegistrationEndpoint)
	}
	err = handler.RegisterClient(t.Context(), "oauth-probe")
	if err == nil {
		t.Fatal("dynamic registration succeeded")
	}
	for _, want := range []string{"invalid_client_metadata", "static API key", "Authorization: Bearer <key>"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("registration error %q does not say %q", err, want)
		}
	}
}

func TestOAuthPaths(t *testing.T) {
	r := start(t, Options{Keys: testKeys})
	for _, tt := range []struct {
		method, path string
		status       int
		field, want  string // a JSON field of the answer and a part of it
	}{
		{"GET", "/.well-known/oauth-protected-resource/mcp", 200, "resource", r.url + "/mcp"},
		{"GET", "/.well-known/oauth-protected-resource", 200, "bearer_methods_supported", "header"},
		{"GET", "/.well-known/oauth-authorization-server", 200, "registration_endpoint", r.url + "/register"},
		{"GET", "/.well-known/openid-configuration", 200, "token_endpoint", r.url + "/token"},
		{"POST", "/register", 400, "error_description", "static API key"},
		{"POST", "/token", 400, "error", "unsupported_grant_type"},
	} {
		req, _ := http.NewRequest(tt.method, r.url+tt.path, strings.NewReader(`{}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		derr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		got, _ := json.Marshal(body[tt.field])
		if resp.StatusCode != tt.status || derr != nil || !strings.Contains(string(got), tt.want) {
			t.Errorf("%s %s = %d %v (%v); want %d with %s containing %q", tt.method, tt.path, resp.StatusCode, body, derr, tt.status, tt.field, tt.want)
		}
	}

	// Without keys there is nothing to discover.
	open := start(t, Options{})
	resp, err := http.Get(open.url + "/.well-known/oauth-protected-resource")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("metadata without keys = %d, want 404", resp.StatusCode)
	}
}
