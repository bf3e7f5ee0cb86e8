package bedrocksim

import (
	"net/http"
	"strconv"
)

// The Converse response, member for member as Bedrock sends it.
type (
	converseResponse struct {
		Output     converseOutput `json:"output"`
		StopReason string         `json:"stopReason"`
		Usage      usage          `json:"usage"`
		Metrics    metrics        `json:"metrics"`
		Trace      *converseTrace `json:"trace,omitempty"`
		Tier       *serviceTier   `json:"serviceTier,omitempty"`
	}
	converseOutput struct {
		Message outputMessage `json:"message"`
	}
	outputMessage struct {
		Role    string `json:"role"`
		Content []any  `json:"content"` // textBlock and toolUseBlock
	}
	textBlock struct {
		Text string `json:"text"`
	}
	toolUseBlock struct {
		ToolUse toolUse `json:"toolUse"`
	}
	metrics struct {
		LatencyMs int64 `json:"latencyMs"`
	}
)

// blocks are the answer's content blocks: the text, then the tool uses.
func (a *answer) blocks() []any {
	var out []any
	if a.hasText() {
		out = append(out, textBlock{Text: a.text})
	}
	for _, u := range a.toolUses {
		out = append(out, toolUseBlock{ToolUse: u})
	}
	return out
}

func writeJSON(w http.ResponseWriter, requestID string, v any) {
	b := mustMarshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
