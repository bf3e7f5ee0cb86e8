package gateway

// Response is what the generate tool returns: the seed's fields exactly,
// plus the ones added after it (saved_cost_usd, cache token counts).
type Response struct {
	Content string `json:"content"`
	// ToolCalls are the tools the model asks to run (finish_reason
	// "tool_calls"); send each result back as a "tool" message.
	ToolCalls    []ToolCall    `json:"tool_calls,omitempty"`
	Model        string        `json:"model"`
	ModelID      string        `json:"model_id"`
	Usage        ResponseUsage `json:"usage"`
	FinishReason string        `json:"finish_reason"`
	Cached       bool          `json:"cached"`
	LatencyMs    float64       `json:"latency_ms"`
	// EstimatedCostUSD is what this call spent: zero for a cached answer,
	// null when the model has no known price (never a made-up $0).
	EstimatedCostUSD *float64 `json:"estimated_cost_usd"`
	// UsageEstimated is true when Usage (and so the cost) was estimated by
	// the gateway because Bedrock never reported it: a stream that ended
	// without its usage event.
	UsageEstimated bool `json:"usage_estimated,omitempty"`
	// SavedCostUSD is what a cached or shared answer would have cost.
	SavedCostUSD *float64 `json:"saved_cost_usd,omitempty"`
	// TimeToFirstTokenMs is, for a streamed answer, how long the first
	// text took to arrive.
	TimeToFirstTokenMs *float64 `json:"time_to_first_token_ms,omitempty"`
	// Attempts lists the models tried before the one that answered, when a
	// fallback was used.
	Attempts []Attempt `json:"attempts,omitempty"`
}

// Attempt is one model tried for a request that fell back to another.
type Attempt struct {
	Model string    `json:"model"`
	Kind  ErrorKind `json:"error_kind"`
	Error string    `json:"error"`
}

// ResponseUsage is Usage as agents see it, with the total the seed shows.
type ResponseUsage struct {
	InputTokens      int `json:"input_tokens"`
	OutputTokens     int `json:"output_tokens"`
	TotalTokens      int `json:"total_tokens"`
	CacheReadTokens  int `json:"cache_read_input_tokens,omitempty"`
	CacheWriteTokens int `json:"cache_write_input_tokens,omitempty"`
}

func responseUsage(u Usage) ResponseUsage {
	return ResponseUsage{
		InputTokens:      u.InputTokens,
		OutputTokens:     u.OutputTokens,
		TotalTokens:      u.Total(),
		CacheReadTokens:  u.CacheReadTokens,
		CacheWriteTokens: u.CacheWriteTokens,
	}
}

func usd(p PicoUSD) *float64 {
	v := p.USD()
	return &v
}
