package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// wireCases are calls whose request body, as the SDK serializes it and the
// simulator receives it, is kept under testdata/wire/<name>.json.
var wireCases = []struct {
	name string
	call gateway.Call
}{
	{"tools", gateway.Call{
		SupportsSystem: true,
		Tools: []gateway.Tool{
			{Name: "get_weather", Description: "Weather for a city",
				InputSchema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","maximum":12345678901234567890}},"required":["city"]}`)},
			{Name: "now"},
		},
		ToolChoice: &gateway.ToolChoice{Mode: gateway.ToolChoiceTool, Name: "get_weather"},
		CacheTools: true,
		Messages: []gateway.Message{
			user("What is the weather in Paris?"),
			{Role: gateway.RoleAssistant, Content: "Let me check.", ToolCalls: []gateway.ToolCall{
				{ID: "tool-1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris","days":0.5e1}`)},
				{ID: "tool-2", Name: "now"},
			}},
			{Role: gateway.RoleTool, ToolCallID: "tool-1", Content: "Sunny, 21°C"},
			{Role: gateway.RoleTool, ToolCallID: "tool-2", Blocks: []gateway.Block{{Type: gateway.BlockText, Text: "12:00"}}},
			user("Thanks. Should I take an umbrella?"),
		},
	}},
	{"blocks", gateway.Call{
		SupportsSystem: true,
		Messages: []gateway.Message{{Role: gateway.RoleUser, Blocks: []gateway.Block{
			{Type: gateway.BlockText, Text: "Compare these."},
			{Type: gateway.BlockImage, Format: "png", Data: []byte("\x89PNG fake")},
			{Type: gateway.BlockDocument, Format: "pdf", Name: "report (2024)", Data: []byte("%PDF fake")},
			{Type: gateway.BlockCachePoint},
			{Type: gateway.BlockText, Text: "Briefly."},
		}}},
	}},
	{"cache_system", gateway.Call{
		SupportsSystem: true, CacheSystem: true,
		System:   []string{"You are a long and expensive system prompt."},
		Messages: []gateway.Message{user("Hi")},
	}},
	{"cache_system_folded", gateway.Call{
		CacheSystem: true,
		System:      []string{"You are a long and expensive system prompt."},
		Messages:    []gateway.Message{user("Hi")},
	}},
	{"guardrail_and_fields", gateway.Call{
		SupportsSystem:   true,
		Guardrail:        &gateway.Guardrail{ID: "gr1abc23", Version: "DRAFT"},
		AdditionalFields: json.RawMessage(`{"top_k": 50, "nested": {"x": [1, 2.50]}}`),
		Messages:         []gateway.Message{user("Hi")},
	}},
}

func TestWireGolden(t *testing.T) {
	sim, srv := startSim(t, nil)
	c := newTestClient(t, srv, 1)
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.ModelID = novaPro
			if _, err := c.Converse(t.Context(), &tc.call); err != nil {
				t.Fatalf("Converse: %v", err)
			}
			got := canonical(t, sim.LastRequest(novaPro))
			checkGolden(t, filepath.Join("testdata", "wire", tc.name+".json"), got)

			// ConverseStream sends the same body.
			if _, err := c.ConverseStream(t.Context(), &tc.call, nil); err != nil {
				t.Fatalf("ConverseStream: %v", err)
			}
			if stream := canonical(t, sim.LastRequest(novaPro)); !bytes.Equal(stream, got) {
				t.Errorf("ConverseStream body differs from Converse's (-converse +stream):\n%s", cmp.Diff(string(got), string(stream)))
			}
		})
	}
}

// canonical re-indents JSON with sorted keys and numbers as sent.
func canonical(t *testing.T, raw []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("request body %q: %v", raw, err)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestToolChoice(t *testing.T) {
	tests := []struct {
		choice *gateway.ToolChoice
		want   types.ToolChoice
	}{
		{nil, nil},
		{&gateway.ToolChoice{Mode: gateway.ToolChoiceAuto}, &types.ToolChoiceMemberAuto{}},
		{&gateway.ToolChoice{Mode: gateway.ToolChoiceAny}, &types.ToolChoiceMemberAny{}},
	}
	for _, tc := range tests {
		cfg, err := toolConfig(&gateway.Call{Tools: []gateway.Tool{{Name: "x"}}, ToolChoice: tc.choice})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprintf("%T", cfg.ToolChoice), fmt.Sprintf("%T", tc.want); got != want {
			t.Errorf("tool choice %+v: got %s, want %s", tc.choice, got, want)
		}
	}
	if cfg, _ := toolConfig(&gateway.Call{}); cfg != nil {
		t.Errorf("toolConfig without tools = %+v, want nil", cfg)
	}
	_, err := toolConfig(&gateway.Call{Tools: []gateway.Tool{{Name: "x"}}, ToolChoice: &gateway.ToolChoice{Mode: "sometimes"}})
	if gateway.KindOf(err) != gateway.KindInvalidRequest {
		t.Errorf("unknown tool choice mode: %v, want an invalid request", err)
	}
}

func TestBuildInputRejectsBadJSON(t *testing.T) {
	tests := map[string]gateway.Call{
		"tool arguments": {Messages: []gateway.Message{user("q"), {Role: gateway.RoleAssistant,
			ToolCalls: []gateway.ToolCall{{ID: "1", Name: "f", Arguments: json.RawMessage(`{"a":`)}}}}},
		"input schema":      {Messages: []gateway.Message{user("q")}, Tools: []gateway.Tool{{Name: "f", InputSchema: json.RawMessage(`{} {}`)}}},
		"additional fields": {Messages: []gateway.Message{user("q")}, AdditionalFields: json.RawMessage(`nope`)},
		"block type":        {Messages: []gateway.Message{{Role: gateway.RoleUser, Blocks: []gateway.Block{{Type: "video"}}}}},
	}
	for name, call := range tests {
		if _, err := buildInput(&call); gateway.KindOf(err) != gateway.KindInvalidRequest {
			t.Errorf("%s: buildInput error %v, want an invalid request", name, err)
		}
	}
}

func TestCompletionToolCalls(t *testing.T) {
	out := &bedrockruntime.ConverseOutput{
		Output: &types.ConverseOutputMemberMessage{Value: types.Message{
			Role: types.ConversationRoleAssistant,
			Content: []types.ContentBlock{
				&types.ContentBlockMemberText{Value: "Checking."},
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
					ToolUseId: ptr("tooluse_1"), Name: ptr("get_weather"),
					Input: document.NewLazyDocument(map[string]any{"city": "Paris"}),
				}},
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: ptr("tooluse_2"), Name: ptr("now")}},
			},
		}},
		StopReason: types.StopReasonToolUse,
	}
	got, _ := completion(out)
	want := &gateway.Completion{
		Content:      "Checking.",
		FinishReason: gateway.FinishToolCalls,
		ToolCalls: []gateway.ToolCall{
			{ID: "tooluse_1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
			{ID: "tooluse_2", Name: "now", Arguments: json.RawMessage(`{}`)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("completion (-want +got):\n%s", diff)
	}
}

func TestAssemblerToolCalls(t *testing.T) {
	start := func(i int32, id, name string) types.ConverseStreamOutput {
		return &types.ConverseStreamOutputMemberContentBlockStart{Value: types.ContentBlockStartEvent{
			ContentBlockIndex: ptr(i),
			Start:             &types.ContentBlockStartMemberToolUse{Value: types.ToolUseBlockStart{ToolUseId: ptr(id), Name: ptr(name)}},
		}}
	}
	input := func(i int32, s string) types.ConverseStreamOutput {
		return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
			ContentBlockIndex: ptr(i),
			Delta:             &types.ContentBlockDeltaMemberToolUse{Value: types.ToolUseBlockDelta{Input: ptr(s)}},
		}}
	}
	text := &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: ptr[int32](0), Delta: &types.ContentBlockDeltaMemberText{Value: "Checking."},
	}}
	var a assembler
	for _, ev := range []types.ConverseStreamOutput{
		text,
		start(1, "t1", "get_weather"), input(1, `{"ci`), input(1, `ty":"Paris"}`),
		start(2, "t2", "now"),
		input(9, `ignored: no such block`),
		&types.ConverseStreamOutputMemberMessageStop{Value: types.MessageStopEvent{StopReason: types.StopReasonToolUse}},
	} {
		a.add(ev)
	}
	if name := a.badToolInput(); name != "" {
		t.Errorf("badToolInput() = %q, want none", name)
	}
	got, _ := a.completion()
	want := &gateway.Completion{
		Content:      "Checking.",
		FinishReason: gateway.FinishToolCalls,
		ToolCalls: []gateway.ToolCall{
			{ID: "t1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
			{ID: "t2", Name: "now", Arguments: json.RawMessage(`{}`)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("completion (-want +got):\n%s", diff)
	}

	var bad assembler
	bad.add(start(0, "t1", "f"))
	bad.add(input(0, `{"cut`))
	if name := bad.badToolInput(); name != "f" {
		t.Errorf("badToolInput() = %q, want %q", name, "f")
	}
}
