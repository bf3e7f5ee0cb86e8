package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Where a scenario's CPU, allocation and RSS figures come from.
const (
	measuredServer  = "server"  // the child process that serves
	measuredHarness = "harness" // the whole harness process, simulator and client included
)

// Result is one scenario's figures. Latencies are per call as the client
// sees them; CPU, allocations and peak RSS are those of Measured.
type Result struct {
	Name      string `json:"name"`
	Transport string `json:"transport"` // stdio, http or in-process
	Sessions  int    `json:"sessions"`  // concurrent sessions (or callers)
	Calls     int    `json:"calls"`     // measured calls, after the warm-up
	Errors    int    `json:"errors"`
	// P50 and P99 are nearest-rank percentiles of the call latency, µs.
	P50 float64 `json:"p50_us"`
	P99 float64 `json:"p99_us"`
	// Throughput is measured calls over the measured phase's wall time.
	Throughput    float64 `json:"calls_per_s"`
	CPUPer1k      float64 `json:"cpu_ms_per_1k_calls"`
	AllocsPerCall float64 `json:"allocs_per_call"`
	KiBPerCall    float64 `json:"alloc_kib_per_call"`
	PeakRSS       float64 `json:"peak_rss_mib"`
	Measured      string  `json:"measured"` // "server" or "harness"
	// UpstreamConns is how many connections to the simulator were opened
	// during the measured calls: zero when keep-alive works.
	UpstreamConns int64  `json:"upstream_connections"`
	FirstError    string `json:"first_error,omitempty"`
}

// callFunc makes the i-th call of one session.
type callFunc func(ctx context.Context, i int) error

// runSpec describes a measured loop: every session makes warm calls, then
// n calls whose latency is kept; usage reads the measured process.
type runSpec struct {
	name, transport, measured string
	warm, n                   int
	sessions                  []callFunc
	usage                     func() (Usage, error)
	conns                     func() int64 // connections the simulator has accepted
	// perCall reads this process's usage around each block of calls
	// instead of calling usage: for scenarios that share the harness
	// process, which is quiet otherwise while a block runs.
	perCall bool
}

// callTimeout bounds one call, so that a wedged server fails the scenario
// rather than the run.
const callTimeout = 60 * time.Second

// measure runs spec and returns its figures.
func measure(ctx context.Context, spec runSpec) Result {
	res := Result{Name: spec.name, Transport: spec.transport, Sessions: len(spec.sessions), Measured: spec.measured}
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
	}
	one := func(call callFunc, i int) (time.Duration, bool) {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		start := time.Now()
		err := call(cctx, i)
		d := time.Since(start)
		if err != nil {
			fail(err)
			return d, false
		}
		return d, true
	}
	// Sessions run side by side; each keeps its own latencies.
	each := func(phase func(s int, call callFunc)) {
		var wg sync.WaitGroup
		for s, call := range spec.sessions {
			wg.Go(func() { phase(s, call) })
		}
		wg.Wait()
	}

	// Warm-up calls have negative indices, distinct across sessions.
	each(func(s int, call callFunc) {
		for i := range spec.warm {
			one(call, -1-(s*spec.warm+i))
		}
	})
	conns0 := spec.conns() // outside the usage window, as in measureInterleaved
	before, err := spec.usage()
	if err != nil {
		fail(fmt.Errorf("usage before: %w", err))
		return res
	}
	lats := make([][]time.Duration, len(spec.sessions))
	start := time.Now()
	each(func(s int, call callFunc) {
		l := make([]time.Duration, 0, spec.n)
		for i := range spec.n {
			if d, ok := one(call, s*spec.n+i); ok {
				l = append(l, d)
			}
		}
		lats[s] = l
	})
	wall := time.Since(start)
	after, err := spec.usage()
	if err != nil {
		fail(fmt.Errorf("usage after: %w", err))
		return res
	}
	res.UpstreamConns = spec.conns() - conns0

	all := slices.Concat(lats...)
	res.Calls = len(spec.sessions) * spec.n
	res.fillLatency(all, wall)
	d := usageDelta(before, after, res.Calls)
	res.CPUPer1k = ms(d.cpuPer1k)
	res.AllocsPerCall = round1(d.allocsPerCall)
	res.KiBPerCall = round1(d.bytesPerCall / 1024)
	res.PeakRSS = mib(after.PeakRSS)
	return res
}

