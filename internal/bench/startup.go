package bench

import (
	"context"
	"slices"
	"time"
)

// Startup is how long a stdio server takes from process start to its
// answer to initialize: what each agent that spawns it waits.
type Startup struct {
	Name       string  `json:"name"`
	Runs       int     `json:"runs"`
	Errors     int     `json:"errors"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"` // with few runs, the slowest
	FirstError string  `json:"first_error,omitempty"`
}

const (
	nameStartGateway = "gateway command over stdio"
	nameStartNoop    = "no-op MCP server over stdio (floor)"
)

// runStartup starts the gateway command, and the no-op server for
// comparison, several times each.
func (h *harness) runStartup(ctx context.Context) {
	h.progress("start-up")
	h.report.Startup = append(h.report.Startup,
		h.startups(ctx, nameStartGateway, h.startGateway),
		h.startups(ctx, nameStartNoop, func() (*child, error) { return h.startChild(modeNoopStdio) }),
	)
}

func (h *harness) startups(ctx context.Context, name string, start func() (*child, error)) Startup {
	s := Startup{Name: name, Runs: h.sizes.startups}
	fail := func(err error) {
		s.Errors++
		if s.FirstError == "" {
			s.FirstError = err.Error()
		}
	}
	var times []time.Duration
	for range s.Runs {
		t0 := time.Now()
		c, err := start()
		if err != nil {
			fail(err)
			continue
		}
		ictx, cancel := context.WithTimeout(ctx, childStartTimeout)
		err = newStdioClient(c.stdout, c.stdin).initialize(ictx)
		d := time.Since(t0)
		cancel()
		if err != nil {
			fail(c.failure(err))
			c.kill()
			continue
		}
		times = append(times, d)
		if err := c.close(); err != nil {
			fail(err)
		}
	}
	slices.Sort(times)
	s.P50 = ms(percentile(times, 0.50))
	s.P99 = ms(percentile(times, 0.99))
	return s
}
