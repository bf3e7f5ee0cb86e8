package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/authbackoff"
	"github.com/llm-gateway/llm-gateway/internal/bedrock"
	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/cache"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/fleet"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
	"github.com/llm-gateway/llm-gateway/internal/metrics"
	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/prom"
	"github.com/llm-gateway/llm-gateway/internal/sqlite"
	"github.com/llm-gateway/llm-gateway/internal/tracing"
)

// Credentials the in-process simulator and the gateway share when the user
// gave none: they never leave the machine.
const (
	simAccessKey = "AKIDSIMULATOR"
	simSecretKey = "simulator-secret"
)

// app is a wired gateway: the MCP server and what get_stats reports on.
type app struct {
	mcp       *mcp.Server
	lane      *mcpserver.Lane // answers generate beside the SDK; see mcpserver.Lane
	gateway   *gateway.Gateway
	catalog   *catalog.Catalog
	prom      *prom.Recorder // nil when metrics are off
	simulated bool
	setup     *setup
	fleet     *fleet.Fleet // nil without REDIS_URL
	ledger    *usageLedger
	// core is wired in the background by start; the fields above that it
	// sets (gateway, prom, fleet, ledger, policy) are read after it is.
	core *core
	// authBackoff is shared by the HTTP listeners that check keys (MCP
	// and its routes, METRICS_ADDR); nil when AUTH_BACKOFF_AFTER is 0.
	authBackoff *authbackoff.Table
	policy      *policy.Governor // nil without POLICY_FILE
}

// serve wires the gateway from its settings and serves MCP until ctx ends
// or the client goes away. Every goroutine it starts has ended when it
// returns.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, stdin io.Reader, stdout io.Writer, problems ...SetupProblem) error {
	// The background work (the simulator) outlives ctx: on a signal the
	// transports drain calls in flight, which may still need it. It stops
	// when serve returns.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()

	a, wait, err := start(bg, cfg, log, problems...)
	if err != nil {
		return err
	}
	defer wait()
	defer stopBackground() // runs before wait
	if cfg.Transport != config.TransportStdio || cfg.MetricsAddr != "" {
		// Only a stdio session answers before the core is wired (start):
		// HTTP's /readyz and the metrics listener report on all of it.
		if err := a.core.wait(context.Background()); err != nil {
			return err
		}
	}
	a.authBackoff = newAuthBackoff(cfg, log)
	defer serveMetrics(bg, cfg, a, log)()

	switch cfg.Transport {
	case config.TransportStdio:
		return serveStdio(ctx, cfg, log, a, stdin, stdout)
	case config.TransportHTTP:
		return serveHTTP(ctx, cfg, log, a)
	default:
		return fmt.Errorf("unknown transport %q; use stdio or http", cfg.Transport)
	}
}

// build wires catalog, provider (real Bedrock or the simulator), cache,
// metrics, gateway core and MCP server, and returns once all of it is
// wired (see start). Background work (the simulator, the credentials
// check) runs until ctx ends; wait blocks until it has stopped.
//
// A configuration problem that leaves the gateway able to speak MCP (a
// missing profile, an unknown Region, a bad models file, no credentials)
// does not fail build: it is recorded in the returned app's setup, and
// generate calls are refused with it. problems are those found before
// build (settings that did not load).
func build(ctx context.Context, cfg *config.Config, log *slog.Logger, problems ...SetupProblem) (a *app, wait func(), err error) {
	a, wait, err = start(ctx, cfg, log, problems...)
	if err != nil {
		return nil, wait, err
	}
	if err := a.core.wait(context.Background()); err != nil {
		return nil, func() {}, err
	}
	return a, wait, nil
}

