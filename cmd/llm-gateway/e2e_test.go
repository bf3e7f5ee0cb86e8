package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

// binary is the llm-gateway built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "llm-gateway-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "llm-gateway")
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build llm-gateway:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testKey    = "AKIDE2ETEST"
	testSecret = "e2e-secret"
)

// startSim serves a Bedrock simulator in the test process, so that a test
// can count the upstream calls a gateway made.
func startSim(t *testing.T) (*bedrocksim.Server, string) {
	t.Helper()
	sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: testKey, SecretAccessKey: testSecret, Region: "us-east-1"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// startHangingSim serves the simulator, except the calls hang picks
// (it sees every call): those wait until the test ends or their caller
// gives up. arrived receives once, when the first of them has come.
func startHangingSim(t *testing.T, hang func(*http.Request) bool) (url string, arrived <-chan struct{}) {
	t.Helper()
	sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: testKey, SecretAccessKey: testSecret, Region: "us-east-1"})
	first := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hang(r) {
			sim.ServeHTTP(w, r)
			return
		}
		select {
		case first <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for handlers
	return srv.URL, first
}

// gatewayEnv is a clean environment that points a gateway at the simulator.
func gatewayEnv(simURL string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + testKey,
		"AWS_SECRET_ACCESS_KEY=" + testSecret,
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + simURL,
		"BEDROCK_MAX_ATTEMPTS=1",
		"LOG_LEVEL=DEBUG",
		"STORE_URL=memory:", // each test its own ledger and cache; ledger tests name a file
	}
	return append(env, extra...)
}

// connect starts the gateway binary over stdio and returns an MCP session.
func connect(t *testing.T, env []string, args ...string) (*mcp.ClientSession, *lockedBuilder) {
	t.Helper()
	return connectWith(t, nil, env, args...)
}

// connectWith is connect with client options (a progress handler, say).
// It speaks protocol 2025-11-25, as most clients in use do, in which a
// session initializes and generate is answered by mcpserver.Lane;
// connectLatest speaks the SDK's latest.
func connectWith(t *testing.T, copts *mcp.ClientOptions, env []string, args ...string) (*mcp.ClientSession, *lockedBuilder) {
	t.Helper()
	return connectProtocol(t, "2025-11-25", copts, env, args...)
}

// connectLatest is connect in the client SDK's latest protocol version
// (2026-07-28: no initialize, every call stateless and answered by the SDK).
func connectLatest(t *testing.T, env []string, args ...string) (*mcp.ClientSession, *lockedBuilder) {
	t.Helper()
	return connectProtocol(t, "", nil, env, args...)
}

func connectProtocol(t *testing.T, version string, copts *mcp.ClientOptions, env []string, args ...string) (*mcp.ClientSession, *lockedBuilder) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir() // no stray .env
	stderr := &lockedBuilder{}
	cmd.Stderr = stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-agent", Version: "1"}, copts)
	session, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { session.Close() })
	return session, stderr
}

type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// call calls a tool and decodes its structured result into out (if not nil).
func call(t *testing.T, s *mcp.ClientSession, tool string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("CallTool(%s): %v", tool, err)
	}
	if res.IsError {
		t.Fatalf("CallTool(%s, %v) is an error: %s", tool, args, text(res))
	}
	if out != nil {
		decode(t, res, out)
		// The same JSON is given as text, for clients that read only text.
		var fromText any
		if err := json.Unmarshal([]byte(text(res)), &fromText); err != nil || !reflect.DeepEqual(fromText, res.StructuredContent) {
			t.Errorf("%s text content is not the structured JSON (%v)", tool, err)
		}
	}
	return res
}

// decode reads a result's structured content into out.
func decode(t *testing.T, res *mcp.CallToolResult, out any) {
	t.Helper()
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode result: %v", err)
	}
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func user(text string) []map[string]any {
	return []map[string]any{{"role": "user", "content": text}}
}

type generateResult struct {
	Content string `json:"content"`
	Model   string `json:"model"`
	ModelID string `json:"model_id"`
	Usage   struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
	FinishReason     string   `json:"finish_reason"`
	Cached           bool     `json:"cached"`
	LatencyMs        float64  `json:"latency_ms"`
	EstimatedCostUSD *float64 `json:"estimated_cost_usd"`
}

