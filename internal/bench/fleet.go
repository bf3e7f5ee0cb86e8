package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Fleet is what replicas sharing one Redis do with identical requests, and
// what Redis costs one call.
type Fleet struct {
	// Skipped says why the fleet rows did not run (no Redis answers).
	Skipped string `json:"skipped,omitempty"`
	// Replicas gateway processes share one Redis and one simulator;
	// Requests identical requests spread over them at once, Rounds times
	// (a new question each round).
	Replicas      int    `json:"replicas"`
	Requests      int    `json:"requests"`
	Rounds        int    `json:"rounds"`
	UpstreamCalls int64  `json:"upstream_calls"` // over all rounds: one per round is right
	Shared        int    `json:"answered_as_cached"`
	Errors        int    `json:"errors"`
	Wall          string `json:"wall_p50"` // the median round's, from sending to the last answer
	FirstError    string `json:"first_error,omitempty"`
	// Cost are in-process rows, interleaved: one gateway's hits and misses
	// with and without Redis, whose differences are Redis's round trips.
	Cost []Result `json:"cost"`
}

// The fleet's Redis: the one this project's machines and CI run. Each run
// keeps its keys under a prefix of its own and deletes them at the end.
const (
	benchRedisURL  = "redis://127.0.0.1:6379/0"
	fleetReplicas  = 3
	fleetRequests  = 60
	fleetRoundsMax = 5
)

// Names of the fleet's cost rows.
const (
	nameFleetLocalHit  = "in-process: hit in the replica's own cache (Redis not asked)"
	nameFleetSharedHit = "in-process: hit in Redis (another replica's answer)"
	nameFleetMissAlone = "in-process: miss, no Redis"
	nameFleetMiss      = "in-process: miss, with Redis"
)

// fleetAdded pairs each Redis row with the row it adds to.
var fleetAdded = [][2]string{{nameFleetSharedHit, nameFleetLocalHit}, {nameFleetMiss, nameFleetMissAlone}}

// redisAnswers reports whether the fleet's Redis answers.
func redisAnswers(ctx context.Context) error {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", MaxRetries: -1, DisableIdentity: true})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return rdb.Ping(ctx).Err()
}

