package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Scenario names of the concurrent runs.
func nameThroughputHit(sessions int) string {
	return fmt.Sprintf("http: generate hit, %d sessions", sessions)
}

func nameThroughputSlow(sessions int, latency time.Duration) string {
	return fmt.Sprintf("http: generate miss, model %s, %d sessions", latency, sessions)
}

// ratioSessions is where issue 19 compares the gateway with the SDK's
// floor under load: hits/s, and CPU per hit and per miss.
const ratioSessions = 64

// The floor and a zero-latency miss at ratioSessions, beside the hit row.
var (
	nameThroughputFloor = fmt.Sprintf("http: no-op tool (floor), %d sessions", ratioSessions)
	nameThroughputMiss  = fmt.Sprintf("http: generate miss, %d sessions", ratioSessions)
)

// runThroughput measures Streamable HTTP with 1, 16, 64 and 256 sessions
// calling at once: cache hits (the gateway's own ceiling), then misses
// against a model that takes modelLatency to answer (where concurrency,
// not CPU, sets the pace).
func (h *harness) runThroughput(ctx context.Context) {
	for _, n := range h.sizes.levels {
		r := h.childScenario(ctx, nameThroughputHit(n), "http", modeGatewayHTTP, nil,
			h.httpCalls(n, h.hitParams("load"), wantCached(true), true))
		h.report.Throughput = append(h.report.Throughput, r)
	}
	noop := func(int) []byte { return noopParams }
	h.report.Throughput = append(h.report.Throughput,
		h.childScenario(ctx, nameThroughputFloor, "http", modeNoopHTTP, nil, h.httpCalls(ratioSessions, noop, nil, false)),
		h.childScenario(ctx, nameThroughputMiss, "http", modeGatewayHTTP, nil,
			h.httpCalls(ratioSessions, h.missParams("load-miss"), wantCached(false), false)))
	lat := h.sizes.modelLatency
	for _, n := range h.sizes.levels {
		name := nameThroughputSlow(n, lat)
		params := func(i int) []byte {
			return generateParams(fmt.Sprintf("[sim:latency=%s] %s", lat, h.missPrompt(name, i)))
		}
		r := h.withSizes(sizes{warm: h.sizes.missWarm, calls: h.sizes.missPerSession, hitTotal: h.sizes.missPerSession * n}, func() Result {
			return h.childScenario(ctx, name, "http", modeGatewayHTTP, nil, h.httpCalls(n, params, wantCached(false), false))
		})
		h.report.Throughput = append(h.report.Throughput, r)
	}
}

func nameDirectPool(latency time.Duration, callers, idle int) string {
	pool := "the SDK's default pool (10 idle connections per host)"
	if idle > 0 {
		pool = fmt.Sprintf("%d idle connections per host", idle)
	}
	return fmt.Sprintf("in-process: direct Converse, model %s, %d callers, %s", latency, callers, pool)
}

// runConnectionPool makes Converse calls from many callers through one AWS
// SDK client, with the SDK's default HTTP transport and with one that
// keeps a connection per caller: the upstream connections column shows
// what each opens. The gateway's own client has the default.
func (h *harness) runConnectionPool(ctx context.Context) {
	lat, callers := h.sizes.modelLatency, h.sizes.poolCallers
	for _, idle := range []int{0, callers} {
		name := nameDirectPool(lat, callers, idle)
		h.progress("%s", name)
		client, err := h.directClient(ctx, idle)
		if err != nil {
			h.report.Throughput = append(h.report.Throughput, failed(name, err))
			continue
		}
		calls := make([]callFunc, callers)
		for s := range calls {
			calls[s] = func(ctx context.Context, i int) error {
				prompt := fmt.Sprintf("[sim:latency=%s] %s", lat, h.missPrompt(name, s*1000+i))
				return h.converse(ctx, client, defaultModelID, prompt)
			}
		}
		r := measure(ctx, runSpec{name: name, transport: "in-process", measured: measuredHarness,
			warm: h.sizes.missWarm, n: h.sizes.missPerSession, sessions: calls,
			usage: func() (Usage, error) { return selfUsage(), nil }, conns: h.simConns})
		h.report.Throughput = append(h.report.Throughput, r)
	}
}

// withSizes runs f with other call counts.
func (h *harness) withSizes(s sizes, f func() Result) Result {
	saved := h.sizes
	h.sizes.warm, h.sizes.calls, h.sizes.hitTotal = s.warm, s.calls, s.hitTotal
	defer func() { h.sizes = saved }()
	return f()
}

// Coalescing is what happened to identical requests made at once.
type Coalescing struct {
	Requests      int    `json:"requests"`
	Sessions      int    `json:"sessions"`
	UpstreamCalls int64  `json:"upstream_calls"` // Converse calls the simulator received
	Shared        int    `json:"answered_as_cached"`
	Errors        int    `json:"errors"`
	Wall          string `json:"wall"`
	FirstError    string `json:"first_error,omitempty"`
}

// coalesceLatency keeps the first request in flight while the others
// arrive.
const coalesceLatency = 300 * time.Millisecond

// runCoalescing sends the same generate request from many Streamable HTTP
// sessions at once and counts the upstream calls the simulator saw.
func (h *harness) runCoalescing(ctx context.Context) {
	n := h.sizes.coalesce
	h.progress("%d identical concurrent requests", n)
	co := &Coalescing{Requests: n, Sessions: n}
	h.report.Coalescing = co
	fail := func(err error) {
		co.Errors++
		if co.FirstError == "" {
			co.FirstError = err.Error()
		}
	}
	c, err := h.startChild(modeGatewayHTTP)
	if err != nil {
		fail(err)
		return
	}
	defer func() {
		if err := c.close(); err != nil {
			fail(err)
		}
	}()
	hc := newHTTPClient(n)
	url := "http://" + c.addr + h.opts.Wiring.path()
	clients, err := openSessions(ctx, hc, url, n)
	if err != nil {
		fail(c.failure(err))
		return
	}
	params := generateParams(fmt.Sprintf("[sim:latency=%s] bench %s: one question asked by %d agents at once", coalesceLatency, h.nonce, n))
	before := h.simCalls()
	shared, wall := identicalAtOnce(ctx, clients, params, fail)
	co.Shared, co.Wall = shared, wall.Round(time.Millisecond).String()
	co.UpstreamCalls = h.simCalls() - before
	if co.UpstreamCalls != 1 && co.Errors == 0 {
		fail(errors.New("identical concurrent requests were not coalesced into one upstream call"))
	}
}

// identicalAtOnce sends params from every client at the same moment and
// returns how many answers came from the cache (or joined another call),
// and the time until the last answer. Errors go to fail.
func identicalAtOnce(ctx context.Context, clients []*httpClient, params []byte, fail func(error)) (shared int, wall time.Duration) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for _, cl := range clients {
		wg.Go(func() {
			<-start
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			defer cancel()
			cached, err := toolCall(cctx, cl, params)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				fail(err)
			case cached:
				shared++
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return shared, time.Since(t0)
}
