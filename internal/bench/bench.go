package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Options configure a run. Wiring.Gateway and ChildArgs are required.
type Options struct {
	// Quick runs every scenario with a handful of calls, in a few seconds:
	// enough to prove each completes without errors, not to measure.
	Quick bool
	// Executable is the program started as a child: given ChildArgs and a
	// mode it must call RunChild; given GatewayArgs it must serve the
	// gateway over stdio. If empty, the running executable.
	Executable string
	// ChildArgs are the arguments before the mode that make Executable run
	// RunChild, such as {"bench", "child"}.
	ChildArgs []string
	// GatewayArgs make Executable serve the gateway over stdio as an agent
	// runs it; nil means no arguments.
	GatewayArgs []string
	// Wiring builds the gateway in the harness process (in-process
	// scenarios); children get the same Wiring through RunChild.
	Wiring Wiring
	// ProfileDir, if not empty, receives a CPU profile of the measured phase
	// of every scenario served by a child, named after the scenario.
	ProfileDir string
	// Progress receives a line as each scenario starts; if nil, none.
	Progress io.Writer
	// Version is the gateway's version, for the report.
	Version string
	// Peers also measures other paths to the same simulator beside
	// llm-gateway's OpenAI-compatible front: a minimal Go reverse proxy
	// (the floor of one more hop) and Portkey's open-source gateway, which
	// needs node and npm and is installed into PeersDir on first use.
	Peers bool
	// PeersDir holds the peers' installations. If empty,
	// $XDG_CACHE_HOME/llm-gateway/peers (os.UserCacheDir).
	PeersDir string
}

// Credentials shared by the harness's simulator and the gateways it starts;
// they never leave the machine.
const (
	benchRegion    = "us-east-1"
	benchAccessKey = "AKIDBENCHMARK"
	benchSecretKey = "benchmark-secret"
	// benchModel is the catalog model every generate call names.
	benchModel = "nova-lite"
	// benchAPIKey is the one agent key of the HTTP gateways; clients send
	// it as a bearer token.
	benchAPIKey = "bench-agent-key-0123456789" //nolint:gosec // the benchmark's own key for a gateway it starts on loopback, not a credential
)

// harness is one run's shared state.
type harness struct {
	opts     Options
	sizes    sizes
	exe      string
	dir      string // working directory and HOME of children: no stray .env
	simURL   string
	simChild *child // the simulator, a process of its own (sim.go)
	report   *Report
	nonce    string       // makes this run's prompts unique
	children atomic.Int64 // children started, for their own store files
	started  time.Time
	// portkey starts Portkey's gateway for the peer rows; nil leaves it out.
	portkey func(ctx context.Context) (*runSpec, func(*Result), error)
}

// Run starts the simulator, runs every scenario and returns the report.
// A scenario that fails is recorded in the report (Report.Failures) and
// the run goes on; Run's error is for a harness that cannot start at all.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Wiring.Gateway == nil || len(opts.ChildArgs) == 0 {
		return nil, errors.New("bench: Wiring.Gateway and ChildArgs are required")
	}
	h := &harness{opts: opts, sizes: fullSizes, nonce: fmt.Sprintf("%x", time.Now().UnixNano())}
	if opts.Quick {
		h.sizes = quickSizes
	}
	h.exe = opts.Executable
	if h.exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		h.exe = exe
	}
	dir, err := os.MkdirTemp("", "llm-gateway-bench")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	h.dir = dir

	stop, err := h.startSimulator(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()

	start := time.Now()
	h.started = start
	h.report = &Report{Machine: describeMachine(), Quick: opts.Quick, Version: opts.Version, Started: start.UTC()}
	h.runLatency(ctx)
	h.runThroughput(ctx)
	h.runConnectionPool(ctx)
	h.runCoalescing(ctx)
	h.runFleet(ctx)
	h.runMemory(ctx)
	h.runStartup(ctx)
	h.runAdmission(ctx)
	if opts.Peers {
		h.portkey = h.startPortkey
		h.runPeers(ctx)
	}
	h.report.Elapsed = time.Since(start).Round(time.Millisecond).String()
	h.report.Checks = checks(h.report)
	return h.report, nil
}

// env is a clean environment for a gateway pointed at the simulator, plus
// extra settings ("NAME=value"). Nothing of the user's environment leaks
// in but PATH, so that every run measures the same configuration.
func (h *harness) env(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + h.dir,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_REGION=" + benchRegion,
		"AWS_ACCESS_KEY_ID=" + benchAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + benchSecretKey,
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + h.simURL,
		"BEDROCK_MAX_ATTEMPTS=1",
		"API_KEYS=bench:" + benchAPIKey,
		// The load levels open up to 256 sessions each with the one bench
		// key, and earlier levels' sessions linger until idle: the caps
		// that protect a gateway from one agent (sessions, calls in
		// flight) are not what is measured.
		"MAX_SESSIONS=10000",
		"MAX_SESSIONS_PER_KEY=10000",
		"MAX_CONCURRENT_CALLS=10000",
		"MAX_CONCURRENT_CALLS_PER_KEY=10000",
	}
	return append(env, extra...)
}

// getenvFrom reads an environment made by env, for the in-process gateway.
func getenvFrom(env []string) func(string) string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

func (h *harness) progress(format string, args ...any) {
	if h.opts.Progress != nil {
		fmt.Fprintf(h.opts.Progress, "%6.1fs  "+format+"\n", append([]any{time.Since(h.started).Seconds()}, args...)...)
	}
}

// sizes are how many calls each scenario makes.
type sizes struct {
	warm, calls    int           // sequential latency scenarios: warm-up, then measured calls
	block          int           // calls in a row before the next scenario's turn
	hitTotal       int           // calls per concurrency level (at least 2 per session)
	missWarm       int           // warm-up calls per session at the model-latency levels
	missPerSession int           // measured calls per session at the model-latency levels
	modelLatency   time.Duration // the simulated model's latency for throughput under load
	coalesce       int           // identical concurrent requests
	fills          []int         // cached answers at which memory is measured
	startups       int           // process starts measured
	levels         []int         // Streamable HTTP sessions at once, in the throughput runs
	poolCallers    int           // callers sharing one AWS SDK client in the connection-pool runs
	experiments    bool          // run every experiment, not only those that exercise other code
}

var (
	fullSizes = sizes{
		warm: 300, calls: 3000, block: 100,
		hitTotal: 4000, missWarm: 1, missPerSession: 3, modelLatency: 300 * time.Millisecond,
		coalesce: 100, fills: []int{10_000, 100_000}, startups: 20,
		levels: concurrencyLevels, poolCallers: 256, experiments: true,
	}
	quickSizes = sizes{
		warm: 5, calls: 30, block: 10,
		hitTotal: 0, missWarm: 0, missPerSession: 1, modelLatency: 300 * time.Millisecond,
		coalesce: 100, fills: []int{500}, startups: 2,
		levels: concurrencyLevels, poolCallers: 32,
	}
)

// concurrencyLevels are the Streamable HTTP session counts the issue asks for.
var concurrencyLevels = []int{1, 16, 64, 256}
