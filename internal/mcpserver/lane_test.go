package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/stdio"
)

// laneSession serves opts over the gateway's stdio transport on pipes,
// with the lane answering what it takes when lane is true, and returns a
// line writer, a line reader and how many calls the lane took.
type laneRig struct {
	t     *testing.T
	in    io.WriteCloser
	out   *bufio.Reader
	outW  io.Closer
	lane  *Lane
	ss    *mcp.ServerSession
	taken atomic.Int64
	done  chan struct{}
}

// finish closes the client's end and returns what the server wrote until
// its session ended.
func (r *laneRig) finish() string {
	rest := make(chan []byte)
	go func() { b, _ := io.ReadAll(r.out); rest <- b }()
	r.in.Close()
	<-r.done
	r.outW.Close()
	return string(<-rest)
}

func serveLane(t *testing.T, opts Options, lane bool) *laneRig {
	t.Helper()
	if opts.Models == nil {
		opts.Models = func() []ModelInfo {
			return []ModelInfo{
				{Name: "nova-lite", Provider: "amazon", Status: "active", Callable: true},
				{Name: "old-model", Provider: "amazon", Status: "legacy", EndOfLife: "2030-01-01", Replacement: "nova-lite", Callable: true},
			}
		}
	}
	if opts.Stats == nil {
		opts.Stats = func(context.Context, Caller) any { return map[string]any{"total_requests": 0} }
	}
	srv, l := NewWithLane(opts)
	var mwCalls atomic.Int64
	l.AddReceivingMiddleware(srv, func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "tools/call" {
				mwCalls.Add(1)
			}
			return next(ctx, method, req)
		}
	})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	tr := stdio.New(inR, outW, stdio.Options{})
	ss, err := srv.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &laneRig{t: t, in: inW, out: bufio.NewReader(outR), outW: outW, lane: l, ss: ss, done: make(chan struct{})}
	if lane {
		tr.SetLane(func(req *jsonrpc.Request) func(context.Context) (json.RawMessage, error, bool) {
			if call := l.Session(ss).Take(req, TakeOptions{}); call != nil {
				r.taken.Add(1)
				return call.Run
			}
			return nil
		})
	}
	go func() { _ = ss.Wait(); close(r.done) }()
	t.Cleanup(func() {
		inW.Close()
		outR.Close()
		<-r.done
		// Every call through either path ran the middleware.
		if mwCalls.Load() == 0 {
			t.Error("the receiving middleware saw no tools/call")
		}
	})
	return r
}

func (r *laneRig) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatal(err)
	}
}

func (r *laneRig) read() string {
	r.t.Helper()
	line, err := r.out.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return strings.TrimSpace(line)
}

// TestLaneAnswersAsTheSDK sends the same session twice, once answered by
// the SDK alone and once with the lane, and wants the same bytes back:
// answers, tool errors, log notifications and progress.
func TestLaneAnswersAsTheSDK(t *testing.T) {
	gen := func(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
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
		}
		return &gateway.Response{Content: "<b>" + r.Messages[0].Content + "</b> & \u2028 \"q\" \x01 é", Model: r.Model,
			Usage: gateway.ResponseUsage{InputTokens: 3, OutputTokens: 5}}, nil
	}
	const call = `,"method":"tools/call","params":{"name":"generate","arguments":`
	session := []struct {
		send  string
		reads int // lines this message is answered with
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"agent-x","version":"1"}}}`, 1},
		{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, 0},
		{`{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"info"}}`, 1},
		{`{"jsonrpc":"2.0","id":3` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"hello"}]}}}`, 1},
		{`{"jsonrpc":"2.0","id":"s-4"` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"hello"}]}}}`, 1},
		{`{"jsonrpc":"2.0","id":5` + call + `{"model":"nova-lite","temprature":1,"messages":[{"role":"user","content":"hi"}]}}}`, 1},
		{`{"jsonrpc":"2.0","id":6` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"refuse"}]}}}`, 1},
		{`{"jsonrpc":"2.0","id":7` + call + `{"model":"old-model","messages":[{"role":"user","content":"hi"}]}}}`, 2},       // lifecycle notice
		{`{"jsonrpc":"2.0","id":8` + call + `{"model":"nova-lite","messages":[{"role":"user","content":"fallback"}]}}}`, 2}, // fallback notice
		{`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"_meta":{"progressToken":"p9"},"name":"generate","arguments":{"model":"nova-lite","stream":true,"messages":[{"role":"user","content":"hi"}]}}}`, 3},
		{`{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"generate","arguments":"not an object"}}`, 1},
		{`{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"get_stats","arguments":{}}}`, 1},
		{`{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"generate"}}`, 1},
	}
	run := func(lane bool) ([]string, int64) {
		r := serveLane(t, Options{Generator: &fakeGenerator{fn: gen}}, lane)
		var got []string
		for _, m := range session {
			r.send(m.send)
			for range m.reads {
				got = append(got, r.read())
			}
		}
		return got, r.taken.Load()
	}
	sdk, _ := run(false)
	lane, taken := run(true)
	if diff := cmp.Diff(sdk, lane); diff != "" {
		t.Errorf("answers through the lane differ from the SDK's (-sdk +lane):\n%s", diff)
	}
	// Every generate after initialized: 3, s-4, 5, 6, 7, 8, 9, 10, 12.
	if taken != 9 {
		t.Errorf("the lane took %d calls; want 9", taken)
	}
}

