package anthropicapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// toGateway turns a Messages request into the gateway's request (Model is
// left as given; the handler resolves it). Every refusal is a
// *gateway.Error of kind invalid_request naming the field at fault.
func toGateway(in *MessagesRequest) (*gateway.Request, error) {
	if err := serviceTier(in.ServiceTier); err != nil {
		return nil, err
	}
	out := &gateway.Request{
		Model:         in.Model,
		Temperature:   in.Temperature,
		TopP:          in.TopP,
		StopSequences: in.StopSequences,
		Stream:        in.Stream,
	}
	if in.MaxTokens < 0 {
		return nil, gateway.Invalid("max_tokens", "must be at least 1")
	}
	out.MaxTokens = in.MaxTokens
	if in.TopK != nil {
		out.AdditionalFields = json.RawMessage(fmt.Sprintf(`{"top_k":%d}`, *in.TopK))
	}
	sys, cache, err := system(in.System)
	if err != nil {
		return nil, err
	}
	out.System, out.CacheSystem = sys, cache
	for i, m := range in.Messages {
		msgs, err := message(fmt.Sprintf("messages[%d]", i), &m)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, msgs...)
	}
	if err := tools(in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// serviceTier checks Anthropic's service_tier. Both of its values call
// Bedrock's default tier: "standard_only" says so, and "auto" (priority
// capacity when the account has it, else standard) has no Bedrock
// counterpart; asking Bedrock for "priority" instead would fail on models
// without it and bill more. The MCP tools and the OpenAI front can ask for
// Bedrock's other tiers.
func serviceTier(tier string) error {
	switch tier {
	case "", "auto", "standard_only":
		return nil
	}
	return gateway.Invalid("service_tier", "must be \"auto\" or \"standard_only\", got %q; both use Bedrock's default tier", tier)
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// system reads the system prompt: a string, or text blocks joined by blank
// lines. A cache_control mark on any of them caches the whole system
// prompt: Bedrock takes one cache point after it.
func system(raw json.RawMessage) (text string, cache bool, err error) {
	if isNull(raw) {
		return "", false, nil
	}
	if text, ok := httpapi.String(raw); ok {
		return text, false, nil
	}
	var blocks []Block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", false, gateway.Invalid("system", "must be a string or a list of text blocks")
	}
	var texts []string
	for i, b := range blocks {
		if b.Type != "text" {
			return "", false, gateway.Invalid(fmt.Sprintf("system[%d].type", i), "must be \"text\", got %q", b.Type)
		}
		texts = append(texts, b.Text)
		cache = cache || b.CacheControl != nil
	}
	return strings.Join(texts, "\n\n"), cache, nil
}

// blocks reads content that is a string or a list of blocks.
func blocks(field string, raw json.RawMessage) ([]Block, error) {
	if s, ok := httpapi.String(raw); ok {
		return []Block{{Type: "text", Text: s}}, nil
	}
	var bs []Block
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, gateway.Invalid(field, "must be a string or a list of content blocks")
	}
	return bs, nil
}

// message maps one Anthropic turn to gateway messages. A user turn's
// tool_result blocks become tool messages, in order, and the blocks between
// them user messages (the provider merges them back into one Bedrock user
// turn). An assistant turn's tool_use blocks become its tool calls.
func message(field string, m *Message) ([]gateway.Message, error) {
	if isNull(m.Content) {
		return nil, gateway.Invalid(field+".content", "is required")
	}
	bs, err := blocks(field+".content", m.Content)
	if err != nil {
		return nil, err
	}
	switch m.Role {
	case "user":
		return userMessages(field, bs)
	case "assistant":
		msg, err := assistantMessage(field, bs)
		if err != nil || msg == nil {
			return nil, err
		}
		return []gateway.Message{*msg}, nil
	case "system":
		// Claude Code sends system turns among the messages too; Bedrock
		// takes system text only before the conversation, where the
		// gateway puts every system message, in order.
		var texts []string
		for j, b := range bs {
			if b.Type != "text" {
				return nil, gateway.Invalid(fmt.Sprintf("%s.content[%d].type", field, j), "a system turn holds text only, got %q", b.Type)
			}
			texts = append(texts, b.Text)
		}
		return []gateway.Message{{Role: gateway.RoleSystem, Content: strings.Join(texts, "\n\n")}}, nil
	}
	return nil, gateway.Invalid(field+".role", "must be \"user\", \"assistant\" or \"system\", got %q", m.Role)
}

