package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var richModels = fakeCatalog{
	"vision": {
		Name: "vision", ID: "v1", MaxOutputTokens: 100, MaxTemperature: 1, Status: StatusActive,
		SupportsSystem: true, SupportsImages: true, SupportsDocuments: true, SupportsToolUse: true,
		SupportsStreaming: true, SupportsPromptCaching: true,
	},
	"plain":  {Name: "plain", ID: "p1", MaxOutputTokens: 100, MaxTemperature: 1, Status: StatusActive},
	"backup": {Name: "backup", ID: "b1", MaxOutputTokens: 100, MaxTemperature: 1, Status: StatusActive, SupportsImages: true},
	"small":  {Name: "small", ID: "s1", MaxOutputTokens: 10, MaxTemperature: 1, Status: StatusActive},
}

func TestValidateContent(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G'}
	img := func(format string, data []byte) Message {
		return Message{Role: RoleUser, Blocks: []Block{{Type: BlockImage, Format: format, Data: data}}}
	}
	doc := func(name string) Message {
		return Message{Role: RoleUser, Blocks: []Block{{Type: BlockDocument, Format: "pdf", Name: name, Data: []byte("%PDF")}}}
	}
	assistantCall := Message{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "c1", Name: "f", Arguments: json.RawMessage(`{}`)}}}
	tools := []Tool{{Name: "f"}}
	tests := []struct {
		name      string
		model     string
		req       Request
		wantField string // empty: valid
	}{
		{"image ok", "vision", Request{Messages: []Message{img("png", png)}}, ""},
		{"image on text model", "plain", Request{Messages: []Message{img("png", png)}}, "messages[0].content[0]"},
		{"image format", "vision", Request{Messages: []Message{img("bmp", png)}}, "messages[0].content[0].format"},
		{"image empty", "vision", Request{Messages: []Message{img("png", nil)}}, "messages[0].content[0].data"},
		{"image too big", "vision", Request{Messages: []Message{img("png", make([]byte, imageMedia.maxBytes+1))}}, "messages[0].content[0].data"},
		{"document ok", "vision", Request{Messages: []Message{doc("Q3 report (final)")}}, ""},
		{"document bad name", "vision", Request{Messages: []Message{doc("a/b")}}, "messages[0].content[0].name"},
		{"text and blocks", "vision", Request{Messages: []Message{{Role: RoleUser, Content: "x", Blocks: []Block{{Type: BlockText, Text: "y"}}}}}, "messages[0].content"},
		{"only a cache point", "vision", Request{Messages: []Message{{Role: RoleUser, Blocks: []Block{{Type: BlockCachePoint}}}}}, "messages[0].content"},
		{"cache point unsupported", "plain", Request{Messages: []Message{{Role: RoleUser, Blocks: []Block{{Type: BlockText, Text: "x"}, {Type: BlockCachePoint}}}}}, "messages[0].content[1]"},
		{"unknown block", "vision", Request{Messages: []Message{{Role: RoleUser, Blocks: []Block{{Type: "video"}}}}}, "messages[0].content[0].type"},
		{"tool loop ok", "vision", Request{Tools: tools, Messages: []Message{{Role: RoleUser, Content: "go"}, assistantCall, {Role: RoleTool, ToolCallID: "c1", Content: "42"}}}, ""},
		{"tool result for no call", "vision", Request{Tools: tools, Messages: []Message{{Role: RoleUser, Content: "go"}, {Role: RoleTool, ToolCallID: "zz", Content: "42"}}}, "messages[1].tool_call_id"},
		{"tool loop without tools", "vision", Request{Messages: []Message{{Role: RoleUser, Content: "go"}, assistantCall, {Role: RoleTool, ToolCallID: "c1", Content: "42"}}}, "tools"},
		{"tool message without id", "vision", Request{Tools: tools, Messages: []Message{{Role: RoleUser, Content: "go"}, {Role: RoleTool, Content: "42"}}}, "messages[1].tool_call_id"},
		{"tools on plain model", "plain", Request{Tools: tools, Messages: userMsg("x")}, "tools"},
		{"bad tool name", "vision", Request{Tools: []Tool{{Name: "a b"}}, Messages: userMsg("x")}, "tools[0].name"},
		{"empty tool name", "vision", Request{Tools: []Tool{{Name: ""}}, Messages: userMsg("x")}, "tools[0].name"},
		{"tool name of 64", "vision", Request{Tools: []Tool{{Name: strings.Repeat("f", 64)}}, Messages: userMsg("x")}, ""},
		{"tool name of 65", "vision", Request{Tools: []Tool{{Name: strings.Repeat("f", 65)}}, Messages: userMsg("x")}, "tools[0].name"},
		{"duplicate tool", "vision", Request{Tools: []Tool{{Name: "f"}, {Name: "f"}}, Messages: userMsg("x")}, "tools[1].name"},
		{"tool schema not object", "vision", Request{Tools: []Tool{{Name: "f", InputSchema: json.RawMessage(`[]`)}}, Messages: userMsg("x")}, "tools[0].input_schema"},
		{"choice names unknown tool", "vision", Request{Tools: tools, ToolChoice: &ToolChoice{Mode: ToolChoiceTool, Name: "g"}, Messages: userMsg("x")}, "tool_choice"},
		{"choice without tools", "vision", Request{ToolChoice: &ToolChoice{Mode: ToolChoiceAny}, Messages: userMsg("x")}, "tool_choice"},
		{"cache system without system", "vision", Request{CacheSystem: true, Messages: userMsg("x")}, "prompt_cache"},
		{"cache on plain model", "plain", Request{System: "s", CacheSystem: true, Messages: userMsg("x")}, "prompt_cache"},
		{"additional fields not object", "vision", Request{AdditionalFields: json.RawMessage(`5`), Messages: userMsg("x")}, "additional_fields"},
		{"guardrail without version", "vision", Request{Guardrail: &Guardrail{ID: "g"}, Messages: userMsg("x")}, "guardrail"},
		{"guardrail bad id", "vision", Request{Guardrail: &Guardrail{ID: "gr-1", Version: "1"}, Messages: userMsg("x")}, "guardrail.id"},
		{"guardrail arn", "vision", Request{Guardrail: &Guardrail{ID: "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc1", Version: "1"}, Messages: userMsg("x")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := validate(&tt.req, richModels[tt.model], 1<<20)
			var e *Error
			switch {
			case tt.wantField == "" && err != nil:
				t.Fatalf("validate() = %v, want valid", err)
			case tt.wantField != "" && (!errors.As(err, &e) || e.Field != tt.wantField):
				t.Fatalf("validate() = %v, want an error about %s", err, tt.wantField)
			}
		})
	}
}

