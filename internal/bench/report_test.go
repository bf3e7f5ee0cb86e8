package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 0.5, 3 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
		}
	}
}

func TestFindAnswer(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		want                    string
		wantErr                 string
	}{
		{"json", "application/json", `{"jsonrpc":"2.0","id":3,"result":{"ok":true}}`, `{"ok":true}`, ""},
		{"event stream", "text/event-stream",
			"event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n" +
				"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"ok\":1}}\n\n", `{"ok":1}`, ""},
		{"error", "application/json", `{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"bad"}}`, "", "json-rpc error -32602: bad"},
		{"other id", "application/json", `{"jsonrpc":"2.0","id":4,"result":{}}`, "", "no answer to request 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findAnswer(tt.contentType, []byte(tt.body), 3)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("findAnswer = %s, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("findAnswer = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	if got, want := slug("http: generate miss, model 300ms, 16 sessions"), "http-generate-miss-model-300ms-16-sessions"; got != want {
		t.Errorf("slug = %q, want %q", got, want)
	}
}

// sampleReport is a full run's shape with made-up figures.
func sampleReport() *Report {
	r := &Report{
		Machine: Machine{CPU: "Test CPU", Cores: 2, GOMAXPROCS: 2, Go: "go1.x", OS: "linux/amd64"},
		Started: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Elapsed: "1m0s",
		Latency: []Result{
			{Name: nameStdioRaw, Calls: 10, P50: 20, P99: 40},
			{Name: nameStdioFloor, Calls: 10, P50: 400, P99: 600},
			{Name: nameStdioHit, Calls: 10, P50: 480, P99: 700},
			{Name: nameStdioMiss, Calls: 10, P50: 900, P99: 1500},
			{Name: nameHTTPFloor, Calls: 10, P50: 600, P99: 900},
			{Name: nameHTTPHit, Calls: 10, P50: 900, P99: 1200},
			{Name: nameHTTPMiss, Calls: 10, P50: 400, P99: 1400},
			{Name: nameOpenAIMiss, Calls: 10, P50: 450, P99: 800},
			{Name: nameDirect, Calls: 10, P50: 300, P99: 500},
			{Name: nameInProcessMiss, Calls: 10, P50: 350, P99: 700},
		},
		Coalescing: &Coalescing{Requests: 100, Sessions: 100, UpstreamCalls: 1, Shared: 99, Wall: "301ms"},
		Fleet: &Fleet{Replicas: 3, Requests: 60, Rounds: 5, UpstreamCalls: 5, Shared: 295, Wall: "305ms", Cost: []Result{
			{Name: nameFleetLocalHit, Calls: 10, P50: 100, P99: 200, CPUPer1k: 90},
			{Name: nameFleetSharedHit, Calls: 10, P50: 180, P99: 400, CPUPer1k: 130},
			{Name: nameFleetMissAlone, Calls: 10, P50: 350, P99: 700, CPUPer1k: 400},
			{Name: nameFleetMiss, Calls: 10, P50: 700, P99: 1500, CPUPer1k: 550},
		}},
		Memory:  &Memory{IdleRSS: 12, AnswerBytes: 1024, Points: []MemoryPoint{{Entries: 1000, RSS: 20, RSSPerAnswer: 2048, Overhead: 1}}},
		Startup: []Startup{{Name: nameStartGateway, Runs: 3, P50: 12, P99: 15}},
		Experiments: []Result{
			{Name: experimentName(nameStdioHit, "GOGC=400"), Calls: 10, P50: 420, P99: 650},
		},
	}
	for _, n := range concurrencyLevels {
		r.Throughput = append(r.Throughput,
			Result{Name: nameThroughputHit(n), Transport: "http", Sessions: n, Calls: 100, Throughput: float64(1000 + n)},
		)
	}
	r.Throughput = append(r.Throughput,
		Result{Name: nameThroughputFloor, Transport: "http", Sessions: ratioSessions, Calls: 100, Throughput: 800, CPUPer1k: 500},
		Result{Name: nameThroughputMiss, Transport: "http", Sessions: ratioSessions, Calls: 100, Throughput: 300, CPUPer1k: 800})
	for _, n := range concurrencyLevels {
		r.Throughput = append(r.Throughput,
			Result{Name: nameThroughputSlow(n, 300*time.Millisecond), Transport: "http", Sessions: n, Calls: n, Throughput: float64(3 * n)},
		)
	}
	r.Checks = checks(r)
	return r
}

func TestChecks(t *testing.T) {
	got := map[string]string{}
	for _, c := range sampleReport().Checks {
		got[c.Target] = c.Status
	}
	want := map[string]string{
		"stdio: cache hit p50 within 1.2× the no-op floor's":                                                                    statusMet,
		"Streamable HTTP: cache hit p50 within 1.15× the no-op floor's":                                                         statusMissed,
		"MCP Streamable HTTP: a miss adds at most 0.4× the direct SDK call's p50 and 1 ms p99 (front's miss − direct Converse)": statusMet,
		"OpenAI API: a miss adds at most 0.4× the direct SDK call's p50 and 1 ms p99 (front's miss − direct Converse)":          statusMissed,
		"gateway overhead on a miss (miss − direct SDK call) under 100 µs p50 and 300 µs p99":                                   statusMet,
		"zero errors at 256 concurrent sessions; throughput rising with concurrency until the CPUs saturate":                    statusMet,
		"100 identical concurrent requests → 1 upstream call":                                                                   statusMet,
		"64 HTTP sessions: cache hits/s at least 1.3× the no-op floor's calls/s":                                                statusMet,
		"64 HTTP sessions: CPU per hit at most 0.8× the floor's per call, per miss 1.5×":                                        statusMissed,
		"60 identical concurrent requests over 3 replicas sharing one Redis → 1 upstream call":                                  statusMet,
		"RSS under 30 MiB idle":                                         statusMet,
		"under 2.5 KiB of overhead per cached 1 KiB answer":             statusMet,
		"start-up to the initialize answer under 30 ms":                 statusMet,
		"aim beyond the issue: a cache hit over stdio under 150 µs p50": statusMissed,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
}

func TestQuickRunIsNotJudged(t *testing.T) {
	r := sampleReport()
	r.Quick = true
	for _, c := range checks(r) {
		if c.Status != statusNotJudged {
			t.Errorf("quick run: check %q is %q, want %q", c.Target, c.Status, statusNotJudged)
		}
	}
}

func TestWriteReports(t *testing.T) {
	r := sampleReport()
	var md, text strings.Builder
	if err := r.WriteMarkdown(&md, "llm-gateway bench --out docs/BENCHMARKS.md"); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Benchmarks",
		"Generated by `llm-gateway bench --out docs/BENCHMARKS.md`",
		"| CPU | Test CPU |",
		"| " + nameStdioHit + " | 10 | 0 | 480 | 700 |",
		"a cache hit costs +80 µs p50 over the no-op floor (1.20×)",
		"gateway core on a miss, in process (Gateway.Generate − direct Converse): +50 µs p50, +200 µs p99",
		"| " + nameStdioHit + " | GOGC=400 | 480 → 420 | 700 → 650 |",
		"| 100 | 1 | 99 | 0 | 301ms |",
		"| 3 | 60 | 5 | 5 | 295 | 0 | 305ms |",
		"| " + nameFleetSharedHit + " | " + nameFleetLocalHit + " | 80.0 | 200 | 40.0 |",
		"| " + nameFleetMiss + " | " + nameFleetMissAlone + " | 350 | 800 | 150 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if !strings.Contains(text.String(), "[met] 100 identical concurrent requests → 1 upstream call") {
		t.Errorf("text report lacks the coalescing check:\n%s", text.String())
	}
	if !strings.Contains(text.String(), "fleet, Redis per call: "+nameFleetMiss+" adds 350 µs p50") {
		t.Errorf("text report lacks what Redis adds to a miss:\n%s", text.String())
	}
	if f := r.Failures(); len(f) != 0 {
		t.Errorf("Failures() = %q, want none", f)
	}
	r.Fleet.Cost[3].Errors, r.Fleet.Cost[3].FirstError = 1, "redis down"
	if f := r.Failures(); len(f) != 1 || !strings.Contains(f[0], "redis down") {
		t.Errorf("Failures() = %q, want the fleet's failed row", f)
	}
	r.Fleet.Cost[3].Errors = 0
	r.Latency[0].Errors, r.Latency[0].FirstError = 2, "boom"
	if f := r.Failures(); len(f) != 1 || !strings.Contains(f[0], "boom") {
		t.Errorf("Failures() = %q, want the failed scenario", f)
	}
}

// TestFleetSkipped: without a Redis the fleet section says so, and no
// check judges it.
func TestFleetSkipped(t *testing.T) {
	r := sampleReport()
	r.Fleet = &Fleet{Skipped: "no Redis at " + benchRedisURL}
	r.Checks = checks(r)
	var md, text strings.Builder
	if err := r.WriteMarkdown(&md, "test"); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "Skipped: no Redis at") || !strings.Contains(text.String(), "fleet: skipped: no Redis at") {
		t.Errorf("reports do not say the fleet was skipped:\n%s\n%s", md.String(), text.String())
	}
	for _, c := range r.Checks {
		if strings.Contains(c.Target, "replicas") {
			t.Errorf("check %q judged a skipped fleet", c.Target)
		}
	}
}

