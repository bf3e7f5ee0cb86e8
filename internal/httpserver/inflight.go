package httpserver

import (
	"fmt"
	"net/http"
	"sync"
)

// Defaults of the caps on requests in flight.
const (
	DefaultMaxConcurrent       = 512
	DefaultMaxConcurrentPerKey = 128
	DefaultMaxBytesInFlight    = 64 << 20
)

// inFlight caps the requests with a body being served at once, in total
// and per API key, and the bytes of their bodies, so that many large or
// slow calls at once are refused quickly (503 or 429 with Retry-After)
// instead of growing memory: a request costs several times its body while
// it is decoded, validated and sent upstream.
type inFlight struct {
	maxAll, maxKey int
	maxBytes       int64
	keyed          bool // per-key caps apply only when there are keys

	mu    sync.Mutex
	all   int
	bytes int64
	byKey map[string]int
}

func newInFlight(o Options, keyed bool) *inFlight {
	return &inFlight{maxAll: o.MaxConcurrent, maxKey: o.MaxConcurrentPerKey, maxBytes: o.MaxBytesInFlight,
		keyed: keyed, byKey: make(map[string]int)}
}

// enter admits one request of agent with a body of size bytes, or says
// why not (status 503 or 429, and a message naming the setting).
func (f *inFlight) enter(agent string, size int64) (leave func(), status int, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.all >= f.maxAll:
		return nil, http.StatusServiceUnavailable, fmt.Sprintf("the gateway is serving %d requests, its limit (MAX_CONCURRENT_CALLS); retry in a moment", f.all)
	case f.keyed && f.byKey[agent] >= f.maxKey:
		return nil, http.StatusTooManyRequests, fmt.Sprintf("this API key has %d requests in flight, its limit (MAX_CONCURRENT_CALLS_PER_KEY); wait for answers before sending more", f.byKey[agent])
	case f.bytes > 0 && f.bytes+size > f.maxBytes:
		// A single body is always let through (MAX_MESSAGE_BYTES bounds it).
		return nil, http.StatusServiceUnavailable, fmt.Sprintf("the gateway holds %d bytes of requests in flight, its limit (MAX_BYTES_IN_FLIGHT); retry in a moment", f.bytes)
	}
	f.all++
	f.bytes += size
	f.byKey[agent]++
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.all--
			f.bytes -= size
			if f.byKey[agent]--; f.byKey[agent] == 0 {
				delete(f.byKey, agent)
			}
		})
	}, 0, ""
}
