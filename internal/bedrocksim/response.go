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
	}
	converseOutput struct {
		Message outputMessage `json:"message"`
	}
	outputMessage struct {
		Role    string      `json:"role"`
		Content []textBlock `json:"content"`
	}
	textBlock struct {
		Text string `json:"text"`
	}
	metrics struct {
		LatencyMs int64 `json:"latencyMs"`
	}
)

func writeJSON(w http.ResponseWriter, requestID string, v any) {
	b := mustMarshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
