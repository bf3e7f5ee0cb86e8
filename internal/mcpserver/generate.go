package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

const generateDescription = `Generate a completion with any AWS Bedrock foundation model, chosen per call by "model" (see list_models for names, limits and prices). ` +
	`Send the conversation as "messages" [{role, content}]; roles are user, assistant, system, and tool (a tool's result, with tool_call_id). ` +
	`Returns the answer in "content" with token usage, finish_reason (stop, length, tool_calls, content_filter), latency and estimated cost in USD. ` +
	`Identical requests are answered from a cache shared by all agents ("cached": true, no cost) unless "cache" is false.`

func (s *server) generate(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in GenerateInput
	if err := decodeGenerateArgs(req.Params.Arguments, &in); err != nil {
		return toolError(err), nil
	}
	greq, err := in.request()
	if err != nil {
		return toolError(err), nil
	}
	greq.Agent = s.callerOf(ctx, req).Agent
	greq.Frontend, greq.Transport = "mcp", s.opts.Transport
	if req.Session != nil {
		greq.Session = req.Session.ID()
	}
	if token := req.Params.GetProgressToken(); token != nil && req.Session != nil {
		p := s.newProgress(ctx, req.Session, token)
		defer p.stop()
		if greq.Stream {
			greq.OnDelta = p.delta
		}
	}
	notify := s.notifier(ctx, req.Session)
	resp, err := s.opts.Generator.Generate(gateway.WithNotify(ctx, notify), greq)
	if err != nil {
		return toolError(err), nil
	}
	for _, n := range s.noticesOf(resp, time.Now()) {
		notify(n)
	}
	return structured(resp)
}

// decodeArgs reads a tool's arguments strictly: an unknown field is an error
// that names it, so that a misspelt "temprature" is not silently ignored.
// It is encoding/json, whose errors argsError knows; generate's usual
// arguments, the only ones on a hot path, are read by decodeGenerateArgs'
// scanner before it.
func decodeArgs(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return argsError(err, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return gateway.Invalid("arguments", "must be a single JSON object")
	}
	return nil
}

func argsError(err error, v any) error {
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
		if s := suggestField(strings.Trim(name, `"`), v); s != "" {
			return gateway.Invalid("arguments", "unknown field %s; did you mean %s? See the tool's input schema for the accepted fields", name, s)
		}
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
	meta := map[string]any{"kind": string(kind), "retryable": retryable}
	if r := gateway.RefusalOf(err); r != nil {
		refusalMeta(meta, r)
	}
	res := &mcp.CallToolResult{
		Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("[%s] %s", kind, text)}},
		IsError: true,
		Meta:    mcp.Meta{errorMeta: meta},
	}
	return res
}

// refusalMeta adds a limit's figures to a refusal's _meta, so that a client
// can wait or choose a cheaper model without reading the text.
func refusalMeta(meta map[string]any, r *gateway.Refusal) {
	meta["limit"] = r.Limit
	meta["scope"] = r.Scope
	meta["unit"] = r.Unit
	meta["max"] = r.Max
	meta["used"] = r.Used
	meta["reserved"] = r.Reserved
	if !r.ResetsAt.IsZero() {
		meta["resets_at"] = r.ResetsAt.UTC().Format(time.RFC3339)
	}
	if r.RetryAfter > 0 {
		// Whole seconds, rounded up: retrying early is refused again.
		meta["retry_after_seconds"] = int64((r.RetryAfter + time.Second - 1) / time.Second)
	}
}

// structured returns v as structuredContent and, for clients that read only
// text, as the same JSON in a text block.
func structured(v any) (*mcp.CallToolResult, error) {
	var b []byte
	err := httpapi.ErrReflect
	if r, ok := v.(*gateway.Response); ok {
		b, err = appendResponse(make([]byte, 0, 256+len(r.Content)), r)
	}
	if err != nil { // a shape or a value (a NaN) json.Marshal decides on
		b, err = json.Marshal(v)
	}
	if err != nil {
		return nil, fmt.Errorf("marshal result: %w", err)
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: string(b)}},
		StructuredContent: json.RawMessage(b),
	}, nil
}