type statsResult struct {
	Metrics struct {
		TotalRequests       int            `json:"total_requests"`
		TotalTokens         int            `json:"total_tokens"`
		TotalCostUSD        float64        `json:"total_cost_usd"`
		CacheHitRatePercent float64        `json:"cache_hit_rate_percent"`
		AverageLatencyMs    float64        `json:"average_latency_ms"`
		RequestsByModel     map[string]int `json:"requests_by_model"`
		ErrorsByKind        map[string]int `json:"errors_by_kind"`
		CostSavedUSD        float64        `json:"cost_saved_usd"`
		RequestsByAgent     map[string]any `json:"requests_by_agent"`
		FallbackRequests    int            `json:"fallback_requests"`
	} `json:"metrics"`
	Cache struct {
		CurrentSize int  `json:"current_size"`
		MaxSize     int  `json:"max_size"`
		Enabled     bool `json:"enabled"`
	} `json:"cache"`
	Gateway struct {
		Simulated bool `json:"simulated"`
		InFlight  int  `json:"in_flight_requests"`
	} `json:"gateway"`
}

// TestStdioSeedScenario walks the seed README's scenario: list the models,
// generate with several families (one with a system message), ask the same
// again and get it from the cache, then read the stats.
func TestStdioSeedScenario(t *testing.T) {
	sim, url := startSim(t)
	s, stderr := connect(t, gatewayEnv(url))

	if got := s.InitializeResult().ServerInfo; got.Name != "llm-gateway" || got.Version == "" {
		t.Errorf("serverInfo = %+v, want llm-gateway with a version", got)
	}
	var models struct {
		Models []map[string]any `json:"models"`
		Count  int              `json:"count"`
	}
	call(t, s, "list_models", map[string]any{"detail": true}, &models) // the seed's full list
	names := map[string]map[string]any{}
	for _, m := range models.Models {
		names[m["name"].(string)] = m
	}
	for _, seed := range []string{"nova-pro", "nova-lite", "nova-micro", "claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-opus", "claude-3-sonnet", "claude-3-haiku", "llama-3-3-70b", "llama-3-2-90b", "llama-3-2-11b", "llama-3-1-70b", "llama-3-1-8b", "mistral-large-2", "mistral-small"} {
		m, ok := names[seed]
		if !ok {
			t.Errorf("list_models lacks the seed's %q", seed)
			continue
		}
		for _, f := range []string{"name", "model_id", "description", "context_window", "input_cost_per_1k", "output_cost_per_1k", "supports_system", "max_tokens"} {
			if m["callable"] == false && strings.Contains(f, "cost") {
				continue // not served from this Region: no price applies (mistral-large-2 is us-west-2 only)
			}
			if _, ok := m[f]; !ok {
				t.Errorf("list_models %q lacks the seed's field %q", seed, f)
			}
		}
	}
	if got := names["nova-pro"]["model_id"]; got != "us.amazon.nova-pro-v1:0" {
		t.Errorf("nova-pro model_id = %v, want the seed's us.amazon.nova-pro-v1:0", got)
	}

	var tokens int
	for _, model := range []string{"nova-pro", "claude-sonnet-4-6", "llama-3-3-70b", "mistral-small"} {
		var r generateResult
		call(t, s, "generate", map[string]any{
			"model":       model,
			"messages":    []map[string]any{{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is AI? [sim:echo]"}},
			"temperature": 0.7,
			"max_tokens":  500,
		}, &r)
		if r.Model != model || r.Cached || r.FinishReason != "stop" || r.Usage.TotalTokens == 0 || r.EstimatedCostUSD == nil || *r.EstimatedCostUSD <= 0 {
			t.Errorf("generate(%s) = %+v, want a fresh priced answer", model, r)
		}
		if !strings.Contains(r.Content, "Answer briefly.") {
			t.Errorf("generate(%s): the system message did not reach Bedrock; sim saw %s", model, r.Content)
		}
		tokens += r.Usage.TotalTokens
	}
	callsBefore := sim.Calls()
	var again generateResult
	call(t, s, "generate", map[string]any{
		"model":       "nova-pro",
		"messages":    []map[string]any{{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is AI? [sim:echo]"}},
		"temperature": 0.7,
		"max_tokens":  500,
	}, &again)
	if !again.Cached || *again.EstimatedCostUSD != 0 {
		t.Errorf("repeat generate = cached %v cost %v, want cached at no cost", again.Cached, *again.EstimatedCostUSD)
	}
	if sim.Calls() != callsBefore {
		t.Errorf("a cached answer reached Bedrock")
	}

	var st statsResult
	call(t, s, "get_stats", nil, &st)
	m := st.Metrics
	if m.TotalRequests != 5 || m.RequestsByModel["nova-pro"] != 2 || m.TotalTokens != tokens || m.TotalCostUSD <= 0 || m.CostSavedUSD <= 0 {
		t.Errorf("stats metrics = %+v, want 5 requests (2 nova-pro), %d tokens, spend and savings", m, tokens)
	}
	if m.CacheHitRatePercent != 20 {
		t.Errorf("cache_hit_rate_percent = %v, want 20", m.CacheHitRatePercent)
	}
	if _, ok := m.RequestsByAgent["e2e-agent"]; !ok {
		t.Errorf("requests_by_agent = %v, want the client's name e2e-agent", m.RequestsByAgent)
	}
	if !st.Cache.Enabled || st.Cache.CurrentSize != 4 || st.Cache.MaxSize != 1000 || st.Gateway.Simulated {
		t.Errorf("stats cache/gateway = %+v %+v, want enabled, 4 of 1000, not simulated", st.Cache, st.Gateway)
	}
	// Logs went to stderr, at DEBUG here; prompts are not logged by
	// default, and secrets never.
	logs := stderr.String()
	if !strings.Contains(logs, "generate") || !strings.Contains(logs, "AWS_SECRET_ACCESS_KEY") || strings.Contains(logs, "What is AI?") || strings.Contains(logs, testSecret) {
		t.Errorf("stderr should log calls and settings without prompts or secrets:\n%s", logs)
	}
}

func TestStdioToolErrors(t *testing.T) {
	_, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url))
	tests := []struct {
		name string
		args map[string]any
		want []string // parts of the error text
	}{
		{"unknown model", map[string]any{"model": "nova-prp", "messages": user("hi")}, []string{"[unknown_model]", "nova-pro"}},
		{"no model", map[string]any{"messages": user("hi")}, []string{"[invalid_request]", "model"}},
		{"end of life", map[string]any{"model": "claude-3-5-sonnet", "messages": user("hi")}, []string{"[model_end_of_life]", "claude-sonnet-4-6"}},
		{"no messages", map[string]any{"model": "nova-lite", "messages": []any{}}, []string{"messages", "at least one"}},
		{"bad role", map[string]any{"model": "nova-lite", "messages": []map[string]any{{"role": "bot", "content": "x"}}}, []string{"messages[0].role", "bot"}},
		{"empty content", map[string]any{"model": "nova-lite", "messages": user("")}, []string{"messages[0].content", "empty"}},
		{"temperature out of range", map[string]any{"model": "nova-lite", "messages": user("hi"), "temperature": 1.5}, []string{"temperature", "0 to 1"}},
		{"temperature not a number", map[string]any{"model": "nova-lite", "messages": user("hi"), "temperature": "hot"}, []string{"temperature", "number"}},
		{"max_tokens zero", map[string]any{"model": "nova-lite", "messages": user("hi"), "max_tokens": 0}, []string{"max_tokens", "at least 1"}},
		{"max_tokens too high", map[string]any{"model": "nova-lite", "messages": user("hi"), "max_tokens": 999999}, []string{"max_tokens", "1 to 10000"}},
		{"misspelt field", map[string]any{"model": "nova-lite", "messages": user("hi"), "temprature": 0.5}, []string{"unknown field", "temprature"}},
		{"input too large", map[string]any{"model": "nova-lite", "messages": user(strings.Repeat("x", 1<<20+1))}, []string{"limit"}},
		{"throttled upstream", map[string]any{"model": "nova-lite", "messages": user("hi [sim:throttle]")}, []string{"[throttled]"}},
		{"failing upstream", map[string]any{"model": "nova-lite", "messages": user("hi [sim:error=500]")}, []string{"[unavailable]"}},
		{"bad capability filter", nil, []string{"capability"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tool, args := "generate", tt.args
			if args == nil {
				tool, args = "list_models", map[string]any{"capability": "telepathy"}
			}
			res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: args})
			if err != nil {
				t.Fatalf("CallTool: %v (want a tool error, not a protocol error)", err)
			}
			got := text(res)
			if !res.IsError {
				t.Fatalf("CallTool(%v) succeeded with %s, want an error", args, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("error %q does not mention %q", got, w)
				}
			}
		})
	}
}

