package bench

import (
	"strings"
	"testing"
)

// TestServedScenarios runs every scenario served by a child, with a few
// calls each: they must complete without errors and measure something.
func TestServedScenarios(t *testing.T) {
	h := testHarness(t)
	for _, s := range h.served() {
		t.Run(slug(s.name), func(t *testing.T) {
			r := h.childScenario(t.Context(), s.name, s.transport, s.mode, nil, s.setup)
			if r.Errors != 0 {
				t.Fatalf("%s: %d errors, first: %s", s.name, r.Errors, r.FirstError)
			}
			if r.Calls != h.sizes.calls || r.P50 <= 0 || r.P99 < r.P50 {
				t.Errorf("%s = %+v, want %d calls with p99 >= p50 > 0", s.name, r, h.sizes.calls)
			}
			if r.Measured != measuredServer || r.PeakRSS <= 0 || r.AllocsPerCall <= 0 && !strings.Contains(s.name, "raw") {
				t.Errorf("%s = %+v, want the server's usage", s.name, r)
			}
		})
	}
}

// TestInterleaved measures the in-process scenarios and two served ones
// side by side, as runLatency does.
func TestInterleaved(t *testing.T) {
	h := testHarness(t)
	specs, done, err := h.inProcessSpecs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	var children []*child
	for _, s := range h.served() {
		if s.name != nameStdioHit && s.name != nameHTTPMiss {
			continue
		}
		spec, c, err := h.startServed(t.Context(), s.name, s.transport, s.mode, nil, s.setup)
		if err != nil {
			t.Fatal(err)
		}
		specs, children = append(specs, spec), append(children, c)
	}
	rs := measureInterleaved(t.Context(), specs, h.sizes.block)
	for _, c := range children {
		closeChild(c, &rs[0])
	}
	if len(rs) != 6 {
		t.Fatalf("measureInterleaved gave %d results, want 6", len(rs))
	}
	for _, r := range rs {
		if r.Errors != 0 || r.Calls != h.sizes.calls || r.P50 <= 0 || r.CPUPer1k <= 0 {
			t.Errorf("%s = %+v, want %d calls, no errors, latency and CPU", r.Name, r, h.sizes.calls)
		}
	}
}

func TestThroughputAndCoalescing(t *testing.T) {
	h := testHarness(t)
	h.runThroughput(t.Context())
	// Hits and slow misses at each level, and the floor and a miss at
	// ratioSessions.
	if got, want := len(h.report.Throughput), 2*len(h.sizes.levels)+2; got != want {
		t.Fatalf("runThroughput gave %d results, want %d", got, want)
	}
	for _, r := range h.report.Throughput {
		if r.Errors != 0 || r.Calls == 0 {
			t.Errorf("%s = %+v, want calls and no errors", r.Name, r)
		}
	}
	h.runConnectionPool(t.Context())
	for _, r := range h.report.Throughput[2*len(h.sizes.levels)+2:] {
		if want := h.sizes.poolCallers * h.sizes.missPerSession; r.Errors != 0 || r.Calls != want {
			t.Errorf("%s = %+v, want %d calls and no errors", r.Name, r, want)
		}
	}
	h.runCoalescing(t.Context())
	if co := h.report.Coalescing; co.Errors != 0 || co.UpstreamCalls != 1 || co.Shared != co.Requests-1 {
		t.Errorf("coalescing = %+v, want 1 upstream call and the rest shared", co)
	}
}

func TestMemoryAndStartup(t *testing.T) {
	h := testHarness(t)
	h.runMemory(t.Context())
	m := h.report.Memory
	// The three figures are each rounded to 0.1 MiB: the parts' sum may
	// exceed the whole by up to 0.1, and by a float's last bit more.
	if m.Errors != 0 || m.IdleRSS <= 0 || m.IdleAnon <= 0 || m.IdleFile <= 0 || m.IdleAnon+m.IdleFile > m.IdleRSS+0.15 ||
		len(m.Points) != 1 || m.Points[0].RSS <= 0 {
		t.Errorf("memory = %+v, want an idle RSS and one point", m)
	}
	h.runStartup(t.Context())
	for _, s := range h.report.Startup {
		if s.Errors != 0 || s.P50 <= 0 {
			t.Errorf("start-up %s = %+v, want a time and no errors", s.Name, s)
		}
	}
}

// TestPeersProxy runs the --peers rows without Portkey: the direct call,
// the reverse proxy and our OpenAI front, interleaved, and derives the
// side-by-side table from them.
func TestPeersProxy(t *testing.T) {
	h := testHarness(t)
	h.runPeers(t.Context())
	if len(h.report.Peers) != 3 {
		t.Fatalf("runPeers gave %d rows, want 3: %+v", len(h.report.Peers), h.report.Peers)
	}
	for _, r := range h.report.Peers {
		if r.Errors != 0 || r.Calls != h.sizes.calls || r.P50 <= 0 || r.CPUPer1k <= 0 {
			t.Errorf("%s = %+v, want %d calls, no errors, latency and CPU", r.Name, r, h.sizes.calls)
		}
	}
	proxy, ok := findResult(h.report.Peers, namePeerProxy)
	if !ok || proxy.Measured != measuredServer || proxy.PeakRSS <= 0 {
		t.Errorf("proxy row = %+v, want the proxy process's usage", proxy)
	}
	ratios, err := peerRatios(h.report.Peers)
	if err != nil {
		t.Fatal(err)
	}
	if len(ratios) != 2 || ratios[0].Name != namePeerProxy || !ratios[1].IsGateway || ratios[1].CPURatio != 1 || ratios[1].RSSRatio != 1 {
		t.Errorf("peerRatios = %+v, want the proxy, then llm-gateway at 1×", ratios)
	}
	var md strings.Builder
	if err := h.report.WriteMarkdown(&md, "test"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| "+namePeerProxy+" |") || !strings.Contains(md.String(), "× ours") {
		t.Errorf("markdown has no side-by-side table:\n%s", md.String())
	}
}

func findResult(rs []Result, name string) (Result, bool) {
	for _, r := range rs {
		if r.Name == name {
			return r, true
		}
	}
	return Result{}, false
}
