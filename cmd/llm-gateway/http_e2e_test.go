package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

// httpGateway is the gateway binary serving --transport http on a free
// loopback port.
type httpGateway struct {
	url    string // http://127.0.0.1:PORT
	cmd    *exec.Cmd
	stderr *lockedBuilder
	lines  chan string // stderr, line by line, for waitLog
	exited chan error  // cmd.Wait's result
}

// startHTTPGateway starts the binary with --transport http --addr
// 127.0.0.1:0 and the given environment, and learns its address from the
// "gateway listening" log line. The gateway is stopped with SIGINT when
// the test ends, if it still runs.
func startHTTPGateway(t *testing.T, env []string, args ...string) *httpGateway {
	t.Helper()
	g, err := launchHTTPGateway(t, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func launchHTTPGateway(t *testing.T, env []string, args ...string) (*httpGateway, error) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--transport", "http", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(env, "LOG_FORMAT=json")
	cmd.Dir = t.TempDir()
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &httpGateway{cmd: cmd, stderr: &lockedBuilder{}, lines: make(chan string, 1<<16), exited: make(chan error, 1)}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		defer close(g.lines)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			_, _ = g.stderr.Write(append(sc.Bytes(), '\n'))
			select {
			case g.lines <- sc.Text():
			default: // nobody is waiting for lines this far on
			}
		}
	}()
	go func() {
		<-scanned // Wait closes the pipe: read it all first
		g.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = g.stop(t) })

	line, err := g.waitLog("gateway listening")
	if err != nil {
		return g, err
	}
	var rec struct{ URL string }
	if err := json.Unmarshal([]byte(line), &rec); err != nil || !strings.HasSuffix(rec.URL, "/mcp") {
		return g, fmt.Errorf("listening line %q has no /mcp url", line)
	}
	g.url = strings.TrimSuffix(rec.URL, "/mcp")
	return g, nil
}

// waitLog reads stderr until a line with msg; it fails if the gateway
// exits first. The timeout only ends a test that would otherwise hang.
func (g *httpGateway) waitLog(msg string) (string, error) {
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-g.lines:
			if !ok {
				return "", fmt.Errorf("gateway exited before logging %q:\n%s", msg, g.stderr.String())
			}
			var rec struct{ Msg string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
				return line, nil
			}
		case <-timeout:
			return "", fmt.Errorf("gateway never logged %q:\n%s", msg, g.stderr.String())
		}
	}
}

// stop sends SIGINT and waits for the gateway to exit.
func (g *httpGateway) stop(t *testing.T) error {
	t.Helper()
	_ = g.cmd.Process.Signal(os.Interrupt)
	return g.wait(t)
}

// wait waits for the gateway to exit, and returns how it did.
func (g *httpGateway) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-g.exited:
		g.exited <- err // for the next caller
		return err
	case <-time.After(2 * time.Minute):
		_ = g.cmd.Process.Kill()
		t.Errorf("gateway did not exit:\n%s", g.stderr.String())
		return nil
	}
}

// keyed adds an API key to every request.
type keyed struct {
	key  string
	next http.RoundTripper
}

func (k keyed) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+k.key)
	return k.next.RoundTrip(r)
}

// httpSession opens an MCP session on the gateway's /mcp (or /sse) with key.
func httpSession(t *testing.T, g *httpGateway, key string, sse bool) *mcp.ClientSession {
	t.Helper()
	return httpSessionWith(t, nil, g, key, sse)
}

