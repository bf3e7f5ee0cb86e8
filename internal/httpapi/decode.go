package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"unicode/utf8"

	segjson "github.com/segmentio/encoding/json"
)

// Unmarshal reads the JSON text b into v, as encoding/json's Decoder does
// with DisallowUnknownFields if strict, and reports whether it could: on
// false v is zeroed, and the caller decodes b again with encoding/json,
// whose error it reports. It reads with segmentio's decoder, which
// allocates a few times less than encoding/json's for the same answer
// (the differential fuzz tests hold the two to the same values), and
// leaves to encoding/json every text it refuses, text that nests deeper
// than MaxFastDepth, and text followed by more than white space.
func Unmarshal(b []byte, v any, strict bool) bool {
	if bytes.Count(b, []byte("{"))+bytes.Count(b, []byte("[")) > MaxFastDepth {
		return false
	}
	var flags segjson.ParseFlags
	if strict {
		flags = segjson.DisallowUnknownFields
	}
	rest, err := segjson.Parse(b, v, flags)
	if err != nil || len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
		reflect.ValueOf(v).Elem().SetZero()
		return false
	}
	return true
}

// MaxFastDepth bounds the brackets (counted in strings too) of a text
// Unmarshal reads: deeper ones, which encoding/json may refuse (past
// 10000), are left to it.
const MaxFastDepth = 1000

// Held is a request body read whole before the handler runs, whose bytes
// Decode reads in place.
type Held interface {
	io.Reader
	// Held returns the whole body, or nil once any of it has been read.
	Held() []byte
}

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
