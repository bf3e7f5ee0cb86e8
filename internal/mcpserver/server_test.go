package mcpserver

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// fakeGenerator records requests and answers with fn, or a fixed answer.
type fakeGenerator struct {
	mu   sync.Mutex
	reqs []*gateway.Request
	fn   func(ctx context.Context, r *gateway.Request) (*gateway.Response, error)
}

func (f *fakeGenerator) Generate(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(ctx, r)
	}
	return &gateway.Response{Content: "ok", Model: r.Model}, nil
}

func (f *fakeGenerator) last() *gateway.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

// connect serves New(opts) over in-memory transports and returns a client
// session; progress notifications go to onProgress.
func connect(t *testing.T, opts Options, onProgress func(*mcp.ProgressNotificationParams)) *mcp.ClientSession {
	t.Helper()
	if opts.Models == nil {
		opts.Models = func() []ModelInfo {
			return []ModelInfo{{Name: "nova-lite", Provider: "amazon", SupportsImages: true, Status: "active", Callable: true}, {Name: "llama-3-3-70b", Provider: "meta", Status: "active", Callable: true}}
		}
	}
	if opts.Stats == nil {
		opts.Stats = func(_ context.Context, c Caller) any {
			return map[string]any{"metrics": map[string]any{"total_requests": 0}, "caller": c}
		}
	}
	srv := New(opts)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	copts := &mcp.ClientOptions{}
	if onProgress != nil {
		copts.ProgressNotificationHandler = func(_ context.Context, r *mcp.ProgressNotificationClientRequest) { onProgress(r.Params) }
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-agent"}, copts).Connect(t.Context(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func callText(t *testing.T, cs *mcp.ClientSession, params *mcp.CallToolParams) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), params)
	if err != nil {
		t.Fatalf("CallTool: %v", err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		b.WriteString(c.(*mcp.TextContent).Text)
	}
	return b.String(), res.IsError
}

func TestGenerateMapsArguments(t *testing.T) {
	gen := &fakeGenerator{}
	cs := connect(t, Options{Generator: gen}, nil)
	args := `{
		"model": "nova-lite",
		"system": "be brief",
		"temperature": 0.2, "top_p": 0.9, "max_tokens": 100, "stop_sequences": ["END"],
		"cache": false, "stream": true,
		"messages": [
			{"role": "user", "content": [
				{"type": "text", "text": "what is this?"},
				{"type": "image", "format": "PNG", "data": "iVBORw=="},
				{"type": "document", "format": "pdf", "name": "report", "data": "JVBERg=="},
				{"type": "cache_point"}]},
			{"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "lookup", "arguments": {"q": "x"}}]},
			{"role": "tool", "tool_call_id": "c1", "content": "42"}
		],
		"tools": [{"name": "lookup", "description": "look up", "input_schema": {"type": "object"}}],
		"tool_choice": {"name": "lookup"},
		"prompt_cache": {"system": true, "tools": true},
		"guardrail": {"id": "gr1", "version": "2"},
		"additional_fields": {"top_k": 50},
		"fallback_models": ["llama-3-3-70b"]
	}`
	if text, isErr := callText(t, cs, &mcp.CallToolParams{Name: "generate", Arguments: json.RawMessage(args)}); isErr {
		t.Fatalf("generate failed: %s", text)
	}
	temp, topP := 0.2, 0.9
	want := &gateway.Request{
		Model: "nova-lite", System: "be brief", Temperature: &temp, TopP: &topP, MaxTokens: 100,
		StopSequences: []string{"END"}, NoCache: true, Stream: true, Agent: "test-agent", Frontend: "mcp",
		Messages: []gateway.Message{
			{Role: "user", Blocks: []gateway.Block{
				{Type: "text", Text: "what is this?"},
				{Type: "image", Format: "png", Data: []byte{0x89, 'P', 'N', 'G'}},
				{Type: "document", Format: "pdf", Name: "report", Data: []byte("%PDF")},
				{Type: "cache_point"}}},
			{Role: "assistant", ToolCalls: []gateway.ToolCall{{ID: "c1", Name: "lookup", Arguments: json.RawMessage(`{"q":"x"}`)}}},
			{Role: "tool", ToolCallID: "c1", Content: "42"},
		},
		Tools:            []gateway.Tool{{Name: "lookup", Description: "look up", InputSchema: json.RawMessage(`{"type":"object"}`)}},
		ToolChoice:       &gateway.ToolChoice{Mode: "tool", Name: "lookup"},
		CacheSystem:      true,
		CacheTools:       true,
		Guardrail:        &gateway.Guardrail{ID: "gr1", Version: "2"},
		AdditionalFields: json.RawMessage(`{"top_k":50}`),
		FallbackModels:   []string{"llama-3-3-70b"},
	}
	got := gen.last()
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(gateway.Request{}, "OnDelta")); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
}

func TestGenerateArgumentErrors(t *testing.T) {
	cs := connect(t, Options{Generator: &fakeGenerator{}}, nil)
	tests := []struct{ args, want string }{
		{`{"model": "m", "messages": [{"role": "user", "content": 5}]}`, "messages[0].content: must be a string or a list"},
		{`{"model": "m", "messages": [{"role": "user", "content": [{"type": "image", "data": "%%%"}]}]}`, "messages[0].content[0].data: is not valid base64"},
		{`{"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "txt": "x"}]}]}`, "unknown field"},
		{`{"model": "m", "messages": [{"role": "user", "content": []}]}`, "empty list"},
		{`{"model": "m", "messages": [], "tool_choice": "sometimes"}`, "tool_choice"},
		{`{"model": "m", "messages": [], "max_tokens": 0}`, "max_tokens: must be at least 1"},
		{`{"model": "m", "messages": [], "temprature": 1}`, `unknown field "temprature"`},
		{`{"model": 7}`, "model: want a string"},
	}
	for _, tt := range tests {
		text, isErr := callText(t, cs, &mcp.CallToolParams{Name: "generate", Arguments: json.RawMessage(tt.args)})
		if !isErr || !strings.Contains(text, tt.want) || !strings.HasPrefix(text, "[invalid_request]") {
			t.Errorf("generate(%s) = %q (error %v), want an invalid_request error mentioning %q", tt.args, text, isErr, tt.want)
		}
	}
}

func TestToolErrorCarriesKind(t *testing.T) {
	gen := &fakeGenerator{fn: func(context.Context, *gateway.Request) (*gateway.Response, error) {
		return nil, &gateway.Error{Kind: gateway.KindThrottled, Retryable: true, Message: "slow down"}
	}}
	cs := connect(t, Options{Generator: gen}, nil)
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "m", "messages": []any{}}})
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := res.Meta[errorMeta].(map[string]any)
	if !res.IsError || meta["kind"] != "throttled" || meta["retryable"] != true || res.Content[0].(*mcp.TextContent).Text != "[throttled] slow down" {
		t.Errorf("result = %+v meta %v, want a throttled, retryable tool error", res, res.Meta)
	}
}

