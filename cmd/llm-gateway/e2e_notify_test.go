//lint:file-ignore SA1019 this test checks the deprecated MCP logging the server still sends.

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// logKinds collects the kinds of the gateway's MCP log notifications.
type logKinds chan string

func (k logKinds) options() *mcp.ClientOptions {
	return &mcp.ClientOptions{LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
		raw, _ := json.Marshal(r.Params.Data)
		var d struct{ Kind, Message string }
		_ = json.Unmarshal(raw, &d)
		k <- d.Kind + ": " + d.Message
	}}
}

// waitFor reads notifications until one of kind arrives. The timeout only
// ends a test that would otherwise hang.
func (k logKinds) waitFor(t *testing.T, kind string) string {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case m := <-k:
			if strings.HasPrefix(m, kind+": ") {
				return m
			}
		case <-timeout:
			t.Fatalf("no %s log notification", kind)
		}
	}
}

// TestLogNotificationsAndResources: over stdio, Streamable HTTP and SSE, a
// client that set a log level hears of retries, fallbacks and legacy
// models, and reads the catalog and its usage as resources.
func TestLogNotificationsAndResources(t *testing.T) {
	_, url := startSim(t)
	env := gatewayEnv(url, "BEDROCK_MAX_ATTEMPTS=2", "BEDROCK_MAX_BACKOFF=1ms")
	const key = "notify-key-0123456789"
	g := startHTTPGateway(t, append(env, "API_KEYS=agent:"+key))
	for _, transport := range []string{"stdio", "http", "sse"} {
		t.Run(transport, func(t *testing.T) {
			logs := make(logKinds, 64)
			var s *mcp.ClientSession
			switch transport {
			case "stdio":
				s, _ = connectWith(t, logs.options(), env)
			default:
				s = httpSessionWith(t, logs.options(), g, key, transport == "sse")
			}
			if err := s.SetLoggingLevel(t.Context(), &mcp.SetLoggingLevelParams{Level: "warning"}); err != nil {
				t.Fatal(err)
			}
			tag := " " + transport
			// Sessions of protocol 2025-11-25 and before keep the level set
			// above; in the sessionless revision (which the Go SDK
			// negotiates over stdio) each request carries its own.
			call := func(t *testing.T, s *mcp.ClientSession, tool string, args map[string]any, _ any) {
				t.Helper()
				res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: args,
					Meta: mcp.Meta{"io.modelcontextprotocol/logLevel": "warning"}})
				if err != nil || res.IsError {
					t.Fatalf("%s(%v) = %v, %v", tool, args, res, err)
				}
			}
			call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("retry me [sim:throttle=1]" + tag)}, nil)
			if m := logs.waitFor(t, "retry"); !strings.Contains(m, "attempt 2 of 2") {
				t.Errorf("retry notification = %q", m)
			}
			call(t, s, "generate", map[string]any{"model": "nova-pro", "messages": user("fall back [sim:throttle=2]" + tag), "fallback_models": []string{"nova-lite"}}, nil)
			if m := logs.waitFor(t, "fallback"); !strings.Contains(m, "nova-lite") || !strings.Contains(m, "nova-pro (throttled)") {
				t.Errorf("fallback notification = %q", m)
			}
			call(t, s, "generate", map[string]any{"model": "claude-sonnet-4-5", "messages": user("old model" + tag)}, nil)
			if m := logs.waitFor(t, "lifecycle"); !strings.Contains(m, "claude-sonnet-4-5 is a legacy model") {
				t.Errorf("lifecycle notification = %q", m)
			}

			list, err := s.ListResources(t.Context(), nil)
			if err != nil || len(list.Resources) != 2 {
				t.Fatalf("resources/list = %v, %v", list, err)
			}
			for uri, want := range map[string]string{"llm-gateway://models": `"nova-lite"`, "llm-gateway://usage": `"total_requests"`} {
				res, err := s.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: uri})
				if err != nil || len(res.Contents) != 1 || !strings.Contains(res.Contents[0].Text, want) {
					t.Errorf("resources/read %s = %v, %v; want JSON with %s", uri, res, err, want)
				}
			}
		})
	}
}