func userMessages(field string, bs []Block) ([]gateway.Message, error) {
	var out []gateway.Message
	var cur *gateway.Message // the user message being filled
	for j, b := range bs {
		f := fmt.Sprintf("%s.content[%d]", field, j)
		if b.Type == "tool_result" {
			cur = nil
			msg, err := toolResult(f, b)
			if err != nil {
				return nil, err
			}
			out = append(out, msg)
			continue
		}
		gb, err := contentBlock(f, b)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			out = append(out, gateway.Message{Role: gateway.RoleUser})
			cur = &out[len(out)-1]
		}
		cur.Blocks = append(cur.Blocks, gb...)
	}
	if len(out) == 0 {
		return nil, gateway.Invalid(field+".content", "must not be empty")
	}
	// One text block is plain text, as MCP and OpenAI callers send it, so
	// that the same question is the same cache entry whichever way it came.
	for i, m := range out {
		if len(m.Blocks) == 1 && m.Blocks[0].Type == gateway.BlockText {
			out[i].Content, out[i].Blocks = m.Blocks[0].Text, nil
		}
	}
	return out, nil
}

// contentBlock maps a text, image or document block, with the cache point
// its cache_control asks for.
func contentBlock(field string, b Block) ([]gateway.Block, error) {
	var gb gateway.Block
	switch b.Type {
	case "text":
		gb = gateway.Block{Type: gateway.BlockText, Text: b.Text}
	case "image":
		data, mime, err := source(field, b.Source)
		if err != nil {
			return nil, err
		}
		gb = gateway.Block{Type: gateway.BlockImage, Format: strings.TrimPrefix(mime, "image/"), Data: data}
	case "document":
		data, mime, err := source(field, b.Source)
		if err != nil {
			return nil, err
		}
		gb = gateway.Block{Type: gateway.BlockDocument, Format: documentFormat(mime), Name: gateway.DocumentName(b.Title), Data: data}
	case "tool_use":
		return nil, gateway.Invalid(field+".type", "tool_use blocks belong in assistant turns")
	default:
		return nil, gateway.Invalid(field+".type", "%q is not supported; use text, image, document, tool_use or tool_result", b.Type)
	}
	out := []gateway.Block{gb}
	if b.CacheControl != nil {
		out = append(out, gateway.Block{Type: gateway.BlockCachePoint})
	}
	return out, nil
}

// source decodes an image's or document's bytes: base64, or plain text for
// a text document. The gateway fetches nothing, so URL sources are refused.
func source(field string, s *Source) (data []byte, mime string, err error) {
	if s == nil {
		return nil, "", gateway.Invalid(field+".source", "is required")
	}
	switch s.Type {
	case "base64":
		data, err := base64.StdEncoding.DecodeString(s.Data)
		if err != nil {
			return nil, "", gateway.Invalid(field+".source.data", "is not valid base64: %v", err)
		}
		return data, strings.ToLower(s.MediaType), nil
	case "text":
		return []byte(s.Data), "text/plain", nil
	case "url":
		return nil, "", gateway.Invalid(field+".source", "URL sources are not supported: the gateway does not fetch URLs; send the bytes as a base64 source")
	}
	return nil, "", gateway.Invalid(field+".source.type", "must be \"base64\" or \"text\", got %q", s.Type)
}

// documentFormat names Bedrock's document format for a media type.
func documentFormat(mime string) string {
	switch mime {
	case "application/pdf":
		return "pdf"
	case "text/plain":
		return "txt"
	case "text/csv":
		return "csv"
	case "text/html":
		return "html"
	case "text/markdown":
		return "md"
	}
	return mime // refused by the gateway with the list of formats
}

// emptyToolResult stands for a tool result with no content, which
// Anthropic's API accepts and Bedrock's does not.
const emptyToolResult = "(no output)"

