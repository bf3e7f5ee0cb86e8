package mcpserver

import (
	"encoding/json"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/jsonscan"
)

// decodeGenerateArgs is decodeArgs for generate's arguments. The arguments
// an agent usually sends (the model, the messages, the sampling settings)
// are read by a small scanner in one pass over the bytes already held,
// where encoding/json's Decoder would make a reader and a buffer per call
// and reflect its way through (issue 19: 12–19% of a stdio cache hit's
// CPU). Anything else the scanner is not sure to read exactly as
// encoding/json would (another field, a key spelt in another case, a
// repeated key, a null, an odd number, invalid JSON) goes to decodeArgs
// from the start, so that what is accepted, what is refused and the error
// texts stay the same.
func decodeGenerateArgs(raw json.RawMessage, in *GenerateInput) error {
	if scanGenerateArgs(raw, in) {
		return nil
	}
	*in = GenerateInput{}
	return decodeArgs(raw, in)
}

// scanGenerateArgs reads raw into in, or reports false (in then holds
// part of it).
func scanGenerateArgs(raw []byte, in *GenerateInput) bool {
	s := jsonscan.New(raw)
	if s.End() {
		return true // no arguments: as {} (decodeArgs)
	}
	ok := s.Object(func(key []byte) (uint16, bool) {
		switch string(key) {
		case "model":
			return 1 << 0, s.Str(&in.Model)
		case "messages":
			return 1 << 1, messages(&s, &in.Messages)
		case "system":
			return 1 << 2, s.Str(&in.System)
		case "temperature":
			in.Temperature = new(float64)
			return 1 << 3, s.Float(in.Temperature)
		case "max_tokens":
			in.MaxTokens = new(int)
			return 1 << 4, s.Int(in.MaxTokens)
		case "top_p":
			in.TopP = new(float64)
			return 1 << 5, s.Float(in.TopP)
		case "cache":
			in.Cache = new(bool)
			return 1 << 6, s.Bool(in.Cache)
		case "stream":
			return 1 << 7, s.Bool(&in.Stream)
		case "reasoning":
			return 1 << 8, s.Str(&in.Reasoning)
		case "service_tier":
			return 1 << 9, s.Str(&in.ServiceTier)
		}
		return 0, false
	})
	return ok && s.End() // one value and nothing after it
}

// messages reads generate's messages: objects of role, content (a string
// or a list) and tool_call_id.
func messages(s *jsonscan.Scanner, out *[]MessageInput) bool {
	msgs := make([]MessageInput, 0, 4)
	ok := s.Array(func() bool {
		var m MessageInput
		ok := s.Object(func(key []byte) (uint16, bool) {
			switch string(key) {
			case "role":
				return 1 << 0, s.StrOf(&m.Role, gateway.RoleUser, gateway.RoleAssistant, gateway.RoleSystem, gateway.RoleTool)
			case "content":
				return 1 << 1, content(s, &m.Content)
			case "tool_call_id":
				return 1 << 2, s.Str(&m.ToolCallID)
			}
			return 0, false
		})
		msgs = append(msgs, m)
		return ok
	})
	*out = msgs
	return ok
}

// content reads a message's content as it stands: a string, or a list
// (read once more as blocks by MessageInput.message). It points into
// the arguments, which outlive it.
func content(s *jsonscan.Scanner, out *json.RawMessage) bool {
	if c := s.Next(); c != '"' && c != '[' {
		return false
	}
	v, ok := s.Value()
	*out = v
	return ok
}
