package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ErrNoKeys is returned by Serve when no API keys are configured, the
// listener can be reached from other machines, and Options.AllowNoAuth is
// not set.
var ErrNoKeys = errors.New("no API keys configured")

// exitWait bounds the waits at the very end of a shutdown, for handlers
// that ignore their cancelled context. Past it Serve returns and logs what
// it left behind: a bug to fix, not a state to wait on forever.
const exitWait = 5 * time.Second

// ListenAndServe listens on addr ("127.0.0.1:8080", ":8080", or port 0 for
// any free port) and serves until ctx ends, as Serve does. onListen, if not
// nil, is called with the address once connections are accepted.
func (s *Server) ListenAndServe(ctx context.Context, addr string, onListen func(net.Addr)) error {
	// Refuse before binding when the address alone says it is exposed;
	// Serve checks the address actually bound.
	if host, _, err := net.SplitHostPort(addr); err == nil && s.keys.empty() && !s.opts.AllowNoAuth {
		if ip := net.ParseIP(host); host == "" || (ip != nil && !ip.IsLoopback()) {
			return fmt.Errorf("%w: %s can be reached from other machines, and anyone reaching it could call Bedrock at your expense", ErrNoKeys, addr)
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return s.serve(ctx, ln, onListen)
}

// Serve serves on ln until ctx ends, then shuts down: it stops accepting
// connections, lets requests and calls in flight finish within
// Options.ShutdownGrace, cancels the calls still running after it, closes
// every MCP session and returns once every handler has returned. Serve
// closes ln. It returns nil after a shutdown that ctx asked for.
//
// With no keys configured Serve refuses (ErrNoKeys) a listener that other
// machines can reach, unless Options.AllowNoAuth is set; then it logs a
// warning. Serve may be called once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serve(ctx, ln, nil)
}

func (s *Server) serve(ctx context.Context, ln net.Listener, onListen func(net.Addr)) error {
	if err := s.checkExposure(ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		// No WriteTimeout: it would end SSE streams and long calls. A
		// stalled reader costs a goroutine until its session is closed.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	s.log.Info("serving MCP over HTTP", logKeyAddr, ln.Addr().String(),
		"streamable", "/mcp", "sse", "/sse", "stateless", s.opts.Stateless,
		"agents", len(s.keys.names), "auth", !s.keys.empty())
	if onListen != nil {
		onListen(ln.Addr())
	}

	var err error
	select {
	case err = <-served:
		served = nil
		err = fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	s.shutdown(hs, served)
	return err
}

// codeShuttingDown is the JSON-RPC error of a call cut by the grace period
// (JSON-RPC 2.0's implementation-defined server-error range).
const codeShuttingDown = -32000

// shutdown is Serve's ending; served, if not nil, yields http.Server.Serve's
// return.
func (s *Server) shutdown(hs *http.Server, served <-chan error) {
	grace := s.opts.ShutdownGrace
	s.log.Info("shutting down: refusing new connections, letting calls in flight finish", logKeyGrace, grace,
		"calls", s.calls.count())
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- hs.Shutdown(graceCtx) }()

	// POSTs end by themselves once their calls are answered; SSE calls run
	// beyond their POST and are counted until their answer is written.
	// GET streams never end by themselves: closing the sessions ends them.
	if !waitIdle(graceCtx, &s.posts, &s.calls, &s.streams.pending) {
		s.log.Warn("grace period over: cancelling calls in flight", "calls", s.calls.count())
		s.cancelCalls()
		// Let the cut calls write their error before the sessions close,
		// which would drop it (an empty answer).
		cutCtx, cancelCut := context.WithTimeout(context.Background(), exitWait)
		waitIdle(cutCtx, &s.posts, &s.calls, &s.streams.pending)
		cancelCut()
	}
	s.sessions.stopTimers()
	s.closeSessions()
	if err := <-stopped; err != nil {
		hs.Close() // connections that outlived the grace period
	}
	if served != nil {
		_ = <-served
	}
	s.cancelCalls()
	waitCtx, cancelWait := context.WithTimeout(context.Background(), exitWait)
	defer cancelWait()
	if !waitIdle(waitCtx, &s.handlers, &s.calls) {
		s.log.Error("handlers still running after shutdown", "requests", s.handlers.count(), "calls", s.calls.count())
		return
	}
	s.log.Info("HTTP server stopped")
}

// closeSessions closes every session of the MCP server. A session's Close
// waits for its calls to return, so the sessions are closed together, and
// the wait is bounded in case a call ignores its cancelled context.
func (s *Server) closeSessions() {
	var wg sync.WaitGroup
	for ss := range s.opts.Server.Sessions() {
		wg.Go(func() { ss.Close() })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(exitWait):
		s.log.Error("MCP sessions still closing after shutdown")
	}
}

func (s *Server) checkExposure(addr net.Addr) error {
	if !s.keys.empty() || isLoopbackAddr(addr) {
		return nil
	}
	if !s.opts.AllowNoAuth {
		return fmt.Errorf("%w: %s can be reached from other machines, and anyone reaching it could call Bedrock at your expense", ErrNoKeys, addr)
	}
	s.log.Warn("INSECURE: serving without API keys on an address other machines can reach: anyone who reaches it can call Bedrock at your expense",
		logKeyAddr, addr.String())
	return nil
}

func isLoopbackAddr(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

// track counts the HTTP handlers in flight.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handlers.add()
		defer s.handlers.done()
		if r.Method != http.MethodGet {
			s.posts.add()
			defer s.posts.done()
		}
		next.ServeHTTP(w, r)
	})
}

// listenMethod parks until the client leaves; it is no call to wait for.
const listenMethod = "subscriptions/listen"

// trackCalls is the receiving middleware New adds to the MCP server: it
// counts method handlers in flight and cancels them when the grace period
// is over. (The SDK detaches a session's handlers from the HTTP request's
// context, so ending the request would not reach them.)
func (s *Server) trackCalls(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method == listenMethod {
			return next(ctx, method, req)
		}
		s.calls.add()
		defer s.calls.done()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(s.abort, cancel)
		defer stop()
		res, err := next(ctx, method, req)
		if s.abort.Err() != nil && ctx.Err() != nil {
			// Cut by the grace period: say so, rather than let the call end
			// as an ordinary cancellation the client did not ask for.
			return nil, &jsonrpc.Error{Code: codeShuttingDown,
				Message: "the gateway is shutting down and cut this call after its shutdown grace period (SHUTDOWN_GRACE); send it again"}
		}
		return res, err
	}
}

// tracker counts work in flight and tells when there is none.
type tracker struct {
	mu      sync.Mutex
	n       int
	waiters []chan struct{}
}

func (t *tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 {
		for _, c := range t.waiters {
			close(c)
		}
		t.waiters = nil
	}
}

func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// idle returns a channel closed when the count is (or next reaches) zero.
func (t *tracker) idle() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := make(chan struct{})
	if t.n == 0 {
		close(c)
	} else {
		t.waiters = append(t.waiters, c)
	}
	return c
}

// waitIdle waits until every tracker is idle at once, or ctx ends; it
// reports whether they were.
func waitIdle(ctx context.Context, ts ...*tracker) bool {
	// Bounded: each round either returns or saw a tracker busy, then
	// waited on ctx, which ends.
	for {
		busy := false
		for _, t := range ts {
			select {
			case <-t.idle():
			case <-ctx.Done():
				return false
			}
		}
		for _, t := range ts {
			if t.count() > 0 {
				busy = true
			}
		}
		if !busy {
			return true
		}
	}
}