func TestGenerateFallsBack(t *testing.T) {
	p := &fakeProvider{fn: func(_ context.Context, c *Call) (*Completion, error) {
		if c.ModelID == "v1" {
			return nil, &Error{Kind: KindThrottled, Retryable: true, Message: "slow down"}
		}
		return &Completion{Content: "from " + c.ModelID, FinishReason: FinishStop}, nil
	}}
	rec := &recorder{}
	g, err := New(Options{Catalog: richModels, Provider: p, Recorders: []Recorder{rec}, Fallbacks: map[string][]string{"vision": {"small", "backup"}}})
	if err != nil {
		t.Fatal(err)
	}
	// small cannot take max_tokens 50 and is passed over; backup answers.
	resp, err := g.Generate(t.Context(), &Request{Model: "vision", Messages: userMsg("hi"), MaxTokens: 50})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "backup" || resp.Content != "from b1" || len(resp.Attempts) != 2 || resp.Attempts[0].Kind != KindThrottled || resp.Attempts[1].Model != "small" {
		t.Errorf("Generate() = %+v, want backup's answer after vision (throttled) and small (invalid)", resp)
	}
	if e := rec.events[0]; e.Fallbacks != 2 || e.Model != "backup" {
		t.Errorf("event = %+v, want 2 fallbacks, model backup", e)
	}
	// A request's own chain replaces the default; when all fail, the error
	// says what was tried.
	_, err = g.Generate(t.Context(), &Request{Model: "vision", Messages: userMsg("hi"), FallbackModels: []string{"vision"}})
	if KindOf(err) != KindThrottled || !strings.Contains(err.Error(), "tried before it: vision (throttled)") {
		t.Errorf("Generate() error = %v, want throttled naming the attempts", err)
	}
	// The chain for any model does not try the failed model again.
	g.opts.Fallbacks = map[string][]string{"*": {"vision", "backup"}}
	resp, err = g.Generate(t.Context(), &Request{Model: "vision", Messages: userMsg("hi")})
	if err != nil || resp.Model != "backup" || len(resp.Attempts) != 1 {
		t.Errorf("Generate() = %+v, %v; want backup after one attempt of vision", resp, err)
	}
	// An invalid request is not retried elsewhere.
	_, err = g.Generate(t.Context(), &Request{Model: "vision", Messages: userMsg("hi"), Temperature: ptr(3.0)})
	if KindOf(err) != KindInvalidRequest || strings.Contains(err.Error(), "tried") {
		t.Errorf("Generate() error = %v, want the primary's invalid request alone", err)
	}
}

// streamer is a fake provider that streams its answer in pieces.
type streamer struct {
	fakeProvider
	pieces []string
}

func (s *streamer) ConverseStream(_ context.Context, c *Call, onDelta func(string)) (*Completion, error) {
	s.calls.Add(1)
	for _, p := range s.pieces {
		onDelta(p)
	}
	return &Completion{Content: strings.Join(s.pieces, ""), FinishReason: FinishStop}, nil
}

func TestGenerateStreams(t *testing.T) {
	p := &streamer{pieces: []string{"Hel", "lo", "!"}}
	g, err := New(Options{Catalog: richModels, Provider: p, Cache: &mapCache{}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	req := &Request{Model: "vision", Messages: userMsg("hi"), Stream: true, OnDelta: func(s string) { got = append(got, s) }}
	resp, err := g.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "Hel|lo|!" || resp.Content != "Hello!" || resp.TimeToFirstTokenMs == nil {
		t.Errorf("deltas %q, response %+v; want Hel|lo|! and Hello! with time to first token", got, resp)
	}
	// The completed stream was cached: the repeat arrives in one piece.
	got = nil
	resp, err = g.Generate(t.Context(), req)
	if err != nil || !resp.Cached || strings.Join(got, "|") != "Hello!" || p.calls.Load() != 1 {
		t.Errorf("repeat = %+v, %v, deltas %q, calls %d; want cached, one delta, one upstream call", resp, err, got, p.calls.Load())
	}
	// A model without streaming is called plainly and its text delivered whole.
	got = nil
	resp, err = g.Generate(t.Context(), &Request{Model: "plain", Messages: userMsg("hi"), Stream: true, OnDelta: func(s string) { got = append(got, s) }})
	if err != nil || len(got) != 1 || got[0] != resp.Content {
		t.Errorf("non-streaming model: deltas %q, response %+v, %v", got, resp, err)
	}
}
