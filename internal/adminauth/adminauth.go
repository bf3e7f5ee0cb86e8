// Package adminauth guards the gateway's admin surfaces (/metrics, the
// dashboard) with admin keys, apart from the agents' API keys: an agent's
// key opens neither.
//
// A request is let in when it carries a known key as
// "Authorization: Bearer KEY" (scrapers, curl), or the session cookie that
// Login sets after a person typed a key once into the dashboard's form. The
// cookie is HttpOnly and SameSite=Strict, and holds no key: it holds an
// HMAC of the key's holder under a secret made afresh by each process, so a
// restart logs everyone out and a stolen cookie never reveals a key.
package adminauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// CookieName is the session cookie Login sets.
const CookieName = "llm_gateway_admin"

// cookieLife bounds how long a login lasts.
const cookieLife = 12 * time.Hour

// Key is one secret that opens the admin surfaces and the name of who holds it.
type Key struct {
	Name   string
	Secret string
}

// Options configure a Guard.
type Options struct {
	// Keys open the guarded surfaces.
	Keys []Key
	// Loopback says the surface listens on loopback addresses only. With
	// no Keys, everyone is let in there, and no one anywhere else: a page
	// other machines can reach is never open.
	Loopback bool
	// Hint ends the refusal message: which settings give keys.
	// If empty, "ADMIN_KEYS".
	Hint string
	// Logger receives refused requests at Info. If nil, nothing is logged.
	Logger *slog.Logger
}

// Guard lets in requests that carry an admin key or its session cookie.
// Create it with New; it is safe for concurrent use.
type Guard struct {
	keys    [][sha256.Size]byte
	names   []string
	cookies []string // cookie value of each key's holder
	open    bool
	hint    string
	log     *slog.Logger
}

// New returns a Guard over opts.Keys.
func New(opts Options) (*Guard, error) {
	g := &Guard{log: opts.Logger, open: len(opts.Keys) == 0 && opts.Loopback, hint: opts.Hint}
	if g.hint == "" {
		g.hint = "ADMIN_KEYS"
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	var secret [32]byte
	_, _ = rand.Read(secret[:]) // never fails (crypto/rand documents it)
	for i, k := range opts.Keys {
		if k.Name == "" || k.Secret == "" {
			return nil, fmt.Errorf("adminauth: key %d needs a name and a secret", i+1)
		}
		g.keys = append(g.keys, sha256.Sum256([]byte(k.Secret)))
		g.names = append(g.names, k.Name)
		mac := hmac.New(sha256.New, secret[:])
		mac.Write([]byte(k.Name))
		g.cookies = append(g.cookies, base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
	}
	return g, nil
}

// Open reports whether the guard lets everyone in: it has no keys and
// listens on loopback.
func (g *Guard) Open() bool { return g.open }

// Locked reports whether the guard lets no one in: it has no keys and
// other machines can reach it.
func (g *Guard) Locked() bool { return !g.open && len(g.keys) == 0 }

// Loopback reports whether addr (host:port) listens on loopback only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// lookup finds the holder of secret, in constant time over all keys.
func (g *Guard) lookup(secret string) (string, bool) {
	h := sha256.Sum256([]byte(secret))
	found := -1
	for i := range g.keys {
		if subtle.ConstantTimeCompare(h[:], g.keys[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return g.names[found], true
}

// Allowed reports whether r carries an admin key or a session cookie.
func (g *Guard) Allowed(r *http.Request) bool {
	if g.open {
		return true
	}
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if _, ok := g.lookup(strings.TrimSpace(token)); ok {
			return true
		}
	}
	if c, err := r.Cookie(CookieName); err == nil {
		found := false
		for _, v := range g.cookies {
			if subtle.ConstantTimeCompare([]byte(c.Value), []byte(v)) == 1 {
				found = true
			}
		}
		return found
	}
	return false
}

// Require serves next to requests that Allowed admits and answers the
// others 401 with a Bearer challenge.
func (g *Guard) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.Allowed(r) {
			next.ServeHTTP(w, r)
			return
		}
		g.log.InfoContext(r.Context(), "admin request refused", "path", r.URL.Path, "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="llm-gateway admin"`)
		http.Error(w, g.Refusal(), http.StatusUnauthorized)
	})
}

// Refusal says why a request was refused and what to do.
func (g *Guard) Refusal() string {
	if g.Locked() {
		return "this page is served on an address other machines can reach, so it needs a key: set " + g.hint + " and send Authorization: Bearer <key>"
	}
	return "this page needs a key (" + g.hint + "): send Authorization: Bearer <key>"
}

// Login checks the key a person typed (form field "key") and, if it is an
// admin key, sets the session cookie and sends them on to the form's
// "next" path (a local path only); otherwise 401. path is the cookie's
// Path, the admin surface's prefix.
func (g *Guard) Login(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		key := r.PostFormValue("key")
		name, ok := g.lookup(key)
		if !ok {
			g.log.InfoContext(r.Context(), "admin login refused", "remote", r.RemoteAddr)
			http.Error(w, "that is not an admin key (ADMIN_KEYS)", http.StatusUnauthorized)
			return
		}
		var value string
		for i, n := range g.names {
			if n == name {
				value = g.cookies[i]
			}
		}
		http.SetCookie(w, &http.Cookie{ //nolint:gosec // HttpOnly and SameSite=Strict always; Secure when served over TLS, as a loopback dashboard is plain HTTP
			Name: CookieName, Value: value, Path: path,
			MaxAge: int(cookieLife.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode,
			Secure: r.TLS != nil,
		})
		next := r.PostFormValue("next")
		if !strings.HasPrefix(next, path) || strings.HasPrefix(next, "//") {
			next = path
		}
		g.log.InfoContext(r.Context(), "admin logged in", "admin", name, "remote", r.RemoteAddr)
		http.Redirect(w, r, next, http.StatusSeeOther) //nolint:gosec // next is checked above to be a path under the dashboard's own prefix, never //host
	})
}
