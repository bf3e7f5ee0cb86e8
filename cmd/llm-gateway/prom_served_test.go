package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Prometheus metrics are built and fed only where /metrics is served: a
// stdio gateway without METRICS_ADDR has nowhere to show them (get_stats
// keeps its own figures, as the stdio e2e tests check). Where they are
// served, a call shows on them.
func TestPrometheusOnlyWhereServed(t *testing.T) {
	for _, tt := range []struct {
		name     string
		env      map[string]string
		wantProm bool
	}{
		{"stdio", map[string]string{}, false},
		{"stdio with METRICS_ADDR", map[string]string{"METRICS_ADDR": "127.0.0.1:0"}, true},
		{"http", map[string]string{"MCP_TRANSPORT": "http", "MCP_ADDR": "127.0.0.1:0", "API_KEYS": "a:0123456789abcdef0123"}, true},
		{"metrics off", map[string]string{"MCP_TRANSPORT": "http", "MCP_ADDR": "127.0.0.1:0", "API_KEYS": "a:0123456789abcdef0123", "METRICS_ENABLED": "false"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HOME": t.TempDir(), "BEDROCK_SIMULATOR": "true", "AWS_REGION": "us-east-1", "STORE_URL": "memory:"}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := config.Load(nil, func(k string) string { return env[k] }, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			a, wait, err := build(ctx, cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer wait()
			defer cancel()
			if got := a.prom != nil; got != tt.wantProm {
				t.Fatalf("Prometheus recorder built: %v, want %v", got, tt.wantProm)
			}
			if _, err := a.gateway.Generate(t.Context(), &gateway.Request{Model: "nova-lite", MaxTokens: 50, Agent: "a",
				Messages: []gateway.Message{{Role: gateway.RoleUser, Content: "hello"}}}); err != nil {
				t.Fatal(err)
			}
			if a.prom != nil {
				rec := httptest.NewRecorder()
				a.prom.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
				if !strings.Contains(rec.Body.String(), `model="nova-lite"`) {
					t.Errorf("/metrics does not show the call:\n%.500s", rec.Body.String())
				}
			}
		})
	}
}
