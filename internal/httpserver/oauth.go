package httpserver

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The gateway takes static API keys, not OAuth. MCP clients that get a 401
// go looking for OAuth anyway: protected-resource metadata (RFC 9728), then
// the authorization server's (RFC 8414, or OpenID discovery), then dynamic
// client registration (RFC 7591). When those paths answered 404, the 404 of
// POST /register was all a user saw ("Dynamic Client Registration rejected
// (HTTP 404)"). They are answered here, in the shapes the RFCs define, so
// that each step leads to the next and the last one, registration, fails
// with an error whose description says that a static key is needed and how
// to send it: what clients show.

// keyHelp is what every answer says.
const keyHelp = "llm-gateway takes a static API key, not OAuth: send the header " +
	"\"Authorization: Bearer <key>\" with every request (ask the gateway's operator for a key, " +
	"then set the header in your MCP client's server entry, e.g. " +
	"claude mcp add --transport http llm-gateway URL --header \"Authorization: Bearer <key>\"; " +
	"see the gateway's README, \"One gateway for many agents (HTTP)\")"

// challengeHelp is keyHelp for a WWW-Authenticate quoted string: no quotes.
const challengeHelp = "this gateway takes a static API key, not OAuth; set the header in the MCP client's server entry"

// OAuth discovery paths, answered when keys are asked for.
const (
	pathProtectedResource   = "/.well-known/oauth-protected-resource"
	pathAuthorizationServer = "/.well-known/oauth-authorization-server"
	pathOpenIDConfiguration = "/.well-known/openid-configuration"
	pathRegister            = "/register"
	pathAuthorize           = "/authorize"
	pathToken               = "/token"
)

// mountOAuthAnswers adds the discovery answers to mux.
func (s *Server) mountOAuthAnswers(mux *http.ServeMux) {
	mux.HandleFunc("GET "+pathProtectedResource, s.protectedResource)
	mux.HandleFunc("GET "+pathProtectedResource+"/{resource...}", s.protectedResource)
	for _, p := range []string{pathAuthorizationServer, pathOpenIDConfiguration} {
		mux.HandleFunc("GET "+p, s.authorizationServer)
		mux.HandleFunc("GET "+p+"/{issuer...}", s.authorizationServer)
	}
	mux.HandleFunc("POST "+pathRegister, s.oauthRefusal("invalid_client_metadata"))
	mux.HandleFunc(pathToken, s.oauthRefusal("unsupported_grant_type"))
	mux.HandleFunc(pathAuthorize, func(w http.ResponseWriter, r *http.Request) {
		// A browser lands here: plain text it can show.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(keyHelp + "\n"))
	})
}

// baseURL is the URL of the gateway as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// protectedResource is RFC 9728 metadata for /mcp and /sse: bearer tokens
// in the header, and this gateway as the "authorization server" whose
// registration explains the keys.
func (s *Server) protectedResource(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	resource := base + "/mcp"
	if rest := r.PathValue("resource"); rest != "" {
		resource = base + "/" + rest
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resource":                 resource,
		"authorization_servers":    []string{base},
		"bearer_methods_supported": []string{"header"},
		"resource_name":            "llm-gateway (static API keys: " + keyHelp + ")",
	})
}

// authorizationServer is RFC 8414 metadata whose endpoints refuse with the
// explanation.
func (s *Server) authorizationServer(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + pathAuthorize,
		"token_endpoint":                        base + pathToken,
		"registration_endpoint":                 base + pathRegister,
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"op_policy_uri":                         base + pathAuthorize,
		"service_documentation":                 base + pathAuthorize,
	})
}

// oauthRefusal answers an OAuth endpoint with an RFC 6749/7591 error whose
// description is the key help.
func (s *Server) oauthRefusal(code string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.log.InfoContext(r.Context(), "oauth request refused: the gateway takes static API keys",
			logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyRemote, r.RemoteAddr)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": keyHelp})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
