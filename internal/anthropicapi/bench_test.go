package anthropicapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// BenchmarkMessages is the front end's own cost per call: decoding, model
// resolution, mapping to the gateway's request and back, encoding; the
// core is a fake that answers at once. The dated name is the slower path
// of resolution (the catalog does not know it as given).
func BenchmarkMessages(b *testing.B) {
	gen := &fakeGenerator{resp: &gateway.Response{Content: "Paris is the capital of France.", Model: "claude-haiku-4-5", ModelID: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
		Usage: gateway.ResponseUsage{InputTokens: 12, OutputTokens: 8, TotalTokens: 20}, FinishReason: "stop", EstimatedCostUSD: ptr(0.000002)}}
	for _, model := range []string{"claude-haiku-4-5", "claude-haiku-4-5-20251001"} {
		b.Run(model, func(b *testing.B) {
			a := newTestAPI(b, gen)
			body := `{"model":"` + model + `","max_tokens":512,"system":"Be brief.","messages":[{"role":"user","content":"What is the capital of France?"}]}`
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				a.Messages(rec, httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body)))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
