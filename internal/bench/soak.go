package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// SoakOptions configure Soak.
type SoakOptions struct {
	// Duration is how long the load runs. Required.
	Duration time.Duration
	// Executable and Args start the gateway (the llm-gateway binary and
	// nothing: Soak adds --transport http and the rest). Required.
	Executable string
	Args       []string
	// Interval is how often the figures are read. If zero, 5s.
	Interval time.Duration
	// Workers is how many agents load the gateway at once, each over its
	// own MCP session, reopened every few calls. If zero, 8.
	Workers int
	// Out receives a line per reading and the verdict. Required.
	Out io.Writer
}

// Growth tolerances of the soak's rule: a figure grows without bound when
// the highest reading of the last third of the run exceeds the highest of
// the first third by more than Pct percent plus Abs.
var soakRules = []struct {
	name string
	pct  float64
	abs  float64
	get  func(SoakSample) float64
}{
	{"rss_mib", 25, 8, func(s SoakSample) float64 { return s.RSSMiB }},
	{"goroutines", 25, 20, func(s SoakSample) float64 { return float64(s.Goroutines) }},
	{"threads", 100, 8, func(s SoakSample) float64 { return float64(s.Threads) }},
	{"fds", 25, 10, func(s SoakSample) float64 { return float64(s.FDs) }},
}

// SoakSample is one reading of the gateway process.
type SoakSample struct {
	At         time.Duration `json:"at"`
	RSSMiB     float64       `json:"rss_mib"`
	Goroutines int           `json:"goroutines"` // go_goroutines of /metrics
	Threads    int           `json:"threads"`    // /proc/PID/status
	FDs        int           `json:"fds"`        // entries of /proc/PID/fd
	Calls      int64         `json:"calls"`      // requests made so far
}

// soakOps are the kinds of request the load mixes, in turn.
var soakOps = []string{"hit", "miss", "stream", "hit", "fault", "miss", "bad", "stream", "hit", "fault"}

// soakFaults are the simulator's faults the load asks for, in turn.
var soakFaults = []struct {
	marker string
	stream bool
}{
	{"[sim:throttle]", false},
	{"[sim:error=500]", false},
	{"[sim:drop]", false},
	{"[sim:truncate]", false},
	{"[sim:not-json]", false},
	{"[sim:stream-error-after=2]", true},
	{"[sim:truncate]", true},
	{"[sim:huge=100000]", false},
	{"[sim:hang]", false},
}

// Soak starts the gateway as a child process serving HTTP on 127.0.0.1
// with the built-in simulator, loads it with a mix of cache hits, misses,
// streams, upstream faults and bad input for opts.Duration, and reads its
// RSS, goroutines, threads and open files every opts.Interval. It fails
// when the gateway exits, when a request that should be answered is not,
// or when a figure grows without bound by the rule of soakRules.
func Soak(ctx context.Context, opts SoakOptions) ([]SoakSample, error) {
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Duration < 3*opts.Interval {
		return nil, fmt.Errorf("soak: %v is too short: at least three readings (3 × %v) are needed", opts.Duration, opts.Interval)
	}
	dir, err := os.MkdirTemp("", "llm-gateway-soak")
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	defer os.RemoveAll(dir)
	g, err := startSoakGateway(ctx, opts, dir)
	if err != nil {
		return nil, err
	}
	defer g.stop()

	fmt.Fprintf(opts.Out, "soak: %v of mixed load (%d agents: hits, misses, streams, upstream faults, bad input) on pid %d, a reading every %v\n",
		opts.Duration, opts.Workers, g.cmd.Process.Pid, opts.Interval)
	fmt.Fprintf(opts.Out, "%8s %9s %11s %8s %6s %9s\n", "at", "rss_mib", "goroutines", "threads", "fds", "requests")

	loadCtx, stopLoad := context.WithTimeout(ctx, opts.Duration)
	defer stopLoad()
	var calls atomic.Int64
	var wrong soakErrors
	var wg sync.WaitGroup
	for w := range opts.Workers {
		wg.Go(func() { g.agent(loadCtx, w, &calls, &wrong) })
	}

	var samples []SoakSample
	start := time.Now()
	tick := time.NewTicker(opts.Interval)
	defer tick.Stop()
	var readErr error
	for loadCtx.Err() == nil && readErr == nil {
		select {
		case <-loadCtx.Done():
		case <-g.exited:
			readErr = fmt.Errorf("soak: the gateway exited during the load:\n%s", g.stderr.String())
		case <-tick.C:
			s, err := g.read(ctx)
			if err != nil {
				readErr = err
				break
			}
			s.At, s.Calls = time.Since(start).Round(time.Second), calls.Load()
			samples = append(samples, s)
			fmt.Fprintf(opts.Out, "%8v %9.1f %11d %8d %6d %9d\n", s.At, s.RSSMiB, s.Goroutines, s.Threads, s.FDs, s.Calls)
		}
	}
	stopLoad()
	wg.Wait()
	if readErr != nil {
		return samples, readErr
	}
	select {
	case <-g.exited:
		return samples, fmt.Errorf("soak: the gateway exited during the load:\n%s", g.stderr.String())
	default:
	}
	var problems []string
	problems = append(problems, wrong.list()...)
	problems = append(problems, soakVerdict(opts.Out, samples)...)
	if len(problems) > 0 {
		return samples, fmt.Errorf("soak failed:\n  %s\nthe gateway's last log lines:\n%s", strings.Join(problems, "\n  "), g.stderr.String())
	}
	fmt.Fprintf(opts.Out, "soak: passed, %d requests\n", calls.Load())
	return samples, nil
}

