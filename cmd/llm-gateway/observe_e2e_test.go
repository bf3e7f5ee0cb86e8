package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/llm-gateway/llm-gateway/internal/dashboard"
)

const adminKeyE2E = "admin-key-0123456789abcdef"

// scrape reads /metrics at url with an optional bearer key and returns the
// status and, on 200, the parsed families.
func scrape(t *testing.T, url, key string) (int, map[string]float64) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	// Each family's sum over its series, and each series by its labels.
	sums := make(map[string]float64)
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var v float64
			switch {
			case m.Counter != nil:
				v = m.GetCounter().GetValue()
			case m.Gauge != nil:
				v = m.GetGauge().GetValue()
			case m.Histogram != nil:
				v = float64(m.GetHistogram().GetSampleCount())
			default:
				continue
			}
			sums[name] += v
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sums[name+"{"+strings.Join(labels, ",")+"}"] += v
		}
	}
	return resp.StatusCode, sums
}

// TestHTTPMetrics: calls made through MCP show in /metrics as get_stats
// counts them; /metrics opens to admin keys and METRICS_TOKEN, never to an
// agent's key.
func TestHTTPMetrics(t *testing.T) {
	_, simURL := startSim(t)
	keysEnv, keys := agentKeys(2)
	policy := t.TempDir() + "/policy.yaml"
	if err := os.WriteFile(policy, []byte("agents:\n  agent-00:\n    budget: { daily_usd: 5 }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startHTTPGateway(t, gatewayEnv(simURL, keysEnv, "ADMIN_KEYS=ops:"+adminKeyE2E, "METRICS_TOKEN=scraper-token-0123456789", "POLICY_FILE="+policy))
	s := httpSession(t, g, keys["agent-00"], false)

	for i := range 3 { // two calls upstream, one from the cache
		call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user(fmt.Sprintf("question %d", i%2))}, nil)
	}
	res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "no-such-model", "messages": user("hi")}})
	if err != nil || !res.IsError {
		t.Fatalf("generate with an unknown model = %v, %v; want a tool error", res, err)
	}
	var stats struct {
		Metrics struct {
			TotalRequests int64   `json:"total_requests"`
			TotalCostUSD  float64 `json:"total_cost_usd"`
			CacheHits     int64   `json:"cache_hits"`
		} `json:"metrics"`
	}
	raw := call(t, s, "get_stats", nil, nil)
	if err := json.Unmarshal([]byte(text(raw)), &stats); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		key  string
		want int
	}{
		{"no key", "", http.StatusUnauthorized},
		{"agent key", keys["agent-00"], http.StatusUnauthorized},
		{"metrics token", "scraper-token-0123456789", http.StatusOK},
		{"admin key", adminKeyE2E, http.StatusOK},
	}
	for _, tt := range tests {
		if got, _ := scrape(t, g.url+"/metrics", tt.key); got != tt.want {
			t.Errorf("GET /metrics with %s = %d, want %d", tt.name, got, tt.want)
		}
	}

	_, m := scrape(t, g.url+"/metrics", adminKeyE2E)
	if got, want := m["llm_gateway_requests_total"], float64(stats.Metrics.TotalRequests); got != want || want != 4 {
		t.Errorf("sum of llm_gateway_requests_total = %v, get_stats total_requests = %v, want both 4", got, want)
	}
	if got, want := m["llm_gateway_cost_usd_total"], stats.Metrics.TotalCostUSD; math.Abs(got-want) > 1e-12 || want == 0 {
		t.Errorf("sum of llm_gateway_cost_usd_total = %v, get_stats total_cost_usd = %v", got, want)
	}
	if got := m["llm_gateway_cache_requests_total{result=hit}"]; got != float64(stats.Metrics.CacheHits) || got != 1 {
		t.Errorf("cache hits = %v, get_stats says %d, want 1", got, stats.Metrics.CacheHits)
	}
	if got := m["llm_gateway_budget_remaining_usd{agent=agent-00,period=budget.daily_usd}"]; math.Abs(got-(5-stats.Metrics.TotalCostUSD)) > 1e-9 {
		t.Errorf("agent-00's daily budget remaining = %v, want 5 less what it spent (%v)", got, stats.Metrics.TotalCostUSD)
	}
	if got := m["llm_gateway_requests_total{agent=agent-00,model=(other),outcome=unknown_model}"]; got != 1 {
		t.Errorf("the unknown model's request is not counted under (other): %v", m)
	}
	if got := m["gen_ai_client_token_usage{gen_ai_operation_name=chat,gen_ai_provider_name=aws.bedrock,gen_ai_request_model=nova-lite,gen_ai_token_type=output}"]; got != 2 {
		t.Errorf("gen_ai_client_token_usage output count for nova-lite = %v, want 2 (one per upstream call)", got)
	}
}

