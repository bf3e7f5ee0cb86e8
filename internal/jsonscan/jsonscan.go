// Package jsonscan reads JSON text in one pass over the bytes already
// held, for the hot paths where encoding/json's reflection and buffers
// cost more than the work itself (issue 19): a JSON-RPC message's
// envelope, the generate tool's arguments. It reads only what it is sure
// to read exactly as encoding/json would; every method reports false
// otherwise (invalid JSON, a key with escapes, a repeated key, a number
// out of range), and the caller then hands the whole input to
// encoding/json, which accepts, refuses and words its errors as before.
package jsonscan

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Scanner reads JSON from b at i.
type Scanner struct {
	b []byte
	i int
}

// New returns a scanner at the start of b.
func New(b []byte) Scanner { return Scanner{b: b} }

// End reports whether nothing but white space is left.
func (s *Scanner) End() bool {
	s.Space()
	return s.i == len(s.b)
}

// Value reads any one JSON value, checking it is well formed, and returns
// its text.
func (s *Scanner) Value() ([]byte, bool) {
	s.Space()
	start := s.i
	if !s.skip(0) {
		return nil, false
	}
	return s.b[start:s.i:s.i], true
}

// Next returns the next byte after white space, or 0 at the end.
func (s *Scanner) Next() byte {
	s.Space()
	if s.i == len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// Array reads an array, each element by elem.
func (s *Scanner) Array(elem func() bool) bool {
	if !s.Expect('[') {
		return false
	}
	s.Space()
	if s.Peek(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.Space()
		if s.Peek(']') {
			return true
		}
		if !s.Expect(',') {
			return false
		}
	}
}

// Object reads an object, handing each member's key to member, which
// reads its value and returns a bit of its own for the key, so that a
// repeated key is refused (encoding/json merges the values), or 0 where
// keys may repeat. Keys with escapes are left to encoding/json.
func (s *Scanner) Object(member func(key []byte) (bit uint16, ok bool)) bool {
	if !s.Expect('{') {
		return false
	}
	s.Space()
	if s.Peek('}') {
		return true
	}
	var seen uint16
	for {
		s.Space()
		start, end, ok := s.strSpan()
		if !ok || !Plain(s.b[start:end]) || !s.Expect(':') {
			return false
		}
		bit, ok := member(s.b[start:end])
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		s.Space()
		if s.Peek('}') {
			return true
		}
		if !s.Expect(',') {
			return false
		}
	}
}

// Str reads a string into out.
func (s *Scanner) Str(out *string) bool { return s.StrOf(out) }

// StrOf reads a string into out; one of known is taken as it is rather
// than copied from the input (a value most calls send: no allocation).
func (s *Scanner) StrOf(out *string, known ...string) bool {
	s.Space()
	start, end, ok := s.strSpan()
	if !ok {
		return false
	}
	*out, ok = UnquoteOf(s.b[start-1:end+1], known...)
	return ok
}

// UnquoteOf is Unquote, with one of known taken as it is rather than
// copied from q.
func UnquoteOf(q []byte, known ...string) (string, bool) {
	if len(q) >= 2 {
		for _, k := range known {
			if body := q[1 : len(q)-1]; string(body) == k && q[0] == '"' && q[len(q)-1] == '"' && Plain(body) {
				return k, true
			}
		}
	}
	return Unquote(q)
}

// Unquote returns the string the JSON literal q (quotes included) holds:
// its bytes as they are when they need no decoding, else as encoding/json
// reads them; ok is false if q is no string literal.
func Unquote(q []byte) (v string, ok bool) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", false
	}
	if body := q[1 : len(q)-1]; Plain(body) {
		return string(body), true
	}
	if json.Unmarshal(q, &v) != nil {
		return "", false
	}
	return v, true
}

// Plain reports whether a string literal's body is its value as it
// stands: no escapes, quotes or control characters, and valid UTF-8
// (encoding/json replaces invalid bytes).
func Plain(body []byte) bool {
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
func (s *Scanner) strSpan() (start, end int, ok bool) {
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
func (s *Scanner) number() ([]byte, bool) {
	s.Space()
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
func (s *Scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// Float reads a number into out as encoding/json does (a number out of
// range is its error to give).
func (s *Scanner) Float(out *float64) bool {
	n, ok := s.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	*out = f
	return err == nil
}

// Int reads a whole number into out as encoding/json does.
func (s *Scanner) Int(out *int) bool {
	n, ok := s.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(n), 10, strconv.IntSize)
	*out = int(v)
	return err == nil
}

// Bool reads true or false.
func (s *Scanner) Bool(out *bool) bool {
	s.Space()
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

func (s *Scanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// maxSkipDepth bounds the nesting skip follows; deeper values are
// encoding/json's to read.
const maxSkipDepth = 32

// skip reads any one JSON value, checking it is well formed.
func (s *Scanner) skip(depth int) bool {
	s.Space()
	if s.i >= len(s.b) || depth > maxSkipDepth {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, _, ok := s.strSpan()
		return ok
	case '{':
		return s.Object(func([]byte) (uint16, bool) { return 0, s.skip(depth + 1) })
	case '[':
		return s.Array(func() bool { return s.skip(depth + 1) })
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

// Space skips JSON's white space.
func (s *Scanner) Space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Expect reads c after white space.
func (s *Scanner) Expect(c byte) bool {
	s.Space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// Peek reads c if it is next.
func (s *Scanner) Peek(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}
