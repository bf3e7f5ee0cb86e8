package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// source is a summary that a test changes, counting its reads.
type source struct {
	mu       sync.Mutex
	requests int64
	err      error
	reads    int
}

func (s *source) read(context.Context) (*Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.err != nil {
		return nil, s.err
	}
	return &Summary{Now: time.Now(), All: Figures{Requests: s.requests}}, nil
}

func (s *source) set(requests int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.err = requests, err
}

func (s *source) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// next is the frame waiting for fol, or "" if none.
func next(fol follower) string {
	select {
	case f := <-fol:
		return string(f)
	default:
		return ""
	}
}

func TestFeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &source{requests: 1}
		f := newFeed(src.read, time.Second, slog.New(slog.DiscardHandler))
		defer f.close()

		a := f.follow()
		synctest.Wait()
		if got := next(a); !strings.HasPrefix(got, "event: summary\ndata: {") || !strings.Contains(got, `"requests":1,`) {
			t.Fatalf("first frame = %q, want the summary at once", got)
		}
		// A second page shares the reads, and gets the latest summary at once.
		b := f.follow()
		if got := next(b); !strings.Contains(got, `"requests":1,`) {
			t.Errorf("a page that joins gets %q, want the latest summary", got)
		}

		// The clock moves, nothing else: no event, though the ledger is read.
		time.Sleep(time.Second)
		synctest.Wait()
		if got := next(a); got != "" {
			t.Errorf("an unchanged summary was sent again: %q", got)
		}
		if n := src.readCount(); n != 2 {
			t.Errorf("%d reads for two pages over two ticks, want 2 (one per tick)", n)
		}

		src.set(2, nil)
		time.Sleep(time.Second)
		synctest.Wait()
		for name, fol := range map[string]follower{"a": a, "b": b} {
			if got := next(fol); !strings.Contains(got, `"requests":2,`) {
				t.Errorf("after a change, page %s got %q, want the new summary", name, got)
			}
		}

		src.set(2, errors.New("disk gone"))
		time.Sleep(time.Second)
		synctest.Wait()
		if got := next(a); !strings.HasPrefix(got, "event: down\ndata: ") || !strings.Contains(got, "disk gone") {
			t.Errorf("a failed read sent %q, want a down event saying why", got)
		}
		src.set(2, nil)
		time.Sleep(time.Second)
		synctest.Wait()
		if got := next(a); !strings.Contains(got, `"requests":2,`) {
			t.Errorf("after the ledger is back, got %q, want the summary again", got)
		}

		// Nobody follows: the reading stops.
		f.leave(a)
		f.leave(b)
		time.Sleep(time.Second)
		synctest.Wait()
		n := src.readCount()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := src.readCount(); got != n {
			t.Errorf("%d reads with no page open, want none", got-n)
		}

		f.close()
		if f.follow() != nil {
			t.Errorf("follow after close = a follower, want nil")
		}
	})
}
