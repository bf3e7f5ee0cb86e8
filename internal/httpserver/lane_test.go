package httpserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
	"github.com/llm-gateway/llm-gateway/internal/testport"
)

// generator is a mcpserver.Generator from a function.
type generator func(ctx context.Context, r *gateway.Request) (*gateway.Response, error)

func (g generator) Generate(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
	return g(ctx, r)
}

// laneServer is the gateway's MCP server over gen, with its lane, and a
// receiving middleware that counts tools/call and the agents it sees.
type laneServer struct {
	srv   *mcp.Server
	lane  *mcpserver.Lane
	calls atomic.Int64
}

func newLaneServer(gen generator) *laneServer {
	ls := &laneServer{}
	ls.srv, ls.lane = mcpserver.NewWithLane(mcpserver.Options{
		Generator: gen,
		Models: func() []mcpserver.ModelInfo {
			return []mcpserver.ModelInfo{
				{Name: "nova-lite", Provider: "amazon", Status: "active", Callable: true},
				{Name: "old-model", Provider: "amazon", Status: "legacy", EndOfLife: "2030-01-01", Replacement: "nova-lite", Callable: true},
			}
		},
		Stats:     func(context.Context, mcpserver.Caller) any { return map[string]any{"total_requests": 0} },
		Transport: "http",
	})
	ls.lane.AddReceivingMiddleware(ls.srv, func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "tools/call" {
				ls.calls.Add(1)
			}
			return next(ctx, method, req)
		}
	})
	return ls
}

// answer is what a test compares of an HTTP answer: all but the Date.
type answer struct {
	Status           int
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Body             string
}

func (a answer) String() string {
	return fmt.Sprintf("%d %v len=%d te=%v\n%s", a.Status, a.Header, a.ContentLength, a.TransferEncoding, a.Body)
}

// send POSTs body to /mcp with an MCP client's headers (changed by edit),
// and returns the answer with the session ID replaced by SESSION.
func send(t *testing.T, c *http.Client, url, session, body string, edit func(h http.Header)) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/mcp", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	if edit != nil {
		edit(req.Header)
	}
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", body, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read: %v", body, err)
	}
	resp.Header.Del("Date")
	id := resp.Header.Get("Mcp-Session-Id")
	if id != "" {
		resp.Header.Set("Mcp-Session-Id", "SESSION")
	}
	a := answer{Status: resp.StatusCode, Header: resp.Header, ContentLength: resp.ContentLength, TransferEncoding: resp.TransferEncoding, Body: string(b)}
	if id != "" {
		a.Body = strings.ReplaceAll(a.Body, id, "SESSION")
	}
	return a
}

// openSession initializes a session with key and returns its ID.
func openSession(t *testing.T, url, key string) string {
	t.Helper()
	c := httpClient(t, key)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/mcp", strings.NewReader(initializeBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	id := resp.Header.Get("Mcp-Session-Id")
	if id == "" {
		t.Fatalf("initialize: %d, no Mcp-Session-Id", resp.StatusCode)
	}
	if a := send(t, c, url, id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil); a.Status != http.StatusAccepted {
		t.Fatalf("notifications/initialized: %v", a)
	}
	// The SDK handles a notification after answering its POST, but before
	// a later call: once ping is answered, the session is the lane's.
	if a := send(t, c, url, id, `{"jsonrpc":"2.0","id":"ping","method":"ping"}`, nil); a.Status != http.StatusOK {
		t.Fatalf("ping: %v", a)
	}
	return id
}

// laneGen answers as TestLaneAnswersAsTheSDK's generator in mcpserver:
// plain answers, refusals, a fallback, and text that needs escaping.
func laneGen(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
	if r.OnDelta != nil {
		r.OnDelta("piece one ")
		r.OnDelta("piece two")
	}
	if len(r.Messages) == 0 {
		return nil, gateway.Invalid("messages", "must not be empty")
	}
	switch r.Messages[0].Content {
	case "refuse":
		return nil, gateway.Invalid("max_tokens", "must be at most %d", 10)
	case "fallback":
		return &gateway.Response{Content: "answered", Model: "nova-lite", Attempts: []gateway.Attempt{{Model: "old-model", Kind: gateway.KindThrottled}}}, nil
	case "who":
		return &gateway.Response{Content: r.Agent, Model: r.Model}, nil
	}
	return &gateway.Response{Content: "<b>" + r.Messages[0].Content + "</b> & \u2028 \"q\" \x01 é", Model: r.Model,
		Usage: gateway.ResponseUsage{InputTokens: 3, OutputTokens: 5}}, nil
}

