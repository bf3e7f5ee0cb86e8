package httpserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
)

// realm names the gateway in WWW-Authenticate challenges.
const realm = "llm-gateway"

// keyring holds the API keys as SHA-256 hashes only: the secrets
// themselves are not kept past New, so they cannot leak from memory dumps
// or a stray log of the Server.
type keyring struct {
	hashes [][sha256.Size]byte
	names  []string
}

func newKeyring(keys []Key) (*keyring, error) {
	k := &keyring{}
	seen := make(map[[sha256.Size]byte]bool, len(keys))
	for i, key := range keys {
		switch {
		case key.Name == "":
			return nil, fmt.Errorf("key %d has no name", i+1)
		case key.Secret == "":
			return nil, fmt.Errorf("key of %q is empty", key.Name)
		}
		h := sha256.Sum256([]byte(key.Secret))
		if seen[h] {
			return nil, fmt.Errorf("key of %q is given twice", key.Name)
		}
		seen[h] = true
		k.hashes = append(k.hashes, h)
		k.names = append(k.names, key.Name)
	}
	return k, nil
}

func (k *keyring) empty() bool { return len(k.hashes) == 0 }

// lookup returns the holder of secret. It compares the hash of secret with
// every stored hash, in constant time and without stopping at a match, so
// that the time taken says nothing about which key, or how much of one,
// was right.
func (k *keyring) lookup(secret string) (name string, ok bool) {
	h := sha256.Sum256([]byte(secret))
	found := -1
	for i := range k.hashes {
		if subtle.ConstantTimeCompare(h[:], k.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return k.names[found], true
}

// Errors of bearer-token parsing, as told to the client.
var (
	errNoKey     = errors.New("missing API key: send the header Authorization: Bearer <key>")
	errMalformed = errors.New("malformed Authorization header: want Authorization: Bearer <key>")
	errBadKey    = errors.New("invalid API key")
)

// bearerToken extracts the token of an "Authorization: Bearer TOKEN"
// header; the scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errNoKey
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", errMalformed
	}
	return token, nil
}

// authenticate admits requests that carry a known key, naming its holder
// in the context, and answers the others 401 before any MCP processing.
// With no keys configured it admits every request.
func (s *Server) authenticate(next http.Handler) http.Handler {
	// The SDK binds a Streamable HTTP session to the TokenInfo.UserID of
	// the request that opened it and refuses the session to any other
	// (403), so one agent cannot ride another's session. The SDK offers no
	// setter for TokenInfo but its own middleware, which this feeds with
	// the name found below.
	withTokenInfo := auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
		return &auth.TokenInfo{UserID: agentFrom(ctx)}, nil
	}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(next)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.keys.empty() {
			next.ServeHTTP(w, r)
			return
		}
		token, err := bearerToken(r)
		name, ok := "", false
		if err == nil {
			if name, ok = s.keys.lookup(token); !ok {
				err = errBadKey
			}
		}
		if err != nil {
			s.unauthorized(w, r, err)
			return
		}
		r = r.WithContext(withAgent(r.Context(), name))
		withTokenInfo.ServeHTTP(w, r)
	})
}

// unauthorized answers 401 with a Bearer challenge (RFC 6750 §3): no error
// code when no key was sent, invalid_request or invalid_token otherwise.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	challenge := fmt.Sprintf("Bearer realm=%q", realm)
	switch {
	case errors.Is(err, errMalformed):
		challenge += `, error="invalid_request"`
	case errors.Is(err, errBadKey):
		challenge += `, error="invalid_token"`
	}
	// Where clients that look for OAuth find the metadata (RFC 9728 §5.1),
	// and what to do, for those that show the challenge.
	challenge += fmt.Sprintf(`, resource_metadata="%s", error_description="%s; %s"`,
		baseURL(r)+pathProtectedResource+r.URL.Path, err.Error(), challengeHelp)
	w.Header().Set("WWW-Authenticate", challenge)
	s.log.InfoContext(r.Context(), "request refused", logKeyStatus, http.StatusUnauthorized, logKeyReason, err,
		logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyRemote, r.RemoteAddr)
	http.Error(w, err.Error(), http.StatusUnauthorized)
}

// agentKey carries the authenticated agent's name within this package;
// mcpserver.WithAgent carries it on to the tools.
type agentKey struct{}

func withAgent(ctx context.Context, name string) context.Context {
	ctx = context.WithValue(ctx, agentKey{}, name)
	return mcpserver.WithAgent(ctx, name)
}

// agentFrom names the authenticated agent of a request, or "" when no keys
// are configured.
func agentFrom(ctx context.Context) string {
	name, _ := ctx.Value(agentKey{}).(string)
	return name
}
