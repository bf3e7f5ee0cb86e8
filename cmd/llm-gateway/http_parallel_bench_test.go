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

// benchHTTPSessions serves h on loopback, opens n MCP sessions with a
// bearer key and calls the tool in params(i) from all of them at once
// (one call after another when n is 1; i counts the calls from 1),
// checking each answer with ok. Client
// and server share the process, so CPU per op counts both; compare rows,
// not absolute values.
func benchHTTPSessions(b *testing.B, h http.Handler, n int, params func(i int64) string, ok func([]byte) bool) {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
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
	sessions := make(chan string, n)
	for range n {
		id, _ := post("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
		if id == "" {
			b.Fatal("no Mcp-Session-Id")
		}
		post(id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		post(id, `{"jsonrpc":"2.0","id":"ping","method":"ping"}`) // after initialized is handled
		if _, out := post(id, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":`+params(0)+`}`); !bytes.Contains(out, []byte(`"content"`)) {
			b.Fatalf("first call: %s", out)
		}
		sessions <- id
	}
	b.ReportAllocs()
	var next atomic.Int64
	next.Store(1)
	b.ResetTimer()
	defer reportCPU(b)()
	if n == 1 {
		id := <-sessions
		for i := range int64(b.N) {
			if _, out := post(id, `{"jsonrpc":"2.0","id":`+strconv.FormatInt(i+2, 10)+`,"method":"tools/call","params":`+params(i+1)+`}`); !ok(out) {
				b.Fatalf("answer: %s", out)
			}
		}
		return
	}
	b.SetParallelism((n + 1) / 2) // 64 callers on 2 cores; more cores, more callers
	b.RunParallel(func(pb *testing.PB) {
		id := <-sessions
		for pb.Next() {
			i := next.Add(1)
			_, out := post(id, `{"jsonrpc":"2.0","id":`+strconv.FormatInt(i, 10)+`,"method":"tools/call","params":`+params(i)+`}`)
			if !ok(out) {
				b.Errorf("answer: %s", out)
				return
			}
		}
	})
}

const benchHTTPKey = "bench-http-key-0123456789"

// benchHTTPHandler is the gateway's HTTP stack as the bench wires it,
// over a gateway with its ledger in store, with its lane unless noLane.
func benchHTTPHandler(b *testing.B, store string, noLane bool) http.Handler {
	a := benchApp(b, store)
	env := map[string]string{"API_KEYS": "bench:" + benchHTTPKey, "MAX_SESSIONS": "10000", "MAX_SESSIONS_PER_KEY": "10000",
		"MAX_CONCURRENT_CALLS": "10000", "MAX_CONCURRENT_CALLS_PER_KEY": "10000", "HOME": b.TempDir()}
	lane := a.lane
	if noLane {
		lane = nil
	}
	h, err := benchWiring().HTTPHandler(a.mcp, lane, nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

const benchHitParams = `{"name":"generate","arguments":{"model":"nova-lite","max_tokens":200,"messages":[{"role":"user","content":"What is the capital of France?"}]}}`

func benchHTTPHit(b *testing.B, n int, store string, noLane bool) {
	benchHTTPSessions(b, benchHTTPHandler(b, store, noLane), n, func(int64) string { return benchHitParams }, func(out []byte) bool {
		return bytes.Contains(out, []byte(`\"cached\":true`)) || bytes.Contains(out, []byte(`"cached":true`))
	})
}

// BenchmarkHTTPHit64Memory and BenchmarkHTTPHit64SQLite are cache hits at
// 64 Streamable HTTP sessions through the gateway's HTTP stack; compare
// with BenchmarkHTTPNoop64, the SDK's own handler and a no-op tool. The
// ...SDK rows answer every call through the SDK, without the lane; the
// ...1 rows are one session calling one call after another.
func BenchmarkHTTPHit64Memory(b *testing.B)    { benchHTTPHit(b, httpBenchSessions, "memory:", false) }
func BenchmarkHTTPHit64MemorySDK(b *testing.B) { benchHTTPHit(b, httpBenchSessions, "memory:", true) }
func BenchmarkHTTPHit64SQLite(b *testing.B)    { benchHTTPHit(b, httpBenchSessions, "", false) }
func BenchmarkHTTPHit1Memory(b *testing.B)     { benchHTTPHit(b, 1, "memory:", false) }
func BenchmarkHTTPHit1MemorySDK(b *testing.B)  { benchHTTPHit(b, 1, "memory:", true) }

// benchHTTPMiss asks a new question on every call: a miss of the built-in
// simulator (in this process too) through the gateway's HTTP stack.
func benchHTTPMiss(b *testing.B, n int, store string, noLane bool) {
	benchHTTPSessions(b, benchHTTPHandler(b, store, noLane), n, func(i int64) string {
		return `{"name":"generate","arguments":{"model":"nova-lite","max_tokens":200,"messages":[{"role":"user","content":` +
			strconv.Quote(missPrompt(int(i))) + `}]}}`
	}, func(out []byte) bool {
		return bytes.Contains(out, []byte(`\"cached\":false`)) || bytes.Contains(out, []byte(`"cached":false`))
	})
}

// BenchmarkHTTPMiss64Memory and BenchmarkHTTPMiss1Memory are misses over
// Streamable HTTP (generate, a new question each call), at 64 sessions and
// one; compare with BenchmarkHTTPNoop64 (issue 19: CPU per miss at most
// 1.5× the floor's per call) and with BenchmarkConverseDirect.
func BenchmarkHTTPMiss64Memory(b *testing.B) { benchHTTPMiss(b, httpBenchSessions, "memory:", false) }
func BenchmarkHTTPMiss64SQLite(b *testing.B) { benchHTTPMiss(b, httpBenchSessions, "", false) }
func BenchmarkHTTPMiss1Memory(b *testing.B)  { benchHTTPMiss(b, 1, "memory:", false) }

func BenchmarkHTTPNoop64(b *testing.B) { benchHTTPNoop(b, httpBenchSessions) }
func BenchmarkHTTPNoop1(b *testing.B)  { benchHTTPNoop(b, 1) }

func benchHTTPNoop(b *testing.B, n int) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "noop", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "noop", InputSchema: map[string]any{"type": "object"}}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	benchHTTPSessions(b, h, n, func(int64) string { return `{"name":"noop","arguments":{}}` }, func(out []byte) bool { return bytes.Contains(out, []byte(`"ok"`)) })
}

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
