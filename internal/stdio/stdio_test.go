package stdio

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// session is an MCP server on the transport, driven line by line as a
// client on the other end of stdin and stdout would.
type session struct {
	t       *testing.T
	tr      *Transport
	in      *io.PipeWriter
	out     *bufio.Reader
	ended   chan error // the server session's end
	started chan string
	release chan struct{}
}

// slowArgs names a call of the "slow" tool, which waits for release.
type slowArgs struct {
	Name string `json:"name"`
}

func newSession(t *testing.T, opts Options) *session {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &session{t: t, in: inW, out: bufio.NewReaderSize(outR, 1<<20), ended: make(chan error, 1),
		started: make(chan string, 16), release: make(chan struct{})}
	srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "slow"}, func(ctx context.Context, _ *mcp.CallToolRequest, a slowArgs) (*mcp.CallToolResult, any, error) {
		s.started <- a.Name
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done " + a.Name}}}, nil, nil
	})
	s.tr = New(inR, outW, opts)
	ss, err := srv.Connect(context.Background(), s.tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { s.ended <- ss.Wait(); _ = outW.Close() }()
	t.Cleanup(func() {
		_ = inW.Close()
		_ = ss.Close()
		_ = <-s.ended
	})
	return s
}

func (s *session) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		s.t.Fatalf("send: %v", err)
	}
}

// recv reads the next line the server writes.
func (s *session) recv() string {
	s.t.Helper()
	l, err := s.out.ReadString('\n')
	if err != nil {
		s.t.Fatalf("recv: %v (got %q)", err, l)
	}
	return strings.TrimSuffix(l, "\n")
}

type answer struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeAnswer(t *testing.T, line string) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		t.Fatalf("answer is not a JSON-RPC object: %v: %q", err, line)
	}
	if a.Version != "2.0" {
		t.Fatalf("answer without jsonrpc 2.0: %q", line)
	}
	return a
}

func (s *session) initialize(version string) {
	s.t.Helper()
	s.send(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"` + version + `","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if a := decodeAnswer(s.t, s.recv()); a.Error != nil {
		s.t.Fatalf("initialize: %s", a.Error.Message)
	}
	s.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// ping checks that the session still answers.
func (s *session) ping(id int) {
	s.t.Helper()
	s.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ping"}`, id))
	a := decodeAnswer(s.t, s.recv())
	if a.Error != nil || string(a.ID) != fmt.Sprint(id) {
		s.t.Fatalf("ping %d: got %+v", id, a)
	}
}

func TestMalformedLinesGetErrorsAndTheSessionGoesOn(t *testing.T) {
	const limit = 4096
	tests := []struct {
		name, line string
		code       int
		id         string // the id the error names
	}{
		{"not JSON", `hello`, -32700, "null"},
		{"invalid UTF-8", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\xff\"}", -32700, "null"},
		{"bare number", `42`, -32600, "null"},
		{"bare string", `"ping"`, -32600, "null"},
		{"null", `null`, -32600, "null"},
		{"true", `true`, -32600, "null"},
		{"empty batch", `[]`, -32600, "null"},
		{"batch in 2025-06-18", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, -32600, "null"},
		{"no jsonrpc", `{"id":7,"method":"ping"}`, -32600, "7"},
		{"wrong jsonrpc", `{"jsonrpc":"1.0","id":7,"method":"ping"}`, -32600, "7"},
		{"jsonrpc a number", `{"jsonrpc":2,"id":7,"method":"ping"}`, -32600, "7"},
		{"object id", `{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, -32600, "null"},
		{"array id", `{"jsonrpc":"2.0","id":[1],"method":"ping"}`, -32600, "null"},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, -32600, "null"},
		{"fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, -32600, "null"},
		{"id past 2^53", `{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}`, -32600, "null"},
		{"method a number", `{"jsonrpc":"2.0","id":7,"method":5}`, -32600, "7"},
		{"empty method", `{"jsonrpc":"2.0","id":7,"method":""}`, -32600, "7"},
		{"params a number", `{"jsonrpc":"2.0","id":7,"method":"ping","params":3}`, -32600, "7"},
		{"neither request nor answer", `{"jsonrpc":"2.0","id":7}`, -32600, "7"},
		{"trailing garbage", `{"jsonrpc":"2.0","id":7,"method":"ping"} x`, -32700, "null"},
		{"two objects", `{"jsonrpc":"2.0","id":7,"method":"ping"}{"jsonrpc":"2.0","id":8,"method":"ping"}`, -32700, "null"},
		{"NaN", `{"jsonrpc":"2.0","id":NaN,"method":"ping"}`, -32700, "null"},
		{"truncated", `{"jsonrpc":"2.0","id":7,"meth`, -32700, "null"},
		{"deep nesting", strings.Repeat("[", 3000), -32700, "null"},
		{"too long", `{"jsonrpc":"2.0","id":7,"method":"ping","params":{"x":"` + strings.Repeat("a", 2*limit) + `"}}`, -32600, "null"},
		{"far too long", strings.Repeat("x", 200<<10), -32600, "null"},
		{"unknown method", `{"jsonrpc":"2.0","id":7,"method":"nope"}`, -32601, "7"},
	}
	s := newSession(t, Options{MaxMessageBytes: limit})
	s.initialize("2025-06-18")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.t = t
			s.send(tt.line)
			a := decodeAnswer(t, s.recv())
			if a.Error == nil || a.Error.Code != tt.code {
				t.Fatalf("got %+v, want error %d", a, tt.code)
			}
			if string(a.ID) != tt.id {
				t.Errorf("id = %s, want %s", a.ID, tt.id)
			}
			s.ping(100 + i)
		})
	}
}