// soakVerdict applies soakRules to samples, printing each figure's first-
// and last-third highs, and returns the figures that grew too much.
func soakVerdict(out io.Writer, samples []SoakSample) []string {
	third := len(samples) / 3
	if third == 0 {
		return []string{fmt.Sprintf("only %d readings: too few to judge growth", len(samples))}
	}
	first, last := samples[:third], samples[len(samples)-third:]
	high := func(ss []SoakSample, get func(SoakSample) float64) float64 {
		m := get(ss[0])
		for _, s := range ss[1:] {
			m = max(m, get(s))
		}
		return m
	}
	fmt.Fprintln(out, "rule: a figure fails when the highest reading of the last third exceeds the highest of the first third by more than the allowance")
	var bad []string
	for _, r := range soakRules {
		a, b := high(first, r.get), high(last, r.get)
		limit := a*(1+r.pct/100) + r.abs
		verdict := "ok"
		if b > limit {
			verdict = "GROWS"
			bad = append(bad, fmt.Sprintf("%s grew from %.1f to %.1f (allowed up to %.1f: +%.0f%% +%.0f)", r.name, a, b, limit, r.pct, r.abs))
		}
		fmt.Fprintf(out, "  %-10s first third %8.1f  last third %8.1f  allowed %8.1f (+%.0f%% +%.0f)  %s\n", r.name, a, b, limit, r.pct, r.abs, verdict)
	}
	return bad
}

// soakErrors collects answers that were wrong for their kind of request.
type soakErrors struct {
	mu    sync.Mutex
	n     int
	first []string
}

func (e *soakErrors) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if len(e.first) < 5 {
		e.first = append(e.first, fmt.Sprintf(format, args...))
	}
}

func (e *soakErrors) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		return nil
	}
	return append([]string{fmt.Sprintf("%d requests got a wrong answer; the first ones:", e.n)}, e.first...)
}

// soakGateway is the gateway child process.
type soakGateway struct {
	cmd      *exec.Cmd
	url      string // http://127.0.0.1:PORT
	key      string
	admin    string
	stderr   *tail
	exited   chan struct{}
	waitErr  error
	client   *http.Client
	stopOnce sync.Once
}

func startSoakGateway(ctx context.Context, opts SoakOptions, dir string) (*soakGateway, error) {
	g := &soakGateway{key: randomKey(), admin: randomKey(), stderr: &tail{}, exited: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	args := append(append([]string{}, opts.Args...), "--transport", "http", "--addr", "127.0.0.1:0")
	g.cmd = exec.Command(opts.Executable, args...) //nolint:gosec // the soak starts its own binary (os.Executable)
	g.cmd.Dir = dir                                // no stray .env
	g.cmd.Env = append(os.Environ(),
		"BEDROCK_SIMULATOR=true",
		"STORE_URL=sqlite:"+filepath.Join(dir, "soak.db"), // the default kind of ledger; memory: would keep every record
		"API_KEYS=soak:"+g.key,
		"ADMIN_KEYS=soak-admin:"+g.admin,
		"AUTH_BACKOFF_AFTER=0", // the wrong keys of the bad input come from the same address as every agent
		"LOG_FORMAT=json",
		"LOG_LEVEL=INFO",
		"METRICS_ENABLED=true",
		"BEDROCK_MAX_ATTEMPTS=2",
		"BEDROCK_MAX_BACKOFF=50ms",
		"BEDROCK_RETRY_QUOTA=false",
		"BEDROCK_ATTEMPT_TIMEOUT=1s",
		"REQUEST_TIMEOUT=20s",
		"MAX_ANSWER_BYTES=16KiB",
	)
	pipe, err := g.cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	dieWithParent(g.cmd)
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("soak: start the gateway: %w", err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = g.stderr.Write(append(line, '\n'))
			var rec struct{ Msg, URL string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "gateway listening" {
				select {
				case listening <- strings.TrimSuffix(rec.URL, "/mcp"):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
		g.waitErr = g.cmd.Wait()
		close(g.exited)
	}()
	select {
	case g.url = <-listening:
		return g, nil
	case <-g.exited:
		return nil, fmt.Errorf("soak: the gateway exited at start (%w):\n%s", g.waitErr, g.stderr.String())
	case <-time.After(time.Minute):
		g.stop()
		return nil, fmt.Errorf("soak: the gateway did not listen within a minute:\n%s", g.stderr.String())
	case <-ctx.Done():
		g.stop()
		return nil, ctx.Err()
	}
}

// stop ends the gateway with SIGINT, or SIGKILL if it lingers.
func (g *soakGateway) stop() {
	g.stopOnce.Do(func() {
		_ = g.cmd.Process.Signal(os.Interrupt)
		select {
		case <-g.exited:
		case <-time.After(30 * time.Second):
			_ = g.cmd.Process.Kill()
			<-g.exited
		}
	})
}

func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b[:])
}

// read takes one reading of the process.
func (g *soakGateway) read(ctx context.Context) (SoakSample, error) {
	var s SoakSample
	pid := g.cmd.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("soak: read the gateway's status (Linux /proc): %w", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			s.RSSMiB = float64(n) / 1024 // kB
		case "Threads":
			s.Threads = int(n)
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, fmt.Errorf("soak: list the gateway's open files: %w", err)
	}
	s.FDs = len(fds)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, http.MethodGet, g.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+g.admin)
	resp, err := g.client.Do(req)
	if err != nil {
		return s, fmt.Errorf("soak: read /metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			s.Goroutines = int(f)
		}
	}
	if resp.StatusCode != http.StatusOK || s.Goroutines == 0 {
		return s, fmt.Errorf("soak: /metrics answered %s without go_goroutines", resp.Status)
	}
	return s, nil
}

// keyed adds a bearer key to every request.
type keyed struct {
	key  string
	next http.RoundTripper
}

func (k keyed) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+k.key)
	return k.next.RoundTrip(r)
}

