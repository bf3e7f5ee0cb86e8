package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/bedrock"
	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/cache"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
	"github.com/llm-gateway/llm-gateway/internal/metrics"
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
	gateway   *gateway.Gateway
	catalog   *catalog.Catalog
	simulated bool
}

// serve wires the gateway from its settings and serves MCP until ctx ends
// or the client goes away. Every goroutine it starts has ended when it
// returns.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	// The background work (the simulator) outlives ctx: on a signal the
	// transports drain calls in flight, which may still need it. It stops
	// when serve returns.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()

	a, wait, err := build(bg, cfg, log)
	if err != nil {
		return err
	}
	defer wait()
	defer stopBackground() // runs before wait

	switch cfg.Transport {
	case config.TransportStdio:
		log.Info("serving MCP over stdio", "version", version, "region", cfg.Region, "simulated", a.simulated)
		err := a.mcp.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(stdin), Writer: nopWriteCloser{stdout}})
		if err == nil || errors.Is(err, io.EOF) || ctx.Err() != nil {
			log.Info("stdio session ended")
			return nil
		}
		return fmt.Errorf("serve stdio: %w", err)
	case config.TransportHTTP:
		return serveHTTP(ctx, cfg, log, a)
	default:
		return fmt.Errorf("unknown transport %q; use stdio or http", cfg.Transport)
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// build wires catalog, provider (real Bedrock or the simulator), cache,
// metrics, gateway core and MCP server. Background work (the simulator)
// runs until ctx ends; wait blocks until it has stopped.
func build(ctx context.Context, cfg *config.Config, log *slog.Logger) (a *app, wait func(), err error) {
	wait = func() {}
	cat, err := catalog.Load(catalog.Options{Region: cfg.Region, File: cfg.ModelsFile, Logger: log})
	if err != nil {
		return nil, wait, fmt.Errorf("model catalog: %w", err)
	}

	popts := bedrock.Options{
		Region:      cfg.Region,
		Endpoint:    cfg.BedrockEndpoint,
		Profile:     cfg.Profile,
		MaxAttempts: cfg.MaxAttempts,
		MaxBackoff:  cfg.MaxBackoff,
		Logger:      log,
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
			Models: cat.BedrockLimits(), Logger: log.With("component", "bedrock-sim"),
		})
		if err != nil {
			return nil, wait, err
		}
		wait = done
		popts.Endpoint = url
		popts.Credentials = credentials.NewStaticCredentialsProvider(key, secret, cfg.SessionToken)
		log.Warn("SIMULATED: answers come from the built-in Bedrock simulator, not from AWS", "endpoint", url)
	}
	provider, err := bedrock.New(ctx, popts)
	if err != nil {
		return nil, wait, fmt.Errorf("bedrock client: %w", err)
	}

	var respCache *cache.Memory
	gopts := gateway.Options{
		Catalog:       cat,
		Provider:      provider,
		Timeout:       cfg.RequestTimeout,
		MaxInputBytes: int(cfg.MaxInputBytes),
		LogPrompts:    cfg.LogPrompts,
		Fallbacks:     cfg.FallbackModels,
		Logger:        log,
	}
	if cfg.GuardrailID != "" {
		gopts.Guardrail = &gateway.Guardrail{ID: cfg.GuardrailID, Version: cfg.GuardrailVersion}
	}
	if cfg.CacheEnabled {
		respCache = cache.NewMemory(cache.Options{MaxEntries: cfg.CacheMaxSize, MaxBytes: cfg.CacheMaxBytes, TTL: cfg.CacheTTL})
		gopts.Cache = respCache
	}
	reg := metrics.New(metrics.Options{})
	if cfg.MetricsEnabled {
		gopts.Recorders = append(gopts.Recorders, reg)
	}
	gw, err := gateway.New(gopts)
	if err != nil {
		return nil, wait, err
	}

	st := statsSource{cfg: cfg, metrics: reg, cache: respCache, gateway: gw, region: provider.Region()}
	srv := mcpserver.New(mcpserver.Options{
		Name:        "llm-gateway",
		Version:     version,
		Generator:   gw,
		Models:      cat.Models,
		Stats:       func() any { return st.stats() },
		StatsSchema: mcpserver.SchemaFor[Stats](),
		KeepAlive:   cfg.ProgressInterval,
		Transport:   string(cfg.Transport),
		Logger:      log,
	})
	return &app{mcp: srv, gateway: gw, catalog: cat, simulated: cfg.Simulate}, wait, nil
}

// startSimulator serves the Bedrock simulator on a free loopback port until
// ctx ends. done waits for it to stop.
func startSimulator(ctx context.Context, opts bedrocksim.Options) (url string, done func(), err error) {
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- bedrocksim.ListenAndServe(ctx, "127.0.0.1:0", opts, func(a net.Addr) { ready <- a }) }()
	select {
	case addr := <-ready:
		return "http://" + addr.String(), func() { <-errc }, nil
	case err := <-errc:
		return "", func() {}, fmt.Errorf("bedrock simulator: %w", err)
	}
}

// Stats is what get_stats returns: the seed's metrics and cache objects,
// and a gateway object that says, among other things, whether answers are
// simulated.
type Stats struct {
	Metrics metrics.Snapshot `json:"metrics"`
	Cache   CacheStats       `json:"cache"`
	Gateway GatewayInfo      `json:"gateway"`
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
}

type statsSource struct {
	cfg     *config.Config
	metrics *metrics.Registry
	cache   *cache.Memory
	gateway *gateway.Gateway
	region  string
}

func (s statsSource) stats() Stats {
	out := Stats{
		Metrics: s.metrics.Snapshot(),
		Gateway: GatewayInfo{Version: version, Region: s.region, Simulated: s.cfg.Simulate, MetricsEnabled: s.cfg.MetricsEnabled, InFlight: s.gateway.InFlight()},
	}
	if s.cfg.Simulate {
		out.Gateway.Notice = "SIMULATED: answers come from the built-in Bedrock simulator, not from AWS"
	}
	if s.cache != nil { // a disabled cache reports enabled: false and zeros
		out.Cache = CacheStats{Enabled: true, Stats: s.cache.Stats()}
	}
	return out
}