// httpSessionWith is httpSession with client options (a progress handler, say).
func httpSessionWith(t *testing.T, copts *mcp.ClientOptions, g *httpGateway, key string, sse bool) *mcp.ClientSession {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: keyed{key: key, next: tr}}
	var transport mcp.Transport = &mcp.StreamableClientTransport{Endpoint: g.url + "/mcp", HTTPClient: hc}
	if sse {
		transport = &mcp.SSEClientTransport{Endpoint: g.url + "/sse", HTTPClient: hc}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "http-e2e", Version: "1"}, copts)
	s, err := client.Connect(t.Context(), transport, nil)
	if err != nil {
		t.Fatalf("connect to %s with a key: %v", g.url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// agentKeys makes n agents' API_KEYS value and their keys.
func agentKeys(n int) (env string, keys map[string]string) {
	keys = make(map[string]string, n)
	var parts []string
	for i := range n {
		name, key := fmt.Sprintf("agent-%02d", i), fmt.Sprintf("key-%02d-0123456789abcdef", i)
		keys[name] = key
		parts = append(parts, name+":"+key)
	}
	return "API_KEYS=" + strings.Join(parts, ","), keys
}

// TestHTTPManyAgentsShareOneGateway: 100 sessions of 10 agents ask the same
// question at once over HTTP; one call reaches Bedrock, and get_stats
// counts every request under its key's holder.
func TestHTTPManyAgentsShareOneGateway(t *testing.T) {
	for _, mode := range []string{"sessions", "stateless"} {
		t.Run(mode, func(t *testing.T) {
			sim, simURL := startSim(t)
			keysEnv, keys := agentKeys(10)
			const adminKey = "admin-key-0123456789abcdef"
			env := gatewayEnv(simURL, keysEnv, "ADMIN_KEYS=admin:"+adminKey, "LOG_LEVEL=INFO")
			if mode == "stateless" {
				env = append(env, "MCP_STATELESS=true")
			}
			g := startHTTPGateway(t, env)

			names := make([]string, 0, len(keys))
			for name := range keys {
				names = append(names, name)
			}
			const sessions = 100
			var wg sync.WaitGroup
			results := make([]generateResult, sessions)
			errs := make(chan error, sessions)
			for i := range sessions {
				s := httpSession(t, g, keys[names[i%len(names)]], false)
				wg.Go(func() {
					res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{
						"model": "nova-micro", "messages": user("the same question from everyone [sim:latency=50ms]"),
					}})
					if err != nil || res.IsError {
						errs <- fmt.Errorf("session %d: %v %v", i, err, res) //nolint:errorlint // err is nil when res is a tool error: only the message is read
						return
					}
					raw, _ := json.Marshal(res.StructuredContent)
					errs <- json.Unmarshal(raw, &results[i])
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if got := sim.Calls(); got != 1 {
				t.Errorf("upstream calls for %d identical requests from %d agents = %d, want 1", sessions, len(keys), got)
			}
			for i, r := range results[1:] {
				if r.Content != results[0].Content {
					t.Errorf("session %d got %q, session 0 got %q", i+1, r.Content, results[0].Content)
				}
			}

			// Every agent's figures are for an admin key (an agent's key
			// sees its own: TestHTTPPolicyRefusalsAndVisibility).
			var st statsResult
			call(t, httpSession(t, g, adminKey, false), "get_stats", nil, &st)
			total := 0
			for _, name := range names {
				a, ok := st.Metrics.RequestsByAgent[name].(map[string]any)
				if !ok {
					t.Errorf("requests_by_agent lacks %s: %v", name, st.Metrics.RequestsByAgent)
					continue
				}
				n, _ := a["requests"].(float64)
				total += int(n)
			}
			if total != sessions || len(st.Metrics.RequestsByAgent) != len(names) {
				t.Errorf("requests_by_agent = %v, want %d requests over exactly the %d key holders", st.Metrics.RequestsByAgent, sessions, len(names))
			}
		})
	}
}

func TestHTTPRefusals(t *testing.T) {
	_, simURL := startSim(t)
	keysEnv, keys := agentKeys(1)
	g := startHTTPGateway(t, gatewayEnv(simURL, keysEnv, "AUTH_BACKOFF_AFTER=3"))
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	wrongKey := map[string]string{"Authorization": "Bearer key-99-0123456789abcdef"}
	tests := []struct {
		name       string
		header     map[string]string
		body       string
		wantStatus int
		wantHeader [2]string // a header and a prefix of its value
		wantBody   string
	}{
		{name: "no key", body: initialize, wantStatus: http.StatusUnauthorized,
			wantHeader: [2]string{"WWW-Authenticate", `Bearer realm="llm-gateway"`}, wantBody: "missing API key"},
		{name: "wrong key", header: map[string]string{"Authorization": "Bearer key-99-0123456789abcdef"}, body: initialize,
			wantStatus: http.StatusUnauthorized, wantHeader: [2]string{"WWW-Authenticate", `Bearer realm="llm-gateway"`}, wantBody: "invalid API key"},
		{name: "foreign origin", header: map[string]string{"Authorization": "Bearer " + keys["agent-00"], "Origin": "https://evil.example.com"},
			body: initialize, wantStatus: http.StatusForbidden, wantBody: "not allowed"},
		{name: "oversize body", header: map[string]string{"Authorization": "Bearer " + keys["agent-00"]},
			body: strings.Repeat(" ", 5<<20) + initialize, wantStatus: http.StatusRequestEntityTooLarge, wantBody: "request body too large: the limit is 4 MiB"},
		{name: "good key", header: map[string]string{"Authorization": "Bearer " + keys["agent-00"]}, body: initialize, wantStatus: http.StatusOK},
		// AUTH_BACKOFF_AFTER failures in a row (the good key reset the count),
		// then this address waits, whatever key it sends.
		{name: "wrong key 1", header: wrongKey, body: initialize, wantStatus: http.StatusUnauthorized, wantBody: "invalid API key"},
		{name: "wrong key 2", header: wrongKey, body: initialize, wantStatus: http.StatusUnauthorized, wantBody: "invalid API key"},
		{name: "wrong key 3", header: wrongKey, body: initialize, wantStatus: http.StatusUnauthorized, wantBody: "invalid API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/mcp", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("POST /mcp = %d %q, want %d with %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if h := tt.wantHeader; h[0] != "" && !strings.HasPrefix(resp.Header.Get(h[0]), h[1]) {
				t.Errorf("%s = %q, want it to start with %q", h[0], resp.Header.Get(h[0]), h[1])
			}
		})
	}
	// Now this address waits (429, Retry-After) before its keys are checked
	// again. The first wait is a second: on a slow machine it may be over
	// before the next request, which then fails again and waits longer.
	backedOff := false
	for range 8 {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/mcp", strings.NewReader(initialize))
		req.Header.Set("Authorization", wrongKey["Authorization"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "too many requests with a missing or wrong key") {
				t.Errorf("backing off: Retry-After %q, body %q", resp.Header.Get("Retry-After"), body)
			}
			backedOff = true
			break
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong key after AUTH_BACKOFF_AFTER failures = %d %q, want 429 (or 401 once a wait is over)", resp.StatusCode, body)
		}
	}
	if !backedOff {
		t.Errorf("wrong keys from one address were never made to wait")
	}
	if strings.Contains(g.stderr.String(), keys["agent-00"]) {
		t.Errorf("the logs show an API key:\n%s", g.stderr.String())
	}
}

func TestHTTPLegacySSE(t *testing.T) {
	_, simURL := startSim(t)
	keysEnv, keys := agentKeys(2)
	g := startHTTPGateway(t, gatewayEnv(simURL, keysEnv))
	s := httpSession(t, g, keys["agent-01"], true)
	var models struct{ Count int }
	call(t, s, "list_models", nil, &models)
	if models.Count == 0 {
		t.Errorf("list_models over SSE: no models")
	}
	var r generateResult
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("hello over SSE")}, &r)
	if r.Content == "" || r.Cached {
		t.Errorf("generate over SSE = %+v, want a fresh answer", r)
	}
	var st statsResult
	call(t, s, "get_stats", nil, &st)
	if _, ok := st.Metrics.RequestsByAgent["agent-01"]; !ok || len(st.Metrics.RequestsByAgent) != 1 {
		t.Errorf("requests_by_agent = %v, want only agent-01", st.Metrics.RequestsByAgent)
	}
}

