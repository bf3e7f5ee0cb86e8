package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
)

// postJSON posts body to the gateway with key and returns the response with
// its body read.
func postJSON(t *testing.T, url, key, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestAPIFrontsShareTheCoreWithMCP makes one request over MCP and the
// same one over the OpenAI- and Anthropic-compatible APIs: the later ones
// are answered from the same cache entry, and the agent's key works on all.
func TestAPIFrontsShareTheCoreWithMCP(t *testing.T) {
	sim, simURL := startSim(t)
	const key = "openai-front-key-0123456789"
	g := startHTTPGateway(t, gatewayEnv(simURL, "API_KEYS=front-agent:"+key))

	s := httpSession(t, g, key, false)
	var mcpOut struct{ Content string }
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("Same question, two doors"), "max_tokens": 64}, &mcpOut)
	if sim.Calls() != 1 {
		t.Fatalf("upstream calls after MCP = %d, want 1", sim.Calls())
	}

	resp, body := postJSON(t, g.url+"/v1/chat/completions", key,
		`{"model":"nova-lite","max_tokens":64,"messages":[{"role":"user","content":"Same question, two doors"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/chat/completions = %d %s", resp.StatusCode, body)
	}
	var out struct {
		Choices []struct {
			Message struct{ Content string }
		}
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Choices) != 1 {
		t.Fatalf("completion %s: %v", body, err)
	}
	if out.Choices[0].Message.Content != mcpOut.Content {
		t.Errorf("OpenAI answer = %q, want the MCP one %q", out.Choices[0].Message.Content, mcpOut.Content)
	}
	if got := resp.Header.Get("X-LLM-Gateway-Cache"); got != "hit" {
		t.Errorf("X-LLM-Gateway-Cache = %q, want hit (the MCP call's cache entry)", got)
	}
	if sim.Calls() != 1 {
		t.Errorf("upstream calls = %d, want 1: the OpenAI request should reuse the MCP answer", sim.Calls())
	}

	// And through the Anthropic-compatible API, with its own key header.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/v1/messages",
		strings.NewReader(`{"model":"nova-lite","max_tokens":64,"messages":[{"role":"user","content":"Same question, two doors"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", key)
	req.Header.Set("anthropic-version", "2023-06-01")
	aresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	abody, _ := io.ReadAll(aresp.Body)
	aresp.Body.Close()
	if aresp.StatusCode != http.StatusOK || aresp.Header.Get("X-LLM-Gateway-Cache") != "hit" {
		t.Errorf("POST /v1/messages = %d, cache %q: %s; want 200 and a hit", aresp.StatusCode, aresp.Header.Get("X-LLM-Gateway-Cache"), abody)
	}
	if !strings.Contains(string(abody), mcpOut.Content) {
		t.Errorf("Anthropic answer %s does not hold the MCP one %q", abody, mcpOut.Content)
	}
	if sim.Calls() != 1 {
		t.Errorf("upstream calls = %d, want 1: the Anthropic request should reuse the MCP answer", sim.Calls())
	}

	// get_stats counts each call under the API it came through.
	var stats struct {
		Metrics struct {
			RequestsByFrontend map[string]int64 `json:"requests_by_frontend"`
		}
	}
	call(t, s, "get_stats", map[string]any{}, &stats)
	if want := map[string]int64{"mcp": 1, "openai": 1, "anthropic": 1}; !maps.Equal(stats.Metrics.RequestsByFrontend, want) {
		t.Errorf("requests_by_frontend = %v, want %v", stats.Metrics.RequestsByFrontend, want)
	}

	resp, body = postJSON(t, g.url+"/v1/embeddings", key, `{}`)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"message":"POST /v1/embeddings is not served by this gateway`) {
		t.Errorf("POST /v1/embeddings = %d %s, want 404 in OpenAI's error shape", resp.StatusCode, body)
	}

	resp, body = postJSON(t, g.url+"/v1/chat/completions", "wrong-key", `{}`)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"type":"authentication_error"`) {
		t.Errorf("wrong key = %d %s, want 401 in OpenAI's error shape", resp.StatusCode, body)
	}
}
