package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// keepAlive is how often an idle event stream gets a comment line, so
// that proxies keep it open.
const keepAlive = 15 * time.Second

// readTimeout bounds one read of the summary by the feed.
const readTimeout = 10 * time.Second

// events streams the summary as server-sent events: one "summary" event
// at once, then one each time it changes; a "down" event when the
// ledger cannot be read. It ends when the client goes away or Close is
// called.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	fol := h.feed.follow()
	if fol == nil {
		http.Error(w, "the dashboard is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.feed.leave(fol)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not hold events back
	w.WriteHeader(http.StatusOK)
	// The browser reconnects a second after a dropped stream.
	if _, err := fmt.Fprint(w, "retry: 1000\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	keep := time.NewTicker(keepAlive)
	defer keep.Stop()
	for {
		var frame []byte
		select {
		case frame = <-fol:
		case <-keep.C:
			frame = []byte(": keep-alive\n\n")
		case <-r.Context().Done():
			return
		case <-h.feed.done.Done():
			return
		}
		if _, err := w.Write(frame); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// Close ends the event streams and the feed's reading, so that a server's
// shutdown need not wait for the pages still open. The summary stays
// served on request.
func (h *Handler) Close() { h.feed.close() }

// follower receives event frames; a buffer of one, so that a slow page
// gets the latest summary, not a backlog.
type follower chan []byte

// feed reads the summary once per interval while anyone follows it, and
// hands every follower each one that differs from the last (the clock
// aside). Pages open at once share the reads.
type feed struct {
	read     func(context.Context) (*Summary, error)
	interval time.Duration
	log      *slog.Logger
	// done ends with close; it is the reads' context, a lifetime rather
	// than a call's.
	done context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu      sync.Mutex
	subs    map[follower]struct{}
	running bool
	last    []byte // the latest frame sent, for a follower that joins
	lastKey []byte // the latest summary without its clock
	lastErr string // the latest read error, logged once
}

func newFeed(read func(context.Context) (*Summary, error), interval time.Duration, log *slog.Logger) *feed {
	done, stop := context.WithCancel(context.Background())
	return &feed{read: read, interval: interval, log: log, done: done, stop: stop, subs: map[follower]struct{}{}}
}

// follow adds a follower, handed the latest summary at once if there is
// one; nil once the feed is closed.
func (f *feed) follow() follower {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done.Err() != nil {
		return nil
	}
	fol := make(follower, 1)
	f.subs[fol] = struct{}{}
	if f.last != nil {
		fol <- f.last
	}
	if !f.running {
		f.running = true
		f.wg.Go(f.loop)
	}
	return fol
}

func (f *feed) leave(fol follower) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, fol)
}

func (f *feed) close() {
	f.stop()
	f.wg.Wait()
}

// loop reads once at once, then once per interval, until nobody follows
// or the feed is closed. What it read is forgotten when it stops, so the
// next follower gets a fresh read.
func (f *feed) loop() {
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		f.mu.Lock()
		if len(f.subs) == 0 || f.done.Err() != nil {
			f.running, f.last, f.lastKey = false, nil, nil
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		f.tick()
		select {
		case <-t.C:
		case <-f.done.Done():
		}
	}
}

func (f *feed) tick() {
	ctx, cancel := context.WithTimeout(f.done, readTimeout)
	s, err := f.read(ctx)
	cancel()
	if err != nil {
		if f.done.Err() != nil {
			return
		}
		msg := "the usage ledger cannot be read: " + err.Error()
		f.mu.Lock()
		defer f.mu.Unlock()
		if msg != f.lastErr {
			f.log.Warn("dashboard events", "error", err)
		}
		f.lastErr, f.lastKey = msg, nil // the next good read is sent
		f.send([]byte("event: down\ndata: " + strings.ReplaceAll(msg, "\n", " ") + "\n\n"))
		return
	}
	at := s.Now
	s.Now = time.Time{}
	key, err := json.Marshal(s)
	s.Now = at
	if err != nil {
		return // a Summary always marshals
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastErr = ""
	if bytes.Equal(key, f.lastKey) {
		return
	}
	data, _ := json.Marshal(s)
	f.lastKey = key
	f.last = fmt.Appendf(nil, "event: summary\ndata: %s\n\n", data)
	f.send(f.last)
}

// send hands frame to every follower, replacing one not yet taken. The
// caller holds f.mu.
func (f *feed) send(frame []byte) {
	for fol := range f.subs {
		select {
		case <-fol:
		default:
		}
		fol <- frame
	}
}
