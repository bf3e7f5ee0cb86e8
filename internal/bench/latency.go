package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/bedrock"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Scenario names the checks refer to.
const (
	nameStdioRaw      = "stdio: pipe round trip (raw)"
	nameStdioFloor    = "stdio: no-op tool (floor)"
	nameStdioStack    = "stdio: no-op tool, gateway's stdio transport"
	nameStdioHit      = "stdio: generate, cache hit"
	nameStdioMiss     = "stdio: generate, cache miss"
	nameHTTPRaw       = "http: loopback POST (raw)"
	nameHTTPFloor     = "http: no-op tool (floor)"
	nameHTTPStack     = "http: no-op tool, gateway's HTTP stack"
	nameHTTPHit       = "http: generate, cache hit"
	nameHTTPMiss      = "http: generate, cache miss"
	nameOpenAIHit     = "http: OpenAI chat completion, cache hit"
	nameOpenAIMiss    = "http: OpenAI chat completion, cache miss"
	nameAnthropicHit  = "http: Anthropic message, cache hit"
	nameAnthropicMiss = "http: Anthropic message, cache miss"
	nameDirect        = "in-process: Converse with the AWS SDK (direct)"
	nameClient        = "in-process: Converse with the gateway's Bedrock client"
	nameInProcessMiss = "in-process: Gateway.Generate, cache miss"
	nameInProcessHit  = "in-process: Gateway.Generate, cache hit"
)

// answerTokens is the max_tokens of every generate call: the simulator's
// answers (20 to 80 words) are never cut.
const answerTokens = 512

var noopParams = []byte(`{"name":"noop","arguments":{}}`)

// generateParams is a tools/call of generate with one user message.
func generateParams(prompt string) []byte {
	b, _ := json.Marshal(map[string]any{
		"name": "generate",
		"arguments": map[string]any{
			"model":      benchModel,
			"messages":   []map[string]string{{"role": "user", "content": prompt}},
			"max_tokens": answerTokens,
		},
	})
	return b
}

// missPrompt is a question nobody asked before in this run.
func (h *harness) missPrompt(scenario string, i int) string {
	return fmt.Sprintf("bench %s %s %d: name a river of Europe and say where it rises", h.nonce, scenario, i)
}

func (h *harness) hitPrompt(scenario string) string {
	return fmt.Sprintf("bench %s %s: what is the capital of France?", h.nonce, scenario)
}

// runLatency measures one caller making calls one after another: the
// floors, the gateway's hits and misses over each transport, and the same
// call made directly with the AWS SDK.
func (h *harness) runLatency(ctx context.Context) {
	type entry struct {
		name       string
		experiment bool
		spec       *runSpec
		child      *child
		err        error
	}
	var entries []*entry
	add := func(name string, experiment bool, transport, mode string, env []string, setup func(context.Context, *child) ([]callFunc, error)) {
		h.progress("start %s", name)
		spec, c, err := h.startServed(ctx, name, transport, mode, env, setup)
		entries = append(entries, &entry{name: name, experiment: experiment, spec: spec, child: c, err: err})
	}
	for _, s := range h.served() {
		add(s.name, false, s.transport, s.mode, nil, s.setup)
	}
	for _, e := range experiments {
		if !h.sizes.experiments && !e.sdkStdio {
			continue // a quick run needs only the experiments that run other code
		}
		for _, s := range h.served() {
			if !slices.Contains(e.scenarios, s.name) {
				continue
			}
			mode := s.mode
			if e.sdkStdio && mode == modeGatewayStdio {
				mode = modeGatewaySDKStdio
			}
			add(experimentName(s.name, e.label), true, s.transport, mode, e.env, s.setup)
		}
	}
	inproc, closeInproc, err := h.inProcessSpecs(ctx)
	if err != nil {
		for _, name := range []string{nameDirect, nameClient, nameInProcessMiss, nameInProcessHit} {
			entries = append(entries, &entry{name: name, err: err})
		}
	}
	for _, spec := range inproc {
		entries = append(entries, &entry{name: spec.name, spec: spec})
	}

	var specs []*runSpec
	for _, e := range entries {
		if e.spec != nil {
			specs = append(specs, e.spec)
		}
	}
	h.progress("%d latency scenarios, interleaved in blocks of %d calls", len(specs), h.sizes.block)
	results := measureInterleaved(ctx, specs, h.sizes.block)
	if closeInproc != nil {
		closeInproc()
	}
	for _, e := range entries {
		var r Result
		switch {
		case e.err != nil:
			r = failed(e.name, e.err)
		default:
			r = results[slices.Index(specs, e.spec)]
		}
		if e.child != nil {
			closeChild(e.child, &r)
		}
		if e.experiment {
			h.report.Experiments = append(h.report.Experiments, r)
		} else {
			h.report.Latency = append(h.report.Latency, r)
		}
	}
}

