package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestGatewayFaults drives every fault the simulator can make through the
// gateway binary and the real AWS SDK, streamed and not, and checks the
// error kind the agent gets, how many requests reached Bedrock (the
// simulator counts them: the retries), that the call ended by its own
// rules rather than by REQUEST_TIMEOUT (a hang is cut per attempt, so all
// three attempts are made), and that nothing wrong was cached: the same
// request again goes to Bedrock again. A good answer, asked twice, is the
// control: its second call is a cache hit.
func TestGatewayFaults(t *testing.T) {
	sim, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url,
		"BEDROCK_MAX_ATTEMPTS=3",
		"BEDROCK_MAX_BACKOFF=50ms",
		"BEDROCK_RETRY_QUOTA=false", // every call keeps its three attempts, whatever the rows before it did
		"BEDROCK_ATTEMPT_TIMEOUT=1s",
		"REQUEST_TIMEOUT=2m",     // far past three cut attempts: if it ends a call, the attempt timeout did not
		"MAX_ANSWER_BYTES=16KiB", // below the simulator's huge answer cut at the default maxTokens
		"LOG_LEVEL=WARN",
	))
	tests := []struct {
		name, marker string
		stream       bool
		streamBoth   bool   // the fault acts alike on Converse and ConverseStream
		kind         string // "" for an answer
		calls        int64  // requests that reach Bedrock for one call
	}{
		{name: "answer", marker: "", streamBoth: true, calls: 1},
		{name: "throttle", marker: "[sim:throttle]", streamBoth: true, kind: "throttled", calls: 3},
		{name: "5xx", marker: "[sim:error=500]", streamBoth: true, kind: "unavailable", calls: 3},
		{name: "503", marker: "[sim:error=503]", streamBoth: true, kind: "unavailable", calls: 3},
		{name: "reset", marker: "[sim:drop]", streamBoth: true, kind: "unavailable", calls: 3},
		{name: "hang", marker: "[sim:hang]", streamBoth: true, kind: "timeout", calls: 3},
		{name: "truncated 200", marker: "[sim:truncate]", kind: "unavailable", calls: 3},
		{name: "not JSON", marker: "[sim:not-json]", kind: "unavailable", calls: 3},
		// A stream cut after its first text reached the agent is not retried
		// (the agent would see the text twice).
		{name: "truncated 200", marker: "[sim:truncate]", stream: true, kind: "unavailable", calls: 1},
		{name: "mid-stream model error", marker: "[sim:stream-error-after=2]", stream: true, kind: "model_error", calls: 1},
		{name: "mid-stream 5xx", marker: "[sim:stream-error-after=2][sim:stream-exception=serviceUnavailableException]", stream: true, kind: "unavailable", calls: 1},
		{name: "mid-stream corrupt frame", marker: "[sim:corrupt-frame=2]", stream: true, kind: "unavailable", calls: 1},
		{name: "huge answer", marker: "[sim:huge=200000]", streamBoth: true, kind: "model_error", calls: 1},
	}
	for _, tt := range tests {
		streams := []bool{tt.stream}
		if tt.streamBoth {
			streams = []bool{false, true}
		}
		for _, stream := range streams {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				args := map[string]any{"model": "nova-lite", "stream": stream,
					"messages": user(fmt.Sprintf("fault suite %s %v %s", tt.name, stream, tt.marker))}
				for try := range 2 {
					before := sim.Calls()
					res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: args})
					if err != nil {
						t.Fatalf("try %d: %v", try+1, err)
					}
					calls := sim.Calls() - before
					if tt.kind == "" {
						if res.IsError {
							t.Fatalf("try %d: tool error %s, want an answer", try+1, text(res))
						}
						var r generateResult
						decode(t, res, &r)
						// The second time it is a cache hit: no request.
						if want := map[int]int64{0: 1, 1: 0}[try]; calls != want || r.Cached != (try == 1) {
							t.Errorf("try %d: %d requests to Bedrock, cached %v; want %d, %v", try+1, calls, r.Cached, want, try == 1)
						}
						continue
					}
					if !res.IsError || !strings.HasPrefix(text(res), "["+tt.kind+"]") {
						t.Errorf("try %d: result %.300q (error %v), want a [%s] tool error", try+1, text(res), res.IsError, tt.kind)
					}
					// The repeat goes to Bedrock again, with as many attempts:
					// the failure was not cached.
					if calls != tt.calls {
						t.Errorf("try %d: %d requests to Bedrock, want %d", try+1, calls, tt.calls)
					}
				}
			})
		}
	}
	// Every fault was counted by its kind, none as the gateway's own.
	var st statsResult
	call(t, s, "get_stats", nil, &st)
	if n := st.Metrics.ErrorsByKind["internal"]; n != 0 {
		t.Errorf("errors_by_kind = %v: %d faults of Bedrock blamed on the gateway", st.Metrics.ErrorsByKind, n)
	}
}

// A gateway serving HTTP killed with SIGKILL while agents' calls are under
// way has recorded every call it answered, and its ledger file opens and
// reads afterwards, with the same totals in the next process.
func TestHTTPLedgerSurvivesSIGKILL(t *testing.T) {
	_, url := startSim(t)
	store := "sqlite:" + filepath.Join(t.TempDir(), "gateway.db")
	keysEnv, keys := agentKeys(2)
	g := startHTTPGateway(t, gatewayEnv(url, keysEnv, "STORE_URL="+store, "LOG_LEVEL=INFO"))

	const callers, max, killAfter = 6, 100, 40
	var answered, sent atomic.Int64
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for c := range callers {
		s := httpSession(t, g, keys[fmt.Sprintf("agent-%02d", c%2)], c%3 == 0) // SSE too
		wg.Go(func() {
			for i := 0; i < max; i++ {
				select {
				case <-killed:
					return
				default:
				}
				sent.Add(1)
				res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: generateArgs(fmt.Sprintf("http caller %d call %d", c, i))})
				if err != nil || res.IsError {
					return // the process is gone
				}
				if answered.Add(1) == killAfter {
					once.Do(func() {
						_ = g.cmd.Process.Kill()
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	if err := g.wait(t); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("gateway exit = %v, want killed", err)
	}
	checkLedgerAfterKill(t, url, store, answered.Load(), sent.Load(), killAfter)
}

// The built-in simulator (--simulate) is reached under the same limits as
// Bedrock: an answer over MAX_ANSWER_BYTES is refused (it was once read
// whole, and a hang waited out REQUEST_TIMEOUT, as the simulator's client
// lost the limits).
func TestSimulateKeepsTheUpstreamLimits(t *testing.T) {
	s, _ := connect(t, gatewayEnv("", "BEDROCK_SIMULATOR=true", "MAX_ANSWER_BYTES=16KiB", "LOG_LEVEL=WARN"))
	res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{
		"model": "nova-lite", "messages": user("too long [sim:huge=200000]")}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.HasPrefix(text(res), "[model_error]") {
		t.Errorf("a huge simulated answer = %.300q (error %v), want a [model_error] tool error", text(res), res.IsError)
	}
}
