package client

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// These tests cover the client's side of streaming: that progress
// notifications carrying text reach the OnDelta of the call whose token
// they carry, in order, that keep-alive beats are not passed on, and that
// the pieces always add up to the final content. They run against a
// scripted MCP server in this process, so they say nothing about the
// gateway's own streaming; TestGenerateStream* against the binary do.

// script is what the fake generate tool does for one model name.
type script struct {
	pieces  []string      // sent as progress messages, a keep-alive beat between each
	seen    chan struct{} // if non-nil, the tool waits for it before answering
	content string        // the final answer
}

// fakeGateway serves a generate tool that follows scripts and records the
// arguments and progress token each call came with.
type fakeGateway struct {
	scripts map[string]*script

	mu     sync.Mutex
	args   []map[string]any
	tokens []any
}

func (f *fakeGateway) generate(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var args map[string]any
	if err := json.Unmarshal(req.Params.Arguments, &args); err != nil {
		return nil, err
	}
	token := req.Params.GetProgressToken()
	f.mu.Lock()
	f.args = append(f.args, args)
	f.tokens = append(f.tokens, token)
	f.mu.Unlock()

	model, _ := args["model"].(string)
	sc := f.scripts[model]
	var n float64
	notify := func(msg string) error {
		n++
		return req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Progress: n, Message: msg})
	}
	for _, p := range sc.pieces {
		if err := notify(""); err != nil { // a keep-alive beat: no text
			return nil, err
		}
		if err := notify(p); err != nil {
			return nil, err
		}
	}
	if sc.seen != nil {
		select {
		case <-sc.seen:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b, err := json.Marshal(map[string]any{"content": sc.content, "model": model, "finish_reason": "stop"})
	if err != nil {
		return nil, err
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: json.RawMessage(b)}, nil
}

func connectFake(t *testing.T, f *fakeGateway) *Client {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "fake-gateway", Version: "test"}, nil)
	srv.AddTool(&mcp.Tool{Name: "generate", InputSchema: json.RawMessage(`{"type":"object"}`)}, f.generate)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatalf("server Connect: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	c, err := connect(t.Context(), ct, Options{Name: "stream-test"})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collector is an OnDelta that records pieces and closes seen once their
// text reaches want.
type collector struct {
	mu     sync.Mutex
	pieces []string
	text   strings.Builder
	want   string
	seen   chan struct{}
}

func newCollector(want string) *collector {
	return &collector{want: want, seen: make(chan struct{})}
}

func (c *collector) onDelta(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pieces = append(c.pieces, s)
	c.text.WriteString(s)
	if c.text.String() == c.want {
		close(c.seen)
	}
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.pieces...)
}

func TestGenerateStreamPieces(t *testing.T) {
	tests := []struct {
		name    string
		pieces  []string
		waitFor string // the tool answers once OnDelta has seen this much
		content string
		want    []string
	}{
		{
			name:   "every piece by notification",
			pieces: []string{"Hel", "lo, ", "world"}, waitFor: "Hello, world",
			content: "Hello, world",
			want:    []string{"Hel", "lo, ", "world"},
		},
		{
			name:   "tail not yet notified",
			pieces: []string{"Hel"}, waitFor: "Hel",
			content: "Hello, world",
			want:    []string{"Hel", "lo, world"},
		},
		{
			name:    "answer in one piece, as from the cache",
			content: "Hello, world",
			want:    []string{"Hello, world"},
		},
		{
			name:   "notified text that is not the answer",
			pieces: []string{"Bye"}, waitFor: "Bye",
			content: "Hello, world",
			want:    []string{"Bye"}, // nothing made up to patch it
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := newCollector(tt.waitFor)
			sc := &script{pieces: tt.pieces, content: tt.content}
			if tt.waitFor != "" {
				sc.seen = col.seen
			}
			f := &fakeGateway{scripts: map[string]*script{"m": sc}}
			c := connectFake(t, f)
			resp, err := c.Generate(t.Context(), GenerateRequest{Model: "m", Messages: userSays("hi"), OnDelta: col.onDelta})
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if resp.Content != tt.content {
				t.Errorf("Generate content = %q, want %q", resp.Content, tt.content)
			}
			if diff := cmp.Diff(tt.want, col.got()); diff != "" {
				t.Errorf("OnDelta pieces (-want +got):\n%s", diff)
			}
			if stream, _ := f.args[0]["stream"].(bool); !stream || f.tokens[0] == nil {
				t.Errorf("streamed call sent stream=%v, progress token %v; want true and a token", f.args[0]["stream"], f.tokens[0])
			}
		})
	}
}

func TestGenerateStreamConcurrent(t *testing.T) {
	texts := map[string][]string{
		"a": {"alpha ", "beta ", "gamma"},
		"b": {"one ", "two ", "three"},
	}
	cols := map[string]*collector{}
	scripts := map[string]*script{}
	for model, pieces := range texts {
		whole := strings.Join(pieces, "")
		cols[model] = newCollector(whole)
		scripts[model] = &script{pieces: pieces, seen: cols[model].seen, content: whole}
	}
	c := connectFake(t, &fakeGateway{scripts: scripts})

	var wg sync.WaitGroup
	errs := make(chan error, len(texts))
	for model := range texts {
		wg.Go(func() {
			_, err := c.Generate(t.Context(), GenerateRequest{Model: model, Messages: userSays("hi"), OnDelta: cols[model].onDelta})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
	}
	for model, pieces := range texts {
		if diff := cmp.Diff(pieces, cols[model].got()); diff != "" {
			t.Errorf("OnDelta pieces for %s (-want +got):\n%s", model, diff)
		}
	}
}

func TestGenerateWithoutOnDeltaAsksNoProgress(t *testing.T) {
	f := &fakeGateway{scripts: map[string]*script{"m": {pieces: []string{"ignored"}, content: "whole"}}}
	c := connectFake(t, f)
	resp, err := c.Generate(t.Context(), GenerateRequest{Model: "m", Messages: userSays("hi")})
	if err != nil || resp.Content != "whole" {
		t.Fatalf("Generate = %+v, %v; want content whole", resp, err)
	}
	if _, ok := f.args[0]["stream"]; ok || f.tokens[0] != nil {
		t.Errorf("plain call sent stream=%v, progress token %v; want neither", f.args[0]["stream"], f.tokens[0])
	}
}