// agent loads the gateway until ctx ends: each session makes up to 40
// calls, then it is closed and another opened.
func (g *soakGateway) agent(ctx context.Context, id int, calls *atomic.Int64, wrong *soakErrors) {
	hc := &http.Client{Transport: keyed{key: g.key, next: g.client.Transport}}
	client := mcp.NewClient(&mcp.Implementation{Name: fmt.Sprintf("soak-agent-%d", id), Version: "1"}, nil)
	for i := 0; ctx.Err() == nil; {
		s, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: g.url + "/mcp", HTTPClient: hc}, nil)
		if err != nil {
			if ctx.Err() == nil {
				wrong.add("agent %d: connect: %v", id, err)
			}
			return
		}
		for end := i + 40; i < end && ctx.Err() == nil; i++ {
			calls.Add(1)
			g.one(ctx, s, id, i, wrong)
		}
		_ = s.Close()
	}
}

// one makes request i of agent id, of the kind soakOps says.
func (g *soakGateway) one(ctx context.Context, s *mcp.ClientSession, id, i int, wrong *soakErrors) {
	op := soakOps[i%len(soakOps)]
	args := map[string]any{"model": "nova-lite"}
	prompt := fmt.Sprintf("soak agent %d request %d", id, i)
	wantError := false
	switch op {
	case "hit":
		prompt = fmt.Sprintf("soak: one of a few questions, number %d", i%7)
	case "stream":
		args["stream"] = true
	case "fault":
		f := soakFaults[(i/len(soakOps))%len(soakFaults)]
		prompt += " " + f.marker
		args["stream"] = f.stream
		wantError = true
	case "bad":
		g.bad(ctx, s, i, wrong)
		return
	}
	args["messages"] = []map[string]any{{"role": "user", "content": prompt}}
	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "generate", Arguments: args})
	switch {
	case ctx.Err() != nil:
	case err != nil:
		wrong.add("%s %q: %v", op, prompt, err)
	case res.IsError != wantError:
		wrong.add("%s %q: tool error %v, want %v: %.200s", op, prompt, res.IsError, wantError, soakText(res))
	case wantError && strings.HasPrefix(soakText(res), "[internal]"):
		wrong.add("%s %q: an upstream fault blamed on the gateway: %.200s", op, prompt, soakText(res))
	}
}

// bad sends a piece of bad input, in turn: wrong arguments (each must get
// a tool error), a long model name, a body that is not JSON, a wrong key.
func (g *soakGateway) bad(ctx context.Context, s *mcp.ClientSession, i int, wrong *soakErrors) {
	switch (i / len(soakOps)) % 4 {
	case 0, 1:
		args := map[string]any{"model": "nova-lite", "messages": []map[string]any{}}
		if i%2 == 0 {
			args = map[string]any{"model": strings.Repeat("m", 64<<10), "messages": []map[string]any{{"role": "user", "content": "hi"}}}
		}
		res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "generate", Arguments: args})
		if ctx.Err() == nil && (err != nil || !res.IsError) {
			wrong.add("bad arguments: %v, want a tool error", err)
		}
	case 2, 3:
		key := g.key
		body := "{not json at all"
		if i%2 == 1 {
			key, body = "wrong-"+g.key, `{"jsonrpc":"2.0","id":1,"method":"ping"}`
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/mcp", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := g.client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				wrong.add("bad body: %v", err)
			}
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			wrong.add("bad body or key: status %s, want a 4xx refusal", resp.Status)
		}
	}
}

func soakText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}
