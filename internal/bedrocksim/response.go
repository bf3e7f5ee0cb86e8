package bedrocksim

import (
	"crypto/sha256"
	"encoding/hex"
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
	reasoningBlock struct {
		ReasoningContent reasoningContent `json:"reasoningContent"`
	}
	reasoningContent struct {
		ReasoningText reasoningTextBlock `json:"reasoningText"`
	}
	reasoningTextBlock struct {
		Text      string `json:"text"`
		Signature string `json:"signature"`
	}
	metrics struct {
		LatencyMs int64 `json:"latencyMs"`
	}
)

// blocks are the answer's content blocks: the text, then the tool uses.
func (a *answer) blocks() []any {
	var out []any
	if a.reasoning != "" {
		out = append(out, reasoningBlock{reasoningContent{reasoningTextBlock{Text: a.reasoning, Signature: a.signature()}}})
	}
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
	_, _ = w.Write(b)
}

// signature stands for the token Bedrock sends to vouch for reasoning text:
// a hash of it here.
func (a *answer) signature() string {
	sum := sha256.Sum256([]byte(a.reasoning))
	return "sim-" + hex.EncodeToString(sum[:8])
}
