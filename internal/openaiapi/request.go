package openaiapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// toGateway turns a chat request into the gateway's request. Every refusal
// is a *gateway.Error of kind invalid_request naming the field at fault.
func toGateway(in *ChatRequest) (*gateway.Request, error) {
	if in.N != nil && *in.N != 1 {
		return nil, gateway.Invalid("n", "the gateway answers with one choice; drop n or set it to 1 and make separate requests")
	}
	if in.Logprobs != nil && *in.Logprobs {
		return nil, gateway.Invalid("logprobs", "Bedrock does not report log probabilities; drop logprobs")
	}
	if f := in.ResponseFormat; f != nil && f.Type != "" && f.Type != "text" {
		return nil, gateway.Invalid("response_format", "%q is not supported through Bedrock's Converse API; describe the format in the prompt, or define a tool whose parameters are the schema and set tool_choice to it", f.Type)
	}
	for field, p := range map[string]*float64{"frequency_penalty": in.FrequencyPenalty, "presence_penalty": in.PresencePenalty} {
		if p != nil && *p != 0 {
			return nil, gateway.Invalid(field, "Bedrock's Converse API has no %s; drop it", strings.ReplaceAll(field, "_", " "))
		}
	}
	tier, err := serviceTier(in.ServiceTier)
	if err != nil {
		return nil, err
	}
	out := &gateway.Request{
		Model:       in.Model,
		Temperature: in.Temperature,
		TopP:        in.TopP,
		Stream:      in.Stream,
		ServiceTier: tier,
	}
	switch mt, mct := in.MaxTokens, in.MaxCompletionTokens; {
	case mt != nil && mct != nil && *mt != *mct:
		return nil, gateway.Invalid("max_completion_tokens", "and max_tokens differ (%d and %d); give one of them", *mct, *mt)
	case mct != nil:
		out.MaxTokens = *mct
	case mt != nil:
		out.MaxTokens = *mt
	}
	if out.MaxTokens < 0 || (out.MaxTokens == 0 && (in.MaxTokens != nil || in.MaxCompletionTokens != nil)) {
		return nil, gateway.Invalid("max_tokens", "must be at least 1")
	}
	stop, err := stopSequences(in.Stop)
	if err != nil {
		return nil, err
	}
	out.StopSequences = stop
	for i, m := range in.Messages {
		msg, err := message(fmt.Sprintf("messages[%d]", i), &m)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, msg)
	}
	if err := tools(in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// serviceTier maps OpenAI's service_tier to the Bedrock service tier the
// gateway asks for and prices: "auto" (the project's default) and
// "default" are Bedrock's default tier, "flex" and "priority" Bedrock's
// tiers of those names, and "scale" (OpenAI's committed capacity) Bedrock's
// "reserved" tier, which may also be named directly. Whether the model
// offers the tier is checked by the core against the catalog.
func serviceTier(tier string) (string, error) {
	switch tier {
	case "", "auto":
		return "", nil
	case "default":
		return gateway.TierDefault, nil
	case "flex":
		return gateway.TierFlex, nil
	case "priority":
		return gateway.TierPriority, nil
	case "scale", gateway.TierReserved:
		return gateway.TierReserved, nil
	}
	return "", gateway.Invalid("service_tier", "%q is not a service tier the gateway can map to Bedrock; use auto, default, flex, priority or scale (Bedrock's reserved tier)", tier)
}

func stopSequences(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if one, ok := httpapi.String(raw); ok {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, gateway.Invalid("stop", "must be a string or a list of strings")
	}
	return many, nil
}

func message(field string, m *ChatMessage) (gateway.Message, error) {
	out := gateway.Message{Role: m.Role}
	switch m.Role {
	case "system", "developer":
		out.Role = gateway.RoleSystem
		text, err := textOnly(field, m.Content)
		if err != nil {
			return out, err
		}
		out.Content = text
	case "user":
		if err := content(field, m.Content, &out); err != nil {
			return out, err
		}
	case "assistant":
		if !isNull(m.Content) {
			text, err := textOnly(field, m.Content)
			if err != nil {
				return out, err
			}
			out.Content = text
		}
		for j, tc := range m.ToolCalls {
			f := fmt.Sprintf("%s.tool_calls[%d]", field, j)
			if tc.Type != "" && tc.Type != "function" {
				return out, gateway.Invalid(f+".type", "must be \"function\", got %q", tc.Type)
			}
			args := json.RawMessage(tc.Function.Arguments)
			if strings.TrimSpace(tc.Function.Arguments) == "" {
				args = json.RawMessage("{}")
			} else if !json.Valid(args) {
				return out, gateway.Invalid(f+".function.arguments", "must be a JSON object encoded as a string")
			}
			out.ToolCalls = append(out.ToolCalls, gateway.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: args})
		}
	case "tool":
		out.Role = gateway.RoleTool
		out.ToolCallID = m.ToolCallID
		text, err := textOnly(field, m.Content)
		if err != nil {
			return out, err
		}
		out.Content = text
	case "function":
		return out, gateway.Invalid(field+".role", "\"function\" messages are deprecated by OpenAI; send tool results as \"tool\" messages with tool_call_id")
	default:
		return out, gateway.Invalid(field+".role", "must be system, developer, user, assistant or tool, got %q", m.Role)
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// textOnly reads content that must be text: a string, or a list of text
// parts, joined by blank lines.
func textOnly(field string, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if s, ok := httpapi.String(raw); ok {
		return s, nil
	}
	var parts []ContentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", gateway.Invalid(field+".content", "must be a string or a list of content parts")
	}
	var texts []string
	for j, p := range parts {
		if p.Type != "text" {
			return "", gateway.Invalid(fmt.Sprintf("%s.content[%d].type", field, j), "only text parts are accepted in this message, got %q", p.Type)
		}
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "\n\n"), nil
}

// content reads a user message's content: a string, or a list of text,
// image_url and file parts.
func content(field string, raw json.RawMessage, out *gateway.Message) error {
	if isNull(raw) {
		return gateway.Invalid(field+".content", "is required")
	}
	if s, ok := httpapi.String(raw); ok {
		out.Content = s
		return nil
	}
	var parts []ContentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return gateway.Invalid(field+".content", "must be a string or a list of content parts")
	}
	for j, p := range parts {
		f := fmt.Sprintf("%s.content[%d]", field, j)
		var b gateway.Block
		switch p.Type {
		case "text":
			b = gateway.Block{Type: gateway.BlockText, Text: p.Text}
		case "image_url":
			if p.ImageURL == nil {
				return gateway.Invalid(f+".image_url", "is required for an image_url part")
			}
			mime, data, err := dataURL(f+".image_url.url", p.ImageURL.URL)
			if err != nil {
				return err
			}
			b = gateway.Block{Type: gateway.BlockImage, Format: imageFormat(mime), Data: data}
		case "file":
			if p.File == nil || p.File.FileData == "" {
				return gateway.Invalid(f+".file.file_data", "give the file inline as a data URL (data:application/pdf;base64,…); the gateway has no file store")
			}
			mime, data, err := dataURL(f+".file.file_data", p.File.FileData)
			if err != nil {
				return err
			}
			b = gateway.Block{Type: gateway.BlockDocument, Format: documentFormat(mime), Name: documentName(p.File.Filename), Data: data}
		default:
			return gateway.Invalid(f+".type", "%q is not supported; use text, image_url (a data URL) or file", p.Type)
		}
		out.Blocks = append(out.Blocks, b)
		if p.CacheControl != nil {
			out.Blocks = append(out.Blocks, gateway.Block{Type: gateway.BlockCachePoint})
		}
	}
	return nil
}

