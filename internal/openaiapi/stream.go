package openaiapi

import (
	"encoding/json"
	"net/http"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// chunkStream writes a streamed completion as OpenAI's server-sent events:
// a first chunk with the role, one per piece of text, the tool calls, one
// with the finish reason, then, if asked, one with the usage, and
// "data: [DONE]". The headers go out with the first chunk, so that a
// request that fails before any text still gets its status code.
type chunkStream struct {
	w            http.ResponseWriter
	id, model    string
	created      int64
	includeUsage bool
	started      bool
}

func newChunkStream(w http.ResponseWriter, id, model string, created int64, includeUsage bool) *chunkStream {
	return &chunkStream{w: w, id: id, model: model, created: created, includeUsage: includeUsage}
}

func (s *chunkStream) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	empty := ""
	s.send(s.chunk(Delta{Role: "assistant", Content: &empty}, nil))
}

func (s *chunkStream) chunk(d Delta, finish *string) *ChatChunk {
	c := &ChatChunk{
		ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
		Choices: []ChunkChoice{{Delta: d, FinishReason: finish, Logprobs: jsonNull}},
	}
	return c
}

// delta sends a piece of text; it is the request's OnDelta.
func (s *chunkStream) delta(text string) {
	s.start()
	if text != "" {
		s.send(s.chunk(Delta{Content: &text}, nil))
	}
}

// finish sends what follows the text: tool calls, finish reason, usage.
func (s *chunkStream) finish(resp *gateway.Response) {
	s.start()
	if calls := toolCalls(resp.ToolCalls, true); len(calls) > 0 {
		s.send(s.chunk(Delta{ToolCalls: calls}, nil))
	}
	reason := finishReason(resp.FinishReason)
	last := s.chunk(Delta{}, &reason)
	if !s.includeUsage {
		last.Gateway = extension(resp)
	}
	s.send(last)
	if s.includeUsage {
		s.send(&ChatChunk{
			ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
			Choices: []ChunkChoice{}, Usage: usage(resp.Usage), Gateway: extension(resp),
		})
	}
	s.done()
}

// fail ends a stream that broke after it began with an error event, which
// the official SDKs raise as an APIError.
func (s *chunkStream) fail(err error) {
	_, body := errorBody(err)
	s.send(body)
	s.done()
}

func (s *chunkStream) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return // every value sent is a plain struct; cannot happen
	}
	s.write("data: " + string(b) + "\n\n")
}

func (s *chunkStream) done() { s.write("data: [DONE]\n\n") }

func (s *chunkStream) write(event string) {
	// A write to a client that has gone fails; the request's context ends
	// with it and the gateway stops the call, so the error needs no check.
	_, _ = s.w.Write([]byte(event))
	http.NewResponseController(s.w).Flush()
}