// dropKeys deletes every key under prefix.
func dropKeys(prefix string) {
	ro, _ := redis.ParseURL(benchRedisURL)
	ro.DisableIdentity = true
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		if keys = append(keys, iter.Val()); len(keys) == 1000 {
			rdb.Unlink(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Unlink(ctx, keys...)
	}
}

// redisPrefix is this run's key prefix.
func (h *harness) redisPrefix() string { return "llm-gateway-bench:" + h.nonce + ":" }

// runFleet starts three HTTP replicas on one Redis and sends identical
// requests spread over them at once, then measures in-process what
// Redis's round trips add to a hit and to a miss.
func (h *harness) runFleet(ctx context.Context) {
	fl := &Fleet{Replicas: fleetReplicas, Requests: fleetRequests}
	h.report.Fleet = fl
	if err := redisAnswers(ctx); err != nil {
		fl.Skipped = fmt.Sprintf("no Redis at %s (%v)", benchRedisURL, err)
		h.progress("fleet: skipped: %s", fl.Skipped)
		return
	}
	defer dropKeys(h.redisPrefix())
	h.progress("fleet: %d identical concurrent requests over %d replicas sharing one Redis", fleetRequests, fleetReplicas)
	h.fleetRounds(ctx, fl)
	h.progress("fleet: what Redis adds to a hit and a miss")
	fl.Cost = h.fleetCost(ctx)
}

func (h *harness) fleetRounds(ctx context.Context, fl *Fleet) {
	fail := func(err error) {
		fl.Errors++
		if fl.FirstError == "" {
			fl.FirstError = err.Error()
		}
	}
	var clients []*httpClient
	hc := newHTTPClient(fleetRequests)
	for range fleetReplicas {
		c, err := h.startChild(modeGatewayHTTP, "REDIS_URL="+benchRedisURL, "REDIS_PREFIX="+h.redisPrefix())
		if err != nil {
			fail(err)
			return
		}
		defer func() {
			if err := c.close(); err != nil {
				fail(err)
			}
		}()
		cl, err := openSessions(ctx, hc, "http://"+c.addr+h.opts.Wiring.path(), fleetRequests/fleetReplicas)
		if err != nil {
			fail(c.failure(err))
			return
		}
		clients = append(clients, cl...)
	}
	rounds := fleetRoundsMax
	if h.opts.Quick {
		rounds = 1
	}
	var walls []time.Duration
	for round := range rounds {
		fl.Rounds++
		params := generateParams(fmt.Sprintf("[sim:latency=%s] bench %s round %d: one question asked through every replica at once", coalesceLatency, h.nonce, round))
		before := h.simCalls()
		shared, wall := identicalAtOnce(ctx, clients, params, fail)
		fl.Shared += shared
		walls = append(walls, wall)
		fl.UpstreamCalls += h.simCalls() - before
	}
	slices.Sort(walls)
	fl.Wall = walls[len(walls)/2].Round(time.Millisecond).String()
	if fl.UpstreamCalls != int64(fl.Rounds) && fl.Errors == 0 {
		fail(fmt.Errorf("%d rounds of identical requests over %d replicas made %d upstream calls, want one a round", fl.Rounds, fleetReplicas, fl.UpstreamCalls))
	}
}

// fleetCost measures one call through the gateway core, interleaved:
// hits from the replica's own cache and from Redis (an answer another
// replica cached), misses with and without Redis. The ledger is kept in
// memory in all four, so that the differences are Redis's alone.
func (h *harness) fleetCost(ctx context.Context) []Result {
	names := []string{nameFleetLocalHit, nameFleetSharedHit, nameFleetMissAlone, nameFleetMiss}
	fail := func(err error) []Result {
		out := make([]Result, len(names))
		for i, n := range names {
			out[i] = failed(n, err)
		}
		return out
	}
	shared := []string{"STORE_URL=memory:", "REDIS_URL=" + benchRedisURL, "REDIS_PREFIX=" + h.redisPrefix() + "cost:"}
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	wire := func(env ...string) (func(ctx context.Context, prompt string) (*gateway.Response, error), error) {
		gw, err := h.opts.Wiring.Gateway(ctx, getenvFrom(h.env(env...)), io.Discard)
		if err != nil {
			return nil, fmt.Errorf("wire the gateway: %w", err)
		}
		if gw.Close != nil {
			closers = append(closers, gw.Close)
		}
		return func(ctx context.Context, prompt string) (*gateway.Response, error) {
			return gw.Generator.Generate(ctx, &gateway.Request{
				Model:     benchModel,
				Messages:  []gateway.Message{{Role: gateway.RoleUser, Content: prompt}},
				MaxTokens: answerTokens,
				Agent:     "bench",
			})
		}, nil
	}
	filler, err := wire(shared...)
	if err != nil {
		return fail(err)
	}
	reader, err := wire(shared...)
	if err != nil {
		return fail(err)
	}
	alone, err := wire("STORE_URL=memory:")
	if err != nil {
		return fail(err)
	}
	// The answers the shared-hit row reads, one per call (warm-up calls
	// have negative indices): cached in Redis by another gateway.
	sharedPrompt := func(i int) string { return h.missPrompt("fleet shared", i) }
	for i := -h.sizes.warm; i < h.sizes.calls; i++ {
		if _, err := filler(ctx, sharedPrompt(i)); err != nil {
			return fail(fmt.Errorf("fill Redis: %w", err))
		}
	}
	localPrompt := h.hitPrompt("fleet local")
	if _, err := reader(ctx, localPrompt); err != nil {
		return fail(err)
	}
	want := func(resp *gateway.Response, err error, cached bool) error {
		switch {
		case err != nil:
			return err
		case resp.Cached != cached:
			return fmt.Errorf("answer cached = %v, want %v", resp.Cached, cached)
		}
		return nil
	}
	spec := func(name string, call callFunc) *runSpec {
		return &runSpec{name: name, transport: "in-process", measured: measuredHarness, perCall: true,
			warm: h.sizes.warm, n: h.sizes.calls, sessions: []callFunc{call}, conns: h.simConns}
	}
	specs := []*runSpec{
		spec(nameFleetLocalHit, func(ctx context.Context, _ int) error {
			resp, err := reader(ctx, localPrompt)
			return want(resp, err, true)
		}),
		spec(nameFleetSharedHit, func(ctx context.Context, i int) error {
			resp, err := reader(ctx, sharedPrompt(i))
			return want(resp, err, true)
		}),
		spec(nameFleetMissAlone, func(ctx context.Context, i int) error {
			resp, err := alone(ctx, h.missPrompt("fleet alone", i))
			return want(resp, err, false)
		}),
		spec(nameFleetMiss, func(ctx context.Context, i int) error {
			resp, err := reader(ctx, h.missPrompt("fleet miss", i))
			return want(resp, err, false)
		}),
	}
	return measureInterleaved(ctx, specs, h.sizes.block)
}

// FleetAdded is what Redis adds to one call: a Redis row's percentiles
// minus those of the row it adds to.
type FleetAdded struct {
	Name, Base         string
	AddedP50, AddedP99 float64 // µs
	AddedCPU           float64 // ms per 1k calls
}

// added derives what Redis adds to a hit and to a miss from the cost rows.
func (fl *Fleet) added() ([]FleetAdded, error) {
	find := func(name string) (Result, error) {
		for _, r := range fl.Cost {
			if r.Name == name {
				if r.Errors > 0 || r.Calls == 0 {
					return r, fmt.Errorf("%s: %s", name, r.FirstError)
				}
				return r, nil
			}
		}
		return Result{}, errors.New(name + ": not measured")
	}
	var out []FleetAdded
	for _, pair := range fleetAdded {
		x, err := find(pair[0])
		if err != nil {
			return nil, err
		}
		base, err := find(pair[1])
		if err != nil {
			return nil, err
		}
		out = append(out, FleetAdded{Name: x.Name, Base: base.Name, AddedP50: x.P50 - base.P50, AddedP99: x.P99 - base.P99, AddedCPU: x.CPUPer1k - base.CPUPer1k})
	}
	return out, nil
}

// summary is the fleet's figures in a line or two of text.
func (fl *Fleet) summary() []string {
	if fl.Skipped != "" {
		return []string{"fleet: skipped: " + fl.Skipped}
	}
	out := []string{fmt.Sprintf("fleet: %d identical concurrent requests over %d replicas sharing one Redis, %d round(s) → %d upstream call(s), %d answered as cached, %d errors, %s a round (p50)",
		fl.Requests, fl.Replicas, fl.Rounds, fl.UpstreamCalls, fl.Shared, fl.Errors, fl.Wall)}
	added, err := fl.added()
	if err != nil {
		return append(out, "fleet, Redis per call: not measured: "+err.Error())
	}
	for _, a := range added {
		out = append(out, fmt.Sprintf("fleet, Redis per call: %s adds %s µs p50, %s µs p99, %s CPU ms/1k calls over %s", a.Name, num(a.AddedP50), num(a.AddedP99), num(a.AddedCPU), a.Base))
	}
	return out
}

// writeFleet is the fleet's section of the results document.
func writeFleet(w io.Writer, fl *Fleet) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("## A fleet on one Redis")
	p("")
	if fl.Skipped != "" {
		p("Skipped: %s. The fleet rows need a Redis at %s (`redis-server` on this machine).", fl.Skipped, benchRedisURL)
		p("")
		return
	}
	p("%d gateway processes share one Redis (`REDIS_URL`, a key prefix of this run's own) and one simulator;", fl.Replicas)
	p("%d sessions, spread evenly over them, send the same `generate` at the same moment to a model that", fl.Requests)
	p("takes %s to answer, %d time(s) with a new question each time. One upstream call a round is right.", coalesceLatency, fl.Rounds)
	p("")
	table(w, []string{"replicas", "requests a round", "rounds", "upstream calls", "answered as cached", "errors", "wall time a round (p50)"}, [][]string{
		{fmt.Sprint(fl.Replicas), fmt.Sprint(fl.Requests), fmt.Sprint(fl.Rounds), fmt.Sprint(fl.UpstreamCalls), fmt.Sprint(fl.Shared), fmt.Sprint(fl.Errors), fl.Wall},
	})
	p("")
	p("What Redis costs one call, measured in the harness process on the gateway core (no transport),")
	p("the four rows interleaved in blocks: a hit in the replica's own cache never asks Redis; a hit in")
	p("Redis is an answer another replica cached (one GET, then the replica's own cache is filled); a")
	p("miss with Redis adds the shared cache's lookup and fill and the claim and release of the call's")
	p("lock (four round trips) to the same miss without Redis. CPU is the whole harness's, Redis's not included.")
	p("")
	resultTable(w, fl.Cost)
	p("")
	added, err := fl.added()
	if err != nil {
		p("No differences: %s.", err)
		p("")
		return
	}
	var rows [][]string
	for _, a := range added {
		rows = append(rows, []string{a.Name, a.Base, num(a.AddedP50), num(a.AddedP99), num(a.AddedCPU)})
	}
	table(w, []string{"with Redis", "over", "added p50 µs", "added p99 µs", "added CPU ms/1k calls"}, rows)
	p("")
}