// TestLaneTake is what the lane leaves to the SDK.
func TestLaneTake(t *testing.T) {
	r := serveLane(t, Options{Generator: &fakeGenerator{}}, false)
	r.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"a","version":"1"}}}`)
	r.read()
	if r.lane.Session(r.ss) != nil {
		t.Fatal("a session is the lane's before it has initialized")
	}
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"hi"}]}}}`)
	r.read() // initialized is handled before the call
	ls := r.lane.Session(r.ss)
	if ls == nil {
		t.Fatal("the session is not the lane's after initialized")
	}
	id := func(n int64) jsonrpc.ID { v, _ := jsonrpc.MakeID(float64(n)); return v }
	for _, tc := range []struct {
		name   string
		req    *jsonrpc.Request
		opts   TakeOptions
		takeIt bool
	}{
		{"generate", &jsonrpc.Request{ID: id(1), Method: "tools/call", Params: json.RawMessage(`{"name":"generate","arguments":{}}`)}, TakeOptions{}, true},
		{"same id in flight", &jsonrpc.Request{ID: id(1), Method: "tools/call", Params: json.RawMessage(`{"name":"generate","arguments":{}}`)}, TakeOptions{}, false},
		{"other tool", &jsonrpc.Request{ID: id(2), Method: "tools/call", Params: json.RawMessage(`{"name":"get_stats"}`)}, TakeOptions{}, false},
		{"other method", &jsonrpc.Request{ID: id(3), Method: "tools/list"}, TakeOptions{}, false},
		{"notification", &jsonrpc.Request{Method: "tools/call", Params: json.RawMessage(`{"name":"generate"}`)}, TakeOptions{}, false},
		{"params not an object", &jsonrpc.Request{ID: id(4), Method: "tools/call", Params: json.RawMessage(`[1]`)}, TakeOptions{}, false},
		{"2026-07-28 metadata", &jsonrpc.Request{ID: id(5), Method: "tools/call", Params: json.RawMessage(`{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"generate"}`)}, TakeOptions{}, false},
		{"progress where notifications cannot go", &jsonrpc.Request{ID: id(6), Method: "tools/call", Params: json.RawMessage(`{"_meta":{"progressToken":1},"name":"generate"}`)}, TakeOptions{NoNotifications: true}, false},
		{"progress", &jsonrpc.Request{ID: id(7), Method: "tools/call", Params: json.RawMessage(`{"_meta":{"progressToken":1},"name":"generate"}`)}, TakeOptions{}, true},
		// What the SDK reads differently from encoding/json, or refuses.
		{"member names in another case", &jsonrpc.Request{ID: id(8), Method: "tools/call", Params: json.RawMessage(`{"Name":"generate","arguments":{}}`)}, TakeOptions{}, false},
		{"a member of the wrong type", &jsonrpc.Request{ID: id(9), Method: "tools/call", Params: json.RawMessage(`{"name":"generate","requestState":5}`)}, TakeOptions{}, false},
		{"an input-required retry", &jsonrpc.Request{ID: id(10), Method: "tools/call", Params: json.RawMessage(`{"name":"generate","requestState":"s"}`)}, TakeOptions{}, false},
		{"nested too deep", &jsonrpc.Request{ID: id(11), Method: "tools/call", Params: json.RawMessage(`{"name":"generate","arguments":{"x":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}}`)}, TakeOptions{}, false},
	} {
		if got := ls.Take(tc.req, tc.opts) != nil; got != tc.takeIt {
			t.Errorf("%s: taken = %v; want %v", tc.name, got, tc.takeIt)
		}
	}
}