// TestStdioIdenticalRequestsShareOneCall: however the calls interleave, the
// cache and in-flight sharing together let exactly one reach Bedrock.
func TestStdioIdenticalRequestsShareOneCall(t *testing.T) {
	sim, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url))
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			call(t, s, "generate", map[string]any{"model": "nova-micro", "messages": user("same question [sim:latency=50ms]")}, nil)
		})
	}
	wg.Wait()
	if got := sim.Calls(); got != 1 {
		t.Errorf("upstream calls for %d identical requests = %d, want 1", n, got)
	}
}

func TestStdioCancellationStopsTheBedrockCall(t *testing.T) {
	_, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "nova-lite", "messages": user("slow [sim:latency=1h]")}})
		done <- err
	}()
	// Cancel once the gateway is calling Bedrock.
	waitStats(t, s, "a call in flight", func(st statsResult) bool { return st.Gateway.InFlight == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled call returned no error")
	}
	// The call is recorded as cancelled, and the Bedrock call ends: with a
	// one-hour latency, that can only be by cancellation.
	waitStats(t, s, "the canceled call ended", func(st statsResult) bool {
		return st.Metrics.ErrorsByKind["canceled"] == 1 && st.Gateway.InFlight == 0
	})
}

// waitStats polls get_stats until cond holds, a bounded number of times.
func waitStats(t *testing.T, s *mcp.ClientSession, what string, cond func(statsResult) bool) statsResult {
	t.Helper()
	var st statsResult
	for range 5000 {
		st = statsResult{}
		call(t, s, "get_stats", nil, &st)
		if cond(st) {
			return st
		}
	}
	t.Fatalf("get_stats never showed %s: %+v", what, st)
	return st
}

