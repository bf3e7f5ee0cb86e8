package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// lockedBuffer collects a gateway's log, written from the process's pipe.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startStdio starts the gateway binary over stdio against its built-in
// simulator and connects to it as the agent name.
func startStdio(t *testing.T, name string, env ...string) *Client {
	t.Helper()
	log := &lockedBuffer{}
	c, err := Connect(t.Context(), Options{
		Command: gatewayBin,
		Args:    []string{"--simulate"},
		Env:     append([]string{"BEDROCK_MAX_ATTEMPTS=1", "LOG_LEVEL=WARN"}, env...),
		Dir:     t.TempDir(), // no stray .env
		Stderr:  log,
		Name:    name,
	})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", log.String())
		}
	})
	return c
}

func userSays(text string) []Message { return []Message{{Role: RoleUser, Content: text}} }

func TestGenerateStdio(t *testing.T) {
	c := startStdio(t, "agent-a")
	req := GenerateRequest{
		Model:       "nova-lite",
		Messages:    userSays("Capital of France? [sim:reply=Paris.]"),
		Temperature: new(0.2),
		MaxTokens:   100,
	}
	first, err := c.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if first.Content != "Paris." || first.Model != "nova-lite" || first.FinishReason != FinishStop || first.Cached {
		t.Errorf("Generate = %+v, want content Paris., model nova-lite, finish stop, not cached", first)
	}
	if first.ModelID == "" || first.Usage.TotalTokens != first.Usage.InputTokens+first.Usage.OutputTokens || first.Usage.OutputTokens == 0 {
		t.Errorf("Generate usage = %+v, model_id %q; want a model ID and consistent token counts", first.Usage, first.ModelID)
	}
	if first.EstimatedCostUSD == nil || *first.EstimatedCostUSD <= 0 {
		t.Errorf("Generate cost = %v, want a positive price for nova-lite", first.EstimatedCostUSD)
	}

	second, err := c.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("Generate again: %v", err)
	}
	if !second.Cached || second.Content != first.Content || second.EstimatedCostUSD == nil || *second.EstimatedCostUSD != 0 || second.SavedCostUSD == nil {
		t.Errorf("Generate again = %+v, want the cached answer at no cost, with savings", second)
	}

	req.NoCache = true
	third, err := c.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("Generate with NoCache: %v", err)
	}
	if third.Cached {
		t.Errorf("Generate with NoCache: cached = true, want a fresh answer")
	}
}

func TestGenerateErrors(t *testing.T) {
	c := startStdio(t, "agent-errors")
	tests := []struct {
		name      string
		req       GenerateRequest
		kind      ErrorKind
		retryable bool
		mention   string
	}{
		{"temperature out of range", GenerateRequest{Model: "nova-lite", Messages: userSays("hi"), Temperature: new(1.5)}, KindInvalidRequest, false, "temperature"},
		{"no messages", GenerateRequest{Model: "nova-lite"}, KindInvalidRequest, false, "messages"},
		{"unknown model", GenerateRequest{Model: "gpt-9000", Messages: userSays("hi")}, KindUnknownModel, false, "gpt-9000"},
		{"end of life", GenerateRequest{Model: "claude-3-5-sonnet", Messages: userSays("hi")}, KindEndOfLife, false, "claude-sonnet-4-6"},
		{"throttled", GenerateRequest{Model: "nova-lite", Messages: userSays("hi [sim:throttle]")}, KindThrottled, true, ""},
		{"unavailable", GenerateRequest{Model: "nova-lite", Messages: userSays("hi [sim:error=503]")}, KindUnavailable, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Generate(t.Context(), tt.req)
			var gerr *Error
			if !errors.As(err, &gerr) {
				t.Fatalf("Generate = %+v, %v; want a *client.Error", resp, err)
			}
			if gerr.Kind != tt.kind || gerr.Retryable != tt.retryable {
				t.Errorf("Generate error kind, retryable = %s, %v; want %s, %v (%v)", gerr.Kind, gerr.Retryable, tt.kind, tt.retryable, err)
			}
			if !strings.Contains(gerr.Message, tt.mention) || strings.HasPrefix(gerr.Message, "[") {
				t.Errorf("Generate error message = %q, want it to mention %q without the [kind] prefix", gerr.Message, tt.mention)
			}
			if !strings.Contains(err.Error(), "["+string(tt.kind)+"]") {
				t.Errorf("Generate error = %q, want it to show [%s]", err, tt.kind)
			}
		})
	}
}