// dataURL decodes data:MIME;base64,DATA. The gateway fetches nothing from
// the network on a caller's behalf, so http(s) URLs are refused.
func dataURL(field, u string) (mime string, data []byte, err error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return "", nil, gateway.Invalid(field, "must be a data URL (data:image/png;base64,…); the gateway does not fetch URLs")
	}
	meta, payload, ok := strings.Cut(rest, ",")
	mime, enc, _ := strings.Cut(meta, ";")
	if !ok || enc != "base64" {
		return "", nil, gateway.Invalid(field, "must be a base64 data URL: data:MIME;base64,DATA")
	}
	data, err = base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", nil, gateway.Invalid(field, "holds invalid base64: %v", err)
	}
	return strings.ToLower(mime), data, nil
}

// imageFormat names Bedrock's image format for a MIME type.
func imageFormat(mime string) string {
	f := strings.TrimPrefix(mime, "image/")
	if f == "jpg" {
		return "jpeg"
	}
	return f // an unknown one is refused by the gateway with the list of formats
}

// documentFormat names Bedrock's document format for a MIME type.
func documentFormat(mime string) string {
	switch mime {
	case "application/pdf":
		return "pdf"
	case "text/csv":
		return "csv"
	case "application/msword":
		return "doc"
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return "docx"
	case "application/vnd.ms-excel":
		return "xls"
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return "xlsx"
	case "text/html":
		return "html"
	case "text/plain":
		return "txt"
	case "text/markdown":
		return "md"
	}
	return mime // refused by the gateway with the list of formats
}

// tools reads tools and tool_choice.
func tools(in *ChatRequest, out *gateway.Request) error {
	for i, t := range in.Tools {
		if t.Type != "" && t.Type != "function" {
			return gateway.Invalid(fmt.Sprintf("tools[%d].type", i), "must be \"function\", got %q", t.Type)
		}
		out.Tools = append(out.Tools, gateway.Tool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: t.Function.Parameters})
	}
	raw := bytes.TrimSpace(in.ToolChoice)
	if isNull(raw) {
		return nil
	}
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch mode {
		case "auto":
			out.ToolChoice = &gateway.ToolChoice{Mode: gateway.ToolChoiceAuto}
		case "required":
			out.ToolChoice = &gateway.ToolChoice{Mode: gateway.ToolChoiceAny}
		case "none":
			// Converse has no "none": without tool calls in the
			// conversation the tools can go; with them Bedrock needs them.
			if !hasToolCalls(out.Messages) {
				out.Tools = nil
			}
		default:
			return gateway.Invalid("tool_choice", "must be \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":…}}, got %q", mode)
		}
		return nil
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Function.Name == "" {
		return gateway.Invalid("tool_choice", "must be \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":…}}")
	}
	out.ToolChoice = &gateway.ToolChoice{Mode: gateway.ToolChoiceTool, Name: named.Function.Name}
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

// documentName makes a file name, less its extension, a name Bedrock
// accepts for a document.
func documentName(filename string) string {
	base, _, _ := strings.Cut(filename, ".")
	return gateway.DocumentName(base)
}
