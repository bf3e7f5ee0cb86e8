package httpapi

import (
	"encoding/json"
	"unicode/utf8"
)

// String reads raw JSON into a string as json.Unmarshal does, and reports
// whether it could (null reads as ""). Message contents, which are
// strings or lists, are read with it: a string without escapes, the usual
// content, is taken as it is, without json.Unmarshal's pass and state.
func String(raw json.RawMessage) (string, bool) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		inner, ascii := raw[1:n-1], true
		plain := true
		for _, c := range inner {
			if c < 0x20 || c == '"' || c == '\\' {
				plain = false
				break
			}
			ascii = ascii && c < utf8.RuneSelf
		}
		if plain && (ascii || utf8.Valid(inner)) {
			return string(inner), true
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err == nil
}
