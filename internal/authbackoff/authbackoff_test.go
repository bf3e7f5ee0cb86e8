package authbackoff

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestWaitGrowsToTheCapAndSuccessResets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := New(Options{After: 3, Max: 10 * time.Second})
		const src = "192.0.2.1"
		for i := range 2 {
			if w := tb.Fail(src); w != 0 {
				t.Fatalf("failure %d: wait %v, want none under the threshold", i+1, w)
			}
		}
		if w := tb.Wait(src); w != 0 {
			t.Fatalf("Wait under the threshold = %v, want 0", w)
		}
		// The third failure starts the waits: 1s, 2s, 4s, 8s, then the cap.
		for _, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
			want *= time.Second
			if w := tb.Fail(src); w != want {
				t.Fatalf("Fail = %v, want %v", w, want)
			}
			if w := tb.Wait(src); w != want {
				t.Fatalf("Wait right after = %v, want %v", w, want)
			}
			time.Sleep(want - time.Millisecond)
			if w := tb.Wait(src); w != time.Millisecond {
				t.Fatalf("Wait just before the end = %v, want 1ms", w)
			}
			time.Sleep(time.Millisecond)
			if w := tb.Wait(src); w != 0 {
				t.Fatalf("Wait after %v = %v, want 0", want, w)
			}
		}
		if w := tb.Wait("192.0.2.2"); w != 0 {
			t.Errorf("another source waits %v, want 0", w)
		}
		tb.Succeed(src)
		if w := tb.Fail(src); w != 0 {
			t.Errorf("after a success, a failure waits %v, want none", w)
		}
	})
}

func TestSourceIsForgottenAfterAnHour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := New(Options{After: 1})
		tb.Fail("a")
		time.Sleep(Forget)
		if w := tb.Wait("a"); w != 0 || tb.Len() != 0 {
			t.Errorf("an hour on, Wait = %v with %d sources, want 0 and none", w, tb.Len())
		}
		tb.Fail("b")
		tb.Fail("b")
		time.Sleep(Forget)
		if w := tb.Fail("b"); w != FirstWait {
			t.Errorf("a failure an hour after the last waits %v, want the first wait %v", w, FirstWait)
		}
	})
}

func TestTableIsBounded(t *testing.T) {
	tb := New(Options{After: 1, Sources: 100})
	for i := range 10000 {
		tb.Fail(fmt.Sprintf("198.51.%d.%d", i/256, i%256))
	}
	if tb.Len() != 100 {
		t.Fatalf("Len = %d after 10000 sources, want the bound 100", tb.Len())
	}
	// The least recent failures went first.
	if tb.Wait("198.51.0.0") != 0 || tb.Wait("198.51.39.15") == 0 {
		t.Errorf("eviction kept the oldest or dropped the newest source")
	}
}

func TestOff(t *testing.T) {
	tb := New(Options{After: -1})
	if tb != nil {
		t.Fatalf("New with After < 0 = %v, want nil (off)", tb)
	}
	for range 100 {
		if tb.Fail("x") != 0 || tb.Wait("x") != 0 {
			t.Fatal("a nil Table made a source wait")
		}
	}
}

func TestSource(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:5555":                 "192.0.2.7",
		"[::ffff:192.0.2.7]:1":           "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":     "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443":     "2001:db8:1:2::/64",
		"@":                              "@",
		"[2001:db8:9:9::]:1":             "2001:db8:9:9::/64",
		"127.0.0.1:40000":                "127.0.0.1",
		"not an address at all, really!": "not an address at all, really!",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		if got := Source(r); got != want {
			t.Errorf("Source(%q) = %q, want %q", addr, got, want)
		}
	}
}

// check is a key check as the gateway's: the key "good" passes.
func check(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			http.Error(w, "invalid API key", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func plain(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	http.Error(w, msg, status)
}

func TestGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := New(Options{After: 2})
		var served int
		h := tb.Guard(plain, check, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := w.(http.Flusher); !ok {
				t.Error("the handler past the check lost the server writer's Flusher")
			}
			served++
		}))
		do := func(key, addr string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("POST", "/mcp", nil)
			r.RemoteAddr = addr
			if key != "" {
				r.Header.Set("Authorization", "Bearer "+key)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		const me, other = "192.0.2.1:1000", "192.0.2.2:1000"
		for i, key := range []string{"bad", ""} {
			if w := do(key, me); w.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d, want 401", i+1, w.Code)
			}
		}
		// Blocked: even the right key is not checked.
		w := do("good", me)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), "retry after 1 s") {
			t.Fatalf("while waiting: %d Retry-After %q %q; want 429, 1 and the wait", w.Code, w.Header().Get("Retry-After"), w.Body.String())
		}
		if served != 0 {
			t.Fatal("a waiting source was served")
		}
		if w := do("good", other); w.Code != http.StatusOK {
			t.Errorf("another source: %d, want 200", w.Code)
		}
		time.Sleep(time.Second)
		if w := do("bad", me); w.Code != http.StatusUnauthorized {
			t.Fatalf("after the wait, a wrong key: %d, want 401", w.Code)
		}
		if w := do("bad", me); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" {
			t.Fatalf("next: %d Retry-After %q, want 429 and 2", w.Code, w.Header().Get("Retry-After"))
		}
		time.Sleep(2 * time.Second)
		if w := do("good", me); w.Code != http.StatusOK {
			t.Fatalf("after the wait, the right key: %d, want 200", w.Code)
		}
		if tb.Len() != 0 {
			t.Errorf("a success left %d sources in the table", tb.Len())
		}
		if w := do("bad", me); w.Code != http.StatusUnauthorized {
			t.Errorf("after a success, a wrong key: %d, want 401 (failures reset)", w.Code)
		}
	})
}

// BenchmarkGuard is the cost the backoff adds to a request with a right
// key, against the key check alone.
func BenchmarkGuard(b *testing.B) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	r := httptest.NewRequest("POST", "/mcp", nil)
	r.RemoteAddr = "192.0.2.1:1000"
	r.Header.Set("Authorization", "Bearer good")
	w := httptest.NewRecorder()
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"check-only", check(next)},
		{"guarded", New(Options{}).Guard(plain, check, next)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}