// TestLaneAnswersAsTheSDK sends the same session over Streamable HTTP
// twice, once answered by the SDK alone and once with the lane, and wants
// the same answers back, byte for byte (headers and framing included):
// results, tool errors, log notifications on the call's stream, and every
// refusal the SDK makes of a POST.
func TestLaneAnswersAsTheSDK(t *testing.T) {
	const call = `,"method":"tools/call","params":{"name":"generate","arguments":`
	const hello = `{"jsonrpc":"2.0","id":30` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"hello"}]}}}`
	type step struct {
		key  string // the API key, if not agent-a's
		send string
		edit func(http.Header)
	}
	set := func(k, v string) func(http.Header) { return func(h http.Header) { h.Set(k, v) } }
	session := []step{
		{send: `{"jsonrpc":"2.0","id":3` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"before any level"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":4` + call + `{"model":"old-model","messages":[{"role":"user","content":"no notice below the level"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":5,"method":"logging/setLevel","params":{"level":"info"}}`},
		{send: `{"jsonrpc":"2.0","id":6` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"hello"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":"s-7"` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"hello"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":8` + call + `{"model":"nova-lite","temprature":1,"messages":[{"role":"user","content":"hi"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":9` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"refuse"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":10` + call + `{"model":"old-model","messages":[{"role":"user","content":"hi"}]}}}`},       // lifecycle notice
		{send: `{"jsonrpc":"2.0","id":11` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"fallback"}]}}}`}, // fallback notice
		{send: `{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"_meta":{"progressToken":"p12"},"name":"generate","arguments":{"model":"nova-lite","stream":true,"messages":[{"role":"user","content":"hi"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"generate","arguments":"not an object"}}`},
		{send: `{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"get_stats","arguments":{}}}`},
		{send: `{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"generate"}}`},
		{send: `{"jsonrpc":"2.0","id":16` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"who"}]}}}`},
		{send: " \n\t" + `{"jsonrpc":"2.0","id":17` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"who"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":18,"method":"logging/setLevel","params":{"level":"error"}}`},
		{send: `{"jsonrpc":"2.0","id":19` + call + `{"model":"old-model","messages":[{"role":"user","content":"below error"}]}}}`},
		// What the SDK refuses, the lane leaves to it.
		{send: hello, key: keyB},                                       // another agent's session: 403
		{send: hello, edit: set("Accept", "application/json")},         // 400
		{send: hello, edit: set("Accept", "text/event-stream")},        // 400
		{send: hello, edit: set("Content-Type", "text/plain")},         // 415
		{send: hello, edit: set("Last-Event-ID", "x_1")},               // 400
		{send: hello, edit: set("Mcp-Protocol-Version", "1999-01-01")}, // 400
		{send: hello, edit: set("Mcp-Protocol-Version", "2026-07-28")}, // the sessionless revision's error
		{send: hello, edit: set("Host", "evil.example")},               // DNS rebinding: 403
		{send: `[` + hello + `]`},                                      // no batches since 2025-06-18: 400
		{send: `{"jsonrpc":"1.0","id":31` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"hi"}]}}}`},
		{send: `{"jsonrpc":"2.0","id":32,"method":"tools/call"}`}, // no params: 400
		{send: `{"jsonrpc":"2.0","id":{"x":1}` + call + `{}}}`},   // an id of the wrong type
		{send: `{"jsonrpc":"2.0","id":33,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2025-06-18"},"name":"generate","arguments":{}}}`},
		// Accepted in other forms.
		{send: hello, edit: set("Accept", "*/*")},
		{send: hello, edit: set("Accept", "text/*;q=0.5, application/*")},
		{send: hello, edit: set("Content-Type", "application/json; charset=utf-8")},
		{send: hello, edit: func(h http.Header) { h.Del("Mcp-Protocol-Version") }},
		{send: hello, edit: set("Host", "localhost")},
	}
	run := func(lane bool) ([]string, int64) {
		ls := newLaneServer(laneGen)
		opts := Options{Server: ls.srv, Keys: testKeys}
		if lane {
			opts.Lane = ls.lane
		}
		s, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		url, _, _ := serveInBackground(t, s)
		id := openSession(t, url, keyA)
		var got []string
		for _, st := range session {
			key := keyA
			if st.key != "" {
				key = st.key
			}
			got = append(got, send(t, httpClient(t, key), url, id, st.send, st.edit).String())
		}
		if ls.calls.Load() == 0 {
			t.Error("the receiving middleware saw no tools/call")
		}
		return got, s.laneAnswers.Load()
	}
	sdk, sdkTaken := run(false)
	lane, taken := run(true)
	if diff := cmp.Diff(sdk, lane); diff != "" {
		t.Errorf("answers through the lane differ from the SDK's (-sdk +lane):\n%s", diff)
	}
	// Every plain generate call of the session: 3, 4, 6, s-7, 8, 9, 10,
	// 11, 13, 15, 16, 17, 19 and the five accepted variants of 30.
	if sdkTaken != 0 || taken != 18 {
		t.Errorf("the lane answered %d POSTs (%d without it); want 18", taken, sdkTaken)
	}
	if n := strings.Count(strings.Join(sdk, ""), "notifications/message"); n != 2 {
		t.Errorf("the session had %d log notifications; want 2 (lifecycle and fallback, at info)", n)
	}
}

