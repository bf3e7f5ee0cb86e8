package httpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveInBackground runs s on a loopback port; cancel ends it, and done
// yields Serve's result.
func serveInBackground(t *testing.T, s *Server) (url string, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	t.Cleanup(cancel)
	return "http://" + ln.Addr().String(), cancel, errc
}

type callResult struct {
	res *mcp.CallToolResult
	err error
}

func callInBackground(t *testing.T, cs *mcp.ClientSession, tool string) <-chan callResult {
	out := make(chan callResult, 1)
	ctx := t.Context()
	go func() {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}})
		out <- callResult{res, err}
	}()
	return out
}

func TestShutdownDrainsCallsInFlight(t *testing.T) {
	for _, tt := range []struct {
		name      string
		stateless bool
		sse       bool
	}{
		{"streamable", false, false},
		{"stateless", true, false},
		{"sse", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTools()
			tl.release = make(chan struct{})
			shuttingDown := newLogSignal("shutting down")
			s, err := New(Options{Server: newMCPServer(tl), Stateless: tt.stateless, Logger: slog.New(shuttingDown)})
			if err != nil {
				t.Fatal(err)
			}
			url, stop, done := serveInBackground(t, s)
			var result <-chan callResult
			if tt.sse {
				result = rawSSECall(t, url, "block")
			} else {
				result = callInBackground(t, connect(t, url, "", false), "block")
			}

			<-tl.started // the call is in flight
			stop()
			<-shuttingDown.ch // Serve has begun its shutdown
			close(tl.release)

			got := <-result
			if got.err != nil || got.res.IsError {
				t.Fatalf("call in flight during shutdown = %+v, %v, want its result", got.res, got.err)
			}
			if text := got.res.Content[0].(*mcp.TextContent).Text; text != "done" {
				t.Errorf("call in flight during shutdown = %q, want done", text)
			}
			if err := <-done; err != nil {
				t.Errorf("Serve = %v, want nil after shutdown", err)
			}
			if n := s.handlers.count(); n != 0 {
				t.Errorf("%d handlers still running after Serve returned", n)
			}
		})
	}
}

// rawSSECall opens an SSE session by hand and calls tool. (The SDK's SSE
// client may lose an answer that arrives just before its stream ends: its
// Read picks at random between the two.)
func rawSSECall(t *testing.T, url, tool string) <-chan callResult {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/sse", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := httpClient(t, "").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	events := bufio.NewScanner(resp.Body)
	next := func() (name, data string) {
		for events.Scan() {
			line := events.Text()
			switch {
			case line == "" && name != "":
				return name, data
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			}
		}
		return "", ""
	}
	answer := func(id int) (*mcp.CallToolResult, error) {
		for {
			name, data := next()
			if name == "" {
				return nil, fmt.Errorf("stream ended before the answer to %d: %w", id, events.Err())
			}
			var m struct {
				ID     int                 `json:"id"`
				Result *mcp.CallToolResult `json:"result"`
				Error  *struct{ Message string }
			}
			if name != "message" || json.Unmarshal([]byte(data), &m) != nil || m.ID != id {
				continue
			}
			if m.Error != nil {
				return nil, errors.New(m.Error.Message)
			}
			return m.Result, nil
		}
	}
	name, endpoint := next()
	if name != "endpoint" {
		t.Fatalf("first SSE event = %q, want endpoint", name)
	}
	send := func(msg string) {
		t.Helper()
		if resp, body := post(t, url+endpoint, msg, nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s = %d %q", msg, resp.StatusCode, body)
		}
	}
	send(initializeBody)
	if _, err := answer(1); err != nil {
		t.Fatal(err)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`)
	out := make(chan callResult, 1)
	go func() {
		res, err := answer(2)
		out <- callResult{res, err}
	}()
	return out
}

func TestShutdownCancelsCallsAfterGrace(t *testing.T) {
	tl := newTools() // release is nil: block runs until cancelled
	// The grace period is short so the test is quick; nothing depends on
	// how long it actually is.
	s, err := New(Options{Server: newMCPServer(tl), ShutdownGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, done := serveInBackground(t, s)
	cs := connect(t, url, "", false)
	result := callInBackground(t, cs, "block")
	<-tl.started
	stop()
	<-tl.cancelled // the grace period ended and the call was cancelled
	// The call gets a real error, not an empty answer.
	if r := <-result; r.err == nil || !strings.Contains(r.err.Error(), "shutting down") {
		t.Errorf("call cut by the grace period = %+v, %v; want a shutting-down error", r.res, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	cs.Close()
}

func TestExposure(t *testing.T) {
	public := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	tests := []struct {
		name    string
		addr    net.Addr
		keys    []Key
		allow   bool
		wantErr error
	}{
		{"loopback without keys", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, nil, false, nil},
		{"ipv6 loopback without keys", &net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, nil, false, nil},
		{"public with keys", public, testKeys, false, nil},
		{"public without keys", public, nil, false, ErrNoKeys},
		{"public without keys, allowed", public, nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Options{Server: newMCPServer(newTools()), Keys: tt.keys, AllowNoAuth: tt.allow})
			if err != nil {
				t.Fatal(err)
			}
			ln := newFakeListener(tt.addr)
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // Serve either refuses at once or shuts down at once
			err = s.Serve(ctx, ln)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Serve on %v = %v, want %v", tt.addr, err, tt.wantErr)
			}
			if !ln.isClosed() {
				t.Errorf("Serve on %v left its listener open", tt.addr)
			}
		})
	}
}

// fakeListener has an address of the test's choosing and accepts nothing.
type fakeListener struct {
	addr      net.Addr
	closeOnce sync.Once
	closed    chan struct{}
}

func newFakeListener(addr net.Addr) *fakeListener {
	return &fakeListener{addr: addr, closed: make(chan struct{})}
}

func (l *fakeListener) Accept() (net.Conn, error) {
	<-l.closed
	return nil, net.ErrClosed
}

func (l *fakeListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *fakeListener) Addr() net.Addr { return l.addr }

func (l *fakeListener) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

// ListenAndServe refuses an exposed address before binding it.
func TestListenAndServeRefusesBeforeBinding(t *testing.T) {
	s, err := New(Options{Server: newMCPServer(newTools())})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0"} {
		if err := s.ListenAndServe(t.Context(), addr, nil); !errors.Is(err, ErrNoKeys) {
			t.Errorf("ListenAndServe(%q) without keys = %v, want ErrNoKeys", addr, err)
		}
	}
}
