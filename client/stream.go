package client

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// streams routes progress notifications to the Generate call whose progress
// token they carry. The MCP SDK has one progress handler per session, while
// calls on a session run concurrently.
type streams struct {
	mu      sync.Mutex
	next    uint64
	byToken map[string]*stream
}

func newStreams() *streams { return &streams{byToken: make(map[string]*stream)} }

// stream is one streamed call. Its mutex serialises OnDelta calls between
// the session's notification goroutine and the goroutine that called
// Generate.
type stream struct {
	mu      sync.Mutex
	onDelta func(string)
	got     strings.Builder // text passed to onDelta so far
	done    bool
}

func (s *streams) open(onDelta func(string)) (string, *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	token := "llm-gateway-go-" + strconv.FormatUint(s.next, 10)
	st := &stream{onDelta: onDelta}
	s.byToken[token] = st
	return token, st
}

func (s *streams) close(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byToken, token)
}

// handle is the session's progress handler. A notification with an empty
// message is a keep-alive (the gateway sends them during long calls) and
// carries no text.
func (s *streams) handle(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
	p := req.Params
	if p == nil || p.Message == "" {
		return
	}
	token, ok := p.ProgressToken.(string)
	if !ok {
		return
	}
	s.mu.Lock()
	st := s.byToken[token]
	s.mu.Unlock()
	if st != nil {
		st.delta(p.Message)
	}
}

func (st *stream) delta(text string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return
	}
	st.got.WriteString(text)
	st.onDelta(text)
}

// finish ends the stream with the final answer. The SDK handles a call's
// result as soon as it is read, while notifications read before it may
// still wait in the session's queue; so the text not yet passed on is
// passed now, and later notifications are dropped. If what was passed is
// not a prefix of the answer (a gateway bug), nothing more is passed.
func (st *stream) finish(content string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.done = true
	got := st.got.String()
	if rest, ok := strings.CutPrefix(content, got); ok && rest != "" {
		st.onDelta(rest)
	}
}
