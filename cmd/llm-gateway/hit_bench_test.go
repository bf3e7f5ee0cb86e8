package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// benchApp wires a gateway as serve does, on the built-in simulator, with
// its ledger in store ("memory:", or "" for the default SQLite file).
func benchApp(b *testing.B, store string) *app {
	b.Helper()
	env := map[string]string{"HOME": b.TempDir(), "BEDROCK_SIMULATOR": "true", "AWS_REGION": "us-east-1", "STORE_URL": store}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if cfg.StoreURL == "" {
		cfg.StoreURL = defaultStoreURL(func(k string) string { return env[k] })
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, wait, err := build(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); wait() })
	return a
}

// benchHitApp is benchApp with one answer cached, and the request that
// hits it.
func benchHitApp(b *testing.B, store string) (*app, func() *gateway.Request) {
	a := benchApp(b, store)
	req := func() *gateway.Request {
		return &gateway.Request{Model: "nova-lite", MaxTokens: 200, Agent: "bench",
			Messages: []gateway.Message{{Role: gateway.RoleUser, Content: "What is the capital of France?"}}}
	}
	if _, err := a.gateway.Generate(b.Context(), req()); err != nil {
		b.Fatal(err)
	}
	return a, req
}

// benchGenerateHit is the core's cache hit in process: no MCP, no transport.
func benchGenerateHit(b *testing.B, store string) {
	a, req := benchHitApp(b, store)
	b.ReportAllocs()
	for b.Loop() {
		if r, err := a.gateway.Generate(b.Context(), req()); err != nil || !r.Cached {
			b.Fatalf("Generate = %v, %v; want a cached answer", r, err)
		}
	}
}

func BenchmarkGenerateHitMemory(b *testing.B) { benchGenerateHit(b, "memory:") }

// BenchmarkGenerateMissMemory is a miss in process: the core, the AWS SDK
// and the built-in simulator (in this process too), with the ledger in
// memory.
func BenchmarkGenerateMissMemory(b *testing.B) {
	a := benchApp(b, "memory:")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r, err := a.gateway.Generate(b.Context(), &gateway.Request{Model: "nova-lite", MaxTokens: 200, Agent: "bench",
			Messages: []gateway.Message{{Role: gateway.RoleUser, Content: "question " + strconv.Itoa(i) + ": name a river of Europe"}}})
		if err != nil || r.Cached {
			b.Fatalf("Generate = %v, %v; want a fresh answer", r, err)
		}
	}
}
func BenchmarkGenerateHitSQLite(b *testing.B) { benchGenerateHit(b, "") }

// benchStdioHit is a generate cache hit as an agent makes it over stdio:
// the gateway's stdio transport, the MCP SDK, mcpserver and the core, in
// one process (the client's side of the pipe is counted too, and is small).
func benchStdioHit(b *testing.B, store string) {
	a := benchApp(b, store)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	cfg := &config.Config{MaxConcurrent: 10000}
	served := make(chan error, 1)
	go func() { served <- serveStdio(context.Background(), cfg, slog.New(slog.DiscardHandler), a, inR, outW) }()
	b.Cleanup(func() { inW.Close(); _ = <-served; outR.Close() })
	out := bufio.NewReaderSize(outR, 64<<10)
	call := func(msg string) string {
		if _, err := io.WriteString(inW, msg+"\n"); err != nil {
			b.Fatal(err)
		}
		line, err := out.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		return string(line)
	}
	call(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	_, _ = io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	const params = `,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","max_tokens":200,"messages":[{"role":"user","content":"What is the capital of France?"}]}}}`
	if got := call(`{"jsonrpc":"2.0","id":1` + params); !strings.Contains(got, `"content"`) {
		b.Fatalf("first call: %s", got)
	}
	b.ReportAllocs()
	i := 1
	for b.Loop() {
		i++
		if got := call(`{"jsonrpc":"2.0","id":` + strconv.Itoa(i) + params); !strings.Contains(got, `\"cached\":true`) {
			b.Fatalf("call %d: %s", i, got)
		}
	}
}

func BenchmarkStdioHitMemory(b *testing.B) { benchStdioHit(b, "memory:") }
func BenchmarkStdioHitSQLite(b *testing.B) { benchStdioHit(b, "") }

// benchGenerateHitParallel is the core's cache hit from 64 callers at once
// (issue 19's load level): what a hit costs when calls contend for the
// cache, the ledger and the recorders.
func benchGenerateHitParallel(b *testing.B, store string) {
	a, req := benchHitApp(b, store)
	b.ReportAllocs()
	b.SetParallelism(32) // 64 callers on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r, err := a.gateway.Generate(context.Background(), req()); err != nil || !r.Cached {
				b.Errorf("Generate = %v, %v; want a cached answer", r, err)
				return
			}
		}
	})
}

func BenchmarkGenerateHitParallelMemory(b *testing.B) { benchGenerateHitParallel(b, "memory:") }
func BenchmarkGenerateHitParallelSQLite(b *testing.B) { benchGenerateHitParallel(b, "") }
