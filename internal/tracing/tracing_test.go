package tracing_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/tracing"
)

// echo is a fake provider: it answers with the last message, billed by
// its length.
type echo struct{}

func (echo) Converse(_ context.Context, c *gateway.Call) (*gateway.Completion, error) {
	text := c.Messages[len(c.Messages)-1].Content
	if text == "fail" {
		return nil, &gateway.Error{Kind: gateway.KindThrottled, Message: "slow down"}
	}
	return &gateway.Completion{Content: "echo: " + text, FinishReason: gateway.FinishStop,
		Usage: gateway.Usage{InputTokens: 10, OutputTokens: 5, CacheReadTokens: 2}}, nil
}

func (e echo) ConverseStream(ctx context.Context, c *gateway.Call, onDelta func(string)) (*gateway.Completion, error) {
	comp, err := e.Converse(ctx, c)
	if err == nil {
		onDelta(comp.Content)
	}
	return comp, err
}

// oneModel is a catalog of one priced model.
type oneModel struct{}

func (oneModel) Resolve(name string) (gateway.Model, error) {
	if name != "nova-lite" {
		return gateway.Model{}, &gateway.Error{Kind: gateway.KindUnknownModel, Message: "unknown model " + name}
	}
	return gateway.Model{
		Name: "nova-lite", ID: "us.amazon.nova-lite-v1:0", ContextWindow: 300000, MaxOutputTokens: 5000,
		MaxTemperature: 1, SupportsSystem: true, SupportsStreaming: true,
		Price: &price,
	}, nil
}

var price = gateway.Price{Input: 60_000, Output: 240_000, CacheRead: 15_000}

// mapCache is a cache without bounds, for a test's few answers.
type mapCache struct {
	mu sync.Mutex
	m  map[string]*gateway.Completion
}

func newMapCache() *mapCache { return &mapCache{m: make(map[string]*gateway.Completion)} }

func (c *mapCache) Get(_ context.Context, key string) (*gateway.Completion, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *mapCache) Set(_ context.Context, key string, v *gateway.Completion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = v
}

type askArgs struct {
	Prompt string `json:"prompt"`
}

// serve starts an MCP server with an "ask" tool over a traced gateway,
// and returns a client session to it and the spans recorded.
func serve(t *testing.T, prompts bool) (*mcp.ClientSession, *tracetest.SpanRecorder) {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	tr := tracing.NewWithProvider(tp)
	gw, err := gateway.New(gateway.Options{
		Catalog:   oneModel{},
		Provider:  tr.WrapProvider(echo{}, prompts),
		Cache:     newMapCache(),
		Recorders: []gateway.Recorder{tr.Recorder()},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	srv.AddReceivingMiddleware(tr.MCPMiddleware())
	mcp.AddTool(srv, &mcp.Tool{Name: "ask"}, func(ctx context.Context, _ *mcp.CallToolRequest, in askArgs) (*mcp.CallToolResult, any, error) {
		resp, err := gw.Generate(ctx, &gateway.Request{Model: "nova-lite", Agent: "tester", Messages: []gateway.Message{{Role: "user", Content: in.Prompt}}})
		if err != nil {
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}}, nil, nil
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: resp.Content}}}, nil, nil
	})
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "client", Version: "1"}, nil).Connect(t.Context(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, spans
}

func ask(t *testing.T, cs *mcp.ClientSession, prompt string, meta mcp.Meta) {
	t.Helper()
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Meta: meta, Name: "ask", Arguments: askArgs{Prompt: prompt}}); err != nil {
		t.Fatal(err)
	}
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// byName returns the ended spans named name.
func byName(spans *tracetest.SpanRecorder, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func TestSpans(t *testing.T) {
	cs, spans := serve(t, false)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const parentID = "00f067aa0ba902b7"
	ask(t, cs, "secret question", mcp.Meta{"traceparent": "00-" + traceID + "-" + parentID + "-01"})
	ask(t, cs, "secret question", nil) // from the cache

	tools := byName(spans, "tools/call ask")
	calls := byName(spans, "chat us.amazon.nova-lite-v1:0")
	if len(tools) != 2 || len(calls) != 1 {
		t.Fatalf("%d tool spans and %d model spans, want 2 and 1 (the second answer is cached)", len(tools), len(calls))
	}
	tool, call := tools[0], calls[0]
	wantCost, _ := price.Cost(gateway.Usage{InputTokens: 10, OutputTokens: 5, CacheReadTokens: 2})

	// The caller's trace goes on; the model call is the tool call's child.
	if got := tool.SpanContext().TraceID().String(); got != traceID {
		t.Errorf("tool span trace = %s, want the caller's %s", got, traceID)
	}
	if got := tool.Parent().SpanID().String(); got != parentID || !tool.Parent().IsRemote() {
		t.Errorf("tool span parent = %s (remote %v), want the caller's %s", got, tool.Parent().IsRemote(), parentID)
	}
	if call.Parent().SpanID() != tool.SpanContext().SpanID() || call.SpanContext().TraceID() != tool.SpanContext().TraceID() {
		t.Errorf("model span is not a child of the tool span")
	}
	if tool.SpanKind() != trace.SpanKindServer || call.SpanKind() != trace.SpanKindClient {
		t.Errorf("kinds = %v, %v; want server, client", tool.SpanKind(), call.SpanKind())
	}

	want := map[attribute.Key]any{
		"gen_ai.operation.name":          "chat",
		"gen_ai.provider.name":           "aws.bedrock",
		"gen_ai.request.model":           "us.amazon.nova-lite-v1:0",
		"gen_ai.response.model":          "us.amazon.nova-lite-v1:0",
		"gen_ai.usage.input_tokens":      int64(12),
		"gen_ai.usage.output_tokens":     int64(5),
		"gen_ai.response.finish_reasons": []string{"stop"},
	}
	checkAttrs(t, "model span", call, want)
	checkAttrs(t, "tool span", tool, map[attribute.Key]any{
		"mcp.method.name":           "tools/call",
		"gen_ai.tool.name":          "ask",
		"llm_gateway.agent":         "tester",
		"llm_gateway.model":         "nova-lite",
		"llm_gateway.cached":        false,
		"llm_gateway.coalesced":     false,
		"llm_gateway.cost_usd":      wantCost.USD(),
		"gen_ai.usage.input_tokens": int64(12),
	})
	checkAttrs(t, "cached tool span", tools[1], map[attribute.Key]any{"llm_gateway.cached": true, "gen_ai.usage.input_tokens": int64(0)})
	if tools[1].SpanContext().TraceID().String() == traceID {
		t.Errorf("a call without traceparent joined the other's trace")
	}

	for _, s := range spans.Ended() {
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.String(), "secret question") {
				t.Errorf("span %q holds the prompt in %s without LOG_PROMPTS", s.Name(), kv.Key)
			}
		}
	}
}

