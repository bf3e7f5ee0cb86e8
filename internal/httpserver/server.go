package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/authbackoff"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
)

// Defaults for the zero Options.
const (
	DefaultMaxBodyBytes      = 4 << 20 // 4 MiB, the SDK's own default
	DefaultShutdownGrace     = 25 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultSessionIdle       = time.Hour
)

// Log attribute keys.
const (
	logKeyAgent    = "agent"
	logKeyMethod   = "method"
	logKeyPath     = "path"
	logKeyStatus   = "status"
	logKeyRemote   = "remote"
	logKeyReason   = "reason"
	logKeyOrigin   = "origin"
	logKeyDuration = "duration"
	logKeyAddr     = "addr"
	logKeyGrace    = "grace"
	logKeyError    = "error"
)

// Key is one API key and the name of the agent that holds it.
type Key struct {
	Name   string // who holds it, for logs and metrics; not secret
	Secret string // what the agent sends after "Bearer "
}

// String names the holder and hides the secret.
func (k Key) String() string { return k.Name + ":[redacted]" }

// Options configure a Server. Server is required; every other zero value
// means the default stated on the field.
type Options struct {
	// Server is the one MCP server every agent reaches. New adds a receiving
	// middleware to it that tracks requests in flight for graceful shutdown;
	// give each MCP server to one New only.
	Server *mcp.Server
	// Lane, if not nil, is the lane mcpserver.NewWithLane returned with
	// Server: it answers a session's generate calls over Streamable HTTP
	// beside the SDK (see lane.go). New adds its middleware through it.
	Lane *mcpserver.Lane

	// Keys are the API keys agents must send as "Authorization: Bearer KEY".
	// If empty, no key is asked for, and Serve refuses a listener other
	// machines can reach unless AllowNoAuth is set.
	Keys []Key
	// AllowNoAuth lets Serve listen beyond loopback without keys. Anyone who
	// can reach the port can then spend on the AWS account.
	AllowNoAuth bool

	// AllowedOrigins are the browser origins ("https://app.example.com",
	// scheme://host[:port], no path) accepted besides loopback ones
	// (localhost, 127.0.0.1, [::1], any port). Requests without an Origin
	// header, which is all non-browser clients, are always accepted.
	AllowedOrigins []string

	// Stateless serves /mcp in the SDK's stateless mode: no Mcp-Session-Id,
	// every POST is its own short session, GET and DELETE answer 405, and
	// the server cannot call back to the client. Default false: sessions;
	// clients that probe for a sessionless revision (2026-07-28 on) are
	// told the session revisions and fall back to them.
	Stateless bool
	// SessionIdleTimeout closes a Streamable HTTP session that has seen no
	// request for this long; its client must initialize again. If zero, 1h.
	// Negative: never.
	SessionIdleTimeout time.Duration

	// Routes are further HTTP surfaces served beside MCP (an OpenAI- or
	// Anthropic-compatible API, say), behind the same Origin check, keys and
	// body limit.
	Routes []Route

	// MaxSessions caps the MCP sessions open at once (Streamable HTTP and
	// SSE); one more is refused with 503. If zero, 1000.
	MaxSessions int
	// MaxSessionsPerKey caps the sessions one API key holds; one more is
	// refused with 429. With no keys only MaxSessions applies. If zero, 100.
	MaxSessionsPerKey int

	// MaxConcurrent caps the requests with a body served at once; one more
	// gets 503 with Retry-After. If zero, 512.
	MaxConcurrent int
	// MaxConcurrentPerKey caps them per API key (429); with no keys only
	// MaxConcurrent applies. If zero, 128.
	MaxConcurrentPerKey int
	// MaxBytesInFlight caps the bytes of the bodies of those requests
	// (503); a single body is always let through. If zero, 64 MiB.
	MaxBytesInFlight int64

	// AuthBackoff slows down key guessing: a source address whose key
	// checks failed too often is answered 429 with Retry-After, unchecked,
	// on every surface that checks a key (MCP, routes, admin routes). If
	// nil, the backoff's defaults (authbackoff.New(authbackoff.Options{}));
	// to turn it off, set NoAuthBackoff.
	AuthBackoff *authbackoff.Table
	// NoAuthBackoff turns the backoff off.
	NoAuthBackoff bool

	// MaxBodyBytes bounds a request body, in bytes; larger ones get 413.
	// If zero, 4 MiB.
	MaxBodyBytes int64

	// Ready reports whether the gateway can answer (catalog loaded,
	// credentials resolvable): nil means ready. It gets a context bounded by
	// the probe's request. If nil, always ready.
	Ready func(ctx context.Context) error
	// Degraded lists what works less well than it should while the gateway
	// still answers (a shared part unreachable); /readyz stays 200 and
	// prints each line after "ready". If nil, nothing.
	Degraded func() []string

	// ShutdownGrace is how long calls in flight may run after Serve's
	// context ends before they are cancelled. If zero, 25s.
	ShutdownGrace time.Duration
	// Timeouts of the http.Server Serve runs. ReadTimeout bounds reading a
	// request's headers and body (net/http drops it once the body is read,
	// so long calls and SSE streams live on; there is no write timeout).
	// If zero: 10s, 60s and 120s.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration

	// Logger receives rejected requests (Info), served requests (Debug) and
	// lifecycle lines. If nil, nothing is logged.
	Logger *slog.Logger
}

