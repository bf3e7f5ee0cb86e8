package openaiapi

import (
	"encoding/json"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// Response headers that carry the gateway's account of a call.
const (
	HeaderModel = httpapi.HeaderModel // catalog name of the model that answered
	HeaderCache = httpapi.HeaderCache // "hit" or "miss"
	HeaderCost  = httpapi.HeaderCost  // what the call spent; "unknown" for an unpriced model
)

// completion turns the gateway's answer into OpenAI's.
// model is the name as the caller gave it, as OpenAI's API echoes it; the
// catalog name is in the extension.
func completion(resp *gateway.Response, id, model string, created int64) *ChatCompletion {
	msg := AnswerMessage{Role: "assistant", ToolCalls: toolCalls(resp.ToolCalls, false)}
	if resp.Content != "" || len(resp.ToolCalls) == 0 {
		msg.Content = &resp.Content
	}
	return &ChatCompletion{
		ID:      id,
		Object:  "chat.completion",
		Created: created,
		Model:   model,
		Choices: []ChatChoice{{Message: msg, FinishReason: finishReason(resp.FinishReason), Logprobs: jsonNull}},
		Usage:   usage(resp.Usage),
		Gateway: extension(resp),
	}
}

var jsonNull = json.RawMessage("null")

func toolCalls(calls []gateway.ToolCall, indexed bool) []ChatToolCall {
	var out []ChatToolCall
	for i, c := range calls {
		tc := ChatToolCall{ID: c.ID, Type: "function"}
		if indexed {
			tc.Index = &i
		}
		tc.Function.Name = c.Name
		tc.Function.Arguments = string(c.Arguments)
		if len(c.Arguments) == 0 {
			tc.Function.Arguments = "{}"
		}
		out = append(out, tc)
	}
	return out
}

func finishReason(r string) string {
	switch r {
	case gateway.FinishLength, gateway.FinishToolCalls, gateway.FinishContentFilter:
		return r
	}
	return "stop"
}

func usage(u gateway.ResponseUsage) *ChatUsage {
	out := &ChatUsage{
		PromptTokens:     u.InputTokens + u.CacheReadTokens + u.CacheWriteTokens,
		CompletionTokens: u.OutputTokens,
		TotalTokens:      u.TotalTokens,
	}
	out.PromptTokensDetails.CachedTokens = u.CacheReadTokens
	return out
}

func extension(resp *gateway.Response) *Extension {
	return &Extension{
		Model:            resp.Model,
		ModelID:          resp.ModelID,
		Cached:           resp.Cached,
		CostUSD:          resp.EstimatedCostUSD,
		SavedCostUSD:     resp.SavedCostUSD,
		CacheWriteTokens: resp.Usage.CacheWriteTokens,
		LatencyMs:        resp.LatencyMs,
	}
}
