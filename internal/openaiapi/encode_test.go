package openaiapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// TestAppendJSONMatchesEncodingJSON holds the hand-written encoding of a
// completion to what encoding/json writes for it, over every field's
// variations: text or tool calls, nil and set pointers, omitted members,
// numbers of every form and texts that need escaping.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	texts := []string{"", "Paris.", "quote \" back \\ <b>&</b>", "ctl \x00\x1f\n\t", "日本 🙂 \u2028", "bad \xff utf-8"}
	costs := []*float64{nil, ptr(0.0), ptr(0.000002), ptr(1.5e-7), ptr(12.5)}
	var answers []*ChatCompletion
	for i, text := range texts {
		resp := &gateway.Response{
			Content: text, Model: "nova-lite" + text, ModelID: "us.amazon.nova-lite-v1:0",
			Usage:        gateway.ResponseUsage{InputTokens: 12, OutputTokens: i, TotalTokens: 12 + i, CacheReadTokens: i % 2, CacheWriteTokens: i % 3},
			FinishReason: []string{"stop", gateway.FinishLength, gateway.FinishToolCalls, gateway.FinishContentFilter, "other"}[i%5],
			Cached:       i%2 == 0, LatencyMs: []float64{0, 0.25, 1234.5, 1e-7, 3}[i%5],
			EstimatedCostUSD: costs[i%len(costs)], SavedCostUSD: costs[(i+2)%len(costs)],
		}
		if i%2 == 1 {
			resp.ToolCalls = []gateway.ToolCall{{ID: "call_" + text, Name: "lookup", Arguments: json.RawMessage(`{"q": "` + text + `"}`)}, {ID: "c2", Name: "none"}}
		}
		answers = append(answers, completion(resp, "chatcmpl-"+text, text, int64(1700000000+i)))
	}
	index := 3
	fingerprint := "fp <1>"
	answers = append(answers,
		&ChatCompletion{ID: "bare"}, // nil choices, usage and extension
		&ChatCompletion{ID: "streamed tool call", SystemFingerprint: &fingerprint, Choices: []ChatChoice{{Index: 1,
			Message: AnswerMessage{Role: "assistant", Refusal: &fingerprint, ToolCalls: []ChatToolCall{{Index: &index, ID: "x"}}}}}},
	)
	for _, c := range answers {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
		got, err := c.AppendJSON(nil)
		if err != nil || string(got)+"\n" != want.String() {
			t.Errorf("AppendJSON = %s, %v\nencoding/json: %s", got, err, want.String())
		}
	}
}

// TestAppendJSONLeavesRawLogprobs checks that a raw value the encoder
// does not compact itself goes to encoding/json.
func TestAppendJSONLeavesRawLogprobs(t *testing.T) {
	c := &ChatCompletion{Choices: []ChatChoice{{Logprobs: json.RawMessage(`{ "content": [] }`)}}}
	var rec recorder
	rec.header = map[string][]string{}
	writeJSON(&rec, 200, c)
	if want := `"logprobs":{"content":[]}}]`; !bytes.Contains(rec.body.Bytes(), []byte(want)) {
		t.Errorf("answer %s, want it to hold %s", rec.body.Bytes(), want)
	}
}