// start is build returning as soon as the MCP server can answer: the
// ledger's store opens meanwhile (a SQLite file's first connection and
// schema check were a third of the work after main), and what needs it,
// the gateway core with its cache, limits and Bedrock client, is wired
// once it has, in the background; so is the embedded catalog loaded. The
// tools wait for the core (a.core) before they run, so no call bypasses
// the ledger; list_models and the models resource wait for the catalog
// only; initialize and tools/list wait for neither. Only the stdio
// transport serves before a.core is done: an agent that spawns the
// gateway waits for initialize.
func start(ctx context.Context, cfg *config.Config, log *slog.Logger, problems ...SetupProblem) (a *app, wait func(), err error) {
	su := newSetup(log)
	for _, p := range problems {
		su.add(p)
	}
	a = &app{simulated: cfg.Simulate, setup: su, core: &core{done: make(chan struct{})}}
	// The catalog: the embedded one is loaded in the background, the MCP
	// server serving the tools' schemas derived for it ahead of time
	// (mcpserver.Options.EmbeddedCatalog) and list_models waiting for it;
	// a models file's is loaded here, as the schemas state its figures.
	embedded := cfg.ModelsFile == ""
	loaded := make(chan struct{})
	var cat *catalog.Catalog
	var catErr error
	load := func() {
		defer close(loaded)
		cat, catErr = loadCatalog(cfg, log, su)
	}
	// One goroutine loads the embedded catalog, opens the store, then
	// wires the core with what the rest of start gives it (wire): one, so
	// that the session, which the caller serves meanwhile, keeps the
	// other core to itself. The open is bounded by storeOpenTimeout, not
	// cut short by ctx: a session that ends at once still finds it open,
	// or failed for a reason worth logging.
	wire := make(chan func(*openedLedger), 1)
	go func() {
		if embedded {
			load()
		}
		led, done := openLedger(ctx, cfg, log)
		(<-wire)(&openedLedger{led, done})
	}()
	if !embedded {
		load()
		if catErr != nil {
			done := make(chan func(), 1)
			wire <- func(o *openedLedger) { done <- o.done }
			return nil, func() { (<-done)() }, catErr
		}
	}
	tr, stopTracing := startTracing(ctx, cfg, log)
	st := &statsSource{cfg: cfg, setup: su}
	wire <- func(o *openedLedger) {
		defer close(a.core.done)
		a.core.waits = append(a.core.waits, stopTracing)
		if catErr != nil {
			a.core.waits, a.core.err = append(a.core.waits, o.done), catErr
		} else {
			a.catalog = cat
			a.core.err = wireCore(ctx, cfg, log, a, st, tr, o)
		}
		if a.core.err != nil {
			log.Error("the gateway could not be wired", "error", a.core.err)
		}
	}
	srv, lane := mcpserver.NewWithLane(mcpserver.Options{
		Name:      "llm-gateway",
		Version:   version,
		Generator: gatedGenerator{setup: su, core: a.core},
		Models: func() []mcpserver.ModelInfo {
			<-loaded
			if cat == nil {
				return nil // the embedded catalog did not load: a build bug, which ends the session
			}
			return cat.Models()
		},
		EmbeddedCatalog: embedded,
		Stats: func(ctx context.Context, c mcpserver.Caller) any {
			if err := a.core.wait(ctx); err != nil {
				return Stats{Caller: c}
			}
			return st.stats(ctx, c)
		},
		StatsFor: func(ctx context.Context, c mcpserver.Caller, q mcpserver.StatsQuery) (any, error) {
			if err := a.core.wait(ctx); err != nil {
				return nil, err
			}
			return st.statsFor(ctx, c, q)
		},
		StatsSchema: json.RawMessage(statsSchema),
		KeepAlive:   cfg.ProgressInterval,
		Transport:   string(cfg.Transport),
		Agent:       cfg.AgentName,
		Admin:       adminNames(cfg.AdminKeys),
		Logger:      log,
	})
	if tr.On() {
		lane.AddReceivingMiddleware(srv, tr.MCPMiddleware())
	}
	a.mcp, a.lane = srv, lane
	return a, a.core.stop, nil
}

