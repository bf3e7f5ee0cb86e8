package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Rules are what one model refuses or requires of a request beyond its
// limits, as data from the catalog: Bedrock answers a request that breaks
// one with a 400, so the gateway refuses it first and says what to change.
type Rules struct {
	// Rejects lists the request features the model refuses (the Reject*
	// constants).
	Rejects []string
	// Reasoning is how the model takes a reasoning effort (the Reasoning*
	// constants); empty when it has no reasoning control.
	Reasoning string
	// Efforts are the effort levels the model accepts, lowest first; empty
	// means the style's defaults (low, medium, high).
	Efforts []string
	// DefaultEffort is the effort the model uses when none is given, for
	// documentation; empty if not known.
	DefaultEffort string
	// OptIn names a one-time step the AWS account must take before the
	// model answers (such as a data-retention agreement), for the error
	// message when Bedrock refuses a call for lack of it.
	OptIn string
}

// Features a model may refuse, as a catalog's rules name them.
const (
	// RejectTemperature: a temperature other than 1 is refused ("temperature
	// is deprecated for this model").
	RejectTemperature = "temperature"
	// RejectTopP: a top_p below 0.99 is refused.
	RejectTopP = "top_p"
	// RejectTopK: any top_k (an additional field) is refused.
	RejectTopK = "top_k"
	// RejectPrefill: a conversation that ends with an assistant turn
	// (prefilling the answer) is refused.
	RejectPrefill = "prefill"
	// RejectForcedToolChoice: tool_choice "any" or a named tool is refused;
	// only "auto" is taken.
	RejectForcedToolChoice = "forced_tool_choice"
	// RejectToolsStreaming: tools in a streamed call (ConverseStream) are
	// refused.
	RejectToolsStreaming = "tools_streaming"
	// RejectReasoningOff: reasoning cannot be turned off.
	RejectReasoningOff = "reasoning_off"
	// RejectThinkingEnabled: extended thinking as {"type":"enabled",
	// "budget_tokens":N} is refused; only adaptive thinking with an effort.
	RejectThinkingEnabled = "thinking_enabled"
	// RejectToolCaching: a prompt-cache point after the tools is refused;
	// the model caches the system prompt and messages only (Amazon Nova).
	RejectToolCaching = "tool_caching"
)

// RuleNames are every Reject* value, for validating catalogs.
var RuleNames = []string{
	RejectTemperature, RejectTopP, RejectTopK, RejectPrefill, RejectForcedToolChoice,
	RejectToolsStreaming, RejectReasoningOff, RejectThinkingEnabled, RejectToolCaching,
}

// How a model takes a reasoning effort, each a shape of Bedrock's
// additionalModelRequestFields.
const (
	// ReasoningAdaptive is Claude's adaptive thinking:
	// {"thinking":{"type":"adaptive"},"output_config":{"effort":E}};
	// off is {"thinking":{"type":"disabled"}}.
	ReasoningAdaptive = "adaptive"
	// ReasoningBudget is Claude's extended thinking with a token budget:
	// {"thinking":{"type":"enabled","budget_tokens":N}}, N by effort.
	ReasoningBudget = "budget"
	// ReasoningEffortField is the OpenAI open-weight models' field:
	// {"reasoning_effort":E}.
	ReasoningEffortField = "reasoning_effort"
	// ReasoningNova is Amazon Nova 2's reasoning configuration:
	// {"reasoningConfig":{"type":"enabled","maxReasoningEffort":E}}.
	ReasoningNova = "nova"
	// ReasoningAlways is a model that always reasons and takes no control
	// of it (DeepSeek-R1).
	ReasoningAlways = "always"
)

// ReasoningStyles are every Reasoning* value, for validating catalogs.
var ReasoningStyles = []string{ReasoningAdaptive, ReasoningBudget, ReasoningEffortField, ReasoningNova, ReasoningAlways}

// ReasoningOff asks a model not to reason (Request.Reasoning).
const ReasoningOff = "off"

