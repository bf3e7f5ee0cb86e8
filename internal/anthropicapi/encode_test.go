package anthropicapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// TestAppendJSONMatchesEncodingJSON holds the hand-written encoding of an
// answer to what encoding/json writes for it, over every field's
// variations: nil and set pointers, omitted members, numbers of every form
// and texts that need escaping.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	texts := []string{"", "Paris.", "quote \" back \\ <b>&</b>", "ctl \x00\x1f\n\t", "日本 🙂 \u2028", "bad \xff utf-8"}
	costs := []*float64{nil, ptr(0.0), ptr(0.000002), ptr(1.5e-7), ptr(12.5)}
	var answers []*MessageResponse
	for i, text := range texts {
		resp := &gateway.Response{
			Content: text, Model: "claude" + text, ModelID: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
			Usage:        gateway.ResponseUsage{InputTokens: 12, OutputTokens: i, TotalTokens: 12 + i, CacheReadTokens: i % 2, CacheWriteTokens: i % 3},
			FinishReason: []string{"stop", gateway.FinishLength, gateway.FinishToolCalls, gateway.FinishContentFilter, "other"}[i%5],
			Cached:       i%2 == 0, LatencyMs: []float64{0, 0.25, 1234.5, 1e-7, 3}[i%5],
			EstimatedCostUSD: costs[i%len(costs)], SavedCostUSD: costs[(i+2)%len(costs)],
		}
		answers = append(answers, answer(resp, "msg_"+text, text))
	}
	answers = append(answers,
		&MessageResponse{ID: "bare"}, // nil content, reasons and extension
		&MessageResponse{ID: "blocks", StopSequence: ptr("\n\nHuman:"), Content: []ContentOut{{Type: "text"}, {Type: "x", ID: "i", Name: "n <1>"}}},
	)
	for _, m := range answers {
		got, err := m.AppendJSON(nil)
		if want := encodingJSON(t, m); err != nil || string(got) != want {
			t.Errorf("AppendJSON = %s, %v\nencoding/json: %s", got, err, want)
		}
	}
	// Raw JSON, which encoding/json compacts, is left to it.
	tools := answer(&gateway.Response{ToolCalls: []gateway.ToolCall{{ID: "t", Name: "f", Arguments: json.RawMessage(`{ "q": 1 }`)}}}, "msg", "m")
	for _, m := range []*MessageResponse{tools, {Container: json.RawMessage(`{"id": "c"}`)}} {
		if _, err := m.AppendJSON(nil); !errors.Is(err, httpapi.ErrReflect) {
			t.Errorf("AppendJSON of %+v: %v, want httpapi.ErrReflect", m, err)
		}
	}
}

func encodingJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