// Server serves an MCP server over Streamable HTTP and SSE with health
// probes. Create it with New; it is an http.Handler, and Serve runs it with
// graceful shutdown.
type Server struct {
	opts     Options
	log      *slog.Logger
	keys     *keyring
	origins  originPolicy
	handler  http.Handler
	streams  *sseSessions
	sessions *sessionCaps
	inFlight *inFlight
	backoff  *authbackoff.Table

	// Requests in flight, for shutdown: every HTTP handler; the POST and
	// DELETE handlers (which, unlike GET streams, end by themselves); and
	// the MCP method handlers.
	handlers, posts, calls tracker

	// laneAnswers counts the POSTs the lane answered (the tests read it).
	laneAnswers atomic.Int64

	// abort is cancelled when the grace period is over; it cancels the MCP
	// method handlers still running. A context rather than a channel so
	// that each call's context can follow it with context.AfterFunc.
	abort       context.Context
	cancelCalls context.CancelFunc
}

// New checks opts and returns a Server. It adds a receiving middleware to
// opts.Server.
func New(opts Options) (*Server, error) {
	if opts.Server == nil {
		return nil, errors.New("httpserver: Options.Server is required")
	}
	setDefaults(&opts)
	keys, err := newKeyring(opts.Keys)
	if err != nil {
		return nil, fmt.Errorf("httpserver: %w", err)
	}
	origins, err := newOriginPolicy(opts.AllowedOrigins)
	if err != nil {
		return nil, fmt.Errorf("httpserver: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: log, keys: keys, origins: origins, streams: newSSESessions()}
	s.sessions = &sessionCaps{s: s, owner: make(map[string]*sessionState)}
	s.inFlight = newInFlight(opts, !keys.empty())
	switch {
	case opts.NoAuthBackoff:
	case opts.AuthBackoff != nil:
		s.backoff = opts.AuthBackoff
	default:
		s.backoff = authbackoff.New(authbackoff.Options{Logger: log})
	}
	s.abort, s.cancelCalls = context.WithCancel(context.Background())
	if opts.Lane != nil {
		opts.Lane.AddReceivingMiddleware(opts.Server, s.trackCalls)
	} else {
		opts.Server.AddReceivingMiddleware(s.trackCalls)
	}

	getServer := func(*http.Request) *mcp.Server { return opts.Server }
	var streamable http.Handler = mcp.NewStreamableHTTPHandler(getServer, &mcp.StreamableHTTPOptions{
		Stateless: opts.Stateless,
		// Idle sessions are closed by sessionCaps, which counts the POSTs
		// the lane answers too.
		SessionTimeout:      0,
		MaxRequestBodyBytes: opts.MaxBodyBytes,
		Logger:              log,
	})
	if !opts.Stateless {
		streamable = s.serveSessionPOST(refuseSessionless(streamable))
	}
	sse := mcp.NewSSEHandler(getServer, &mcp.SSEOptions{MaxRequestBodyBytes: opts.MaxBodyBytes})

	mux := http.NewServeMux()
	mux.Handle("/mcp", s.guard(streamable))
	mux.Handle("/sse", s.guard(s.streams.bind(sse)))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if !keys.empty() {
		s.mountOAuthAnswers(mux)
	}
	for _, rt := range opts.Routes {
		if err := s.mount(mux, rt); err != nil {
			return nil, fmt.Errorf("httpserver: %w", err)
		}
	}
	s.handler = s.track(mux)
	return s, nil
}

func setDefaults(o *Options) {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = DefaultShutdownGrace
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.SessionIdleTimeout == 0 {
		o.SessionIdleTimeout = DefaultSessionIdle
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.MaxConcurrentPerKey <= 0 {
		o.MaxConcurrentPerKey = DefaultMaxConcurrentPerKey
	}
	if o.MaxBytesInFlight <= 0 {
		o.MaxBytesInFlight = DefaultMaxBytesInFlight
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.MaxSessionsPerKey <= 0 {
		o.MaxSessionsPerKey = DefaultMaxSessionsPerKey
	}
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// guard is what stands before the MCP handlers: origin, key (with its
// backoff), body size.
// The order matters: a cross-site request is refused before its key is
// looked at, and nobody's body is read before their key is checked.
func (s *Server) guard(next http.Handler) http.Handler {
	inner := s.sessions.limit(s.limitBody(plainRefusal, s.logServed(next)))
	if s.keys.empty() { // no key is checked: nothing to back off from
		return s.checkOrigin(plainRefusal, s.authenticate(inner))
	}
	return s.checkOrigin(plainRefusal, s.backoff.Guard(authbackoff.Refuse(plainRefusal), s.authenticate, inner))
}

// healthz says the process is alive and serving.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// readyProbeTimeout bounds one readiness check (resolving credentials may
// reach an instance metadata service).
const readyProbeTimeout = 5 * time.Second

// readyz says whether the gateway can answer calls now.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyProbeTimeout)
		defer cancel()
		if err := s.opts.Ready(ctx); err != nil {
			s.log.Info("not ready", logKeyReason, err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
	}
	fmt.Fprintln(w, "ready")
	if s.opts.Degraded != nil {
		for _, line := range s.opts.Degraded() {
			fmt.Fprintf(w, "degraded: %s\n", line)
		}
	}
}

// logServed logs each served MCP request at debug level, with its agent.
func (s *Server) logServed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		s.log.DebugContext(r.Context(), "mcp http request",
			logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyStatus, sw.status(),
			logKeyAgent, agentFrom(r.Context()), logKeyDuration, time.Since(start))
	})
}

// statusWriter remembers the status code written, for the log line.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach Flush through the wrapper.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
