package httpserver

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Defaults of the session caps.
const (
	DefaultMaxSessions       = 1000
	DefaultMaxSessionsPerKey = 100
)

// sessionCaps bounds how many MCP sessions are open, in total and per API
// key, so that clients opening sessions and leaving them idle cannot grow
// memory without bound. A request that would open one more (an initialize
// POST without Mcp-Session-Id, a GET /sse) is refused beyond the cap: 503
// when the gateway is full, 429 when the key holds its share.
//
// Streamable sessions are learned from the Mcp-Session-Id of the answer
// that opened them and forgotten when the SDK no longer has them (closed by
// DELETE or after Options.SessionIdleTimeout); SSE sessions from the owner
// table sseSessions keeps.
//
// sessionCaps also closes Streamable sessions left idle, in the SDK's
// stead: the SDK counts only the POSTs it serves itself, and a session
// whose calls the lane answers would look idle to it (see lane.go).
type sessionCaps struct {
	s *Server

	mu    sync.Mutex
	owner map[string]*sessionState // by streamable session ID
}

// sessionState is what the gateway keeps of a Streamable session.
type sessionState struct {
	agent string // who opened it: only they may use it (the SDK checks it too)

	// As the SDK did: the session is closed once no POST of it has been
	// served for SessionIdleTimeout. timer is nil without a timeout.
	refs  int // POSTs being served
	timer *time.Timer
}

// enter notes that a POST of session id sent by agent is being served,
// which stops its idle timer, and returns its state; nil when the gateway
// does not know the session or it is another agent's (the SDK refuses
// those). Each state entered must be left.
func (c *sessionCaps) enter(id, agent string) *sessionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.owner[id]
	if st == nil || st.agent != agent {
		return nil
	}
	if st.refs == 0 && st.timer != nil {
		st.timer.Stop()
	}
	st.refs++
	return st
}

// leave ends what enter began: when no POST of the session is left, its
// idle time starts.
func (c *sessionCaps) leave(st *sessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.refs--; st.refs == 0 && st.timer != nil {
		st.timer.Reset(c.s.opts.SessionIdleTimeout)
	}
}

// opened records a session the SDK has just opened for agent.
func (c *sessionCaps) opened(id, agent string) {
	st := &sessionState{agent: agent}
	if d := c.s.opts.SessionIdleTimeout; d > 0 {
		st.timer = time.AfterFunc(d, func() { c.expire(id, st) })
	}
	c.mu.Lock()
	c.owner[id] = st
	c.mu.Unlock()
}

// expire closes a session that has been idle for SessionIdleTimeout.
func (c *sessionCaps) expire(id string, st *sessionState) {
	c.mu.Lock()
	if c.owner[id] != st || st.refs > 0 { // forgotten, or a POST began as the timer fired
		c.mu.Unlock()
		return
	}
	delete(c.owner, id)
	c.mu.Unlock()
	for ss := range c.s.opts.Server.Sessions() {
		if ss.ID() == id {
			c.s.log.Debug("closing an idle MCP session", "session", id, "idle", c.s.opts.SessionIdleTimeout)
			_ = ss.Close()
		}
	}
}

// stopTimers stops the idle timers, at shutdown.
func (c *sessionCaps) stopTimers() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.owner {
		if st.timer != nil {
			st.timer.Stop()
		}
	}
}

// opensSession reports whether r would open a new MCP session.
func (c *sessionCaps) opensSession(r *http.Request) bool {
	switch r.URL.Path {
	case "/mcp":
		return !c.s.opts.Stateless && r.Method == http.MethodPost && r.Header.Get("Mcp-Session-Id") == ""
	case "/sse":
		return r.Method == http.MethodGet
	}
	return false
}

// count returns the sessions open in total and those of agent.
func (c *sessionCaps) count(agent string) (total, mine int) {
	live := make(map[string]bool)
	for ss := range c.s.opts.Server.Sessions() {
		live[ss.ID()] = true
	}
	c.mu.Lock()
	for id, st := range c.owner {
		if !live[id] {
			if st.timer != nil {
				st.timer.Stop()
			}
			delete(c.owner, id)
			continue
		}
		total++
		if st.agent == agent {
			mine++
		}
	}
	c.mu.Unlock()
	c.s.streams.mu.Lock()
	for _, a := range c.s.streams.owner {
		total++
		if a == agent {
			mine++
		}
	}
	c.s.streams.mu.Unlock()
	return total, mine
}

func (c *sessionCaps) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.opensSession(r) {
			next.ServeHTTP(w, r)
			return
		}
		agent := agentFrom(r.Context())
		total, mine := c.count(agent)
		o := c.s.opts
		switch {
		case total >= o.MaxSessions:
			c.refuse(w, r, http.StatusServiceUnavailable, fmt.Sprintf(
				"the gateway has %d MCP sessions open, its limit (MAX_SESSIONS); close sessions you no longer use (DELETE /mcp) or retry later: idle ones close after %s",
				total, o.SessionIdleTimeout))
			return
		case mine >= o.MaxSessionsPerKey && !c.s.keys.empty():
			c.refuse(w, r, http.StatusTooManyRequests, fmt.Sprintf(
				"this API key has %d MCP sessions open, its limit (MAX_SESSIONS_PER_KEY); reuse one, close those you no longer use (DELETE /mcp), or retry later: idle ones close after %s",
				mine, o.SessionIdleTimeout))
			return
		}
		if r.URL.Path != "/mcp" {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if id := sw.Header().Get("Mcp-Session-Id"); id != "" {
			c.opened(id, agent)
		}
	})
}

// sessionRetryAfter is what a refused session is told to wait: about the
// time an idle session takes to close, within reason.
func (c *sessionCaps) retryAfter() time.Duration {
	return min(max(c.s.opts.SessionIdleTimeout/4, time.Second), 5*time.Minute)
}

func (c *sessionCaps) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.s.log.InfoContext(r.Context(), "request refused", logKeyStatus, status, logKeyReason, "session limit",
		logKeyAgent, agentFrom(r.Context()), logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyRemote, r.RemoteAddr)
	w.Header().Set("Retry-After", strconv.Itoa(int(c.retryAfter().Seconds())))
	http.Error(w, msg, status)
}
