package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Admission is what governance costs per call: one request's whole pass
// through Admission (enter, allow, reserve, settle, leave) under a policy
// that limits every call by rate, concurrency, tokens and a budget.
type Admission struct {
	Backend string  `json:"backend"` // where the counters live: memory, sqlite, …
	Calls   int     `json:"calls"`
	P50     float64 `json:"p50_us"`
	P99     float64 `json:"p99_us"`
	Mean    float64 `json:"mean_us"`
	// CPU is the process's user and system time per call, µs; Allocs its
	// heap allocations per call.
	CPU    float64 `json:"cpu_us"`
	Allocs float64 `json:"allocs"`
	Error  string  `json:"error,omitempty"`
}

const targetAdmissionSQLiteP50 = 50.0 // µs, issue 11

// AdmissionSQLite is the backend the target is judged on: what a gateway
// with STORE_URL=sqlite:PATH uses (the counter file beside the database).
const AdmissionSQLite = "sqlite"

// runAdmission measures each backend Wiring.Admissions gives, one call
// after another.
func (h *harness) runAdmission(ctx context.Context) {
	if h.opts.Wiring.Admissions == nil {
		return
	}
	h.progress("admission: cost per call of each limits backend")
	backends, closeAll, err := h.opts.Wiring.Admissions(ctx, h.dir)
	if err != nil {
		h.report.Admission = append(h.report.Admission, Admission{Backend: "all", Error: err.Error()})
		return
	}
	defer closeAll()
	calls := 20000
	if h.opts.Quick {
		calls = 200
	}
	for _, b := range backends {
		h.report.Admission = append(h.report.Admission, measureAdmission(ctx, b.Name, b.Admission, calls))
	}
}

// AdmissionBackend is one Admission to measure, named for where it keeps
// its counters.
type AdmissionBackend struct {
	Name      string
	Admission gateway.Admission
}

func measureAdmission(ctx context.Context, name string, adm gateway.Admission, calls int) Admission {
	model := gateway.Model{Name: benchModel, Price: &gateway.Price{Input: gateway.PicoFromUSD(0.06 / 1e6), Output: gateway.PicoFromUSD(0.24 / 1e6)}}
	one := func() error {
		now := time.Now()
		leave, err := adm.Enter(ctx, gateway.Entry{Agent: "bench-agent", Frontend: "mcp", Model: benchModel, Time: now})
		if err != nil {
			return err
		}
		defer leave()
		if err := adm.Allow(ctx, "bench-agent", model); err != nil {
			return err
		}
		r := gateway.Reservation{Agent: "bench-agent", Model: model, InputTokens: 200, MaxOutputTokens: 500, Priced: true, Time: now}
		r.WorstCase = gateway.PicoUSD(r.InputTokens)*model.Price.Input + gateway.PicoUSD(r.MaxOutputTokens)*model.Price.Output
		settle, err := adm.Reserve(ctx, r)
		if err != nil {
			return err
		}
		settle(ctx, gateway.Usage{InputTokens: 150, OutputTokens: 100}, 150*model.Price.Input+100*model.Price.Output, true)
		return nil
	}
	for range min(calls/10, 500) { // warm-up: statements prepared, pages cached
		if err := one(); err != nil {
			return Admission{Backend: name, Error: err.Error()}
		}
	}
	took := make([]float64, 0, calls)
	var sum float64
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs, cpu := ms.Mallocs, processCPU()
	for range calls {
		start := time.Now()
		if err := one(); err != nil {
			return Admission{Backend: name, Calls: len(took), Error: err.Error()}
		}
		us := float64(time.Since(start).Nanoseconds()) / 1000
		took = append(took, us)
		sum += us
	}
	cpu = processCPU() - cpu
	runtime.ReadMemStats(&ms)
	slices.Sort(took)
	return Admission{Backend: name, Calls: calls, P50: took[len(took)/2], P99: took[len(took)*99/100], Mean: sum / float64(calls),
		CPU: float64(cpu.Nanoseconds()) / 1000 / float64(calls), Allocs: float64(ms.Mallocs-mallocs) / float64(calls)}
}

func (a Admission) String() string {
	return fmt.Sprintf("%s: %.1f µs p50, %.1f µs p99", a.Backend, a.P50, a.P99)
}
