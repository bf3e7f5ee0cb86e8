package mcpserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/jsonscan"
)

// GenerateInput is the generate tool's arguments: the seed's fields
// (model, messages, temperature, max_tokens) and the ones added after it.
type GenerateInput struct {
	Model            string          `json:"model" jsonschema:"the model to call: a catalog short name from list_models (e.g. nova-lite, claude-sonnet-4-6, llama-3-3-70b), a Bedrock model ID, or an inference-profile ID or ARN"`
	Messages         []MessageInput  `json:"messages" jsonschema:"the conversation, oldest first; the first non-system message must come from the user"`
	System           string          `json:"system,omitempty" jsonschema:"a system prompt, placed before any system messages"`
	Temperature      *float64        `json:"temperature,omitempty" jsonschema:"sampling temperature; each model has its own range (list_models shows it, usually 0 to 1); omit for the model's default"`
	MaxTokens        *int            `json:"max_tokens,omitempty" jsonschema:"the most tokens to generate, from 1 to the model's max_tokens; omit for the model's default"`
	TopP             *float64        `json:"top_p,omitempty" jsonschema:"nucleus sampling, 0 to 1; omit for the model's default"`
	StopSequences    []string        `json:"stop_sequences,omitempty" jsonschema:"texts at which the model stops generating"`
	Cache            *bool           `json:"cache,omitempty" jsonschema:"false skips the gateway's response cache for this call (default true: an identical earlier request is answered from the cache at no cost)"`
	Stream           bool            `json:"stream,omitempty" jsonschema:"stream the answer from Bedrock; with a progressToken in the request, each piece of text is sent as a notifications/progress message as it arrives; the result is the whole answer either way"`
	Tools            []ToolInput     `json:"tools,omitempty" jsonschema:"functions the model may call; a call comes back in tool_calls with finish_reason tool_calls"`
	ToolChoice       json.RawMessage `json:"tool_choice,omitempty" jsonschema:"auto (the model decides), any (it must call some tool), or {\"name\": TOOL} (it must call that one)"`
	PromptCache      *PromptCache    `json:"prompt_cache,omitempty" jsonschema:"Bedrock prompt caching: put a cache point after the system prompt and/or the tools (models with supports_prompt_caching); a {\"type\":\"cache_point\"} block does the same inside a message"`
	Guardrail        *GuardrailInput `json:"guardrail,omitempty" jsonschema:"a Bedrock guardrail to apply; a blocked answer has finish_reason content_filter"`
	AdditionalFields json.RawMessage `json:"additional_fields,omitempty" jsonschema:"model-specific request fields passed to Bedrock as they are, e.g. {\"top_k\": 50}"`
	ServiceTier      string          `json:"service_tier,omitempty" jsonschema:"the Bedrock service tier: default, priority (faster, dearer), flex (cheaper, slower) or reserved, on models that offer it (list_models service_tiers); the tier Bedrock reports serving the call is the one billed"`
	Reasoning        string          `json:"reasoning,omitempty" jsonschema:"reasoning effort for models that take one (list_models rules.reasoning and rules.efforts): low, medium, high, and on some models xhigh or max; off turns reasoning off where the model allows it; omit for the model's default. Reasoning tokens are billed as output tokens"`
	FallbackModels   []string        `json:"fallback_models,omitempty" jsonschema:"models to try in order if this one is throttled, unavailable, timed out or end-of-life; the answer names the model that answered and lists the attempts"`
}

// MessageInput is one turn. Content is a string, or a list of blocks:
// {"type":"text","text":…}, {"type":"image","format":"png","data":BASE64},
// {"type":"document","format":"pdf","name":…,"data":BASE64},
// {"type":"cache_point"}.
type MessageInput struct {
	Role       string             `json:"role" jsonschema:"user, assistant, system, or tool (a tool's result)"`
	Content    json.RawMessage    `json:"content" jsonschema:"text, or a list of content blocks (text, image, document, cache_point)"`
	ToolCalls  []gateway.ToolCall `json:"tool_calls,omitempty" jsonschema:"on an assistant turn sent back: the tool calls the model made"`
	ToolCallID string             `json:"tool_call_id,omitempty" jsonschema:"on a tool message: the id of the tool call it answers"`
}

// BlockInput is one content block of a message.
type BlockInput struct {
	Type   string `json:"type" jsonschema:"text, image, document or cache_point"`
	Text   string `json:"text,omitempty"`
	Format string `json:"format,omitempty" jsonschema:"image: png, jpeg, gif, webp; document: pdf, csv, doc, docx, xls, xlsx, html, txt, md"`
	Name   string `json:"name,omitempty" jsonschema:"a document's name"`
	Data   string `json:"data,omitempty" jsonschema:"the image or document bytes, base64-encoded"`
}