// TestPeerRatios derives the side-by-side table: added latency over the
// direct call, and each figure as a ratio to llm-gateway's.
func TestPeerRatios(t *testing.T) {
	peers := []Result{
		{Name: namePeerDirect, P50: 400, P99: 600, CPUPer1k: 900, PeakRSS: 30},
		{Name: namePeerProxy, P50: 600, P99: 900, CPUPer1k: 150, PeakRSS: 15},
		{Name: namePeerOurs, P50: 800, P99: 1400, CPUPer1k: 500, PeakRSS: 25},
		{Name: portkeyName, P50: 3600, P99: 5000, CPUPer1k: 3000, PeakRSS: 100},
		{Name: "peers: broken", Errors: 1, FirstError: "boom"},
	}
	got, err := peerRatios(peers)
	if err != nil {
		t.Fatal(err)
	}
	want := []PeerRatio{
		{Name: namePeerProxy, AddedP50: 200, AddedP99: 300, CPUPer1k: 150, PeakRSS: 15, P50Ratio: 0.5, CPURatio: 0.3, RSSRatio: 0.6},
		{Name: namePeerOurs, AddedP50: 400, AddedP99: 800, CPUPer1k: 500, PeakRSS: 25, P50Ratio: 1, CPURatio: 1, RSSRatio: 1, IsGateway: true},
		{Name: portkeyName, AddedP50: 3200, AddedP99: 4400, CPUPer1k: 3000, PeakRSS: 100, P50Ratio: 8, CPURatio: 6, RSSRatio: 4},
		{Name: "peers: broken", Errors: 1, FirstErr: "boom"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("peerRatios (-want +got):\n%s", d)
	}
	if _, err := peerRatios(peers[1:]); err == nil {
		t.Error("peerRatios without the direct call: no error")
	}
	var md strings.Builder
	if err := (&Report{Peers: peers}).WriteMarkdown(&md, "test"); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{
		"| " + portkeyName + " | 3200 | 8.00× | 4400 | 3000 | 6.00× | 100 | 4.00× |",
		"| peers: broken | error: boom |",
	} {
		if !strings.Contains(md.String(), row) {
			t.Errorf("markdown lacks %q:\n%s", row, md.String())
		}
	}
}
