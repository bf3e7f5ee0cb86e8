package mcpserver

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
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

// argScanner reads JSON from b at i. Each method reports false when the
// input is not one it reads exactly as encoding/json would.
type argScanner struct {
	b []byte
	i int
}

// scanGenerateArgs reads raw into in, or reports false (in then holds
// part of it).
func scanGenerateArgs(raw []byte, in *GenerateInput) bool {
	s := argScanner{b: raw}
	s.space()
	if s.i == len(s.b) {
		return true // no arguments: as {} (decodeArgs)
	}
	ok := s.object(func(key []byte) (uint16, bool) {
		switch string(key) {
		case "model":
			return 1 << 0, s.str(&in.Model)
		case "messages":
			return 1 << 1, s.messages(&in.Messages)
		case "system":
			return 1 << 2, s.str(&in.System)
		case "temperature":
			in.Temperature = new(float64)
			return 1 << 3, s.float(in.Temperature)
		case "max_tokens":
			in.MaxTokens = new(int)
			return 1 << 4, s.int(in.MaxTokens)
		case "top_p":
			in.TopP = new(float64)
			return 1 << 5, s.float(in.TopP)
		case "cache":
			in.Cache = new(bool)
			return 1 << 6, s.bool(in.Cache)
		case "stream":
			return 1 << 7, s.bool(&in.Stream)
		case "reasoning":
			return 1 << 8, s.str(&in.Reasoning)
		case "service_tier":
			return 1 << 9, s.str(&in.ServiceTier)
		}
		return 0, false
	})
	if !ok {
		return false
	}
	s.space()
	return s.i == len(s.b) // one value and nothing after it
}

// messages reads generate's messages: objects of role, content (a string
// or a list) and tool_call_id.
func (s *argScanner) messages(out *[]MessageInput) bool {
	msgs := make([]MessageInput, 0, 4)
	ok := s.array(func() bool {
		var m MessageInput
		ok := s.object(func(key []byte) (uint16, bool) {
			switch string(key) {
			case "role":
				return 1 << 0, s.str(&m.Role)
			case "content":
				return 1 << 1, s.content(&m.Content)
			case "tool_call_id":
				return 1 << 2, s.str(&m.ToolCallID)
			}
			return 0, false
		})
		msgs = append(msgs, m)
		return ok
	})
	*out = msgs
	return ok
}

// array reads an array, each element by elem.
func (s *argScanner) array(elem func() bool) bool {
	if !s.expect('[') {
		return false
	}
	s.space()
	if s.peek(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.space()
		if s.peek(']') {
			return true
		}
		if !s.expect(',') {
			return false
		}
	}
}

// content reads a message's content as it stands: a string, or a list
// (read once more as blocks by MessageInput.message). It points into
// the arguments, which outlive it.
func (s *argScanner) content(out *json.RawMessage) bool {
	s.space()
	start := s.i
	switch {
	case s.i < len(s.b) && s.b[s.i] == '"':
		if _, _, ok := s.strSpan(); !ok {
			return false
		}
	case s.i < len(s.b) && s.b[s.i] == '[':
		if !s.skip(0) {
			return false
		}
	default:
		return false
	}
	*out = s.b[start:s.i:s.i]
	return true
}

// object reads an object, handing each member's key to member, which
// reads its value and returns a bit of its own for the key, so that a
// repeated key is refused (encoding/json merges the values), or 0 where
// keys may repeat. Keys with escapes are left to encoding/json.
func (s *argScanner) object(member func(key []byte) (bit uint16, ok bool)) bool {
	if !s.expect('{') {
		return false
	}
	s.space()
	if s.peek('}') {
		return true
	}
	var seen uint16
	for {
		s.space()
		start, end, ok := s.strSpan()
		if !ok || !plain(s.b[start:end]) || !s.expect(':') {
			return false
		}
		bit, ok := member(s.b[start:end])
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		s.space()
		if s.peek('}') {
			return true
		}
		if !s.expect(',') {
			return false
		}
	}
}

// str reads a string into out.
func (s *argScanner) str(out *string) bool {
	s.space()
	start, end, ok := s.strSpan()
	if !ok {
		return false
	}
	v, ok := unquote(s.b[start-1 : end+1])
	*out = v
	return ok
}

// unquote returns the string the JSON literal q (quotes included) holds:
// its bytes as they are when they need no decoding, else as encoding/json
// reads them; ok is false if q is no string literal.
func unquote(q []byte) (v string, ok bool) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", false
	}
	if body := q[1 : len(q)-1]; plain(body) {
		return string(body), true
	}
	if json.Unmarshal(q, &v) != nil {
		return "", false
	}
	return v, true
}

// plain reports whether a string literal's body is its value as it
// stands: no escapes, quotes or control characters, and valid UTF-8
// (encoding/json replaces invalid bytes).
func plain(body []byte) bool {
	ascii := true
	for _, c := range body {
		switch {
		case c == '\\' || c == '"' || c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.Valid(body)
}

// strSpan reads a string literal and returns where its body starts and
// ends. It refuses control characters, as JSON does.
func (s *argScanner) strSpan() (start, end int, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return 0, 0, false
	}
	s.i++
	start = s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return start, s.i - 1, true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return 0, 0, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return 0, 0, false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return 0, 0, false
					}
				}
				s.i += 6
			default:
				return 0, 0, false
			}
		case c < 0x20:
			return 0, 0, false
		default:
			s.i++
		}
	}
	return 0, 0, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads a number as JSON writes one and returns its text.
func (s *argScanner) number() ([]byte, bool) {
	s.space()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.b[start:s.i], true
}

// digits reads one or more digits.
func (s *argScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// float reads a number into out as encoding/json does (a number out of
// range is its error to give).
func (s *argScanner) float(out *float64) bool {
	n, ok := s.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	*out = f
	return err == nil
}

// int reads a whole number into out as encoding/json does.
func (s *argScanner) int(out *int) bool {
	n, ok := s.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(n), 10, strconv.IntSize)
	*out = int(v)
	return err == nil
}

// bool reads true or false.
func (s *argScanner) bool(out *bool) bool {
	s.space()
	switch {
	case s.literal("true"):
		*out = true
	case s.literal("false"):
		*out = false
	default:
		return false
	}
	return true
}

func (s *argScanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// maxSkipDepth bounds the nesting skip follows; deeper lists are
// encoding/json's to read.
const maxSkipDepth = 32

// skip reads any one JSON value, checking it is well formed.
func (s *argScanner) skip(depth int) bool {
	s.space()
	if s.i >= len(s.b) || depth > maxSkipDepth {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, _, ok := s.strSpan()
		return ok
	case '{':
		return s.object(func([]byte) (uint16, bool) { return 0, s.skip(depth + 1) })
	case '[':
		return s.array(func() bool { return s.skip(depth + 1) })
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	_, ok := s.number()
	return ok
}

// space skips JSON's white space.
func (s *argScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// expect reads c after white space.
func (s *argScanner) expect(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// peek reads c if it is next.
func (s *argScanner) peek(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}
