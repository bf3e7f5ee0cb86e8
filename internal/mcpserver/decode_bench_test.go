package mcpserver

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkDecodeArgs sets reading a typical generate call's arguments
// (decodeArgs) beside encoding/json's strict Decoder, which read them all
// before.
func BenchmarkDecodeArgs(b *testing.B) {
	args := json.RawMessage(`{"model":"nova-lite","max_tokens":200,"messages":[{"role":"user","content":"question 17: name a river of Europe"}]}`)
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in GenerateInput
			dec := json.NewDecoder(bytes.NewReader(args))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeArgs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in GenerateInput
			if err := decodeArgs(args, &in); err != nil || len(in.Messages) != 1 {
				b.Fatal(in, err)
			}
		}
	})
}