// TestHTTPGracefulShutdown: SIGTERM while a generate call waits on Bedrock;
// the call is answered, then the gateway exits 0. The simulator is held
// behind a gate, so the test knows the call is in flight and lets it go
// only once the gateway has begun shutting down.
func TestHTTPGracefulShutdown(t *testing.T) {
	sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: testKey, SecretAccessKey: testSecret, Region: "us-east-1"})
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	gated := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(gated.Close)
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	t.Cleanup(letGo) // before gated.Close, should the test end early
	keysEnv, keys := agentKeys(1)
	g := startHTTPGateway(t, gatewayEnv(gated.URL, keysEnv, "SHUTDOWN_GRACE=2m"))
	s := httpSession(t, g, keys["agent-00"], false)

	result := make(chan error, 1)
	var r generateResult
	go func() {
		res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{
			"model": "nova-lite", "messages": user("answer me before you go"),
		}})
		if err == nil && res.IsError {
			err = fmt.Errorf("tool error: %s", text(res))
		}
		if err == nil {
			raw, _ := json.Marshal(res.StructuredContent)
			err = json.Unmarshal(raw, &r)
		}
		result <- err
	}()

	<-arrived // the call is at Bedrock
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if _, err := g.waitLog("shutting down: refusing new connections, letting calls in flight finish"); err != nil {
		t.Fatal(err)
	}
	letGo()
	if err := <-result; err != nil || r.Content == "" {
		t.Fatalf("call in flight at SIGTERM = %+v, %v; want its answer", r, err)
	}
	// Not stop: a second signal after the first one's shutdown would kill
	// the process with the default disposition.
	if err := g.wait(t); err != nil {
		t.Errorf("exit after SIGTERM = %v, want 0:\n%s", err, g.stderr.String())
	}
	if !strings.Contains(g.stderr.String(), "HTTP server stopped") {
		t.Errorf("no clean stop in the logs:\n%s", g.stderr.String())
	}
}