// measureInterleaved runs single-caller specs side by side: round after
// round, each spec makes a block of calls, in a shuffled order. Whatever
// else the machine is doing then weighs on every scenario alike, which
// back-to-back runs cannot promise on a shared machine; blocks rather than
// single calls keep each process's caches warm as a caller that keeps
// calling would. Throughput is the inverse of the mean latency: what one
// caller gets.
func measureInterleaved(ctx context.Context, specs []*runSpec, block int) []Result {
	block = max(block, 1)
	res := make([]Result, len(specs))
	lats := make([][]time.Duration, len(specs))
	before := make([]Usage, len(specs))
	spent := make([]Usage, len(specs)) // perCall specs: summed per-block deltas
	broken := make([]bool, len(specs))
	fail := func(i int, err error) {
		res[i].Errors++
		if res[i].FirstError == "" {
			res[i].FirstError = err.Error()
		}
	}
	call := func(i, n int) (time.Duration, bool) {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		start := time.Now()
		err := specs[i].sessions[0](cctx, n)
		d := time.Since(start)
		if err != nil {
			fail(i, err)
			return d, false
		}
		return d, true
	}
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // a fixed shuffle of the benchmark's order, not a secret; the same order every run
	order := make([]int, len(specs))
	rounds := 0
	for i, s := range specs {
		order[i] = i
		rounds = max(rounds, (s.n+block-1)/block)
		res[i] = Result{Name: s.name, Transport: s.transport, Sessions: 1, Measured: s.measured}
		lats[i] = make([]time.Duration, 0, s.n)
	}

	rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	for _, i := range order {
		for w := range specs[i].warm {
			call(i, -1-w)
		}
	}
	for i, s := range specs {
		if s.perCall {
			continue
		}
		u, err := s.usage()
		if err != nil {
			fail(i, fmt.Errorf("usage before: %w", err))
			broken[i] = true
		}
		before[i] = u
	}
	for r := range rounds {
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, i := range order {
			s := specs[i]
			from, to := r*block, min((r+1)*block, s.n)
			if from >= to || broken[i] {
				continue
			}
			// The simulator's count is asked over its control pipe: outside
			// the usage window, so that the harness's own rows do not
			// count that exchange as the calls' CPU and allocations.
			c0 := s.conns()
			var u0 Usage
			if s.perCall {
				u0 = selfUsage()
			}
			for n := from; n < to; n++ {
				if d, ok := call(i, n); ok {
					lats[i] = append(lats[i], d)
				}
			}
			if s.perCall {
				u1 := selfUsage()
				spent[i].CPU += u1.CPU - u0.CPU
				spent[i].Mallocs += u1.Mallocs - u0.Mallocs
				spent[i].TotalAlloc += u1.TotalAlloc - u0.TotalAlloc
			}
			res[i].UpstreamConns += s.conns() - c0
		}
	}
	for i, s := range specs {
		res[i].Calls = s.n
		var sum time.Duration
		for _, d := range lats[i] {
			sum += d
		}
		res[i].fillLatency(lats[i], sum)
		var used delta
		switch {
		case broken[i]:
			continue
		case s.perCall:
			used = usageDelta(Usage{}, spent[i], s.n)
			res[i].PeakRSS = mib(selfUsage().PeakRSS)
		default:
			after, err := s.usage()
			if err != nil {
				fail(i, fmt.Errorf("usage after: %w", err))
				continue
			}
			used = usageDelta(before[i], after, s.n)
			res[i].PeakRSS = mib(after.PeakRSS)
		}
		res[i].CPUPer1k = ms(used.cpuPer1k)
		res[i].AllocsPerCall = round1(used.allocsPerCall)
		res[i].KiBPerCall = round1(used.bytesPerCall / 1024)
	}
	return res
}

func (r *Result) fillLatency(lats []time.Duration, wall time.Duration) {
	slices.Sort(lats)
	r.P50 = us(percentile(lats, 0.50))
	r.P99 = us(percentile(lats, 0.99))
	if wall > 0 {
		r.Throughput = math.Round(float64(len(lats)) / wall.Seconds())
	}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func us(d time.Duration) float64 { return round1(float64(d) / float64(time.Microsecond)) }
func ms(d time.Duration) float64 { return round1(float64(d) / float64(time.Millisecond)) }
func mib(b int64) float64        { return round1(float64(b) / (1 << 20)) }
func round1(v float64) float64   { return math.Round(v*10) / 10 }
func failed(name string, err error) Result {
	return Result{Name: name, Errors: 1, FirstError: err.Error()}
}