// defaultEfforts are the levels every reasoning style takes unless a model
// lists its own.
var defaultEfforts = []string{"low", "medium", "high"}

// budgetTokens are the thinking budgets ReasoningBudget sends per effort.
var budgetTokens = map[string]int{"low": 1024, "medium": 4096, "high": 16384, "xhigh": 32768, "max": 65536}

// Has reports whether the model refuses feature (a Reject* constant).
func (r Rules) Has(feature string) bool { return slices.Contains(r.Rejects, feature) }

// efforts are the levels the model accepts.
func (r Rules) efforts() []string {
	if len(r.Efforts) > 0 {
		return r.Efforts
	}
	return defaultEfforts
}

// checkRules refuses, before Bedrock does, what the model's rules forbid,
// and turns a reasoning effort into the model's request fields on c.
func checkRules(req *Request, m Model, c *Call) error {
	r := m.Rules
	if r.Has(RejectTemperature) && req.Temperature != nil && *req.Temperature != 1 {
		return Invalid("temperature", "%s does not accept a temperature (Bedrock answers \"temperature is deprecated for this model\"); omit temperature", m.Name)
	}
	if r.Has(RejectTopP) && req.TopP != nil && *req.TopP < 0.99 {
		return Invalid("top_p", "%s takes no top_p below 0.99; omit top_p", m.Name)
	}
	fields := decodeFields(req.AdditionalFields)
	if _, ok := fields["top_k"]; ok && r.Has(RejectTopK) {
		return Invalid("additional_fields.top_k", "%s does not support top_k; remove it from additional_fields", m.Name)
	}
	if r.Has(RejectPrefill) && len(c.Messages) > 0 && c.Messages[len(c.Messages)-1].Role == RoleAssistant {
		return Invalid("messages", "%s does not accept a prefilled answer (a last message from the assistant); end the conversation with a user message and put any format instructions in the system prompt", m.Name)
	}
	if tc := req.ToolChoice; tc != nil && r.Has(RejectForcedToolChoice) && tc.Mode != ToolChoiceAuto {
		return Invalid("tool_choice", "%s does not accept a forced tool choice (%q); use \"auto\" and ask for the tool in the prompt", m.Name, tc.Mode)
	}
	if r.Has(RejectToolCaching) && req.CacheTools {
		return Invalid("prompt_cache.tools", "%s caches the system prompt and messages but not tool definitions; drop prompt_cache.tools (prompt_cache.system still works)", m.Name)
	}
	if r.Has(RejectToolsStreaming) && req.Stream && len(req.Tools) > 0 {
		return Invalid("stream", "%s does not take tools in a streamed call on Bedrock; set stream to false, or drop the tools", m.Name)
	}
	if t, ok := fields["thinking"]; ok {
		var th struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(t, &th)
		if th.Type == "enabled" && r.Has(RejectThinkingEnabled) {
			return Invalid("additional_fields.thinking", "%s takes only adaptive thinking; remove thinking from additional_fields and set reasoning to an effort (%s)", m.Name, strings.Join(r.efforts(), ", "))
		}
		if th.Type == "disabled" && r.Has(RejectReasoningOff) {
			return Invalid("additional_fields.thinking", "%s cannot turn thinking off; remove thinking from additional_fields, or set reasoning to its lowest effort (%s)", m.Name, r.efforts()[0])
		}
	}
	return reasoningFields(req, m, c, fields)
}