// loadCatalog loads the catalog of cfg. A models file that does not load
// is a blocking setup problem, the embedded catalog serving meanwhile; so
// is a fallback chain naming models the catalog does not have.
func loadCatalog(cfg *config.Config, log *slog.Logger, su *setup) (*catalog.Catalog, error) {
	cat, err := catalog.Load(catalog.Options{Region: cfg.Region, File: cfg.ModelsFile, Logger: log})
	if err != nil && cfg.ModelsFile != "" {
		su.add(SetupProblem{Setting: "MODELS_FILE", Cause: err.Error(), Blocking: true,
			Fix: "correct the entry named above in " + cfg.ModelsFile + ", or unset MODELS_FILE to use the built-in catalog (list_models shows it meanwhile)"})
		cat, err = catalog.Load(catalog.Options{Region: cfg.Region, Logger: log})
	}
	if err != nil {
		return nil, fmt.Errorf("model catalog: %w", err) // the embedded catalog: a build bug
	}
	if p, bad := fallbackProblem(cfg.FallbackModels, cat); bad {
		su.add(p)
	}
	return cat, nil
}

// openedLedger is openLedger's result.
type openedLedger struct {
	led  *usageLedger
	done func()
}

// core is the part of the gateway wired once the ledger's store has
// opened (or failed to): the gateway core and what it records into and
// reads limits from. See start.
type core struct {
	done    chan struct{} // closed when wired (or not: err)
	err     error
	gateway *gateway.Gateway // nil when no Bedrock client could be made
	waits   []func()         // end the background work, in order
}

