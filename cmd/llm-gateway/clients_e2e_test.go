package main

import (
	"encoding/json"
	"strings"
	"testing"

	mcpgoclient "github.com/mark3labs/mcp-go/client"
	mcpgotransport "github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// TestGoClientsOverBothHTTPModes: the official Go SDK's client and mcp-go's
// (a different implementation that probes for newer protocol versions
// first) list the tools and generate over Streamable HTTP, stateful (the
// default) and stateless, and over SSE.
func TestGoClientsOverBothHTTPModes(t *testing.T) {
	_, url := startSim(t)
	const key = "clients-key-0123456789"
	for _, mode := range []struct {
		name string
		args []string
	}{{"stateful", nil}, {"stateless", []string{"--stateless"}}} {
		t.Run(mode.name, func(t *testing.T) {
			g := startHTTPGateway(t, gatewayEnv(url, "API_KEYS=agent:"+key), mode.args...)
			t.Run("official go-sdk", func(t *testing.T) {
				s := httpSession(t, g, key, false)
				tools, err := s.ListTools(t.Context(), nil)
				if err != nil || len(tools.Tools) < 3 {
					t.Fatalf("tools/list = %v, %v", tools, err)
				}
				var out generateResult
				call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("hi from go-sdk")}, &out)
				if !strings.Contains(out.Content, "hi from go-sdk") {
					t.Errorf("content = %q", out.Content)
				}
			})
			t.Run("mcp-go", func(t *testing.T) {
				c, err := mcpgoclient.NewStreamableHttpClient(g.url+"/mcp",
					mcpgotransport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + key}))
				if err != nil {
					t.Fatal(err)
				}
				mcpgoSession(t, c)
			})
		})
	}
	t.Run("sse/mcp-go", func(t *testing.T) {
		g := startHTTPGateway(t, gatewayEnv(url, "API_KEYS=agent:"+key))
		c, err := mcpgoclient.NewSSEMCPClient(g.url+"/sse", mcpgoclient.WithHeaders(map[string]string{"Authorization": "Bearer " + key}))
		if err != nil {
			t.Fatal(err)
		}
		mcpgoSession(t, c)
	})
}

// mcpgoSession initializes an mcp-go client with its defaults, lists the
// tools and generates.
func mcpgoSession(t *testing.T, c *mcpgoclient.Client) {
	t.Helper()
	t.Cleanup(func() { c.Close() })
	ctx := t.Context()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	init, err := c.Initialize(ctx, mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{
		ClientInfo: mcpgo.Implementation{Name: "mcp-go-e2e", Version: "1"},
	}})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if init.ServerInfo.Name != "llm-gateway" {
		t.Errorf("server name = %q", init.ServerInfo.Name)
	}
	tools, err := c.ListTools(ctx, mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list after initialize (protocol %s): %v", c.ProtocolVersion(), err)
	}
	if len(tools.Tools) < 3 {
		t.Errorf("tools/list gave %d tools", len(tools.Tools))
	}
	res, err := c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{
		Name:      "generate",
		Arguments: map[string]any{"model": "nova-lite", "messages": user("hi from mcp-go")},
	}})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if res.IsError {
		t.Fatalf("generate is an error: %v", res.Content)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var out generateResult
	if err := json.Unmarshal(raw, &out); err != nil || !strings.Contains(out.Content, "hi from mcp-go") {
		t.Errorf("generate = %s, %v", raw, err)
	}
}