// ToolInput describes a function the model may call.
type ToolInput struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema,omitempty" jsonschema:"JSON Schema of the arguments; default {\"type\":\"object\"}"`
}

// PromptCache asks for Bedrock prompt-cache points.
type PromptCache struct {
	System bool `json:"system,omitempty"`
	Tools  bool `json:"tools,omitempty"`
}

// GuardrailInput names a Bedrock guardrail.
type GuardrailInput struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// request turns the tool's arguments into a gateway request.
func (in *GenerateInput) request() (*gateway.Request, error) {
	r := &gateway.Request{
		Model:            in.Model,
		System:           in.System,
		Temperature:      in.Temperature,
		TopP:             in.TopP,
		StopSequences:    in.StopSequences,
		NoCache:          in.Cache != nil && !*in.Cache,
		Stream:           in.Stream,
		AdditionalFields: in.AdditionalFields,
		FallbackModels:   in.FallbackModels,
		Reasoning:        in.Reasoning,
		ServiceTier:      in.ServiceTier,
	}
	if in.MaxTokens != nil {
		if *in.MaxTokens < 1 {
			return nil, gateway.Invalid("max_tokens", "must be at least 1, got %d", *in.MaxTokens)
		}
		r.MaxTokens = *in.MaxTokens
	}
	if in.PromptCache != nil {
		r.CacheSystem, r.CacheTools = in.PromptCache.System, in.PromptCache.Tools
	}
	if g := in.Guardrail; g != nil {
		r.Guardrail = &gateway.Guardrail{ID: g.ID, Version: g.Version}
	}
	for _, t := range in.Tools {
		r.Tools = append(r.Tools, gateway.Tool{Name: t.Name, Description: t.Description, InputSchema: t.InputSchema})
	}
	if len(in.ToolChoice) > 0 {
		tc, err := toolChoice(in.ToolChoice)
		if err != nil {
			return nil, err
		}
		r.ToolChoice = tc
	}
	r.Messages = make([]gateway.Message, len(in.Messages))
	for i := range in.Messages {
		msg, err := in.Messages[i].message(i)
		if err != nil {
			return nil, err
		}
		r.Messages[i] = msg
	}
	return r, nil
}

// message turns messages[i] into a gateway message.
func (m *MessageInput) message(i int) (gateway.Message, error) {
	field := func() string { return "messages[" + strconv.Itoa(i) + "]" } // for errors only
	out := gateway.Message{Role: m.Role, ToolCalls: m.ToolCalls, ToolCallID: m.ToolCallID}
	raw := bytes.TrimSpace(m.Content)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		// Empty content is allowed on an assistant turn that made tool
		// calls; validation says so otherwise.
	case raw[0] == '"':
		var ok bool
		if out.Content, ok = jsonscan.Unquote(raw); !ok {
			return out, gateway.Invalid(field()+".content", "is not a valid JSON string")
		}
	case raw[0] == '[':
		var blocks []BlockInput
		if err := decodeArgs(raw, &blocks); err != nil {
			return out, gateway.Invalid(field()+".content", "must be a list of blocks like {\"type\":\"text\",\"text\":\"…\"}: %v", err)
		}
		for j, b := range blocks {
			gb := gateway.Block{Type: b.Type, Text: b.Text, Format: strings.ToLower(b.Format), Name: b.Name}
			if b.Data != "" {
				data, err := base64.StdEncoding.DecodeString(b.Data)
				if err != nil {
					return out, gateway.Invalid(fmt.Sprintf("%s.content[%d].data", field(), j), "is not valid base64 (standard alphabet, with padding): %v", err)
				}
				gb.Data = data
			}
			out.Blocks = append(out.Blocks, gb)
		}
		if len(out.Blocks) == 0 {
			return out, gateway.Invalid(field()+".content", "is an empty list")
		}
	default:
		return out, gateway.Invalid(field()+".content", "must be a string or a list of content blocks")
	}
	return out, nil
}

func toolChoice(raw json.RawMessage) (*gateway.ToolChoice, error) {
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch mode {
		case gateway.ToolChoiceAuto, gateway.ToolChoiceAny:
			return &gateway.ToolChoice{Mode: mode}, nil
		}
	}
	var named struct {
		Name string `json:"name"`
	}
	if err := decodeArgs(raw, &named); err == nil && named.Name != "" {
		return &gateway.ToolChoice{Mode: gateway.ToolChoiceTool, Name: named.Name}, nil
	}
	return nil, gateway.Invalid("tool_choice", "must be \"auto\", \"any\" or {\"name\": TOOL}")
}

// schemaOptions fill in what Go types cannot say: raw JSON fields are
// objects, except a message's content and tool_choice, which have two forms.
var schemaOptions = &jsonschema.ForOptions{TypeSchemas: map[reflect.Type]*jsonschema.Schema{
	reflect.TypeFor[json.RawMessage](): {Type: "object"},
}}

// generateInputSchema is GenerateInput's schema with the two-form fields
// spelled out.
func generateInputSchema() *jsonschema.Schema {
	s := mustSchema[GenerateInput]()
	blocks := mustSchema[BlockInput]()
	msg := s.Properties["messages"].Items
	desc := msg.Properties["content"].Description
	msg.Properties["content"] = &jsonschema.Schema{Description: desc, AnyOf: []*jsonschema.Schema{
		{Type: "string"},
		{Type: "array", Items: blocks},
	}}
	desc = s.Properties["tool_choice"].Description
	s.Properties["tool_choice"] = &jsonschema.Schema{Description: desc, AnyOf: []*jsonschema.Schema{
		{Type: "string", Enum: []any{"auto", "any"}},
		{Type: "object", Properties: map[string]*jsonschema.Schema{"name": {Type: "string"}}, Required: []string{"name"}},
	}}
	return s
}
