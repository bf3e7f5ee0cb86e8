package anthropicapi

import (
	"encoding/json"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// Response headers that carry the gateway's account of a call (the same
// as the OpenAI-compatible API's).
const (
	HeaderModel = httpapi.HeaderModel // catalog name of the model that answered
	HeaderCache = httpapi.HeaderCache // "hit" or "miss"
	HeaderCost  = httpapi.HeaderCost  // what the call spent; "unknown" for an unpriced model
)

// answer turns the gateway's answer into Anthropic's. model is the name
// as the caller gave it, as Anthropic's API echoes it; the catalog name is
// in the extension.
func answer(resp *gateway.Response, id, model string) *MessageResponse {
	out := &MessageResponse{
		ID: id, Type: "message", Role: "assistant", Model: model,
		Content:    contentOut(resp),
		StopReason: ptr(stopReason(resp.FinishReason)),
		Usage:      usage(resp.Usage),
		Gateway:    extension(resp),
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func contentOut(resp *gateway.Response) []ContentOut {
	out := []ContentOut{}
	if resp.Content != "" || len(resp.ToolCalls) == 0 {
		out = append(out, ContentOut{Type: "text", Text: ptr(resp.Content)})
	}
	for _, tc := range resp.ToolCalls {
		out = append(out, toolUse(tc, false))
	}
	return out
}

// toolUse is a tool call as a tool_use block; empty, its input is the {}
// a content_block_start event carries before the input's deltas.
func toolUse(tc gateway.ToolCall, empty bool) ContentOut {
	input := json.RawMessage("{}")
	if len(tc.Arguments) > 0 && !empty {
		input = tc.Arguments
	}
	return ContentOut{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: &input}
}

func stopReason(r string) string {
	switch r {
	case gateway.FinishLength:
		return "max_tokens"
	case gateway.FinishToolCalls:
		return "tool_use"
	case gateway.FinishContentFilter:
		return "refusal"
	}
	return "end_turn"
}

func usage(u gateway.ResponseUsage) Usage {
	return Usage{
		InputTokens:              u.InputTokens,
		OutputTokens:             u.OutputTokens,
		CacheCreationInputTokens: u.CacheWriteTokens,
		CacheReadInputTokens:     u.CacheReadTokens,
	}
}

func extension(resp *gateway.Response) *Extension {
	return &Extension{
		Model:        resp.Model,
		ModelID:      resp.ModelID,
		Cached:       resp.Cached,
		CostUSD:      resp.EstimatedCostUSD,
		SavedCostUSD: resp.SavedCostUSD,
		LatencyMs:    resp.LatencyMs,
	}
}