func TestRefusalCarriesItsFigures(t *testing.T) {
	resets := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	gen := &fakeGenerator{fn: func(context.Context, *gateway.Request) (*gateway.Response, error) {
		r := &gateway.Refusal{Limit: "requests_per_minute", Scope: "agent:a", Unit: "requests", Max: 60, Used: 60, ResetsAt: resets, RetryAfter: 1500 * time.Millisecond}
		return nil, &gateway.Error{Kind: gateway.KindRateLimited, Retryable: true, Message: "too many", Refusal: r}
	}}
	cs := connect(t, Options{Generator: gen}, nil)
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "m", "messages": []any{}}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := res.Meta[errorMeta].(map[string]any)
	want := map[string]any{
		"kind": "rate_limited", "retryable": true, "limit": "requests_per_minute", "scope": "agent:a", "unit": "requests",
		"max": 60.0, "used": 60.0, "reserved": 0.0, "resets_at": "2026-12-02T00:00:00Z", "retry_after_seconds": 2.0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("_meta mismatch (-want +got):\n%s", diff)
	}
}

func TestStreamedDeltasArriveAsProgressBeforeTheResult(t *testing.T) {
	pieces := []string{"Hel", "lo", ", ", "world"}
	gen := &fakeGenerator{fn: func(_ context.Context, r *gateway.Request) (*gateway.Response, error) {
		for _, p := range pieces {
			r.OnDelta(p)
		}
		return &gateway.Response{Content: strings.Join(pieces, "")}, nil
	}}
	// The client SDK may run its notification handler after it has returned
	// the result that followed on the wire, so the test collects from a
	// channel rather than reading right after the call.
	notes := make(chan *mcp.ProgressNotificationParams, 16)
	cs := connect(t, Options{Generator: gen, KeepAlive: time.Hour}, func(p *mcp.ProgressNotificationParams) { notes <- p })
	params := &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "m", "messages": []any{}, "stream": true}}
	params.SetProgressToken("tok-1")
	text, isErr := callText(t, cs, params)
	if isErr {
		t.Fatal(text)
	}
	var got []string
	var values []float64
	for range pieces {
		select {
		case p := <-notes:
			got = append(got, p.Message)
			values = append(values, p.Progress)
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d progress messages arrived: %q", len(got), len(pieces), got)
		}
	}
	if strings.Join(got, "|") != "Hel|lo|, |world" || values[3] != 4 {
		t.Errorf("progress messages %q values %v, want the 4 pieces in order", got, values)
	}
}

