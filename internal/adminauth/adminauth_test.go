package adminauth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/adminauth"
)

const adminKey = "admin-key-0123456789"

func newGuard(t *testing.T, keys ...adminauth.Key) *adminauth.Guard {
	t.Helper()
	g, err := adminauth.New(adminauth.Options{Keys: keys, Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRequire(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	closed := newGuard(t, adminauth.Key{Name: "ops", Secret: adminKey})
	locked, err := adminauth.New(adminauth.Options{Loopback: false})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		guard  *adminauth.Guard
		header string
		cookie *http.Cookie
		want   int
	}{
		{"no keys on loopback", newGuard(t), "", nil, http.StatusNoContent},
		{"no keys beyond loopback", locked, "Bearer " + adminKey, nil, http.StatusUnauthorized},
		{"admin key", closed, "Bearer " + adminKey, nil, http.StatusNoContent},
		{"scheme in any case", closed, "bearer " + adminKey, nil, http.StatusNoContent},
		{"no key", closed, "", nil, http.StatusUnauthorized},
		{"wrong key", closed, "Bearer agent-key-0123456789", nil, http.StatusUnauthorized},
		{"basic auth", closed, "Basic " + adminKey, nil, http.StatusUnauthorized},
		{"forged cookie", closed, "", &http.Cookie{Name: adminauth.CookieName, Value: "b3Bz"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/metrics", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			if tt.cookie != nil {
				r.AddCookie(tt.cookie)
			}
			w := httptest.NewRecorder()
			tt.guard.Require(ok).ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status = %d, want %d", w.Code, tt.want)
			}
			if w.Code == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge")
			}
		})
	}
}

func TestLoginCookie(t *testing.T) {
	g := newGuard(t, adminauth.Key{Name: "ops", Secret: adminKey})
	login := func(key, next string) *httptest.ResponseRecorder {
		form := url.Values{"key": {key}, "next": {next}}
		r := httptest.NewRequest("POST", "/ui/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		g.Login("/ui/").ServeHTTP(w, r)
		return w
	}

	if w := login("not-the-key-0123456", "/ui/"); w.Code != http.StatusUnauthorized || len(w.Result().Cookies()) != 0 {
		t.Errorf("login with a wrong key = %d with %d cookies, want 401 and none", w.Code, len(w.Result().Cookies()))
	}

	w := login(adminKey, "https://evil.example/")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/ui/" {
		t.Errorf("login = %d to %q, want 303 to /ui/ (never off-site)", w.Code, w.Header().Get("Location"))
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies, want 1", len(cookies))
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui/" {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Strict, Path=/ui/", c)
	}
	if strings.Contains(c.Value, adminKey) {
		t.Errorf("cookie holds the key itself")
	}
	r := httptest.NewRequest("GET", "/ui/api/summary", nil)
	r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	if !g.Allowed(r) {
		t.Errorf("a request with the login cookie is refused")
	}
	// Another process (another secret) does not take this cookie.
	other := newGuard(t, adminauth.Key{Name: "ops", Secret: adminKey})
	if other.Allowed(r) {
		t.Errorf("another guard took the cookie")
	}
}

func TestLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:9090", true},
		{"[::1]:9090", true},
		{"localhost:9090", true},
		{"0.0.0.0:9090", false},
		{":9090", false},
		{"10.0.0.5:9090", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if got := adminauth.Loopback(tt.addr); got != tt.want {
			t.Errorf("Loopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
