package httpapi

import (
	"encoding/json"
	"testing"
)

// TestStringMatchesUnmarshal holds String to json.Unmarshal over strings
// it takes as they are, strings it leaves to json.Unmarshal, and values
// that are no strings.
func TestStringMatchesUnmarshal(t *testing.T) {
	raws := []string{`""`, `"Paris"`, `"<b>&</b> ünï 🙂"`, `"a\"b"`, `"a\\b"`, `"\n"`, `"\u00e9\ud83d\ude42"`, "\"tab\there\"",
		"\"bad \xff\"", "\"\xe2\x80\xa8\"", `"a"b"`, `"`, `null`, `12`, `true`, `["a"]`, `{"a":1}`, ` "a" `, `"a" `, ``, `"\x"`}
	for _, s := range trickyStrings {
		b, _ := json.Marshal(s)
		raws = append(raws, string(b), `"`+s+`"`)
	}
	for _, raw := range raws {
		var want string
		wantErr := json.Unmarshal([]byte(raw), &want)
		got, ok := String(json.RawMessage(raw))
		if ok != (wantErr == nil) || got != want {
			t.Errorf("String(%q) = %q, %v; json.Unmarshal: %q, %v", raw, got, ok, want, wantErr)
		}
	}
}
