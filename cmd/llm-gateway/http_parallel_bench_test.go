package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// httpBenchSessions is issue 19's load level: 64 Streamable HTTP sessions
// calling at once.
const httpBenchSessions = 64

// benchHTTPSessions serves h on loopback, opens httpBenchSessions MCP
// sessions with a bearer key and calls the tool in params from all of them
// at once, checking each answer with ok. Client and server share the
// process, so CPU per op counts both; compare rows, not absolute values.
func benchHTTPSessions(b *testing.B, h http.Handler, params string, ok func([]byte) bool) {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: httpBenchSessions, MaxConnsPerHost: httpBenchSessions}
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	url := srv.URL + "/mcp"
	post := func(session, body string) (string, []byte) {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
		if err != nil {
			b.Error(err) // also called from RunParallel's goroutines: no Fatal
			return "", nil
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+benchHTTPKey)
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Error(err)
			return "", nil
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			b.Errorf("%s: %d %s", body, resp.StatusCode, out)
		}
		return resp.Header.Get("Mcp-Session-Id"), out
	}
	sessions := make(chan string, httpBenchSessions)
	for range httpBenchSessions {
		id, _ := post("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
		if id == "" {
			b.Fatal("no Mcp-Session-Id")
		}
		post(id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		if _, out := post(id, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":`+params+`}`); !bytes.Contains(out, []byte(`"content"`)) {
			b.Fatalf("first call: %s", out)
		}
		sessions <- id
	}
	b.ReportAllocs()
	b.SetParallelism((httpBenchSessions + 1) / 2) // 64 callers on 2 cores; more cores, more callers
	var next atomic.Int64
	next.Store(1)
	cpu0 := processCPU()
	b.ResetTimer()
	defer func() { b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op") }()
	b.RunParallel(func(pb *testing.PB) {
		id := <-sessions
		for pb.Next() {
			_, out := post(id, `{"jsonrpc":"2.0","id":`+strconv.FormatInt(next.Add(1), 10)+`,"method":"tools/call","params":`+params+`}`)
			if !ok(out) {
				b.Errorf("answer: %s", out)
				return
			}
		}
	})
}

const benchHTTPKey = "bench-http-key-0123456789"

// benchHTTPHandler is the gateway's HTTP stack as the bench wires it,
// over a gateway with its ledger in store.
func benchHTTPHandler(b *testing.B, store string) http.Handler {
	a := benchApp(b, store)
	env := map[string]string{"API_KEYS": "bench:" + benchHTTPKey, "MAX_SESSIONS": "10000", "MAX_SESSIONS_PER_KEY": "10000",
		"MAX_CONCURRENT_CALLS": "10000", "MAX_CONCURRENT_CALLS_PER_KEY": "10000", "HOME": b.TempDir()}
	h, err := benchWiring().HTTPHandler(a.mcp, nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

const benchHitParams = `{"name":"generate","arguments":{"model":"nova-lite","max_tokens":200,"messages":[{"role":"user","content":"What is the capital of France?"}]}}`

func benchHTTPHit(b *testing.B, store string) {
	benchHTTPSessions(b, benchHTTPHandler(b, store), benchHitParams, func(out []byte) bool {
		return bytes.Contains(out, []byte(`\"cached\":true`)) || bytes.Contains(out, []byte(`"cached":true`))
	})
}

// BenchmarkHTTPHit64Memory and BenchmarkHTTPHit64SQLite are cache hits at
// 64 Streamable HTTP sessions through the gateway's HTTP stack; compare
// with BenchmarkHTTPNoop64, the SDK's own handler and a no-op tool.
func BenchmarkHTTPHit64Memory(b *testing.B) { benchHTTPHit(b, "memory:") }
func BenchmarkHTTPHit64SQLite(b *testing.B) { benchHTTPHit(b, "") }

func BenchmarkHTTPNoop64(b *testing.B) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "noop", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "noop", InputSchema: map[string]any{"type": "object"}}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	benchHTTPSessions(b, h, `{"name":"noop","arguments":{}}`, func(out []byte) bool { return bytes.Contains(out, []byte(`"ok"`)) })
}

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
