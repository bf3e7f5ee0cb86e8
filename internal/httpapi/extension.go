package httpapi

import "strconv"

// Extension is the gateway's own account of a call, under "llm_gateway"
// in the OpenAI and Anthropic fronts' answers.
type Extension struct {
	Model   string `json:"model"`    // catalog name
	ModelID string `json:"model_id"` // what was called on Bedrock
	Cached  bool   `json:"cached"`
	// CostUSD is what the call spent (0 when cached); null when the model
	// has no known price.
	CostUSD      *float64 `json:"cost_usd"`
	SavedCostUSD *float64 `json:"saved_cost_usd,omitempty"`
	// CacheWriteTokens is set by the fronts whose usage has no place for
	// them (OpenAI's); Anthropic's usage carries them itself.
	CacheWriteTokens int     `json:"cache_write_input_tokens,omitempty"`
	LatencyMs        float64 `json:"latency_ms"`
}

// AppendJSON implements Appender.
func (e *Extension) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"model":`...)
	b = AppendString(b, e.Model)
	b = append(b, `,"model_id":`...)
	b = AppendString(b, e.ModelID)
	b = append(b, `,"cached":`...)
	b = strconv.AppendBool(b, e.Cached)
	b = append(b, `,"cost_usd":`...)
	if b, err = AppendFloatOrNull(b, e.CostUSD); err != nil {
		return b, err
	}
	if e.SavedCostUSD != nil {
		b = append(b, `,"saved_cost_usd":`...)
		if b, err = AppendFloat(b, *e.SavedCostUSD); err != nil {
			return b, err
		}
	}
	if e.CacheWriteTokens != 0 {
		b = append(b, `,"cache_write_input_tokens":`...)
		b = strconv.AppendInt(b, int64(e.CacheWriteTokens), 10)
	}
	b = append(b, `,"latency_ms":`...)
	if b, err = AppendFloat(b, e.LatencyMs); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}
