package bench

import (
	"fmt"
	"strings"
)

// Check compares a figure of the run with a target of issue 6 or 19.
type Check struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	// Status is "met", "missed", or "not judged" (a quick run, or a figure
	// that could not be measured).
	Status string `json:"status"`
}

const (
	statusMet       = "met"
	statusMissed    = "missed"
	statusNotJudged = "not judged"
)

// Targets, on the 2-core machine the issue names.
const (
	targetStdioHitRatio = 1.2   // cache hit p50 over the floor's p50, over stdio (issue 19)
	targetHTTPHitRatio  = 1.15  // the same over Streamable HTTP (issue 19)
	targetMissAdded     = 0.4   // a front's miss minus the direct call, over the direct call's p50 (issue 19)
	targetMissAddedP99  = 1000. // µs, the same at p99 (issue 19)
	targetLoadHits      = 1.3   // hits/s over the floor's calls/s at ratioSessions (issue 19)
	targetLoadHitCPU    = 0.8   // CPU per hit over the floor's per call there (issue 19)
	targetLoadMissCPU   = 1.5   // CPU per miss over the floor's per call there (issue 19)
	targetOverheadP50   = 100.0 // µs, miss minus direct call
	targetOverheadP99   = 300.0 // µs
	targetIdleRSS       = 30.0  // MiB
	targetOverheadKiB   = 2.5   // per cached 1 KiB answer
	targetStartupMs     = 30.0
	targetStdioHitP50Us = 150.0 // the aim beyond the issue
)

func (r *Report) result(name string) (Result, bool) {
	for _, list := range [][]Result{r.Latency, r.Throughput} {
		for _, x := range list {
			if x.Name == name && x.Errors == 0 && x.Calls > 0 {
				return x, true
			}
		}
	}
	return Result{}, false
}

