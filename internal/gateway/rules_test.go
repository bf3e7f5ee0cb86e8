package gateway

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// ruleModel is a model that refuses every feature a catalog can name.
func ruleModel(reasoning string, rejects ...string) Model {
	return Model{
		Name: "strict", ID: "x.strict", MaxOutputTokens: 32000, MaxTemperature: 1, Status: StatusActive,
		SupportsSystem: true, SupportsToolUse: true, SupportsStreaming: true,
		Rules: Rules{Rejects: rejects, Reasoning: reasoning, Efforts: []string{"low", "medium", "high", "max"}},
	}
}

// TestValidateRules checks each rule: a request breaking it is refused with
// the field to change, and the same request passes on a model without it.
func TestValidateRules(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tools := []Tool{{Name: "f"}}
	tests := []struct {
		name      string
		rule      string
		req       Request
		wantField string
		wantSays  string
	}{
		{"temperature", RejectTemperature, Request{Temperature: f(0.2)}, "temperature", "omit temperature"},
		{"top_p", RejectTopP, Request{TopP: f(0.9)}, "top_p", "omit top_p"},
		{"top_k", RejectTopK, Request{AdditionalFields: json.RawMessage(`{"top_k":5}`)}, "additional_fields.top_k", "remove it"},
		{"prefill", RejectPrefill, Request{Messages: []Message{{Role: RoleUser, Content: "x"}, {Role: RoleAssistant, Content: "{"}}}, "messages", "end the conversation with a user message"},
		{"forced tool choice", RejectForcedToolChoice, Request{Tools: tools, ToolChoice: &ToolChoice{Mode: ToolChoiceAny}}, "tool_choice", `use "auto"`},
		{"named tool choice", RejectForcedToolChoice, Request{Tools: tools, ToolChoice: &ToolChoice{Mode: ToolChoiceTool, Name: "f"}}, "tool_choice", `use "auto"`},
		{"tools while streaming", RejectToolsStreaming, Request{Tools: tools, Stream: true}, "stream", "set stream to false"},
		{"reasoning off", RejectReasoningOff, Request{Reasoning: "off"}, "reasoning", `lowest effort, "low"`},
		{"thinking disabled field", RejectReasoningOff, Request{AdditionalFields: json.RawMessage(`{"thinking":{"type":"disabled"}}`)}, "additional_fields.thinking", "cannot turn thinking off"},
		{"thinking enabled", RejectThinkingEnabled, Request{AdditionalFields: json.RawMessage(`{"thinking":{"type":"enabled","budget_tokens":2000}}`)}, "additional_fields.thinking", "set reasoning to an effort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Messages == nil {
				req.Messages = userMsg("hi")
			}
			_, err := validate(&req, ruleModel(ReasoningAdaptive, tt.rule), 1<<20)
			var ge *Error
			if !errors.As(err, &ge) || ge.Kind != KindInvalidRequest || ge.Field != tt.wantField || !strings.Contains(ge.Message, tt.wantSays) {
				t.Fatalf("with rule %s: validate() = %v, want an invalid %s saying %q", tt.rule, err, tt.wantField, tt.wantSays)
			}
			if !strings.Contains(ge.Message, "strict") {
				t.Errorf("message %q does not name the model", ge.Message)
			}
			if _, err := validate(&req, ruleModel(ReasoningAdaptive), 1<<20); err != nil {
				t.Errorf("without rule %s: validate() = %v, want valid", tt.rule, err)
			}
		})
	}
}

// TestRulesAllowDefaults checks what the rules let through: temperature 1,
// top_p of 0.99 or more, tool_choice auto, tools without streaming.
func TestRulesAllowDefaults(t *testing.T) {
	one, high := 1.0, 0.995
	m := ruleModel(ReasoningAdaptive, RuleNames...)
	req := Request{Messages: userMsg("hi"), Temperature: &one, TopP: &high,
		Tools: []Tool{{Name: "f"}}, ToolChoice: &ToolChoice{Mode: ToolChoiceAuto}, Reasoning: "max"}
	if _, err := validate(&req, m, 1<<20); err != nil {
		t.Fatalf("validate() = %v, want valid", err)
	}
}

// TestReasoningFields checks the model fields an effort becomes, per style.
func TestReasoningFields(t *testing.T) {
	tests := []struct {
		style, effort string
		extra         string // additional fields already given
		want          string // "" with wantField: refused
		wantField     string
	}{
		{ReasoningAdaptive, "high", "", `{"output_config":{"effort":"high"},"thinking":{"type":"adaptive"}}`, ""},
		{ReasoningAdaptive, "off", "", `{"thinking":{"type":"disabled"}}`, ""},
		{ReasoningAdaptive, "HIGH", `{"top_k":3}`, `{"output_config":{"effort":"high"},"thinking":{"type":"adaptive"},"top_k":3}`, ""},
		{ReasoningAdaptive, "extreme", "", "", "reasoning"},
		{ReasoningAdaptive, "high", `{"thinking":{"type":"adaptive"}}`, "", "additional_fields.thinking"},
		{ReasoningBudget, "medium", "", `{"thinking":{"budget_tokens":4096,"type":"enabled"}}`, ""},
		{ReasoningBudget, "off", "", ``, ""},
		{ReasoningBudget, "max", "", "", "max_tokens"}, // budget 65536 >= max_tokens 32000
		{ReasoningEffortField, "low", "", `{"reasoning_effort":"low"}`, ""},
		{ReasoningEffortField, "off", "", "", "reasoning"},
		{ReasoningNova, "medium", "", `{"reasoningConfig":{"maxReasoningEffort":"medium","type":"enabled"}}`, ""},
		{ReasoningAlways, "high", "", "", "reasoning"},
		{"", "high", "", "", "reasoning"},
	}
	for _, tt := range tests {
		t.Run(tt.style+"/"+tt.effort, func(t *testing.T) {
			req := Request{Messages: userMsg("hi"), Reasoning: tt.effort, AdditionalFields: json.RawMessage(tt.extra)}
			c, err := validate(&req, ruleModel(tt.style), 1<<20)
			if tt.wantField != "" {
				var ge *Error
				if !errors.As(err, &ge) || ge.Field != tt.wantField {
					t.Fatalf("validate() = %v, want an error about %s", err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(c.AdditionalFields); got != tt.want {
				t.Errorf("additional fields = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestNotCallable checks that a model served elsewhere than Converse is
// refused, saying why.
func TestNotCallable(t *testing.T) {
	m := ruleModel("")
	m.Endpoint = "bedrock-mantle"
	req := Request{Messages: userMsg("hi")}
	_, err := validate(&req, m, 1<<20)
	var ge *Error
	if !errors.As(err, &ge) || ge.Field != "model" || !strings.Contains(ge.Message, "bedrock-mantle") {
		t.Fatalf("validate() = %v, want a refusal naming bedrock-mantle", err)
	}
	m.Endpoint = EndpointRuntime
	if _, err := validate(&req, m, 1<<20); err != nil {
		t.Fatalf("on bedrock-runtime: validate() = %v", err)
	}
}