// wait blocks until the core is wired, or ctx ends.
func (c *core) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop waits for the wiring, then for the background work to end (after
// the context given to start has ended).
func (c *core) stop() {
	<-c.done
	for _, w := range c.waits {
		w()
	}
}

// wireCore wires what start left to the background into a and st: the
// Bedrock client (or the simulator), the ledger once opened, the caches,
// limits and policy, metrics, and the gateway core. Its background work
// goes on a.core.waits.
func wireCore(ctx context.Context, cfg *config.Config, log *slog.Logger, a *app, st *statsSource, tr *tracing.Tracing, o *openedLedger) error {
	c, su, cat := a.core, a.setup, a.catalog
	popts := bedrock.Options{
		Region:      cfg.Region,
		Endpoint:    cfg.BedrockEndpoint,
		Profile:     cfg.Profile,
		BearerToken: cfg.BedrockAPIKey,
		MaxAttempts: cfg.MaxAttempts,
		MaxBackoff:  cfg.MaxBackoff,
		Logger:      log,
		// Limits against a misbehaving upstream (README, Limits).
		MaxAnswerBytes: cfg.MaxAnswerBytes,
		AttemptTimeout: cfg.AttemptTimeout,
		NoRetryQuota:   !cfg.RetryQuota,
	}
	if cfg.HasStaticCredentials() {
		popts.Credentials = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	}
	if cfg.Simulate {
		key, secret := simAccessKey, simSecretKey
		if cfg.HasStaticCredentials() {
			key, secret = cfg.AccessKeyID, cfg.SecretAccessKey
		}
		url, done, err := startSimulator(ctx, bedrocksim.Options{
			AccessKeyID: key, SecretAccessKey: secret, Region: cfg.Region,
			Catalog: simModels(cat), Logger: log.With("component", "bedrock-sim"),
		})
		if err != nil {
			c.waits = append(c.waits, o.done)
			return err
		}
		c.waits = append(c.waits, done)
		// With the simulator no AWS setting is consulted: a profile that
		// does not exist, a Bedrock API key or ~/.aws must not stop it.
		// The limits stay (they once did not: a hang then waited out
		// REQUEST_TIMEOUT and a huge answer was read whole).
		popts.Endpoint, popts.Standalone, popts.Profile, popts.BearerToken = url, true, "", ""
		popts.Credentials = credentials.NewStaticCredentialsProvider(key, secret, cfg.SessionToken)
		log.Warn("SIMULATED: answers come from the built-in Bedrock simulator, not from AWS", "endpoint", url)
	} else if cfg.BedrockEndpoint == "" && !bedrock.KnownRegion(cfg.Region) {
		su.add(SetupProblem{Setting: "AWS_REGION", Blocking: true,
			Cause: fmt.Sprintf("%q is not an AWS Region this gateway knows (a typo?)", cfg.Region),
			Fix: fmt.Sprintf("set AWS_REGION to a Region where Bedrock runs, such as %s; for a Region newer than this build, "+
				"also set AWS_ENDPOINT_URL_BEDROCK_RUNTIME=https://bedrock-runtime.%s.amazonaws.com", strings.Join(bedrock.BedrockRegions, ", "), cfg.Region)})
	}
	provider, perr := bedrock.New(ctx, popts)

	led := o.led
	c.waits = append(c.waits, o.done)
	var respCache *cache.Memory
	var answers gateway.Cache
	if cfg.CacheEnabled {
		respCache = cache.NewMemory(cache.Options{MaxEntries: cfg.CacheMaxSize, MaxBytes: cfg.CacheMaxBytes, TTL: cfg.CacheTTL})
		answers = respCache
		if led.sqlite != nil {
			// Every gateway sharing the SQLite file shares its answers.
			answers = cache.Tiered{Near: respCache, Far: led.sqlite.Cache(sqlite.CacheOptions{
				MaxEntries: cfg.CacheMaxSize, MaxBytes: cfg.CacheMaxBytes, TTL: cfg.CacheTTL, Logger: log})}
		}
	}
	var shared *fleet.Fleet
	if cfg.RedisURL != "" {
		var err error
		shared, err = fleet.New(fleet.Options{
			URL: cfg.RedisURL, Cluster: cfg.RedisCluster, Prefix: cfg.RedisPrefix, TTL: cfg.CacheTTL, LockTTL: cfg.RedisLockTTL,
			Logger: log.With("component", "fleet"),
		})
		if err != nil {
			return err
		}
		c.waits = append(c.waits, func() { shared.Close() })
		// Reported at start, not waited for: a fleet whose Redis is down
		// serves alone until it returns.
		if err := shared.Ping(ctx); err != nil {
			log.Warn("redis unreachable at start: serving from local cache and coalescing", "error", err.Error())
		} else {
			log.Info("sharing cache and upstream calls with the fleet through redis", "prefix", cfg.RedisPrefix)
		}
	}
	limits, closeLimits := limitsState(ctx, cfg, shared, led, log)
	gov, stopPolicy := governance(ctx, cfg, cat, limits, led, log)
	c.waits = append(c.waits, stopPolicy, closeLimits)
	reg := metrics.New(metrics.Options{})
	var gw *gateway.Gateway
	var pr *prom.Recorder
	if cfg.MetricsEnabled && promServed(cfg) {
		pr = newProm(cat, func() int {
			if gw == nil {
				return 0
			}
			return gw.InFlight()
		}, gov)
	}
	if perr != nil {
		su.add(awsConfigProblem(cfg, perr))
	} else {
		gopts := gateway.Options{
			Catalog:       cat,
			Provider:      tr.WrapProvider(provider, cfg.LogPrompts),
			Timeout:       cfg.RequestTimeout,
			MaxInputBytes: int(cfg.MaxInputBytes),
			LogPrompts:    cfg.LogPrompts,
			Fallbacks:     cfg.FallbackModels,
			Logger:        log,
		}
		if cfg.GuardrailID != "" {
			gopts.Guardrail = &gateway.Guardrail{ID: cfg.GuardrailID, Version: cfg.GuardrailVersion}
		}
		if answers != nil {
			gopts.Cache = answers
			if shared != nil {
				// A fleet shares through Redis; the SQLite tier is for one machine.
				gopts.Cache = cache.Tiered{Near: respCache, Far: shared.Cache()}
			}
		}
		if shared != nil {
			gopts.Coalescer = shared.Coalescer()
		}
		gopts.Recorders = append(gopts.Recorders, led)
		if cfg.MetricsEnabled {
			gopts.Recorders = append(gopts.Recorders, reg)
		}
		if pr != nil {
			gopts.Recorders = append(gopts.Recorders, pr)
		}
		if tr.On() {
			gopts.Recorders = append(gopts.Recorders, tr.Recorder())
		}
		if gov != nil {
			gopts.Admission = gov
		}
		if cfg.LedgerRequired {
			gopts.Admission = led.Required(gopts.Admission)
		}
		var err error
		if gw, err = gateway.New(gopts); err != nil {
			return err
		}
		if !cfg.Simulate && !cfg.HasStaticCredentials() && cfg.BedrockAPIKey == "" {
			su.checkCreds = provider.CheckCredentials
		}
	}
	c.waits = append(c.waits, su.probeCredentials(ctx))

	region := cfg.Region
	if provider != nil {
		region = provider.Region()
	}
	*st = statsSource{cfg: cfg, metrics: reg, cache: respCache, gateway: gw, region: region, setup: su, policy: gov, fleet: shared, ledger: led}
	a.gateway, a.prom, a.fleet, a.ledger, a.policy = gw, pr, shared, led, gov
	c.gateway = gw
	return nil
}

// awsConfigProblem explains a failure to load the AWS configuration.
func awsConfigProblem(cfg *config.Config, err error) SetupProblem {
	if cfg.Profile != "" {
		return SetupProblem{Setting: "AWS_PROFILE", Blocking: true, Cause: err.Error(),
			Fix: fmt.Sprintf("create the profile (aws configure --profile %[1]s, or aws configure sso --profile %[1]s), "+
				"set AWS_PROFILE to a profile that exists in ~/.aws/config, unset it to use the default credential chain, "+
				"or start the gateway with --simulate to answer without AWS", cfg.Profile)}
	}
	return SetupProblem{Setting: "AWS configuration", Blocking: true, Cause: err.Error(),
		Fix: "correct ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE), or start the gateway with --simulate to answer without AWS"}
}

// startSimulator serves the Bedrock simulator on a free loopback port until
// ctx ends. done waits for it to stop.
func startSimulator(ctx context.Context, opts bedrocksim.Options) (url string, done func(), err error) {
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- bedrocksim.ListenAndServe(ctx, "127.0.0.1:0", opts, func(a net.Addr) { ready <- a }) }()
	select {
	case addr := <-ready:
		return "http://" + addr.String(), func() { _ = <-errc }, nil
	case err := <-errc:
		return "", func() {}, fmt.Errorf("bedrock simulator: %w", err)
	}
}

