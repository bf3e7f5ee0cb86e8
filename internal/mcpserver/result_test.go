package mcpserver

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// FuzzAppendResponse: generate's result is written byte for byte as
// json.Marshal writes it, whatever it holds.
func FuzzAppendResponse(f *testing.F) {
	f.Add("Paris.", "nova-lite", "amazon.nova-lite-v1:0", "stop", 12, 3, 0, 0, true, 0.25, 0.0, 1e-7, 1e21, uint8(0xff))
	f.Add("<a> & \u2028 \xff \"q\"\n", "m", "", "tool_calls", -1, 1<<40, 7, 9, false, 0.5, math.Copysign(0, -1), 5e-324, 123456789.125, uint8(0x0e))
	f.Add("x", "m", "", "stop", 0, 0, 0, 0, false, math.NaN(), math.Inf(1), 0.0, 0.0, uint8(0x02))
	f.Fuzz(func(t *testing.T, content, model, modelID, finish string, in, out, cr, cw int, cached bool, lat, cost, saved, ttft float64, set uint8) {
		r := &gateway.Response{
			Content: content, Model: model, ModelID: modelID, FinishReason: finish, Cached: cached, LatencyMs: lat,
			Usage:          gateway.ResponseUsage{InputTokens: in, OutputTokens: out, TotalTokens: in + out, CacheReadTokens: cr, CacheWriteTokens: cw},
			UsageEstimated: set&1 != 0,
		}
		if set&2 != 0 {
			r.EstimatedCostUSD = &cost
		}
		if set&4 != 0 {
			r.SavedCostUSD = &saved
		}
		if set&8 != 0 {
			r.TimeToFirstTokenMs = &ttft
		}
		if set&16 != 0 {
			r.Attempts = []gateway.Attempt{{Model: "x", Kind: gateway.KindThrottled, Error: "e"}}
		}
		want, werr := json.Marshal(r)
		got, gerr := structured(r)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("structured: %v; json.Marshal: %v", gerr, werr)
		}
		if werr == nil && !bytes.Equal(got.StructuredContent.(json.RawMessage), want) {
			t.Fatalf("structured wrote\n%s\njson.Marshal\n%s", got.StructuredContent, want)
		}
	})
}

// BenchmarkGenerateResult is what writing a cache hit's result costs.
func BenchmarkGenerateResult(b *testing.B) {
	cost := 0.0
	r := &gateway.Response{Content: "The capital of France is Paris.", Model: "nova-lite", ModelID: "amazon.nova-lite-v1:0",
		Usage:        gateway.ResponseUsage{InputTokens: 12, OutputTokens: 8, TotalTokens: 20},
		FinishReason: "stop", Cached: true, LatencyMs: 0.042, EstimatedCostUSD: &cost, SavedCostUSD: ptr(0.0000034)}
	b.Run("appendResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := structured(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := structured(any(*r)); err != nil { // a value, not *gateway.Response: json.Marshal
				b.Fatal(err)
			}
		}
	})
}
