package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/authbackoff"
)

// Route is an HTTP surface served beside MCP, such as an OpenAI-compatible
// API. Its requests pass the same checks as /mcp's, in the same order:
// Origin (403), API key (401, and 429 while the source backs off after
// failed keys), body size (413); its handler finds the key's
// holder with AgentFrom. Its handlers are cancelled, like MCP calls, when
// the shutdown grace period is over.
type Route struct {
	// Pattern is a net/http ServeMux pattern, e.g. "POST /v1/chat/completions".
	Pattern string
	Handler http.Handler
	// KeyHeader, if set, is a header that may carry the bare API key
	// instead of "Authorization: Bearer KEY" (Anthropic's "x-api-key").
	KeyHeader string
	// Refuse writes a refusal in the surface's own error shape, so that its
	// clients read it as they read its other errors. If nil, plain text.
	Refuse func(w http.ResponseWriter, r *http.Request, status int, msg string)
	// Guard, if set, takes the place of the API-key check: the route
	// authenticates in its own way, as the admin surfaces (/metrics, the
	// dashboard) do with admin keys that agents' keys must not replace.
	Guard func(http.Handler) http.Handler
	// ChecksKeys says that Handler checks keys itself along its paths
	// (Guard then lets everything through): its 401 answers count for the
	// backoff of failed keys, and nothing it serves resets it.
	ChecksKeys bool
}

// refuseFunc writes a refusal of the request with status and a message that
// says what to change.
type refuseFunc func(w http.ResponseWriter, r *http.Request, status int, msg string)

func plainRefusal(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	http.Error(w, msg, status)
}

// AgentFrom names the agent whose API key authenticated the request of ctx,
// or "" when no keys are configured.
func AgentFrom(ctx context.Context) string { return agentFrom(ctx) }

func (s *Server) mount(mux *http.ServeMux, rt Route) error {
	if rt.Pattern == "" || rt.Handler == nil {
		return errors.New("a route needs a pattern and a handler")
	}
	refuse := refuseFunc(rt.Refuse)
	if refuse == nil {
		refuse = plainRefusal
	}
	auth := func(next http.Handler) http.Handler { return s.authenticateRoute(rt.KeyHeader, refuse, next) }
	if rt.Guard != nil {
		auth = rt.Guard
	}
	inner := s.limitBody(refuse, s.logServed(s.abortable(rt.Handler)))
	var h http.Handler
	switch {
	case rt.ChecksKeys:
		h = s.backoff.Watch(authbackoff.Refuse(refuse), auth(inner))
	case rt.Guard == nil && s.keys.empty(): // no key is checked: nothing to back off from
		h = auth(inner)
	default:
		h = s.backoff.Guard(authbackoff.Refuse(refuse), auth, inner)
	}
	h = s.checkOrigin(refuse, h)
	// ServeMux panics on a bad or clashing pattern; say which instead.
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("route %q: %v", rt.Pattern, p)
			}
		}()
		mux.Handle(rt.Pattern, h)
	}()
	return err
}

// authenticateRoute is authenticate for a route: the key may come in
// keyHeader as well, and refusals take the route's shape.
func (s *Server) authenticateRoute(keyHeader string, refuse refuseFunc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.keys.empty() {
			next.ServeHTTP(w, r)
			return
		}
		var token string
		var err error
		if k := strings.TrimSpace(r.Header.Get(keyHeader)); keyHeader != "" && k != "" {
			token = k
		} else if token, err = bearerToken(r); errors.Is(err, errNoKey) && keyHeader != "" {
			err = fmt.Errorf("missing API key: send the header %s: <key> or Authorization: Bearer <key>", keyHeader)
		}
		name, ok := "", false
		if err == nil {
			if name, ok = s.keys.lookup(token); !ok {
				err = errBadKey
			}
		}
		if err != nil {
			s.log.InfoContext(r.Context(), "request refused", logKeyStatus, http.StatusUnauthorized, logKeyReason, err,
				logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyRemote, r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", realm))
			refuse(w, r, http.StatusUnauthorized, err.Error())
			return
		}
		next.ServeHTTP(w, r.WithContext(withAgent(r.Context(), name)))
	})
}

// abortable cancels a route's handler when the shutdown grace period is
// over, as trackCalls does for MCP calls.
func (s *Server) abortable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(s.abort, cancel)
		defer stop()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