// statsSchema is get_stats' output schema, derived from Stats ahead of
// time (TestStatsSchema; go test -run TestStatsSchema -update rewrites it)
// rather than by reflection at every start.
//
//go:embed stats.schema.json
var statsSchema []byte

// Stats is what get_stats returns: the seed's metrics and cache objects,
// and a gateway object that says, among other things, whether answers are
// simulated.
type Stats struct {
	Metrics metrics.Snapshot `json:"metrics"`
	Cache   CacheStats       `json:"cache"`
	Gateway GatewayInfo      `json:"gateway"`
	// Caller is who asked, and where that name came from.
	Caller mcpserver.Caller `json:"caller"`
	// Limits are the policy's limits with what is used of them: the
	// caller's own, or every agent's for an admin key and over stdio.
	Limits policy.Limits `json:"limits"`
	// Ledger says where the totals come from and whether the store can be
	// written.
	Ledger *LedgerInfo `json:"ledger,omitempty"`
}

// CacheStats is the cache's figures with the seed's "enabled" flag.
type CacheStats struct {
	Enabled bool `json:"enabled"`
	cache.Stats
}

// GatewayInfo describes the running gateway.
type GatewayInfo struct {
	Version        string `json:"version"`
	Region         string `json:"region"`
	Simulated      bool   `json:"simulated"`
	MetricsEnabled bool   `json:"metrics_enabled"`
	// InFlight is the number of Bedrock calls under way.
	InFlight int    `json:"in_flight_requests"`
	Notice   string `json:"notice,omitempty"`
	// Problems are configuration problems found at start; while one is
	// blocking, generate calls are refused with it.
	Problems []SetupProblem `json:"problems,omitempty"`
	// Fleet is the state of what replicas share, when REDIS_URL is set.
	Fleet *FleetInfo `json:"fleet,omitempty"`
}