// TestLaneCancel: a notifications/cancelled POST, which the SDK handles,
// cancels the lane's call, whose POST then ends with no answer (the MCP
// specification asks for none; the SDK itself would answer with the tool
// error "[canceled] context canceled").
func TestLaneCancel(t *testing.T) {
	started, stopped := make(chan struct{}, 1), make(chan struct{}, 1)
	ls := newLaneServer(func(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
		if r.Messages[0].Content == "block" {
			started <- struct{}{}
			<-ctx.Done()
			stopped <- struct{}{}
			return nil, ctx.Err()
		}
		return laneGen(ctx, r)
	})
	s, err := New(Options{Server: ls.srv, Lane: ls.lane, Keys: testKeys})
	if err != nil {
		t.Fatal(err)
	}
	url, _, _ := serveInBackground(t, s)
	id := openSession(t, url, keyA)
	c := httpClient(t, keyA)
	done := make(chan answer, 1)
	go func() {
		done <- send(t, c, url, id, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"block"}]}}}`, nil)
	}()
	<-started
	if a := send(t, c, url, id, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"user"}}`, nil); a.Status != http.StatusAccepted {
		t.Fatalf("notifications/cancelled: %v", a)
	}
	<-stopped
	if a := <-done; a.Status != http.StatusOK || a.Body != "" || a.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("the cancelled call's POST ended with %v; want 200, an empty event stream", a)
	}
	after := send(t, c, url, id, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"after"}]}}}`, nil)
	if !strings.Contains(after.Body, `"id":4,"result"`) {
		t.Errorf("the call after the cancel: %v", after)
	}
	if n := s.laneAnswers.Load(); n != 2 {
		t.Errorf("the lane took %d calls; want 2", n)
	}
}

// TestLaneKeepsSessionsAlive: a session whose calls only the lane answers
// is as busy as one whose calls the SDK answers, and is closed once it has
// been idle for SessionIdleTimeout, as the SDK would close it.
func TestLaneKeepsSessionsAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const idle = time.Minute
		ls := newLaneServer(laneGen)
		s, err := New(Options{Server: ls.srv, Lane: ls.lane, SessionIdleTimeout: idle, NoAuthBackoff: true})
		if err != nil {
			t.Fatal(err)
		}
		post := func(session, body string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			if session != "" {
				r.Header.Set("Mcp-Session-Id", session)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			return w
		}
		id := post("", initializeBody).Header().Get("Mcp-Session-Id")
		post(id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		post(id, `{"jsonrpc":"2.0","id":"ping","method":"ping"}`)
		const generate = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"hi"}]}}}`
		for i := range 5 {
			time.Sleep(idle - time.Second)
			if w := post(id, generate); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"result"`) {
				t.Fatalf("call %d, %s after the last: %d %s", i, idle-time.Second, w.Code, w.Body)
			}
		}
		if n := s.laneAnswers.Load(); n != 5 {
			t.Fatalf("the lane answered %d calls; want 5", n)
		}
		time.Sleep(idle)
		synctest.Wait() // the session closes
		if w := post(id, generate); w.Code != http.StatusNotFound {
			t.Errorf("a call %s after the last: %d %s; want 404, the session closed", idle, w.Code, w.Body)
		}
		for ss := range ls.srv.Sessions() {
			t.Errorf("session %s open after the idle timeout", ss.ID())
			ss.Close()
		}
	})
}

// TestLaneShutdown: Serve's shutdown waits for the lane's calls as for the
// SDK's, and cuts them with the same error after the grace period.
func TestLaneShutdown(t *testing.T) {
	for _, tt := range []struct {
		name  string
		grace time.Duration
		cut   bool // the call outlives the grace period
	}{
		{"drained", time.Hour, false},
		// The grace period is short so the test is quick; nothing depends
		// on how long it actually is.
		{"cut", time.Millisecond, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			started, release := make(chan struct{}, 1), make(chan struct{})
			ls := newLaneServer(func(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
				started <- struct{}{}
				select {
				case <-release:
					return &gateway.Response{Content: "done", Model: r.Model}, nil
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			})
			shuttingDown := newLogSignal("shutting down")
			s, err := New(Options{Server: ls.srv, Lane: ls.lane, ShutdownGrace: tt.grace, Logger: slog.New(shuttingDown)})
			if err != nil {
				t.Fatal(err)
			}
			url, stop, done := serveInBackground(t, s)
			id := openSession(t, url, "")
			result := make(chan answer, 1)
			go func() {
				result <- send(t, httpClient(t, ""), url, id, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"hi"}]}}}`, nil)
			}()
			<-started
			stop()
			<-shuttingDown.ch
			if !tt.cut {
				close(release)
			}
			a := <-result
			want := `\"content\":\"done\"`
			if tt.cut {
				want = fmt.Sprintf(`"id":2,"error":{"code":%d,"message":"the gateway is shutting down`, codeShuttingDown)
			}
			if !strings.Contains(a.Body, want) {
				t.Errorf("the lane's call in flight at shutdown was answered %v; want %s", a, want)
			}
			if err := <-done; err != nil {
				t.Errorf("Serve = %v, want nil", err)
			}
			if n := s.laneAnswers.Load(); n != 1 {
				t.Errorf("the lane answered %d calls; want 1", n)
			}
		})
	}
}