func TestKeepAliveWhileWaiting(t *testing.T) {
	beat := make(chan struct{}, 1)
	gen := &fakeGenerator{fn: func(ctx context.Context, r *gateway.Request) (*gateway.Response, error) {
		select { // a slow model: answers once a keep-alive beat has gone out
		case <-beat:
			return &gateway.Response{Content: "done"}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	cs := connect(t, Options{Generator: gen, KeepAlive: 10 * time.Millisecond}, func(p *mcp.ProgressNotificationParams) {
		select {
		case beat <- struct{}{}:
		default:
		}
	})
	params := &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "m", "messages": []any{}}}
	params.SetProgressToken(7)
	if text, isErr := callText(t, cs, params); isErr || !strings.Contains(text, "done") {
		t.Fatalf("generate = %q, %v", text, isErr)
	}
}

func TestListModelsFilters(t *testing.T) {
	cs := connect(t, Options{Generator: &fakeGenerator{}}, nil)
	tests := []struct {
		args map[string]any
		want []string
	}{
		{nil, []string{"nova-lite", "llama-3-3-70b"}},
		{map[string]any{"provider": "META"}, []string{"llama-3-3-70b"}},
		{map[string]any{"capability": "images"}, []string{"nova-lite"}},
		{map[string]any{"status": "legacy"}, nil},
	}
	for _, tt := range tests {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_models", Arguments: tt.args})
		if err != nil || res.IsError {
			t.Fatalf("list_models(%v) = %v, %v", tt.args, res, err)
		}
		raw, _ := json.Marshal(res.StructuredContent)
		var out struct {
			Models []catalog.Entry `json:"models"`
			Count  int             `json:"count"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range out.Models {
			names = append(names, m.Name)
		}
		if !cmp.Equal(names, tt.want, cmpopts.EquateEmpty()) || out.Count != len(tt.want) {
			t.Errorf("list_models(%v) = %v (count %d), want %v", tt.args, names, out.Count, tt.want)
		}
	}
}

func TestToolsAdvertiseSchemas(t *testing.T) {
	cs := connect(t, Options{Generator: &fakeGenerator{}}, nil)
	res, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.Description == "" || tool.InputSchema == nil {
			t.Errorf("tool %s lacks a description or input schema", tool.Name)
		}
		if tool.Name != "get_stats" && tool.OutputSchema == nil {
			t.Errorf("tool %s lacks an output schema", tool.Name)
		}
	}
	if !cmp.Equal(names, []string{"generate", "get_stats", "list_models"}, cmpopts.SortSlices(func(a, b string) bool { return a < b })) {
		t.Errorf("tools = %v", names)
	}
}

func TestCallerIdentity(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		ctx   func(context.Context) context.Context
		want  Caller
		agent string
	}{
		{name: "client info", want: Caller{Agent: "test-agent", Source: "client_info", All: true}},
		{name: "AGENT_NAME wins over client info", opts: Options{Agent: "planner"}, want: Caller{Agent: "planner", Source: "AGENT_NAME", All: true}},
		{
			name: "an API key sees only itself", opts: Options{Agent: "planner", Admin: func(n string) bool { return n == "boss" }},
			ctx:  func(ctx context.Context) context.Context { return WithAgent(ctx, "worker") },
			want: Caller{Agent: "worker", Source: "api_key"},
		},
		{
			name: "an admin key sees all", opts: Options{Admin: func(n string) bool { return n == "boss" }},
			ctx:  func(ctx context.Context) context.Context { return WithAgent(ctx, "boss") },
			want: Caller{Agent: "boss", Source: "api_key", All: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Caller
			var gotAgent string
			tt.opts.Stats = func(_ context.Context, c Caller) any { got = append(got, c); return struct{}{} }
			tt.opts.Generator = &fakeGenerator{fn: func(_ context.Context, r *gateway.Request) (*gateway.Response, error) {
				gotAgent = r.Agent
				return &gateway.Response{}, nil
			}}
			tt.opts.Models = func() []ModelInfo { return nil }
			srv := New(tt.opts)
			if tt.ctx != nil {
				srv.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
					return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
						return next(tt.ctx(ctx), method, req)
					}
				})
			}
			st, ct := mcp.NewInMemoryTransports()
			ss, err := srv.Connect(t.Context(), st, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ss.Close()
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-agent"}, nil).Connect(t.Context(), ct, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "get_stats", Arguments: map[string]any{}}); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}}}); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.want || gotAgent != tt.want.Agent {
				t.Errorf("get_stats caller %+v, generate agent %q; want %+v", got, gotAgent, tt.want)
			}
		})
	}
}