// FleetInfo says whether the replicas' shared Redis answers.
type FleetInfo struct {
	Redis  string `json:"redis"` // "ok" or "unreachable"
	Detail string `json:"detail,omitempty"`
}

type statsSource struct {
	cfg     *config.Config
	metrics *metrics.Registry
	cache   *cache.Memory
	gateway *gateway.Gateway // nil when no Bedrock client could be made
	region  string
	setup   *setup
	policy  *policy.Governor
	fleet   *fleet.Fleet
	ledger  *usageLedger
}

func (s statsSource) stats(ctx context.Context, c mcpserver.Caller) any {
	out := Stats{
		Caller:  c,
		Metrics: s.metrics.Snapshot(),
		Gateway: GatewayInfo{Version: version, Region: s.region, Simulated: s.cfg.Simulate, MetricsEnabled: s.cfg.MetricsEnabled, Problems: s.setup.list()},
	}
	if s.gateway != nil {
		out.Gateway.InFlight = s.gateway.InFlight()
	}
	if s.fleet != nil {
		out.Gateway.Fleet = &FleetInfo{Redis: "ok"}
		if ok, why := s.fleet.Health(); !ok {
			out.Gateway.Fleet = &FleetInfo{Redis: "unreachable", Detail: why}
		}
	}
	if s.cfg.Simulate {
		out.Gateway.Notice = "SIMULATED: answers come from the built-in Bedrock simulator, not from AWS"
	}
	if s.cache != nil { // a disabled cache reports enabled: false and zeros
		out.Cache = CacheStats{Enabled: true, Stats: s.cache.Stats()}
	}
	if !c.All {
		// Other agents' usage is for admin keys only.
		own, ok := out.Metrics.RequestsByAgent[c.Agent]
		out.Metrics.RequestsByAgent = map[string]metrics.AgentStats{}
		if ok {
			out.Metrics.RequestsByAgent[c.Agent] = own
		}
	}
	if s.policy != nil {
		out.Limits = s.policy.Limits(ctx, c.Agent, c.All)
	}
	return out
}

// adminNames reports whether a key's holder is an admin (ADMIN_KEYS).
func adminNames(keys []config.APIKey) func(string) bool {
	names := make(map[string]bool, len(keys))
	for _, k := range keys {
		names[k.Name] = true
	}
	return func(name string) bool { return names[name] }
}

// fallbackProblem checks at start that FALLBACK_MODELS names only models of
// the catalog, rather than letting a misspelt fallback fail the calls that
// need it. It blocks: the chain the operator wrote is not the one that
// would run.
func fallbackProblem(chains map[string][]string, cat *catalog.Catalog) (SetupProblem, bool) {
	var unknown []string
	for from, to := range chains {
		for _, name := range append([]string{from}, to...) {
			if name == "*" {
				continue
			}
			if _, err := cat.Resolve(name); err != nil && !slices.Contains(unknown, name) {
				unknown = append(unknown, name)
			}
		}
	}
	if len(unknown) == 0 {
		return SetupProblem{}, false
	}
	slices.Sort(unknown)
	return SetupProblem{Setting: "FALLBACK_MODELS", Blocking: true,
		Cause: "names models that are not in the catalog: " + strings.Join(unknown, ", "),
		Fix:   "use names list_models shows, or correct MODELS_FILE"}, true
}
