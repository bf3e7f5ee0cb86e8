package httpserver

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// originPolicy decides which browser origins may call the MCP endpoints.
//
// The MCP specification requires servers to validate Origin against DNS
// rebinding: a page on evil.example whose name is made to resolve to
// 127.0.0.1 would otherwise drive a local gateway from the victim's
// browser. Browsers always send Origin on cross-origin and POST requests;
// other clients (agents, SDKs, curl) send none and are not affected.
//
// Accepted: no Origin header; a loopback origin (localhost, 127.0.0.1,
// [::1], any scheme and port), since a page served from this machine could
// reach a local gateway anyway; and the configured origins, exactly. The
// gateway serves no web pages, so "same origin as the request's Host" is
// not a reason to accept: under DNS rebinding it is the attacker's origin.
// The SDK also refuses, on a loopback listener, a Host that is not
// loopback.
type originPolicy map[string]bool // normalised allowed origins

func newOriginPolicy(origins []string) (originPolicy, error) {
	p := make(originPolicy, len(origins))
	for _, o := range origins {
		n, err := normaliseOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("allowed origin %q: %w", o, err)
		}
		p[n] = true
	}
	return p, nil
}

// normaliseOrigin lowercases scheme and host and drops a default port, so
// that "HTTPS://App.example.com:443" matches what a browser sends.
func normaliseOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("want scheme://host[:port], e.g. https://app.example.com")
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// allows reports whether a request with this Origin header may proceed;
// cross says whether it is a browser's cross-origin request, which needs
// CORS headers in the answer.
func (p originPolicy) allows(origin string) (ok, cross bool) {
	if origin == "" {
		return true, false
	}
	n, err := normaliseOrigin(origin)
	if err != nil { // "null" (sandboxed frames, file:) and garbage
		return false, true
	}
	if p[n] {
		return true, true
	}
	u, _ := url.Parse(n)
	return isLoopbackHost(u.Hostname()), true
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CORS answers for accepted cross-origin browsers. Authorization is the
// API key; the Mcp-* headers carry the session and protocol version.
const (
	corsAllowMethods  = "GET, POST, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, Accept, Last-Event-ID, Mcp-Session-Id, Mcp-Protocol-Version"
	corsExposeHeaders = "Mcp-Session-Id, WWW-Authenticate"
	corsMaxAge        = "600"
)

// checkOrigin refuses a disallowed Origin with 403, answers CORS
// preflights of allowed ones (before authentication: browsers send no
// credentials in a preflight) and adds CORS headers to their requests.
func (s *Server) checkOrigin(refuse refuseFunc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		ok, cross := s.origins.allows(origin)
		h := w.Header()
		if cross {
			h.Add("Vary", "Origin")
		}
		if !ok {
			s.log.InfoContext(r.Context(), "request refused", logKeyStatus, http.StatusForbidden,
				logKeyReason, "origin not allowed", logKeyOrigin, origin,
				logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyRemote, r.RemoteAddr)
			refuse(w, r, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed (cross-site requests to the gateway are refused; see ALLOWED_ORIGINS)", origin))
			return
		}
		if cross {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", corsAllowMethods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
