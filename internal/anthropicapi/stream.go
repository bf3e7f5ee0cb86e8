package anthropicapi

import (
	"encoding/json"
	"net/http"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// eventStream writes a streamed message as Anthropic's server-sent events:
// message_start, ping, a text block (content_block_start, a
// content_block_delta per piece of text, content_block_stop), a tool_use
// block per tool call (its input in one input_json_delta), message_delta
// with the stop reason and the usage of the whole message, message_stop.
// The headers go out with the first event, so that a request that fails
// before any text still gets its status code.
type eventStream struct {
	w         http.ResponseWriter
	id, model string
	started   bool
	blocks    int  // content blocks started
	inText    bool // the text block is open
}

func newEventStream(w http.ResponseWriter, id, model string) *eventStream {
	return &eventStream{w: w, id: id, model: model}
}

func (s *eventStream) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	s.send("message_start", map[string]any{"type": "message_start", "message": &MessageResponse{
		ID: s.id, Type: "message", Role: "assistant", Model: s.model, Content: []ContentOut{},
	}})
	s.send("ping", map[string]any{"type": "ping"})
}

// delta sends a piece of text; it is the request's OnDelta.
func (s *eventStream) delta(text string) {
	s.start()
	if text == "" {
		return
	}
	s.openText()
	s.send("content_block_delta", map[string]any{"type": "content_block_delta", "index": s.blocks - 1,
		"delta": map[string]any{"type": "text_delta", "text": text}})
}

func (s *eventStream) openText() {
	if s.inText {
		return
	}
	s.inText = true
	s.send("content_block_start", map[string]any{"type": "content_block_start", "index": s.blocks,
		"content_block": ContentOut{Type: "text", Text: ptr("")}})
	s.blocks++
}

func (s *eventStream) closeBlock() {
	s.send("content_block_stop", map[string]any{"type": "content_block_stop", "index": s.blocks - 1})
}

// finish sends what follows the text: tool calls, stop reason, usage.
func (s *eventStream) finish(resp *gateway.Response) {
	s.start()
	if !s.inText && len(resp.ToolCalls) == 0 {
		s.openText() // an empty answer is one empty text block, as unstreamed
	}
	if s.inText {
		s.closeBlock()
		s.inText = false
	}
	for _, tc := range resp.ToolCalls {
		s.send("content_block_start", map[string]any{"type": "content_block_start", "index": s.blocks,
			"content_block": toolUse(tc, true)})
		s.blocks++
		args := string(tc.Arguments)
		if args == "" {
			args = "{}"
		}
		s.send("content_block_delta", map[string]any{"type": "content_block_delta", "index": s.blocks - 1,
			"delta": map[string]any{"type": "input_json_delta", "partial_json": args}})
		s.closeBlock()
	}
	u := usage(resp.Usage)
	s.send("message_delta", map[string]any{
		"type":        "message_delta",
		"delta":       map[string]any{"stop_reason": stopReason(resp.FinishReason), "stop_sequence": nil},
		"usage":       u,
		"llm_gateway": extension(resp),
	})
	s.send("message_stop", map[string]any{"type": "message_stop"})
}

// fail ends a stream that broke after it began with an error event, which
// the official SDKs raise as an APIError.
func (s *eventStream) fail(err error) {
	_, body := errorBody(err, s.id)
	s.send("error", body)
}

func (s *eventStream) send(event string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return // every value sent is plain data; cannot happen
	}
	// A write to a client that has gone fails; the request's context ends
	// with it and the gateway stops the call, so the error needs no check.
	_, _ = s.w.Write([]byte("event: " + event + "\ndata: " + string(b) + "\n\n"))
	http.NewResponseController(s.w).Flush()
}
