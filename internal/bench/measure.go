package bench

import (
	"context"
	"fmt"
	"math"
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
	before, err := spec.usage()
	if err != nil {
		fail(fmt.Errorf("usage before: %w", err))
		return res
	}
	conns0 := spec.conns()
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
	res.UpstreamConns = spec.conns() - conns0
	after, err := spec.usage()
	if err != nil {
		fail(fmt.Errorf("usage after: %w", err))
		return res
	}

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