func TestListModels(t *testing.T) {
	c := startStdio(t, "agent-models")
	all, err := c.ListModels(t.Context(), ListModelsRequest{})
	if err != nil {
		t.Fatalf("ListModels: %v", err)
	}
	byName := map[string]Model{}
	for _, m := range all {
		byName[m.Name] = m
	}
	for _, name := range []string{"nova-pro", "nova-lite", "claude-sonnet-4-6", "llama-3-3-70b"} {
		m, ok := byName[name]
		if !ok {
			t.Errorf("ListModels has no %s", name)
			continue
		}
		if m.ModelID == "" || m.MaxTokens == 0 || m.ContextWindow == 0 || !m.Priced || m.InputCostPer1K <= 0 {
			t.Errorf("ListModels %s = %+v, want model ID, limits and a price", name, m)
		}
	}

	anthropic, err := c.ListModels(t.Context(), ListModelsRequest{Provider: "anthropic", Status: "active"})
	if err != nil {
		t.Fatalf("ListModels(anthropic): %v", err)
	}
	if len(anthropic) == 0 || len(anthropic) >= len(all) {
		t.Errorf("ListModels(anthropic) has %d of %d models, want some but not all", len(anthropic), len(all))
	}
	for _, m := range anthropic {
		if m.Provider != "anthropic" || m.Status != "active" {
			t.Errorf("ListModels(anthropic, active) gave %s (%s, %s)", m.Name, m.Provider, m.Status)
		}
	}

	_, err = c.ListModels(t.Context(), ListModelsRequest{Capability: "telepathy"})
	var gerr *Error
	if !errors.As(err, &gerr) || gerr.Kind != KindInvalidRequest {
		t.Errorf("ListModels(capability telepathy) error = %v, want invalid_request", err)
	}
}

func TestStats(t *testing.T) {
	c := startStdio(t, "agent-stats")
	for _, model := range []string{"nova-lite", "nova-micro", "nova-lite"} {
		if _, err := c.Generate(t.Context(), GenerateRequest{Model: model, Messages: userSays("count me")}); err != nil {
			t.Fatalf("Generate(%s): %v", model, err)
		}
	}
	st, err := c.Stats(t.Context())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	m := st.Metrics
	if diff := cmp.Diff(map[string]int64{"nova-lite": 2, "nova-micro": 1}, m.RequestsByModel); diff != "" {
		t.Errorf("Stats requests_by_model (-want +got):\n%s", diff)
	}
	if m.TotalRequests != 3 || m.CacheHits != 1 || m.TotalCostUSD <= 0 || m.CostSavedUSD <= 0 {
		t.Errorf("Stats metrics = %+v, want 3 requests, 1 cache hit, spend and savings", m)
	}
	if a := m.RequestsByAgent["agent-stats"]; a.Requests != 3 {
		t.Errorf("Stats requests_by_agent = %+v, want 3 requests by agent-stats (the client's Name)", m.RequestsByAgent)
	}
	if !st.Gateway.Simulated || !st.Cache.Enabled || st.Cache.CurrentSize != 2 {
		t.Errorf("Stats gateway, cache = %+v, %+v; want simulated, cache enabled with 2 answers", st.Gateway, st.Cache)
	}
}

