// Package authbackoff slows down guessing of keys over HTTP: after a few
// failed key checks from one source address, that source waits before any
// key of its is checked again, twice as long after each further failure, up
// to a cap; a success from the source forgets its failures.
//
// The table of sources is bounded: past its size the source that failed
// least recently is forgotten, so no number of addresses grows memory
// without bound (about 200 bytes a source). A source is an IPv4 address or
// an IPv6 /64 (one host usually holds a whole /64). Behind a reverse proxy
// every client is the proxy's address: one agent's wrong key then makes
// everyone wait, so raise the threshold there or turn the backoff off.
package authbackoff

import (
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Defaults for the zero Options.
const (
	DefaultAfter   = 5
	DefaultMax     = 5 * time.Minute
	DefaultSources = 10000
	// FirstWait is the wait after the After-th failure; each further
	// failure doubles it, up to Max.
	FirstWait = time.Second
	// Forget is how long after its last failure a source starts afresh.
	Forget = time.Hour
)

// Options configure a Table. The zero value means the defaults.
type Options struct {
	// After is how many failed key checks a source may make before it must
	// wait. If zero, 5. Negative: never; the Table lets everything through.
	After int
	// Max caps the wait. If zero, 5 minutes.
	Max time.Duration
	// Sources is how many sources the Table remembers at once. If zero,
	// 10000.
	Sources int
	// Logger receives a line at Info when a source starts waiting, and the
	// refusals while it waits at Debug. If nil, nothing is logged.
	Logger *slog.Logger
}

// Table remembers the failed key checks of each source. It is safe for
// concurrent use; a nil *Table lets everything through.
type Table struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	sources map[string]*list.Element // of *entry
	order   *list.List               // most recent failure first
}

type entry struct {
	source   string
	failures int
	last     time.Time // of the last failure
	until    time.Time // no key is checked before this
}

// New returns a Table, or nil when opts.After is negative (off).
func New(opts Options) *Table {
	if opts.After < 0 {
		return nil
	}
	if opts.After == 0 {
		opts.After = DefaultAfter
	}
	if opts.Max <= 0 {
		opts.Max = DefaultMax
	}
	if opts.Sources <= 0 {
		opts.Sources = DefaultSources
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Table{opts: opts, log: log, sources: make(map[string]*list.Element), order: list.New()}
}

// Wait returns how long source must still wait before a key of its is
// checked; zero when it may try now.
func (t *Table) Wait(source string) time.Duration {
	if t == nil {
		return 0
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(source, now)
	if e == nil {
		return 0
	}
	return max(e.until.Sub(now), 0)
}

// Fail records a failed key check from source and returns how long it must
// now wait (zero while it is under the threshold).
func (t *Table) Fail(source string) time.Duration {
	if t == nil {
		return 0
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(source, now)
	if e == nil {
		for t.order.Len() >= t.opts.Sources {
			t.remove(t.order.Back())
		}
		e = &entry{source: source}
		t.sources[source] = t.order.PushFront(e)
	} else {
		t.order.MoveToFront(t.sources[source])
	}
	e.failures++
	e.last = now
	if e.failures < t.opts.After {
		return 0
	}
	wait := t.opts.Max
	if n := e.failures - t.opts.After; n < 30 {
		wait = min(FirstWait<<n, t.opts.Max)
	}
	e.until = now.Add(wait)
	return wait
}

// entry returns the failures of source, or nil if it has none or they are
// forgotten. t.mu is held.
func (t *Table) entry(source string, now time.Time) *entry {
	el, ok := t.sources[source]
	if !ok {
		return nil
	}
	if e := el.Value.(*entry); now.Sub(e.last) < Forget {
		return e
	}
	t.remove(el)
	return nil
}

// Succeed forgets the failures of source.
func (t *Table) Succeed(source string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.sources[source]; ok {
		t.remove(el)
	}
}

// Len returns how many sources the Table remembers.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.order.Len()
}

func (t *Table) remove(el *list.Element) {
	t.order.Remove(el)
	delete(t.sources, el.Value.(*entry).source)
}

// Source names the source of r: its peer's IPv4 address, or the /64 of its
// IPv6 address.
func Source(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := ap.Addr().Unmap()
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
}

// Refuse writes a refusal in the shape of the surface guarded.
type Refuse func(w http.ResponseWriter, r *http.Request, status int, msg string)

// passKey carries a request's *pass from Guard to the handler past the key
// check.
type passKey struct{}

// pass is how Guard learns that a request got past the key check, and how
// that request gets its own ResponseWriter back.
type pass struct {
	w       http.ResponseWriter
	src     string // the request's Source, worked out once
	reached bool
	rec     statusRecorder // what the key check wrote; in pass, one allocation for both
}

// Guard puts the Table around check, a key check that answers 401 itself
// to the requests it refuses and passes the others to next: a source that
// must wait is answered 429 with Retry-After, its key unchecked; a 401 from
// check counts as a failure of the request's source, and reaching next as
// a success. A nil Table returns check(next).
func (t *Table) Guard(refuse Refuse, check func(http.Handler) http.Handler, next http.Handler) http.Handler {
	if t == nil {
		return check(next)
	}
	passed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(passKey{}).(*pass)
		if p == nil { // not through Guard's front (cannot happen)
			next.ServeHTTP(w, r)
			return
		}
		p.reached = true
		t.Succeed(p.src)
		// The handler past the check writes to the request's own writer,
		// not to the status recorder, so that it sees every interface
		// (Flusher, Hijacker…) the server's writer has.
		next.ServeHTTP(p.w, r)
	})
	checked := check(passed)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := Source(r)
		if t.refused(w, r, src, refuse) {
			return
		}
		p := &pass{w: w, src: src, rec: statusRecorder{ResponseWriter: w}}
		checked.ServeHTTP(&p.rec, r.WithContext(context.WithValue(r.Context(), passKey{}, p)))
		if !p.reached && p.rec.code == http.StatusUnauthorized {
			t.fail(r, src)
		}
	})
}

// Watch puts the Table around h, a surface that checks keys itself along
// its paths (a login form, say): a source that must wait is answered 429,
// and every 401 h answers counts as a failure. Nothing h serves counts as
// a success, since it may serve without a key. A nil Table returns h.
func (t *Table) Watch(refuse Refuse, h http.Handler) http.Handler {
	if t == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := Source(r)
		if t.refused(w, r, src, refuse) {
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.code == http.StatusUnauthorized {
			t.fail(r, src)
		}
	})
}

// refused answers 429 when src must wait, and reports whether it did.
func (t *Table) refused(w http.ResponseWriter, r *http.Request, src string, refuse Refuse) bool {
	wait := t.Wait(src)
	if wait <= 0 {
		return false
	}
	secs := int64((wait + time.Second - 1) / time.Second)
	t.log.DebugContext(r.Context(), "request refused: key checks backing off", "status", http.StatusTooManyRequests, "remote", r.RemoteAddr, "retry_after", secs)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	refuse(w, r, http.StatusTooManyRequests, fmt.Sprintf(
		"too many requests with a missing or wrong key from this address: retry after %d s (every further failure doubles the wait; a success resets it)", secs))
	return true
}

func (t *Table) fail(r *http.Request, src string) {
	if wait := t.Fail(src); wait > 0 {
		t.log.InfoContext(r.Context(), "key checks backing off", "source", src, "wait", wait.String())
	}
}

// statusRecorder remembers the status the key check wrote. A refusal
// always writes its header first (a body alone would mean 200), so only
// WriteHeader is watched.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
