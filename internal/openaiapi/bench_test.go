package openaiapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// BenchmarkChatCompletions is the front end's own cost per call: decoding,
// mapping to the gateway's request and back, encoding; the core is a fake
// that answers at once.
func BenchmarkChatCompletions(b *testing.B) {
	gen := &fakeGenerator{resp: &gateway.Response{Content: "Paris is the capital of France.", Model: "nova-lite", ModelID: "us.amazon.nova-lite-v1:0",
		Usage: gateway.ResponseUsage{InputTokens: 12, OutputTokens: 8, TotalTokens: 20}, FinishReason: "stop", EstimatedCostUSD: ptr(0.000002)}}
	a := newTestAPI(gen)
	const body = `{"model":"nova-lite","max_tokens":512,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is the capital of France?"}]}`
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		a.ChatCompletions(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkEncodeCompletion sets the hand-written encoding of a typical
// answer beside encoding/json's, which it replaced.
func BenchmarkEncodeCompletion(b *testing.B) {
	resp := &gateway.Response{Content: "Paris is the capital of France.", Model: "nova-lite", ModelID: "us.amazon.nova-lite-v1:0",
		Usage: gateway.ResponseUsage{InputTokens: 12, OutputTokens: 8, TotalTokens: 20}, FinishReason: "stop", EstimatedCostUSD: ptr(0.000002), LatencyMs: 0.412}
	c := completion(resp, "chatcmpl-0123456789", "nova-lite", 1700000000)
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = c.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			buf.Reset()
			if err := enc.Encode(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// held is a body read whole, as the gateway's HTTP server hands it on.
type held struct {
	*bytes.Reader
	b []byte
}

func (h held) Held() []byte { return h.b }

// BenchmarkDecodeRequest sets decoding a typical request in place
// (httpapi.Decode of a held body) beside encoding/json's Decoder, which
// reads any other body.
func BenchmarkDecodeRequest(b *testing.B) {
	body := []byte(`{"model":"nova-lite","max_tokens":512,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is the capital of France?"}]}`)
	for _, tt := range []struct {
		name string
		body func() io.Reader
	}{
		{"encoding-json", func() io.Reader { return bytes.NewReader(body) }},
		{"held", func() io.Reader { return held{bytes.NewReader(body), body} }},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var in ChatRequest
				if err := httpapi.Decode(tt.body(), &in); err != nil || len(in.Messages) != 2 {
					b.Fatal(in, err)
				}
			}
		})
	}
}