func TestHTTPHealthcheck(t *testing.T) {
	_, simURL := startSim(t)
	keysEnv, _ := agentKeys(1)
	g := startHTTPGateway(t, gatewayEnv(simURL, keysEnv))
	addr := strings.TrimPrefix(g.url, "http://")

	out, err := exec.Command(binary, "healthcheck", "--addr", addr).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "/healthz: ok") || !strings.Contains(string(out), "/readyz: ready") {
		t.Errorf("healthcheck of a running gateway = %v:\n%s", err, out)
	}
	cmd := exec.Command(binary, "healthcheck")
	cmd.Env = []string{"MCP_ADDR=" + addr}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("healthcheck with MCP_ADDR = %v:\n%s", err, out)
	}

	_ = g.stop(t)
	out, err = exec.Command(binary, "healthcheck", "--addr", addr, "--timeout", "10s").CombinedOutput()
	if exit, ok := errors.AsType[*exec.ExitError](err); !ok || exit.ExitCode() != 1 {
		t.Errorf("healthcheck of a stopped gateway = %v, want exit status 1:\n%s", err, out)
	}
}

func TestHTTPRefusesExposedAddressWithoutKeys(t *testing.T) {
	cmd := exec.Command(binary, "--transport", "http", "--addr", "0.0.0.0:0", "--simulate")
	cmd.Env = []string{"HOME=" + os.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if exit, ok := errors.AsType[*exec.ExitError](err); !ok || exit.ExitCode() != 1 || !strings.Contains(string(out), "ALLOW_INSECURE_NO_AUTH") {
		t.Errorf("gateway on 0.0.0.0 without keys = %v, want exit 1 naming ALLOW_INSECURE_NO_AUTH:\n%s", err, out)
	}
}