func TestFailedCall(t *testing.T) {
	cs, spans := serve(t, false)
	ask(t, cs, "fail", nil)
	call := byName(spans, "chat us.amazon.nova-lite-v1:0")
	tool := byName(spans, "tools/call ask")
	if len(call) != 1 || len(tool) != 1 {
		t.Fatalf("%d model spans and %d tool spans, want 1 and 1", len(call), len(tool))
	}
	for _, s := range []sdktrace.ReadOnlySpan{call[0], tool[0]} {
		if s.Status().Code != codes.Error {
			t.Errorf("span %q status = %v, want error", s.Name(), s.Status())
		}
		checkAttrs(t, s.Name(), s, map[attribute.Key]any{"error.type": "throttled"})
	}
}

func TestPromptsOnlyWhenAsked(t *testing.T) {
	cs, spans := serve(t, true)
	ask(t, cs, "the question", nil)
	call := byName(spans, "chat us.amazon.nova-lite-v1:0")[0]
	a := attrs(call)
	if in := a["gen_ai.input.messages"].AsString(); !strings.Contains(in, "the question") {
		t.Errorf("gen_ai.input.messages = %q, want the prompt with LOG_PROMPTS", in)
	}
	if out := a["gen_ai.output.messages"].AsString(); !strings.Contains(out, "echo: the question") {
		t.Errorf("gen_ai.output.messages = %q, want the answer with LOG_PROMPTS", out)
	}
}

func checkAttrs(t *testing.T, what string, s sdktrace.ReadOnlySpan, want map[attribute.Key]any) {
	t.Helper()
	got := attrs(s)
	for k, w := range want {
		v, ok := got[k]
		if !ok {
			t.Errorf("%s has no %s", what, k)
			continue
		}
		var g any
		switch ws := w.(type) {
		case string:
			g = v.AsString()
		case int64:
			g = v.AsInt64()
		case bool:
			g = v.AsBool()
		case float64:
			g = v.AsFloat64()
		case []string:
			g = strings.Join(v.AsStringSlice(), ",")
			w = strings.Join(ws, ",")
		}
		if g != w {
			t.Errorf("%s %s = %v, want %v", what, k, g, w)
		}
	}
}

func TestEnabled(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
	}
	for _, tt := range tests {
		if got := tracing.Enabled(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("Enabled(%v) = %v, want %v", tt.env, got, tt.want)
		}
	}
}

func TestProtocol(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    string
		wantErr string
	}{
		{nil, tracing.ProtocolHTTP, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, tracing.ProtocolHTTP, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, tracing.ProtocolGRPC, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, tracing.ProtocolGRPC, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, tracing.ProtocolHTTP, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "", "OTEL_EXPORTER_OTLP_PROTOCOL=http/json"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "thrift"}, "", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=thrift"},
	}
	for _, tt := range tests {
		got, err := tracing.Protocol(func(k string) string { return tt.env[k] })
		if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Protocol(%v) = %q, %v, want %q, error with %q", tt.env, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestUnknownProtocolRefused(t *testing.T) {
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}
	_, err := tracing.Start(t.Context(), tracing.Options{Getenv: func(k string) string { return env[k] }})
	if err == nil || !strings.Contains(err.Error(), "grpc") || !strings.Contains(err.Error(), "http/protobuf") {
		t.Errorf("Start with http/json = %v, want an error naming grpc and http/protobuf", err)
	}
}
