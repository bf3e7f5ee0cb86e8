package openaiapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
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