// checks judges the report against the targets. A quick run's figures
// are reported but not judged: they come from a handful of calls.
func checks(r *Report) []Check {
	var out []Check
	judge := func(target string, ok, met bool, format string, args ...any) {
		c := Check{Target: target, Measured: fmt.Sprintf(format, args...), Status: statusNotJudged}
		if ok && !r.Quick {
			c.Status = statusMissed
			if met {
				c.Status = statusMet
			}
		}
		if !ok {
			c.Measured = "not measured"
		}
		out = append(out, c)
	}

	for _, tr := range []struct {
		name, floor, hit string
		target           float64
	}{
		{"stdio", nameStdioFloor, nameStdioHit, targetStdioHitRatio},
		{"Streamable HTTP", nameHTTPFloor, nameHTTPHit, targetHTTPHitRatio},
	} {
		f, ok1 := r.result(tr.floor)
		h, ok2 := r.result(tr.hit)
		ratio := 0.0
		if ok1 && ok2 && f.P50 > 0 {
			ratio = h.P50 / f.P50
		}
		judge(fmt.Sprintf("%s: cache hit p50 within %g× the no-op floor's", tr.name, tr.target), ok1 && ok2 && f.P50 > 0,
			ratio <= tr.target, "%.2f× (%.0f µs vs %.0f µs)", ratio, h.P50, f.P50)
	}
	direct, okDirect := r.result(nameDirect)
	for _, fr := range []struct{ name, miss string }{
		{"MCP Streamable HTTP", nameHTTPMiss},
		{"OpenAI API", nameOpenAIMiss},
	} {
		m, ok := r.result(fr.miss)
		ok = ok && okDirect && direct.P50 > 0
		added50, added99 := m.P50-direct.P50, m.P99-direct.P99
		judge(fmt.Sprintf("%s: a miss adds at most %g× the direct SDK call's p50 and %.0f ms p99 (front's miss − direct Converse)", fr.name, targetMissAdded, targetMissAddedP99/1000),
			ok, added50 <= targetMissAdded*direct.P50 && added99 <= targetMissAddedP99,
			"%+.0f µs p50 (%.2f× of %.0f µs), %+.0f µs p99", added50, added50/direct.P50, direct.P50, added99)
	}

	miss, ok1 := r.result(nameInProcessMiss)
	d50, d99 := miss.P50-direct.P50, miss.P99-direct.P99
	judge(fmt.Sprintf("gateway overhead on a miss (miss − direct SDK call) under %.0f µs p50 and %.0f µs p99", targetOverheadP50, targetOverheadP99),
		ok1 && okDirect, d50 < targetOverheadP50 && d99 < targetOverheadP99,
		"%+.0f µs p50, %+.0f µs p99 (in process; differences of percentiles)", d50, d99)

	var hits, slow []string
	errs, sessions256 := 0, true
	var served []Result
	for _, t := range r.Throughput {
		if t.Transport == "http" && t.Name != nameThroughputFloor && t.Name != nameThroughputMiss {
			served = append(served, t)
		}
	}
	for _, t := range served {
		errs += t.Errors
		if t.Sessions == 256 && (t.Errors > 0 || t.Calls == 0) {
			sessions256 = false
		}
		s := fmt.Sprintf("%.0f", t.Throughput)
		if strings.Contains(t.Name, "hit") {
			hits = append(hits, s)
		} else {
			slow = append(slow, s)
		}
	}
	judge("zero errors at 256 concurrent sessions; throughput rising with concurrency until the CPUs saturate",
		len(served) > 0, sessions256 && errs == 0 && rising(served),
		"%d errors; calls/s at %s sessions: hits %s; %s-latency model %s", errs, joinInts(concurrencyLevels), strings.Join(hits, " → "), slowLatency(r), strings.Join(slow, " → "))

	floor, okF := r.result(nameThroughputFloor)
	hit, okH := r.result(nameThroughputHit(ratioSessions))
	miss64, okM := r.result(nameThroughputMiss)
	okF = okF && floor.Throughput > 0 && floor.CPUPer1k > 0
	judge(fmt.Sprintf("%d HTTP sessions: cache hits/s at least %g× the no-op floor's calls/s", ratioSessions, targetLoadHits),
		okF && okH, hit.Throughput >= targetLoadHits*floor.Throughput,
		"%.2f× (%.0f vs %.0f calls/s)", hit.Throughput/floor.Throughput, hit.Throughput, floor.Throughput)
	judge(fmt.Sprintf("%d HTTP sessions: CPU per hit at most %g× the floor's per call, per miss %g×", ratioSessions, targetLoadHitCPU, targetLoadMissCPU),
		okF && okH && okM, hit.CPUPer1k <= targetLoadHitCPU*floor.CPUPer1k && miss64.CPUPer1k <= targetLoadMissCPU*floor.CPUPer1k,
		"hit %.2f×, miss %.2f× (%.0f, %.0f vs %.0f CPU ms/1k calls)", hit.CPUPer1k/floor.CPUPer1k, miss64.CPUPer1k/floor.CPUPer1k, hit.CPUPer1k, miss64.CPUPer1k, floor.CPUPer1k)

	if co := r.Coalescing; co != nil {
		judge(fmt.Sprintf("%d identical concurrent requests → 1 upstream call", co.Requests), co.Errors == 0 || co.UpstreamCalls > 0,
			co.UpstreamCalls == 1 && co.Errors == 0, "%d upstream call(s), %d errors", co.UpstreamCalls, co.Errors)
	}
	if fl := r.Fleet; fl != nil && fl.Skipped == "" {
		judge(fmt.Sprintf("%d identical concurrent requests over %d replicas sharing one Redis → 1 upstream call", fl.Requests, fl.Replicas),
			fl.Rounds > 0, fl.UpstreamCalls == int64(fl.Rounds) && fl.Errors == 0, "%d upstream call(s) in %d round(s), %d errors", fl.UpstreamCalls, fl.Rounds, fl.Errors)
	}
	if m := r.Memory; m != nil {
		judge(fmt.Sprintf("RSS under %.0f MiB idle", targetIdleRSS), m.IdleRSS > 0, m.IdleRSS < targetIdleRSS, "%.1f MiB", m.IdleRSS)
		if n := len(m.Points); n > 0 {
			p := m.Points[n-1]
			judge(fmt.Sprintf("under %.1f KiB of overhead per cached 1 KiB answer", targetOverheadKiB), p.RSSPerAnswer > 0,
				p.Overhead < targetOverheadKiB, "%.2f KiB at %d answers (%.0f bytes of RSS each)", p.Overhead, p.Entries, p.RSSPerAnswer)
		} else {
			judge(fmt.Sprintf("under %.1f KiB of overhead per cached 1 KiB answer", targetOverheadKiB), false, false, "")
		}
	}
	for _, s := range r.Startup {
		if s.Name == nameStartGateway {
			judge(fmt.Sprintf("start-up to the initialize answer under %.0f ms", targetStartupMs), s.Errors == 0 && s.Runs > 0,
				s.P50 < targetStartupMs, "%.1f ms p50, %.1f ms p99", s.P50, s.P99)
		}
	}
	for _, a := range r.Admission {
		if a.Backend == AdmissionSQLite {
			judge(fmt.Sprintf("admission (limits and a budget) with SQLite under %.0f µs p50 per call", targetAdmissionSQLiteP50),
				a.Error == "" && a.Calls > 0, a.P50 < targetAdmissionSQLiteP50, "%.1f µs p50, %.1f µs p99", a.P50, a.P99)
		}
	}
	if h, ok := r.result(nameStdioHit); ok {
		judge(fmt.Sprintf("aim beyond the issue: a cache hit over stdio under %.0f µs p50", targetStdioHitP50Us), true,
			h.P50 < targetStdioHitP50Us, "%.0f µs", h.P50)
	}
	return out
}

// rising reports whether throughput grows with sessions until it levels
// off: each level reaches at least 80% of the best before it (no collapse
// under load), and the model-latency runs, which do not saturate the
// CPUs, rise at every step.
func rising(rs []Result) bool {
	best := map[bool]float64{}
	for _, r := range rs {
		hit := strings.Contains(r.Name, "hit")
		if r.Throughput < 0.8*best[hit] {
			return false
		}
		if !hit && r.Throughput <= best[hit] && best[hit] > 0 {
			return false
		}
		best[hit] = max(best[hit], r.Throughput)
	}
	return true
}

func slowLatency(r *Report) string {
	for _, t := range r.Throughput {
		if _, after, ok := strings.Cut(t.Name, "model "); ok {
			return strings.SplitN(after, ",", 2)[0]
		}
	}
	return "slow"
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, "/")
}