// servedScenario is a latency scenario served by a child process.
type servedScenario struct {
	name, transport, mode string
	setup                 func(ctx context.Context, c *child) ([]callFunc, error)
}

func (h *harness) served() []servedScenario {
	noop := func(int) []byte { return noopParams }
	return []servedScenario{
		{nameStdioRaw, "stdio", modePipeEcho, h.pipeEchoCalls},
		{nameStdioFloor, "stdio", modeNoopStdio, h.stdioCalls(noop, nil, false)},
		{nameStdioStack, "stdio", modeNoopGatewayStdio, h.stdioCalls(noop, nil, false)},
		{nameStdioHit, "stdio", modeGatewayStdio, h.stdioCalls(h.hitParams("stdio"), wantCached(true), true)},
		{nameStdioMiss, "stdio", modeGatewayStdio, h.stdioCalls(h.missParams("stdio"), wantCached(false), false)},
		{nameHTTPRaw, "http", modeHTTPEcho, h.httpEchoCalls},
		{nameHTTPFloor, "http", modeNoopHTTP, h.httpCalls(1, noop, nil, false)},
		{nameHTTPStack, "http", modeNoopStack, h.httpCalls(1, noop, nil, false)},
		{nameHTTPHit, "http", modeGatewayHTTP, h.httpCalls(1, h.hitParams("http"), wantCached(true), true)},
		{nameHTTPMiss, "http", modeGatewayHTTP, h.httpCalls(1, h.missParams("http"), wantCached(false), false)},
		// The same calls through the compatible APIs: their difference
		// from the MCP rows above is each front end's overhead.
		{nameOpenAIHit, "http", modeGatewayHTTP, h.apiCalls(openAIPath, h.hitBody("openai"), wantCached(true), true)},
		{nameOpenAIMiss, "http", modeGatewayHTTP, h.apiCalls(openAIPath, h.missBody("openai"), wantCached(false), false)},
		{nameAnthropicHit, "http", modeGatewayHTTP, h.apiCalls(anthropicPath, h.hitBody("anthropic"), wantCached(true), true)},
		{nameAnthropicMiss, "http", modeGatewayHTTP, h.apiCalls(anthropicPath, h.missBody("anthropic"), wantCached(false), false)},
	}
}

// Where the compatible APIs answer.
const (
	openAIPath    = "/v1/chat/completions"
	anthropicPath = "/v1/messages"
)

// apiBody is a request with one user message, in the shape both APIs
// share: OpenAI's chat completion and Anthropic's message.
func apiBody(prompt string) []byte {
	b, _ := json.Marshal(map[string]any{
		"model":      benchModel,
		"max_tokens": answerTokens,
		"messages":   []map[string]string{{"role": "user", "content": prompt}},
	})
	return b
}

func (h *harness) hitBody(scenario string) func(int) []byte {
	b := apiBody(h.hitPrompt(scenario))
	return func(int) []byte { return b }
}

func (h *harness) missBody(scenario string) func(int) []byte {
	return func(i int) []byte { return apiBody(h.missPrompt(scenario, i)) }
}