func TestStdioExitsCleanlyWhenStdinCloses(t *testing.T) {
	_, url := startSim(t)
	cmd := exec.Command(binary)
	cmd.Env = gatewayEnv(url)
	cmd.Dir = t.TempDir()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit = %v, want 0; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("gateway did not exit after stdin closed")
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing but protocol messages (none were asked for)", stdout.String())
	}
}

func TestCallSubcommandWithSimulator(t *testing.T) {
	cmd := exec.Command(binary, "call", "generate", "--simulate", "--arg", "model=nova-lite", "--prompt", "What is AI?")
	cmd.Env = gatewayEnv("")
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("call generate: %v", err)
	}
	var r generateResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("call output is not the generate JSON: %v\n%s", err, out)
	}
	if r.Model != "nova-lite" || r.Content == "" || r.ModelID != "us.amazon.nova-lite-v1:0" {
		t.Errorf("call generate = %+v", r)
	}
}

// TestStdioLatestProtocol: a client of the newest protocol (2026-07-28, no
// initialize, every call carrying its own metadata) is answered by the SDK,
// not the lane, with the same answers.
func TestStdioLatestProtocol(t *testing.T) {
	_, url := startSim(t)
	s, _ := connectLatest(t, gatewayEnv(url))
	args := map[string]any{"model": "nova-lite", "messages": []map[string]any{{"role": "user", "content": "latest protocol"}}}
	var first, again generateResult
	call(t, s, "generate", args, &first)
	call(t, s, "generate", args, &again)
	if first.Cached || !again.Cached || again.Content != first.Content {
		t.Errorf("generate twice = %+v then %+v; want a miss then the same answer from the cache", first, again)
	}
}