func TestMaxMessageBytesNamesTheSetting(t *testing.T) {
	s := newSession(t, Options{MaxMessageBytes: 100, Setting: "MAX_MESSAGE_BYTES"})
	s.send(strings.Repeat(" ", 101) + "{}")
	a := decodeAnswer(t, s.recv())
	if a.Error == nil || !strings.Contains(a.Error.Message, "MAX_MESSAGE_BYTES (100 bytes)") {
		t.Fatalf("got %+v, want the setting and its value named", a)
	}
	// A message at the limit passes.
	msg := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	s.send(msg + strings.Repeat(" ", 100-len(msg)))
	if a := decodeAnswer(t, s.recv()); a.Error != nil {
		t.Fatalf("message at the limit: %+v", a)
	}
}

func TestDuplicateIDInFlightRefused(t *testing.T) {
	s := newSession(t, Options{})
	s.initialize("2025-06-18")
	s.send(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"slow","arguments":{"name":"a"}}}`)
	<-s.started
	s.send(`{"jsonrpc":"2.0","id":5,"method":"ping"}`)
	a := decodeAnswer(t, s.recv())
	if a.Error == nil || a.Error.Code != -32600 || string(a.ID) != "null" {
		t.Fatalf("duplicate id: got %+v", a)
	}
	close(s.release)
	if a := decodeAnswer(t, s.recv()); string(a.ID) != "5" || a.Error != nil {
		t.Fatalf("the first call's answer: %+v", a)
	}
}

func TestBatchesInAProtocolThatHasThem(t *testing.T) {
	s := newSession(t, Options{})
	s.initialize("2025-03-26")
	s.send(`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"x","progress":1}},{"jsonrpc":"2.0","id":{},"method":"ping"},{"jsonrpc":"2.0","id":"two","method":"ping"}]`)
	var answers []answer
	if err := json.Unmarshal([]byte(s.recv()), &answers); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, a := range answers {
		ids[string(a.ID)] = a.Error == nil
	}
	want := map[string]bool{"1": true, `"two"`: true, "null": false}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("batch answers %v, want %v", ids, want)
	}
	// A batch of notifications and nothing wrong gets no answer at all.
	s.send(`[{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"x","progress":2}}]`)
	s.ping(9)
}

func TestEOFAnswersCallsInFlight(t *testing.T) {
	s := newSession(t, Options{})
	s.initialize("2025-06-18")
	s.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"name":"a"}}}`)
	<-s.started
	if err := s.in.Close(); err != nil {
		t.Fatal(err)
	}
	close(s.release)
	a := decodeAnswer(t, s.recv())
	if a.Error != nil || !strings.Contains(string(a.Result), "done a") {
		t.Fatalf("answer after EOF: %+v", a)
	}
	_ = <-s.ended
	s.ended <- nil // for Cleanup
}

func TestDrain(t *testing.T) {
	t.Run("calls that finish in time are answered", func(t *testing.T) {
		s := newSession(t, Options{})
		s.initialize("2025-06-18")
		s.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"name":"a"}}}`)
		<-s.started
		drained := make(chan struct{})
		go func() { s.tr.Drain(context.Background()); close(drained) }()
		close(s.release)
		a := decodeAnswer(t, s.recv())
		if a.Error != nil || !strings.Contains(string(a.Result), "done a") {
			t.Fatalf("answer during drain: %+v", a)
		}
		<-drained
		_ = <-s.ended
		s.ended <- nil
	})
	t.Run("calls past the grace get an error", func(t *testing.T) {
		s := newSession(t, Options{})
		s.initialize("2025-06-18")
		s.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"name":"a"}}}`)
		<-s.started
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the grace period is over
		go s.tr.Drain(ctx)
		a := decodeAnswer(t, s.recv())
		if a.Error == nil || a.Error.Code != CodeShuttingDown || string(a.ID) != "1" {
			t.Fatalf("cut call: %+v", a)
		}
		_ = <-s.ended
		s.ended <- nil
		// Nothing more is written: the handler's own answer is dropped.
		if rest, _ := io.ReadAll(s.out); len(rest) > 0 {
			t.Fatalf("written after the cut: %q", rest)
		}
	})
}

func TestCancelledCallDoesNotHoldTheDrain(t *testing.T) {
	s := newSession(t, Options{})
	s.initialize("2025-06-18")
	s.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"name":"a"}}}`)
	<-s.started
	s.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`)
	// The SDK answers the cancelled call itself; the drain must not wait
	// for it either way. Once ping 2 is answered the cancellation is read.
	s.send(`{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	for string(decodeAnswer(t, s.recv()).ID) != "2" {
	}
	go func() { _, _ = io.Copy(io.Discard, s.out) }() // whatever the SDK writes for the cancelled call
	s.tr.Drain(context.Background())
	_ = <-s.ended
	s.ended <- nil
}

func TestMaxConcurrent(t *testing.T) {
	s := newSession(t, Options{MaxConcurrent: 2, ConcurrentSetting: "MAX_CONCURRENT_CALLS"})
	s.initialize("2025-06-18")
	for i := range 2 {
		s.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"slow","arguments":{"name":"a"}}}`, i))
		<-s.started
	}
	s.send(`{"jsonrpc":"2.0","id":"more","method":"ping"}`)
	a := decodeAnswer(t, s.recv())
	if a.Error == nil || a.Error.Code != CodeBusy || string(a.ID) != `"more"` || !strings.Contains(a.Error.Message, "MAX_CONCURRENT_CALLS") {
		t.Fatalf("a third call: %+v, want a busy error naming the setting", a)
	}
	close(s.release)
	decodeAnswer(t, s.recv())
	decodeAnswer(t, s.recv())
	s.ping(3)
}
