package bedrocksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Model is one model the simulator serves, described as Bedrock knows it:
// its limits, where it may be called from and the request rules it
// enforces. The field values for rules are the catalog's names (see the
// package documentation, Models).
type Model struct {
	// ID is the base model ID ("anthropic.claude-opus-5-5").
	ID string
	// MaxTokens is the largest maxTokens the model takes; zero or less
	// means 8192.
	MaxTokens int
	// Profiles are the inference-profile prefixes offered ("us",
	// "global", …). A profile ID with another prefix is an invalid model
	// identifier.
	Profiles []string
	// RequiresProfile refuses the bare model ID, as Bedrock refuses
	// on-demand calls to models served only through inference profiles.
	RequiresProfile bool
	// EndOfLife refuses every call: the model has reached the end of its
	// life.
	EndOfLife bool
	// Endpoint is the Bedrock endpoint serving the model; anything but ""
	// or "bedrock-runtime" (such as "bedrock-mantle") refuses Converse.
	Endpoint string
	// Rejects lists the request features the model refuses: temperature,
	// top_p, top_k, prefill, forced_tool_choice, tools_streaming,
	// reasoning_off, thinking_enabled.
	Rejects []string
	// OptIn, when set, names a one-time account agreement the model needs;
	// see Options.MissingOptIns.
	OptIn string
	// ServiceTiers are the service tiers the model serves besides
	// "default"; a request for another is refused.
	ServiceTiers []string

	// anyProfile accepts every profile: the model came from Options.Models,
	// which says nothing of profiles.
	anyProfile bool
}

func (m *Model) rejects(feature string) bool { return slices.Contains(m.Rejects, feature) }

// Model-rule refusals, worded as Bedrock words them (the model's own
// errors come back as "The model returned the following errors: …").
const (
	msgOnDemand        = "Invocation of model ID %s with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
	msgEndOfLife       = "This model version has reached the end of its life. Please refer to the AWS documentation for more details."
	msgNotConverse     = "This action doesn't support the model that you provided. Try again with a supported text or chat model."
	msgModelSays       = "The model returned the following errors: "
	msgDeprecated      = msgModelSays + "`%s` is deprecated for this model."
	msgThinkingEnabled = msgModelSays + "thinking.type.enabled is not supported for this model. Use thinking.type.adaptive and output_config.effort to control thinking behavior."
	msgThinkingOff     = msgModelSays + "thinking.type.disabled is not supported for this model."
	msgPrefill         = msgModelSays + "This model does not support assistant message prefill. The conversation must end with a user message."
	msgForcedChoice    = msgModelSays + "tool_choice: type \"tool\" and \"any\" are not supported for this model."
	msgToolsStreaming  = "This model doesn't support tool use in streaming mode."
	msgToolCaching     = "The model returned the following errors: Malformed input request: tool cache points are not supported for this model."
	msgTier            = "The provided service tier (%s) is not supported for this model."
	msgOptIn           = "You don't have access to the model with the specified model ID. This model requires a one-time agreement to the model provider's data retention terms; accept them in the Amazon Bedrock console (Model access) and try again."
)

