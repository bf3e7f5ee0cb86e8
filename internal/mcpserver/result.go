package mcpserver

import (
	"strconv"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// appendResponse appends r's JSON byte for byte as json.Marshal writes it
// (HTML escaped), without reflection: generate's result, on every call
// (issue 19: json.Marshal of it was 5–7% of a stdio cache hit's CPU). An
// answer with tool calls or fallback attempts, rarer, is left to
// json.Marshal (httpapi.ErrReflect), as is one it cannot encode.
func appendResponse(b []byte, r *gateway.Response) ([]byte, error) {
	if len(r.ToolCalls) > 0 || len(r.Attempts) > 0 {
		return b, httpapi.ErrReflect
	}
	var err error
	b = append(b, `{"content":`...)
	b = httpapi.AppendStringEscapeHTML(b, r.Content)
	b = append(b, `,"model":`...)
	b = httpapi.AppendStringEscapeHTML(b, r.Model)
	b = append(b, `,"model_id":`...)
	b = httpapi.AppendStringEscapeHTML(b, r.ModelID)
	u := &r.Usage
	b = append(b, `,"usage":{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(u.InputTokens), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(u.OutputTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
	if u.CacheReadTokens != 0 {
		b = append(b, `,"cache_read_input_tokens":`...)
		b = strconv.AppendInt(b, int64(u.CacheReadTokens), 10)
	}
	if u.CacheWriteTokens != 0 {
		b = append(b, `,"cache_write_input_tokens":`...)
		b = strconv.AppendInt(b, int64(u.CacheWriteTokens), 10)
	}
	b = append(b, `},"finish_reason":`...)
	b = httpapi.AppendStringEscapeHTML(b, r.FinishReason)
	b = append(b, `,"cached":`...)
	b = strconv.AppendBool(b, r.Cached)
	b = append(b, `,"latency_ms":`...)
	if b, err = httpapi.AppendFloat(b, r.LatencyMs); err != nil {
		return b, err
	}
	b = append(b, `,"estimated_cost_usd":`...)
	if b, err = httpapi.AppendFloatOrNull(b, r.EstimatedCostUSD); err != nil {
		return b, err
	}
	if r.UsageEstimated {
		b = append(b, `,"usage_estimated":true`...)
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{`,"saved_cost_usd":`, r.SavedCostUSD}, {`,"time_to_first_token_ms":`, r.TimeToFirstTokenMs}} {
		if f.v != nil {
			b = append(b, f.name...)
			if b, err = httpapi.AppendFloat(b, *f.v); err != nil {
				return b, err
			}
		}
	}
	return append(b, '}'), nil
}