// countingListener counts the writes made on the connections it accepts.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return testport.CountingConn{Conn: c, Writes: l.writes}, nil
}

// TestLaneAnswerOneWrite: the lane's answer to a call leaves in one write,
// its event and the end of the chunked body together (flushed, the event
// went alone and the body's end after it).
func TestLaneAnswerOneWrite(t *testing.T) {
	ls := newLaneServer(laneGen)
	s, err := New(Options{Server: ls.srv, Keys: testKeys, Lane: ls.lane})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = s.Serve(ctx, countingListener{Listener: ln, writes: &writes}) }()
	url := "http://" + ln.Addr().String()
	id := openSession(t, url, keyA)
	c := httpClient(t, keyA)
	const calls = 3
	before := writes.Load()
	for i := range calls {
		a := send(t, c, url, id, `{"jsonrpc":"2.0","id":`+strconv.Itoa(40+i)+`,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"hi"}]}}}`, nil)
		if a.Status != http.StatusOK || !strings.Contains(a.Body, `"result"`) || len(a.TransferEncoding) == 0 {
			t.Fatalf("call %d: %v", i, a)
		}
	}
	if got := writes.Load() - before; got != calls {
		t.Errorf("%d calls were answered in %d writes, want one each", calls, got)
	}
	if s.laneAnswers.Load() != calls {
		t.Errorf("the lane answered %d calls, want %d", s.laneAnswers.Load(), calls)
	}
}