// apiCalls POSTs requests to one of the compatible APIs with the agent's
// key, as an SDK does; the answer's X-LLM-Gateway-Cache header says where
// it came from. prime makes one call first.
func (h *harness) apiCalls(path string, body func(i int) []byte, check func(i int, cached bool) error, prime bool) func(context.Context, *child) ([]callFunc, error) {
	return func(ctx context.Context, c *child) ([]callFunc, error) {
		hc := newHTTPClient(1)
		url := "http://" + c.addr + path
		call := func(ctx context.Context, i int) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body(i)))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+benchAPIKey)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("POST %s: %s: %s", path, resp.Status, b)
			}
			return check(i, resp.Header.Get("X-LLM-Gateway-Cache") == "hit")
		}
		if prime {
			if err := call(ctx, primeCall); err != nil {
				return nil, c.failure(err)
			}
		}
		return []callFunc{call}, nil
	}
}

func (h *harness) hitParams(scenario string) func(int) []byte {
	p := generateParams(h.hitPrompt(scenario))
	return func(int) []byte { return p }
}

func (h *harness) missParams(scenario string) func(int) []byte {
	return func(i int) []byte { return generateParams(h.missPrompt(scenario, i)) }
}

// wantCached checks where a generate answer came from; the first call of a
// hit scenario (i == primeCall) fills the cache.
func wantCached(want bool) func(i int, cached bool) error {
	return func(i int, cached bool) error {
		if i == primeCall || cached == want {
			return nil
		}
		if want {
			return errors.New("answer not from the cache")
		}
		return errors.New("answer from the cache on a miss")
	}
}

// primeCall is the index of the call a scenario's setup makes before the
// warm-up, to fill the cache for hit scenarios.
const primeCall = -1 << 30

// childScenario starts a child in mode, gets its callers from setup, and
// measures them against the child's own usage.
func (h *harness) childScenario(ctx context.Context, name, transport, mode string, env []string,
	setup func(ctx context.Context, c *child) ([]callFunc, error)) Result {
	h.progress("%s", name)
	spec, c, err := h.startServed(ctx, name, transport, mode, env, setup)
	if err != nil {
		return failed(name, err)
	}
	res := measure(ctx, *spec)
	closeChild(c, &res)
	return res
}

// startServed starts a child for a scenario and returns its spec: the
// calls, and the child's own usage as the measure (with a CPU profile of
// the measured calls when ProfileDir is set).
func (h *harness) startServed(ctx context.Context, name, transport, mode string, env []string,
	setup func(ctx context.Context, c *child) ([]callFunc, error)) (*runSpec, *child, error) {
	c, err := h.startChild(mode, env...)
	if err != nil {
		return nil, nil, err
	}
	sessions, err := setup(ctx, c)
	if err != nil {
		c.kill()
		return nil, nil, err
	}
	snapshots := 0
	usage := func() (Usage, error) {
		snapshots++
		if h.opts.ProfileDir != "" && snapshots == 2 {
			_, _ = c.command(childStartTimeout, "pprof-stop")
		}
		u, err := c.usage(false)
		if h.opts.ProfileDir != "" && snapshots == 1 {
			path := filepath.Join(h.opts.ProfileDir, slug(name)+".pprof")
			if _, perr := c.command(childStartTimeout, "pprof-start %s", path); perr != nil {
				err = errors.Join(err, perr)
			}
		}
		return u, err
	}
	return &runSpec{name: name, transport: transport, measured: measuredServer,
		warm: h.sizes.warm, n: h.perSession(len(sessions)), sessions: sessions, usage: usage, conns: h.simConns}, c, nil
}

// closeChild ends a scenario's child; a failed exit is the scenario's error.
func closeChild(c *child, res *Result) {
	if err := c.close(); err != nil {
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
	}
}

// perSession is how many measured calls each of n sessions makes.
func (h *harness) perSession(n int) int {
	if n <= 1 {
		return h.sizes.calls
	}
	return max(1, h.sizes.hitTotal/n)
}