// TestStdioMetricsAddr: a stdio gateway serves /metrics on METRICS_ADDR.
func TestStdioMetricsAddr(t *testing.T) {
	_, simURL := startSim(t)
	s, stderr := connect(t, gatewayEnv(simURL, "LOG_FORMAT=json"), "--metrics-addr", "127.0.0.1:0")
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("hello")}, nil)
	var url string
	for line := range strings.SplitSeq(stderr.String(), "\n") {
		var rec struct{ Msg, URL string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "metrics listening" {
			url = rec.URL
		}
	}
	if url == "" {
		t.Fatalf("no \"metrics listening\" line:\n%s", stderr)
	}
	status, m := scrape(t, url, "")
	if status != http.StatusOK || m["llm_gateway_requests_total"] != 1 {
		t.Errorf("GET %s = %d with llm_gateway_requests_total %v, want 200 and 1", url, status, m["llm_gateway_requests_total"])
	}
}

// TestDashboardCommandReadsTheStore: `llm-gateway dashboard` shows the
// calls a stdio gateway recorded in the shared store, and its spend
// against the policy's budgets, which it keeps there too.
func TestDashboardCommandReadsTheStore(t *testing.T) {
	_, simURL := startSim(t)
	dir := t.TempDir()
	store := "sqlite:" + dir + "/gateway.db"
	policyFile := dir + "/policy.yaml"
	if err := os.WriteFile(policyFile, []byte("defaults:\n  budget: { daily_usd: 5 }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := connect(t, gatewayEnv(simURL, "STORE_URL="+store, "POLICY_FILE="+policyFile, "AGENT_NAME=dash-agent"))
	var first struct {
		Cost float64 `json:"estimated_cost_usd"`
	}
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("hello")}, &first)
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("hello")}, nil)
	s.Close()

	cmd := exec.Command(binary, "dashboard", "--addr", "127.0.0.1:0", "--store", store)
	cmd.Env = gatewayEnv(simURL, "POLICY_FILE="+policyFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dashboard printed no address: %v", err)
	}
	url := strings.Fields(strings.TrimPrefix(line, "dashboard: "))[0]
	resp, err := http.Get(url + "api/summary")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum struct {
		All struct {
			Requests  int64 `json:"requests"`
			CacheHits int64 `json:"cache_hits"`
		} `json:"all"`
		Budgets []dashboard.Budget `json:"budgets"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sum); err != nil {
		t.Fatal(err)
	}
	if sum.All.Requests != 2 || sum.All.CacheHits != 1 {
		t.Errorf("dashboard over the store shows %+v, want 2 requests, 1 from the cache", sum.All)
	}
	want := []dashboard.Budget{{Scope: "agent", Name: "dash-agent", Limit: "budget.daily_usd", MaxUSD: 5, UsedUSD: first.Cost, RemainingUSD: 5 - first.Cost}}
	if len(sum.Budgets) == 1 {
		want[0].ResetsAt = sum.Budgets[0].ResetsAt
	}
	if first.Cost <= 0 || !slices.EqualFunc(sum.Budgets, want, func(a, b dashboard.Budget) bool {
		return a.Scope == b.Scope && a.Name == b.Name && a.Limit == b.Limit && a.MaxUSD == b.MaxUSD &&
			math.Abs(a.UsedUSD-b.UsedUSD) < 1e-12 && math.Abs(a.RemainingUSD-b.RemainingUSD) < 1e-12 && a.ResetsAt != ""
	}) {
		t.Errorf("dashboard budgets = %+v, want %+v (the one call that Bedrock answered)", sum.Budgets, want)
	}
}

// TestDashboardEventsEndAtShutdown: a dashboard page left open (its event
// stream) does not hold the http transport's shutdown for the grace
// period, here longer than the test's wait.
func TestDashboardEventsEndAtShutdown(t *testing.T) {
	_, simURL := startSim(t)
	g := startHTTPGateway(t, gatewayEnv(simURL, "SHUTDOWN_GRACE=10m"))
	resp, err := http.Get(g.url + "/ui/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("no summary event (status %d): %v", resp.StatusCode, err)
		}
		if line == "event: summary\n" {
			break
		}
	}
	if err := g.stop(t); err != nil {
		t.Errorf("gateway exited with %v", err)
	}
	if _, err := io.ReadAll(events); err != nil {
		t.Errorf("the event stream ended with %v, want its end", err)
	}
}
