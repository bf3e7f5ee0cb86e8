package jsonscan

import (
	"encoding/json"
	"testing"
)

var seeds = []string{
	`{"a":[1,-2.5e+3,true,false,null,"x\u00e9\n"],"b":{}}`, `"plain"`, `"\ud83d\ude00"`, `"bad \xff"`,
	`"x\"`, `0`, `-0.0E-1`, `01`, `1.`, `.5`, `"a\x01"`, `{"a" 1}`, `[1,]`, `{"a\"":1}`, `tru`, ``,
}

// FuzzValue: a value Value accepts is valid JSON, and Unquote reads a
// string as encoding/json does.
func FuzzValue(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New(b)
		v, ok := s.Value()
		if ok && s.End() && !json.Valid(b) {
			t.Fatalf("Value(%q) = %q, but it is not valid JSON", b, v)
		}
		if len(b) > 0 && (isSpace(b[0]) || isSpace(b[len(b)-1])) {
			return // Unquote reads a literal as it stands
		}
		got, ok := Unquote(b)
		var want string
		if err := json.Unmarshal(b, &want); (err == nil) != ok || ok && got != want {
			t.Fatalf("Unquote(%q) = %q, %v; json.Unmarshal: %q, %v", b, got, ok, want, err)
		}
		if gotOf, okOf := UnquoteOf(b, "plain", "x\\"); gotOf != got || okOf != ok {
			t.Fatalf("UnquoteOf(%q) = %q, %v; Unquote: %q, %v", b, gotOf, okOf, got, ok)
		}
	})
}

// TestValue: Value reads valid JSON and refuses the rest; an object
// with escapes in a key it leaves to encoding/json.
func TestValue(t *testing.T) {
	for _, in := range seeds {
		s := New([]byte(in))
		_, ok := s.Value()
		ok = ok && s.End()
		want := json.Valid([]byte(in)) && in != `{"a\"":1}`
		if ok != want {
			t.Errorf("Value(%q) ok = %v, want %v", in, ok, want)
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