func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// pipeEchoCalls writes the no-op tool call's bytes to an echoing child and
// reads them back: the pipe round trip under the stdio transport.
func (h *harness) pipeEchoCalls(_ context.Context, c *child) ([]callFunc, error) {
	msg := append(appendRequest(nil, 1, "tools/call", noopParams), '\n')
	br := bufio.NewReaderSize(c.stdout, 64<<10)
	return []callFunc{func(context.Context, int) error {
		if _, err := c.stdin.Write(msg); err != nil {
			return err
		}
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) != len(msg) {
			return fmt.Errorf("echo of %d bytes, want %d", len(line), len(msg))
		}
		return nil
	}}, nil
}

// stdioCalls makes tools/call requests over the child's stdin and stdout;
// prime makes one call first, to fill the cache for a hit scenario.
func (h *harness) stdioCalls(params func(i int) []byte, check func(i int, cached bool) error, prime bool) func(context.Context, *child) ([]callFunc, error) {
	return func(ctx context.Context, c *child) ([]callFunc, error) {
		cl := newStdioClient(c.stdout, c.stdin)
		if err := cl.initialize(ctx); err != nil {
			return nil, c.failure(err)
		}
		call := toolCaller(cl, params, check)
		if prime {
			if err := call(ctx, primeCall); err != nil {
				return nil, c.failure(err)
			}
		}
		return []callFunc{call}, nil
	}
}

func toolCaller(cl mcpClient, params func(i int) []byte, check func(i int, cached bool) error) callFunc {
	return func(ctx context.Context, i int) error {
		cached, err := toolCall(ctx, cl, params(i))
		if err == nil && check != nil {
			err = check(i, cached)
		}
		return err
	}
}

// httpCalls opens sessions Streamable HTTP sessions to the child and makes
// tools/call requests on each; prime makes one call first.
func (h *harness) httpCalls(sessions int, params func(i int) []byte, check func(i int, cached bool) error, prime bool) func(context.Context, *child) ([]callFunc, error) {
	return func(ctx context.Context, c *child) ([]callFunc, error) {
		hc := newHTTPClient(sessions)
		url := "http://" + c.addr + h.opts.Wiring.path()
		clients, err := openSessions(ctx, hc, url, sessions)
		if err != nil {
			return nil, c.failure(err)
		}
		calls := make([]callFunc, sessions)
		for s, cl := range clients {
			calls[s] = toolCaller(cl, params, check)
		}
		if prime {
			if err := calls[0](ctx, primeCall); err != nil {
				return nil, c.failure(err)
			}
		}
		return calls, nil
	}
}

// openSessions initializes n Streamable HTTP sessions side by side.
func openSessions(ctx context.Context, hc *http.Client, url string, n int) ([]*httpClient, error) {
	clients := make([]*httpClient, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = &httpClient{client: hc, url: url}
		wg.Go(func() { errs[i] = clients[i].initialize(ctx) })
	}
	wg.Wait()
	return clients, errors.Join(errs...)
}

// newHTTPClient keeps a connection per session alive, as agents do.
func newHTTPClient(sessions int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = sessions + 16
	t.MaxIdleConnsPerHost = sessions + 16
	t.DisableCompression = true
	return &http.Client{Transport: t}
}

// httpEchoCalls POSTs the no-op tool call's bytes to an echoing child: the
// loopback HTTP round trip under Streamable HTTP.
func (h *harness) httpEchoCalls(_ context.Context, c *child) ([]callFunc, error) {
	hc := newHTTPClient(1)
	url := "http://" + c.addr + "/"
	msg := appendRequest(nil, 1, "tools/call", noopParams)
	return []callFunc{func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(msg))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || len(b) != len(msg) {
			return fmt.Errorf("echo: %s, %d bytes", resp.Status, len(b))
		}
		return nil
	}}, nil
}