// TestLaneCancel: a call the client cancels is cancelled and not answered.
func TestLaneCancel(t *testing.T) {
	started, stopped := make(chan struct{}), make(chan struct{})
	gen := &fakeGenerator{fn: func(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
		if r.Messages[0].Content != "block" {
			return &gateway.Response{Content: "ok", Model: r.Model}, nil
		}
		close(started)
		<-ctx.Done()
		close(stopped)
		return nil, ctx.Err()
	}}
	r := serveLane(t, Options{Generator: gen}, true)
	r.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"a","version":"1"}}}`)
	r.read()
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(`{"jsonrpc":"2.0","id":2,"method":"ping"}`) // initialized is handled before ping
	r.read()
	r.send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"block"}]}}}`)
	<-started
	r.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"user"}}`)
	<-stopped
	r.send(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"after"}]}}}`)
	if got := r.read(); !strings.Contains(got, `"id":4`) {
		t.Errorf("after the cancel, read %s; want the answer to call 4", got)
	}
	if rest := r.finish(); strings.Contains(rest, `"id":3`) {
		t.Errorf("the cancelled call was answered: %s", rest)
	}
	if r.taken.Load() != 2 {
		t.Errorf("the lane took %d calls; want 2", r.taken.Load())
	}
}

// TestEncodeResultAsTheSDK: the lane's encoding of a result is the SDK's,
// byte for byte, for text that needs escaping.
func TestEncodeResultAsTheSDK(t *testing.T) {
	for _, text := range []string{
		`{"a":1}`, `"<script>&amp;</script>"`, "\u2028\u2029", "\x00\x1f\x7f", "bad \xff utf-8", `back\slash "quote"`, "tab\tnl\ncr\r\b\f", "日本語 é",
	} {
		b, _ := json.Marshal(text) // any valid JSON carries the string
		res, err := structured(json.RawMessage(b))
		if err != nil {
			t.Fatal(err)
		}
		res.StructuredContent = json.RawMessage(b)
		res.Content[0].(*mcp.TextContent).Text = text
		want, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeResult(res)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("text %q:\n got %s\nwant %s", text, got, want)
		}
	}
}

// TestLaneNotify: a call taken with TakeOptions.Notify hands its log
// notifications to the transport, at or above the session's level, which
// a logging/setLevel may set before the session has initialized.
func TestLaneNotify(t *testing.T) {
	gen := &fakeGenerator{fn: func(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
		return &gateway.Response{Content: "ok", Model: r.Model}, nil
	}}
	r := serveLane(t, Options{Generator: gen}, false)
	r.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"a","version":"1"}}}`)
	r.read()
	r.send(`{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"warning"}}`)
	r.read()
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(`{"jsonrpc":"2.0","id":3,"method":"ping"}`) // initialized is handled before ping
	r.read()
	ls := r.lane.Session(r.ss)
	id, _ := jsonrpc.MakeID(float64(4))
	var got []string
	call := ls.Take(&jsonrpc.Request{ID: id, Method: "tools/call", Params: json.RawMessage(`{"name":"generate","arguments":{"model":"old-model","messages":[{"role":"user","content":"hi"}]}}`)},
		TakeOptions{NoNotifications: true, Notify: func(msg []byte) { got = append(got, string(msg)) }})
	if call == nil {
		t.Fatal("the lane did not take the call")
	}
	if _, err, answer := call.Run(context.Background()); err != nil || !answer {
		t.Fatalf("Run: %v, answer %v", err, answer)
	}
	want := []string{`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":{"kind":"lifecycle","message":"old-model is a legacy model; Bedrock retires it on 2030-01-01; move to nova-lite"},"level":"warning","logger":"llm-gateway"}}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notifications handed to the transport (-want +got):\n%s", diff)
	}
	r.send(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"generate","arguments":{"model":"old-model","messages":[{"role":"user","content":"hi"}]}}}`)
	// The SDK's call sends its own notice, then its answer: the lane's
	// notice went to the transport only, not to the session as well.
	if notice, line := r.read(), r.read(); notice != want[0] || !strings.Contains(line, `"id":5`) {
		t.Errorf("the SDK's call after it: %s then %s; want its notice, then its answer", notice, line)
	}
}