// toolResult maps a tool_result block to a tool message. Bedrock has no
// place for a cache point inside a tool result, so its cache_control is
// not honoured.
func toolResult(field string, b Block) (gateway.Message, error) {
	msg := gateway.Message{Role: gateway.RoleTool, ToolCallID: b.ToolUseID}
	if isNull(b.Content) {
		msg.Content = emptyToolResult
		return msg, nil
	}
	bs, err := blocks(field+".content", b.Content)
	if err != nil {
		return msg, err
	}
	for j, inner := range bs {
		f := fmt.Sprintf("%s.content[%d]", field, j)
		if inner.Type == "text" && strings.TrimSpace(inner.Text) == "" {
			continue
		}
		gb, err := contentBlock(f, inner)
		if err != nil {
			return msg, err
		}
		msg.Blocks = append(msg.Blocks, gb[0])
	}
	switch {
	case len(msg.Blocks) == 0:
		msg.Content = emptyToolResult
	case len(msg.Blocks) == 1 && msg.Blocks[0].Type == gateway.BlockText:
		msg.Content, msg.Blocks = msg.Blocks[0].Text, nil
	}
	return msg, nil
}

// assistantMessage maps an assistant turn: text (with cache points) and
// tool calls. Thinking blocks are dropped: the gateway does not ask for
// thinking, and Bedrock takes them back only with their signatures. A turn
// left with nothing is dropped too (nil).
func assistantMessage(field string, bs []Block) (*gateway.Message, error) {
	msg := &gateway.Message{Role: gateway.RoleAssistant}
	for j, b := range bs {
		f := fmt.Sprintf("%s.content[%d]", field, j)
		switch b.Type {
		case "text":
			if strings.TrimSpace(b.Text) == "" {
				continue
			}
			msg.Blocks = append(msg.Blocks, gateway.Block{Type: gateway.BlockText, Text: b.Text})
			if b.CacheControl != nil {
				msg.Blocks = append(msg.Blocks, gateway.Block{Type: gateway.BlockCachePoint})
			}
		case "tool_use":
			input := b.Input
			if isNull(input) {
				input = json.RawMessage("{}")
			}
			msg.ToolCalls = append(msg.ToolCalls, gateway.ToolCall{ID: b.ID, Name: b.Name, Arguments: input})
		case "thinking", "redacted_thinking":
		default:
			return nil, gateway.Invalid(f+".type", "%q is not supported in an assistant turn; use text or tool_use", b.Type)
		}
	}
	switch {
	case len(msg.Blocks) == 0 && len(msg.ToolCalls) == 0:
		return nil, nil
	case len(msg.Blocks) == 1:
		msg.Content, msg.Blocks = msg.Blocks[0].Text, nil
	}
	return msg, nil
}

// tools reads tools and tool_choice. A cache_control mark on any tool
// caches the tool definitions: Bedrock takes one cache point after them.
func tools(in *MessagesRequest, out *gateway.Request) error {
	for i, t := range in.Tools {
		if t.Type != "" && t.Type != "custom" {
			return gateway.Invalid(fmt.Sprintf("tools[%d].type", i), "%q is one of Anthropic's server tools, which Bedrock does not run; define it as a custom tool", t.Type)
		}
		out.Tools = append(out.Tools, gateway.Tool{Name: t.Name, Description: t.Description, InputSchema: t.InputSchema})
		out.CacheTools = out.CacheTools || t.CacheControl != nil
	}
	tc := in.ToolChoice
	if tc == nil {
		return nil
	}
	switch tc.Type {
	case "auto":
		out.ToolChoice = &gateway.ToolChoice{Mode: gateway.ToolChoiceAuto}
	case "any":
		out.ToolChoice = &gateway.ToolChoice{Mode: gateway.ToolChoiceAny}
	case "tool":
		out.ToolChoice = &gateway.ToolChoice{Mode: gateway.ToolChoiceTool, Name: tc.Name}
	case "none":
		// Converse has no "none": without tool calls in the conversation
		// the tools can go; with them Bedrock needs them.
		if !hasToolCalls(out.Messages) {
			out.Tools, out.CacheTools = nil, false
		}
	default:
		return gateway.Invalid("tool_choice.type", "must be auto, any, tool or none, got %q", tc.Type)
	}
	return nil
}

func hasToolCalls(msgs []gateway.Message) bool {
	for _, m := range msgs {
		if len(m.ToolCalls) > 0 || m.Role == gateway.RoleTool {
			return true
		}
	}
	return false
}