// inProcessSpecs are the gateway core and the direct SDK call, run in this
// process against the same simulator: their difference is what the
// gateway adds to a Bedrock call, without any MCP transport. Their usage
// is read around each call, as the harness process does other work
// between them. done releases the gateway.
func (h *harness) inProcessSpecs(ctx context.Context) (specs []*runSpec, done func(), err error) {
	gw, err := h.opts.Wiring.Gateway(ctx, getenvFrom(h.env()), io.Discard)
	if err != nil {
		return nil, nil, fmt.Errorf("wire the gateway: %w", err)
	}
	done = func() {}
	if gw.Close != nil {
		done = gw.Close
	}
	generate := func(ctx context.Context, prompt string) (*gateway.Response, error) {
		return gw.Generator.Generate(ctx, &gateway.Request{
			Model:     benchModel,
			Messages:  []gateway.Message{{Role: gateway.RoleUser, Content: prompt}},
			MaxTokens: answerTokens,
			Agent:     "bench",
		})
	}
	// The first call also names the model ID the direct calls use.
	first, err := generate(ctx, h.hitPrompt("in-process"))
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("first generate: %w", err)
	}
	direct, err := h.directClient(ctx, 0)
	if err != nil {
		done()
		return nil, nil, err
	}
	// The gateway's own Bedrock client (its lean Converse path), making the
	// direct call's request: what it saves over the SDK is what the
	// gateway's miss can spend.
	client, err := bedrock.New(ctx, bedrock.Options{Endpoint: h.simURL, Region: benchRegion, Standalone: true,
		Credentials: credentials.NewStaticCredentialsProvider(benchAccessKey, benchSecretKey, ""), MaxAttempts: 1})
	if err != nil {
		done()
		return nil, nil, err
	}
	spec := func(name string, call callFunc) *runSpec {
		return &runSpec{name: name, transport: "in-process", measured: measuredHarness, perCall: true,
			warm: h.sizes.warm, n: h.sizes.calls, sessions: []callFunc{call}, conns: h.simConns}
	}
	specs = []*runSpec{
		spec(nameDirect, func(ctx context.Context, i int) error {
			return h.converse(ctx, direct, first.ModelID, h.missPrompt("direct", i))
		}),
		spec(nameClient, func(ctx context.Context, i int) error {
			_, err := client.Converse(ctx, &gateway.Call{ModelID: first.ModelID, SupportsSystem: true, MaxTokens: answerTokens,
				Messages: []gateway.Message{{Role: gateway.RoleUser, Content: h.missPrompt("client", i)}}})
			return err
		}),
		spec(nameInProcessMiss, func(ctx context.Context, i int) error {
			resp, err := generate(ctx, h.missPrompt("in-process", i))
			if err == nil && resp.Cached {
				err = errors.New("answer from the cache on a miss")
			}
			return err
		}),
		spec(nameInProcessHit, func(ctx context.Context, _ int) error {
			// Asked every round, the answer stays among the most recently
			// used: the misses between do not evict it.
			resp, err := generate(ctx, h.hitPrompt("in-process"))
			if err == nil && !resp.Cached {
				err = errors.New("answer not from the cache")
			}
			return err
		}),
	}
	return specs, done, nil
}

// defaultModelID is what benchModel resolves to in benchRegion, for direct
// calls made without asking the gateway.
const defaultModelID = "us.amazon.nova-lite-v1:0"

// converse makes the Converse call the gateway makes for a generate call
// with one user message and max_tokens answerTokens.
func (h *harness) converse(ctx context.Context, client *bedrockruntime.Client, modelID, prompt string) error {
	resp, err := client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String(modelID),
		Messages: []types.Message{{
			Role:    types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: prompt}},
		}},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(answerTokens)},
	})
	if err != nil {
		return err
	}
	if _, ok := resp.Output.(*types.ConverseOutputMemberMessage); !ok {
		return fmt.Errorf("converse output %T, want a message", resp.Output)
	}
	return nil
}

// directClient is a Bedrock Runtime client configured as an application
// would configure one, pointed at the simulator. idle, if positive, sets
// the idle connections its HTTP transport keeps per host (the SDK keeps 10).
func (h *harness) directClient(ctx context.Context, idle int) (*bedrockruntime.Client, error) {
	load := []func(*config.LoadOptions) error{
		config.WithRegion(benchRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(benchAccessKey, benchSecretKey, "")),
		config.WithRetryMaxAttempts(1),
	}
	if idle > 0 {
		load = append(load, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = idle
			t.MaxIdleConnsPerHost = idle
		})))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		o.BaseEndpoint = aws.String(h.simURL)
	}), nil
}
