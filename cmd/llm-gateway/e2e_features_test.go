package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// progressLog collects the progress notifications a client receives.
type progressLog struct {
	mu     sync.Mutex
	texts  []string
	values []float64
	first  chan struct{} // closed at the first notification
	once   sync.Once
	more   chan struct{} // signalled at every notification
}

func newProgressLog() *progressLog {
	return &progressLog{first: make(chan struct{}), more: make(chan struct{}, 1)}
}

// waitFor waits until the notifications' texts concatenate to want. The
// client SDK may hand a notification to its handler after the result that
// followed it on the wire, so the test waits for the handler, not the wire.
func (p *progressLog) waitFor(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if got, _ := p.joined(); got == want {
			return
		}
		select {
		case <-p.more:
		case <-timeout:
			got, n := p.joined()
			t.Fatalf("%d progress messages concatenate to %q, want %q", n, got, want)
		}
	}
}

func (p *progressLog) options() *mcp.ClientOptions {
	return &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.texts = append(p.texts, r.Params.Message)
		p.values = append(p.values, r.Params.Progress)
		p.once.Do(func() { close(p.first) })
		select {
		case p.more <- struct{}{}:
		default:
		}
	}}
}

func (p *progressLog) joined() (string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.texts, ""), len(p.texts)
}

func TestStdioStreamingSendsDeltasAsProgress(t *testing.T) {
	_, url := startSim(t)
	progress := newProgressLog()
	s, _ := connectWith(t, progress.options(), gatewayEnv(url))
	params := &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{
		"model": "claude-haiku-4-5", "stream": true, "messages": user("Tell me a story"),
	}}
	params.SetProgressToken("story-1")
	res, err := s.CallTool(t.Context(), params)
	if err != nil || res.IsError {
		t.Fatalf("generate stream: %v %s", err, text(res))
	}
	var r struct {
		generateResult
		TTFT *float64 `json:"time_to_first_token_ms"`
	}
	decode(t, res, &r)
	progress.waitFor(t, r.Content)
	if _, n := progress.joined(); n < 2 {
		t.Errorf("the answer came in %d progress messages, want several", n)
	}
	progress.mu.Lock()
	for i, v := range progress.values {
		if v != float64(i+1) {
			t.Errorf("progress values %v do not rise one by one", progress.values)
			break
		}
	}
	progress.mu.Unlock()
	if r.TTFT == nil || r.Cached {
		t.Errorf("streamed result = %+v, want time_to_first_token_ms and a fresh answer", r)
	}

	// The completed stream was cached: the same request again is a hit.
	again, err := s.CallTool(t.Context(), params)
	if err != nil || again.IsError {
		t.Fatalf("repeat: %v", err)
	}
	var r2 generateResult
	decode(t, again, &r2)
	if !r2.Cached || r2.Content != r.Content {
		t.Errorf("repeat of a completed stream = cached %v, want a cache hit with the same content", r2.Cached)
	}
}

func TestStdioCancelMidStreamStopsBedrock(t *testing.T) {
	_, url := startSim(t)
	progress := newProgressLog()
	s, _ := connectWith(t, progress.options(), gatewayEnv(url))
	ctx, cancel := context.WithCancel(t.Context())
	params := &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{
		"model": "nova-lite", "stream": true, "messages": user("a long answer [sim:token-delay=1h]"),
	}}
	params.SetProgressToken(1)
	done := make(chan error, 1)
	go func() {
		_, err := s.CallTool(ctx, params)
		done <- err
	}()
	<-progress.first // the stream has started: one piece arrived, the next waits an hour
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled stream returned no error")
	}
	waitStats(t, s, "the stream ended by cancellation", func(st statsResult) bool {
		return st.Metrics.ErrorsByKind["canceled"] == 1 && st.Gateway.InFlight == 0
	})
}

func TestStdioFallsBackWhenThrottled(t *testing.T) {
	sim, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url, "FALLBACK_MODELS=nova-pro:nova-lite"))
	// throttle=1 throttles the first call with a body; the model is in the
	// URL, not the body, so the fallback's call is the second and succeeds.
	var r struct {
		generateResult
		Attempts []struct {
			Model string `json:"model"`
			Kind  string `json:"error_kind"`
		} `json:"attempts"`
	}
	call(t, s, "generate", map[string]any{"model": "nova-pro", "messages": user("hi [sim:throttle=1]"), "fallback_models": []string{"nova-lite"}}, nil)
	res := call(t, s, "generate", map[string]any{"model": "nova-pro", "messages": user("hello [sim:throttle=1]")}, nil)
	decode(t, res, &r)
	if r.Model != "nova-lite" || r.ModelID != "us.amazon.nova-lite-v1:0" || len(r.Attempts) != 1 || r.Attempts[0].Model != "nova-pro" || r.Attempts[0].Kind != "throttled" {
		t.Errorf("generate = %+v, want nova-lite's answer after nova-pro was throttled", r)
	}
	if sim.Calls() != 4 {
		t.Errorf("upstream calls = %d, want 4 (two throttled, two fallbacks)", sim.Calls())
	}
	st := waitStats(t, s, "two fallbacks", func(st statsResult) bool { return st.Metrics.FallbackRequests == 2 })
	if st.Metrics.RequestsByModel["nova-lite"] != 2 {
		t.Errorf("requests_by_model = %v, want the answers counted for nova-lite", st.Metrics.RequestsByModel)
	}
}

func TestStdioRetriesStopAtTheDeadline(t *testing.T) {
	sim, url := startSim(t)
	s, _ := connect(t, append(gatewayEnv(url), "BEDROCK_MAX_ATTEMPTS=10", "BEDROCK_MAX_BACKOFF=20s", "REQUEST_TIMEOUT=1s"))
	res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "nova-lite", "messages": user("always busy [sim:throttle]")}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !(strings.Contains(text(res), "[timeout]") || strings.Contains(text(res), "[throttled]")) {
		t.Errorf("generate = %s, want a timeout or throttled error", text(res))
	}
	// Ten attempts with backoff need far more than a second: the deadline
	// cut the retries short.
	if n := sim.Calls(); n < 2 || n >= 10 {
		t.Errorf("upstream attempts = %d, want a retry or more but fewer than 10", n)
	}
}
