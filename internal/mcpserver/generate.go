package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// GenerateInput is the generate tool's arguments: the seed's fields
// (model, messages, temperature, max_tokens) and the ones added after it.
type GenerateInput struct {
	Model         string            `json:"model" jsonschema:"the model to call: a catalog short name from list_models (e.g. nova-lite, claude-sonnet-4-5, llama-3-3-70b), a Bedrock model ID, or an inference-profile ID or ARN"`
	Messages      []gateway.Message `json:"messages" jsonschema:"the conversation, oldest first; each has role (user, assistant or system) and content (text); the first non-system message must come from the user"`
	System        string            `json:"system,omitempty" jsonschema:"a system prompt, placed before any system messages"`
	Temperature   *float64          `json:"temperature,omitempty" jsonschema:"sampling temperature; each model has its own range (list_models shows it, usually 0 to 1); omit for the model's default"`
	MaxTokens     *int              `json:"max_tokens,omitempty" jsonschema:"the most tokens to generate, from 1 to the model's max_tokens; omit for the model's default"`
	TopP          *float64          `json:"top_p,omitempty" jsonschema:"nucleus sampling, 0 to 1; omit for the model's default"`
	StopSequences []string          `json:"stop_sequences,omitempty" jsonschema:"texts at which the model stops generating"`
	Cache         *bool             `json:"cache,omitempty" jsonschema:"false skips the gateway's response cache for this call (default true: an identical earlier request is answered from the cache at no cost)"`
}

const generateDescription = `Generate a completion with any AWS Bedrock foundation model, chosen per call by "model" (see list_models for names, limits and prices). ` +
	`Send the conversation as "messages" [{role, content}]; roles are user, assistant and system. ` +
	`Returns the answer in "content" with token usage, finish_reason (stop, length, tool_calls, content_filter), latency and estimated cost in USD. ` +
	`Identical requests are answered from a cache shared by all agents ("cached": true, no cost) unless "cache" is false.`

func (s *server) generate(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in GenerateInput
	if err := decodeArgs(req.Params.Arguments, &in); err != nil {
		return toolError(err), nil
	}
	greq := &gateway.Request{
		Model:         in.Model,
		Messages:      in.Messages,
		System:        in.System,
		Temperature:   in.Temperature,
		TopP:          in.TopP,
		StopSequences: in.StopSequences,
		NoCache:       in.Cache != nil && !*in.Cache,
		Agent:         agentOf(ctx, req),
	}
	if in.MaxTokens != nil {
		if *in.MaxTokens < 1 {
			return toolError(gateway.Invalid("max_tokens", "must be at least 1, got %d", *in.MaxTokens)), nil
		}
		greq.MaxTokens = *in.MaxTokens
	}
	resp, err := s.opts.Generator.Generate(ctx, greq)
	if err != nil {
		return toolError(err), nil
	}
	return structured(resp)
}

// decodeArgs reads a tool's arguments strictly: an unknown field is an error
// that names it, so that a misspelt "temprature" is not silently ignored.
func decodeArgs(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return argsError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return gateway.Invalid("arguments", "must be a single JSON object")
	}
	return nil
}

func argsError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return gateway.Invalid("arguments", "must be a JSON object, got %s", typeErr.Value)
		}
		return gateway.Invalid(field, "want %s, got %s", jsonTypeName(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return gateway.Invalid("arguments", "are not valid JSON: %v", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return gateway.Invalid("arguments", "unknown field %s; see the tool's input schema for the accepted fields", name)
	}
	return gateway.Invalid("arguments", "%v", err)
}

func jsonTypeName(kind string) string {
	switch kind {
	case "float64", "float32":
		return "a number"
	case "int", "int64", "int32":
		return "a whole number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return kind
}

// errorMeta is the _meta key under which a failed call's error kind is
// given, for clients that act on it (retry when throttled, and so on).
const errorMeta = "llm-gateway/error"

// toolError maps a gateway error to an MCP tool error (isError): the agent
// reads the text and can correct its call; clients read the kind in _meta.
func toolError(err error) *mcp.CallToolResult {
	kind := gateway.KindOf(err)
	var ge *gateway.Error
	retryable := errors.As(err, &ge) && ge.Retryable
	text := err.Error()
	if kind == gateway.KindInternal {
		text = "internal error in the gateway; it has been logged"
	}
	res := &mcp.CallToolResult{
		Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("[%s] %s", kind, text)}},
		IsError: true,
		Meta:    mcp.Meta{errorMeta: map[string]any{"kind": string(kind), "retryable": retryable}},
	}
	return res
}

// structured returns v as structuredContent and, for clients that read only
// text, as the same JSON in a text block.
func structured(v any) (*mcp.CallToolResult, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal result: %w", err)
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: string(b)}},
		StructuredContent: json.RawMessage(b),
	}, nil
}