// TestWireShapes decodes the real gateway's results strictly into this
// package's types: a field the gateway sends that the client does not
// know, or a type that differs, fails here rather than being dropped in
// silence by the lenient decoding that users get.
func TestWireShapes(t *testing.T) {
	c := startStdio(t, "agent-wire")
	tests := []struct {
		tool string
		args any
		into any
	}{
		{"generate", generateArgs{Model: "nova-lite", Messages: userSays("wire")}, new(GenerateResponse)},
		{"generate", generateArgs{Model: "nova-lite", Messages: userSays("wire")}, new(GenerateResponse)}, // cached: saved_cost_usd
		{"list_models", map[string]any{"detail": true}, new(listModelsResult)},                            // what ListModels asks for
		{"get_stats", map[string]any{}, new(Stats)},
	}
	for _, tt := range tests {
		res, err := c.session.CallTool(t.Context(), &mcp.CallToolParams{Name: tt.tool, Arguments: tt.args})
		if err != nil || res.IsError {
			t.Fatalf("CallTool(%s) = %+v, %v", tt.tool, res, err)
		}
		raw, err := resultJSON(res)
		if err != nil {
			t.Fatalf("CallTool(%s): %v", tt.tool, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(tt.into); err != nil {
			t.Errorf("%s result does not fit the client's type: %v\n%s", tt.tool, err, raw)
		}
	}
}

func TestGenerateStreamStdio(t *testing.T) {
	c := startStdio(t, "agent-stream")
	req := GenerateRequest{Model: "nova-lite", Messages: userSays("Stream, please. [sim:token-delay=1ms]")}
	for _, wantCached := range []bool{false, true} {
		var pieces []string
		req.OnDelta = func(s string) { pieces = append(pieces, s) }
		resp, err := c.Generate(t.Context(), req)
		if err != nil {
			t.Fatalf("Generate(stream, cached %v): %v", wantCached, err)
		}
		if resp.Cached != wantCached {
			t.Errorf("Generate(stream) cached = %v, want %v", resp.Cached, wantCached)
		}
		if got := strings.Join(pieces, ""); got != resp.Content || resp.Content == "" {
			t.Errorf("Generate(stream, cached %v) pieces add up to %q, want the content %q", wantCached, got, resp.Content)
		}
		if !wantCached && (len(pieces) < 2 || resp.TimeToFirstTokenMs == nil) {
			t.Errorf("Generate(stream) gave %d pieces, time to first token %v; want several pieces and a time", len(pieces), resp.TimeToFirstTokenMs)
		}
	}
}

func TestGenerateArgsJSON(t *testing.T) {
	tests := []struct {
		name string
		req  GenerateRequest
		want string
	}{
		{
			name: "defaults left out",
			req:  GenerateRequest{Model: "nova-pro", Messages: userSays("hi")},
			want: `{"model":"nova-pro","messages":[{"role":"user","content":"hi"}]}`,
		},
		{
			name: "no cache, stream by callback",
			req:  GenerateRequest{Model: "m", Messages: userSays("hi"), NoCache: true, MaxTokens: 5, Temperature: new(0.0), OnDelta: func(string) {}},
			want: `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":5,"cache":false,"stream":true}`,
		},
		{
			name: "blocks, tools and a named tool choice",
			req: GenerateRequest{
				Model: "m",
				Messages: []Message{
					{Role: RoleUser, Blocks: []Block{{Type: BlockText, Text: "see"}, {Type: BlockImage, Format: "png", Data: []byte{0x89, 'P'}}}},
					{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "t1", Name: "look", Arguments: json.RawMessage(`{"x":1}`)}}},
					{Role: RoleTool, ToolCallID: "t1", Content: "42"},
				},
				Tools:      []Tool{{Name: "look", InputSchema: json.RawMessage(`{"type":"object"}`)}},
				ToolChoice: "look",
			},
			want: `{"model":"m","messages":[` +
				`{"role":"user","content":[{"type":"text","text":"see"},{"type":"image","format":"png","data":"iVA="}]},` +
				`{"role":"assistant","content":"","tool_calls":[{"id":"t1","name":"look","arguments":{"x":1}}]},` +
				`{"role":"tool","content":"42","tool_call_id":"t1"}],` +
				`"tools":[{"name":"look","input_schema":{"type":"object"}}],"tool_choice":{"name":"look"}}`,
		},
		{
			name: "tool choice any, fallbacks",
			req:  GenerateRequest{Model: "m", Messages: userSays("hi"), ToolChoice: ToolChoiceAny, FallbackModels: []string{"n"}},
			want: `{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"any","fallback_models":["n"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.req.args())
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("generate arguments =\n%s\nwant\n%s", b, tt.want)
			}
		})
	}
}