// checkTier refuses a service tier Converse does not know, or one the model
// does not serve, as Bedrock does; it returns the tier the answer reports.
func (m *Model) checkTier(t *serviceTier) (string, *apiError) {
	if t == nil {
		return "", nil
	}
	if !slices.Contains(serviceTiers, t.Type) {
		return "", validationError("1 validation error detected: Value '%s' at 'serviceTier.type' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			t.Type, strings.Join(serviceTiers, ", "))
	}
	if t.Type != "default" && !m.anyProfile && !slices.Contains(m.ServiceTiers, t.Type) {
		return "", validationError(msgTier, t.Type)
	}
	return t.Type, nil
}

// lookupModel finds the model a request names, as sent (a profile ID, an
// ARN or a base ID) and as base ID, and refuses what Bedrock refuses before
// the model sees the request.
func (s *Server) lookupModel(sent, base string) (*Model, *apiError) {
	m, ok := s.models[base]
	if !ok {
		if s.models != nil {
			return nil, validationError("%s", msgInvalidModel)
		}
		return &Model{ID: base, anyProfile: true}, nil // no catalog: any well-formed ID
	}
	profile := profileOf(sent)
	switch {
	case m.EndOfLife: // whatever form the ID takes
		return nil, &apiError{status: http.StatusNotFound, code: codeNotFound, message: msgEndOfLife}
	case profile != "" && !m.anyProfile && !slices.Contains(m.Profiles, profile):
		return nil, validationError("%s", msgInvalidModel)
	case profile == "" && m.RequiresProfile && !strings.Contains(sent, ":inference-profile/"):
		return nil, validationError(msgOnDemand, sent)
	case m.Endpoint != "" && m.Endpoint != "bedrock-runtime":
		return nil, validationError("%s", msgNotConverse)
	case m.OptIn != "" && s.opts.MissingOptIns:
		return nil, &apiError{status: http.StatusForbidden, code: codeAccessDenied, message: msgOptIn}
	}
	return m, nil
}

// profileOf is the inference-profile prefix of a model ID or profile ARN as
// sent, or "".
func profileOf(sent string) string {
	id := sent
	if strings.HasPrefix(id, "arn:") {
		_, id, _ = strings.Cut(id, "/")
	}
	for _, p := range profilePrefixes {
		if strings.HasPrefix(id, p+".") {
			return p
		}
	}
	return ""
}

// profilePrefixes are the geographic prefixes of cross-region inference
// profile IDs.
var profilePrefixes = []string{"us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"}

// checkRules refuses a request that breaks one of the model's rules, with
// Bedrock's message.
func (m *Model) checkRules(req *converseRequest, tools toolSet, stream bool) *apiError {
	if ic := req.InferenceConfig; ic != nil {
		if m.rejects("temperature") && ic.Temperature != nil {
			if t, err := ic.Temperature.Float64(); err != nil || t != 1 {
				return validationError(msgDeprecated, "temperature")
			}
		}
		if m.rejects("top_p") && ic.TopP != nil {
			if p, err := ic.TopP.Float64(); err != nil || p < 0.99 {
				return validationError(msgDeprecated, "top_p")
			}
		}
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(req.AdditionalModelRequestFields, &fields) // validate checked it is an object
	if _, ok := fields["top_k"]; ok && m.rejects("top_k") {
		return validationError(msgDeprecated, "top_k")
	}
	if raw, ok := fields["thinking"]; ok {
		var th struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(raw, &th)
		switch {
		case th.Type == "enabled" && m.rejects("thinking_enabled"):
			return validationError("%s", msgThinkingEnabled)
		case th.Type == "disabled" && m.rejects("reasoning_off"):
			return validationError("%s", msgThinkingOff)
		}
	}
	if m.rejects("prefill") && len(req.Messages) > 0 && req.Messages[len(req.Messages)-1].Role == "assistant" {
		return validationError("%s", msgPrefill)
	}
	if m.rejects("forced_tool_choice") && (tools.choice == choiceAny || tools.choice == choiceTool) {
		return validationError("%s", msgForcedChoice)
	}
	if m.rejects("tool_caching") && bytes.Contains(req.ToolConfig, []byte(`"cachePoint"`)) {
		return validationError("%s", msgToolCaching)
	}
	if m.rejects("tools_streaming") && stream && len(tools.specs) > 0 {
		return validationError("%s", msgToolsStreaming)
	}
	return nil
}

// reasoningEffort reports whether the request asks the model to reason, in
// any of the shapes of additionalModelRequestFields the catalog's models
// take, and at what effort ("" when the shape has none).
func (req *converseRequest) reasoningEffort() (string, bool) {
	var f struct {
		Thinking *struct {
			Type         string `json:"type"`
			BudgetTokens int    `json:"budget_tokens"`
		} `json:"thinking"`
		OutputConfig *struct {
			Effort string `json:"effort"`
		} `json:"output_config"`
		ReasoningEffort string `json:"reasoning_effort"`
		ReasoningConfig *struct {
			Type   string `json:"type"`
			Effort string `json:"maxReasoningEffort"`
		} `json:"reasoningConfig"`
	}
	if json.Unmarshal(req.AdditionalModelRequestFields, &f) != nil {
		return "", false
	}
	switch {
	case f.Thinking != nil && (f.Thinking.Type == "adaptive" || f.Thinking.Type == "enabled"):
		if f.OutputConfig != nil && f.OutputConfig.Effort != "" {
			return f.OutputConfig.Effort, true
		}
		if f.Thinking.BudgetTokens > 0 {
			return fmt.Sprintf("budget %d", f.Thinking.BudgetTokens), true
		}
		return "", true
	case f.ReasoningEffort != "":
		return f.ReasoningEffort, true
	case f.ReasoningConfig != nil && f.ReasoningConfig.Type == "enabled":
		return f.ReasoningConfig.Effort, true
	}
	return "", false
}

// reasoningText is the simulated reasoning: deterministic, and longer the
// higher the effort, so that tests see reasoning tokens in the output.
func reasoningText(effort, prompt string) string {
	words := map[string]int{"low": 10, "medium": 20, "high": 40, "xhigh": 60, "max": 80}[effort]
	if words == 0 {
		words = 30
	}
	var b strings.Builder
	b.WriteString("Simulated reasoning")
	if effort != "" {
		b.WriteString(" at effort " + effort)
	}
	b.WriteString(" about: " + truncateRunes(prompt, 40) + ".")
	f := strings.Fields(fillerWords)
	for i := range words {
		b.WriteString(" " + f[i%len(f)])
	}
	return b.String()
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
