package httpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Keys of the test agents; each is long enough for the config package too.
const (
	keyA = "key-of-agent-a-0123456789"
	keyB = "key-of-agent-b-0123456789"
)

var testKeys = []Key{{Name: "agent-a", Secret: keyA}, {Name: "agent-b", Secret: keyB}}

// tools are hooks into the test MCP server's tools.
type tools struct {
	// started receives once per call of "block" when it has begun.
	started chan struct{}
	// release ends every call of "block"; if nil, block waits for its
	// context to end.
	release chan struct{}
	// cancelled receives once per call of "block" ended by its context.
	cancelled chan struct{}
}

// newMCPServer returns an MCP server with two tools: whoami, which answers
// the authenticated agent's name, and block, which waits as tools says.
func newMCPServer(tl *tools) *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	object := &jsonschema.Schema{Type: "object"}
	srv.AddTool(&mcp.Tool{Name: "whoami", InputSchema: object}, func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: agentFrom(ctx)}}}, nil
	})
	srv.AddTool(&mcp.Tool{Name: "block", InputSchema: object}, func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		tl.started <- struct{}{}
		select {
		case <-tl.release:
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil
		case <-ctx.Done():
			tl.cancelled <- struct{}{}
			return nil, ctx.Err()
		}
	})
	return srv
}

func newTools() *tools {
	return &tools{started: make(chan struct{}, 16), cancelled: make(chan struct{}, 16)}
}

// running is a Server serving on 127.0.0.1 in the background.
type running struct {
	url  string // http://127.0.0.1:PORT
	stop context.CancelFunc
	done chan error // Serve's result
}

// start serves opts (with a fresh test MCP server unless opts.Server is
// set) until the test ends or stop is called.
func start(t *testing.T, opts Options) *running {
	t.Helper()
	if opts.Server == nil {
		opts.Server = newMCPServer(newTools())
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{url: "http://" + ln.Addr().String(), stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r
}

// bearer adds an API key to every request.
type bearer struct {
	key  string
	next http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.key != "" {
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	return b.next.RoundTrip(r)
}

// httpClient sends key with every request, on its own connections, which
// it closes when the test ends.
func httpClient(t *testing.T, key string) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: bearer{key: key, next: tr}}
}

// connect opens an MCP session on url's /mcp (or /sse if sse) with key.
func connect(t *testing.T, url, key string, sse bool) *mcp.ClientSession {
	t.Helper()
	var transport mcp.Transport = &mcp.StreamableClientTransport{Endpoint: url + "/mcp", HTTPClient: httpClient(t, key)}
	if sse {
		transport = &mcp.SSEClientTransport{Endpoint: url + "/sse", HTTPClient: httpClient(t, key)}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil)
	cs, err := client.Connect(t.Context(), transport, nil)
	if err != nil {
		t.Fatalf("connect with key %q: %v", key, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// callText calls a tool and returns its text, failing the test on error.
func callText(t *testing.T, cs *mcp.ClientSession, tool string) string {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}})
	if err != nil {
		t.Fatalf("CallTool(%s): %v", tool, err)
	}
	if res.IsError || len(res.Content) == 0 {
		t.Fatalf("CallTool(%s) = %+v, want a text result", tool, res)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// post sends body to url with the given headers (Content-Type and Accept
// of an MCP client are set unless given) and returns the response with its
// body read.
func post(t *testing.T, url, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := httpClient(t, "").Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

// logSignal is a slog handler that closes a channel when a record with the
// given message is logged, so tests can wait for a point in a lifecycle
// without sleeping.
type logSignal struct {
	msg  string
	once *sync.Once
	ch   chan struct{}
}

func newLogSignal(msg string) logSignal {
	return logSignal{msg: msg, once: new(sync.Once), ch: make(chan struct{})}
}

func (h logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h logSignal) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h logSignal) WithGroup(string) slog.Handler            { return h }
func (h logSignal) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.msg) {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}