// reasoningFields adds the model's fields for req.Reasoning to c.
func reasoningFields(req *Request, m Model, c *Call, fields map[string]json.RawMessage) error {
	effort := strings.ToLower(strings.TrimSpace(req.Reasoning))
	if effort == "" {
		return nil
	}
	r := m.Rules
	switch {
	case r.Reasoning == "":
		return Invalid("reasoning", "%s has no reasoning control; omit reasoning, or pick a model with one (list_models capability=reasoning)", m.Name)
	case r.Reasoning == ReasoningAlways:
		return Invalid("reasoning", "%s always reasons and takes no effort setting; omit reasoning", m.Name)
	case effort == ReasoningOff && r.Has(RejectReasoningOff):
		return Invalid("reasoning", "%s cannot turn reasoning off; use its lowest effort, %q, or omit reasoning", m.Name, r.efforts()[0])
	case effort != ReasoningOff && !slices.Contains(r.efforts(), effort):
		return Invalid("reasoning", "%q is not an effort %s takes; use one of %s, or \"off\"", req.Reasoning, m.Name, strings.Join(r.efforts(), ", "))
	}
	var add map[string]any
	switch r.Reasoning {
	case ReasoningAdaptive:
		if effort == ReasoningOff {
			add = map[string]any{"thinking": map[string]any{"type": "disabled"}}
		} else {
			add = map[string]any{"thinking": map[string]any{"type": "adaptive"}, "output_config": map[string]any{"effort": effort}}
		}
	case ReasoningBudget:
		if effort == ReasoningOff {
			return nil // thinking is off unless asked for
		}
		budget := budgetTokens[effort]
		if budget == 0 {
			budget = budgetTokens["high"]
		}
		if budget >= c.MaxTokens {
			return Invalid("max_tokens", "reasoning %q gives %s a thinking budget of %d tokens, which must be below max_tokens (%d); raise max_tokens or lower the effort", effort, m.Name, budget, c.MaxTokens)
		}
		add = map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": budget}}
	case ReasoningEffortField:
		if effort == ReasoningOff {
			return Invalid("reasoning", "%s cannot turn reasoning off; use its lowest effort, %q", m.Name, r.efforts()[0])
		}
		add = map[string]any{"reasoning_effort": effort}
	case ReasoningNova:
		if effort == ReasoningOff {
			add = map[string]any{"reasoningConfig": map[string]any{"type": "disabled"}}
		} else {
			add = map[string]any{"reasoningConfig": map[string]any{"type": "enabled", "maxReasoningEffort": effort}}
		}
	}
	if fields == nil {
		fields = map[string]json.RawMessage{}
	}
	for k, v := range add {
		if _, dup := fields[k]; dup {
			return Invalid("additional_fields."+k, "is also set by reasoning; give one or the other")
		}
		b, _ := json.Marshal(v) // maps of strings and ints always marshal
		fields[k] = b
	}
	b, err := json.Marshal(fields) // keys sorted: the cache key is stable
	if err != nil {
		return Invalid("additional_fields", "cannot merge with reasoning: %v", err)
	}
	c.AdditionalFields = b
	return nil
}

// decodeFields reads additional fields as an object; nil when there are
// none or they are not an object (validate reports that).
func decodeFields(raw json.RawMessage) map[string]json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// notCallable says why the gateway cannot call m, or "" if it can.
func notCallable(m Model) string {
	if m.Endpoint == "" || m.Endpoint == EndpointRuntime {
		return ""
	}
	return fmt.Sprintf("%s is served only on Bedrock's %s endpoint, not by the Converse API this gateway calls; pick another model (list_models)", m.Name, m.Endpoint)
}

// EndpointRuntime is Bedrock's bedrock-runtime endpoint, the one serving
// Converse; models served elsewhere (bedrock-mantle) are listed but not
// callable.
const EndpointRuntime = "bedrock-runtime"

// optInHint adds to Bedrock's access refusal of a model that needs a
// one-time account step what that step is, since Bedrock's own message
// does not say it is the cause.
func optInHint(m Model, err error) error {
	if err == nil || m.Rules.OptIn == "" {
		return err // before e is declared: errors.As makes it escape, an allocation per call
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAccessDenied {
		return err
	}
	hinted := *e
	hinted.Message = fmt.Sprintf("%s; %s also needs a one-time opt-in on the AWS account: %s", e.Message, m.Name, m.Rules.OptIn)
	return &hinted
}
