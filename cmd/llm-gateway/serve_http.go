package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/authbackoff"
	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/httpserver"
)

// serveHTTP serves the one gateway in a to every agent that has a key,
// over Streamable HTTP (/mcp) and SSE (/sse) on cfg.Addr, until ctx ends;
// then it lets calls in flight finish within cfg.ShutdownGrace.
func serveHTTP(ctx context.Context, cfg *config.Config, log *slog.Logger, a *app) error {
	var keys []httpserver.Key
	for _, k := range append(cfg.APIKeys[:len(cfg.APIKeys):len(cfg.APIKeys)], cfg.AdminKeys...) {
		keys = append(keys, httpserver.Key{Name: k.Name, Secret: k.Key})
	}
	admin, err := adminRoutes(cfg, a, log)
	if err != nil {
		return err
	}
	ui, err := dashboardRoutes(ctx, cfg, a, log)
	if err != nil {
		return err
	}
	admin = append(admin, ui...)
	srv, err := httpserver.New(httpserver.Options{
		Server:              a.mcp,
		Lane:                a.lane,
		Keys:                keys,
		AllowNoAuth:         cfg.AllowNoAuth,
		AllowedOrigins:      cfg.AllowedOrigins,
		Stateless:           cfg.Stateless,
		Routes:              append(apiRoutes(a, log), admin...),
		MaxBodyBytes:        cfg.MessageLimit(),
		MaxSessions:         cfg.MaxSessions,
		MaxConcurrent:       cfg.MaxConcurrent,
		MaxConcurrentPerKey: cfg.MaxConcurrentPerKey,
		MaxBytesInFlight:    cfg.MaxBytesInFlight,
		MaxSessionsPerKey:   cfg.MaxSessionsPerKey,
		SessionIdleTimeout:  cfg.SessionIdleTimeout,
		AuthBackoff:         a.authBackoff,
		NoAuthBackoff:       a.authBackoff == nil,
		Ready:               readiness(a),
		Degraded:            a.degraded,
		ShutdownGrace:       cfg.ShutdownGrace,
		Logger:              log,
	})
	if err != nil {
		return err
	}
	err = srv.ListenAndServe(ctx, cfg.Addr, func(addr net.Addr) {
		log.Info("gateway listening", "version", version, "url", "http://"+addr.String()+"/mcp",
			"region", cfg.Region, "simulated", a.simulated)
	})
	if errors.Is(err, httpserver.ErrNoKeys) {
		return fmt.Errorf("%w\nGive each agent a key with API_KEYS=name:key,… or API_KEYS_FILE, listen on 127.0.0.1 only, or set ALLOW_INSECURE_NO_AUTH=true to serve without keys anyway.", err)
	}
	return err
}

// newAuthBackoff is the backoff of failed key checks that AUTH_BACKOFF_AFTER
// and AUTH_BACKOFF_MAX ask for; nil (off) when AUTH_BACKOFF_AFTER is 0.
func newAuthBackoff(cfg *config.Config, log *slog.Logger) *authbackoff.Table {
	if cfg.AuthBackoffAfter <= 0 {
		return nil
	}
	return authbackoff.New(authbackoff.Options{After: cfg.AuthBackoffAfter, Max: cfg.AuthBackoffMax, Logger: log})
}

// readiness returns the /readyz check: the catalog has models and no
// configuration problem remains (credentials that were missing at start
// are looked for again).
func readiness(a *app) func(context.Context) error {
	return func(ctx context.Context) error {
		if a.catalog == nil || len(a.catalog.Models()) == 0 {
			return errors.New("the model catalog is empty")
		}
		if _, err := a.ledger.ready(); err != nil {
			return err
		}
		return a.setup.ready(ctx)
	}
}

// degraded lists the shared parts that do not answer now; the gateway
// still serves without them.
func (a *app) degraded() []string {
	var out []string
	if w, _ := a.ledger.ready(); w != "" {
		out = append(out, w)
	}
	if a.fleet != nil {
		ok, why := a.fleet.Health()
		if !ok && a.fleet.Ping(context.Background()) == nil {
			ok = true // back since the last call noticed
		}
		if !ok {
			out = append(out, "redis unreachable ("+why+"): serving from local cache and coalescing")
		}
	}
	return out
}

const healthcheckUsage = `Usage: llm-gateway healthcheck [--addr HOST:PORT] [--timeout D]

Probes /healthz and /readyz of a gateway serving --transport http, for
container health checks in images without a shell. Exits 0 when both
answer 200, 1 otherwise.

Flags:
`

// runHealthcheck probes a running gateway's health endpoints.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, healthcheckUsage); fs.PrintDefaults() }
	addr := fs.String("addr", firstNonEmpty(getenv("MCP_ADDR"), "127.0.0.1:8080"), "address of the gateway (env MCP_ADDR)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long each probe may take")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError(2)
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("healthcheck: --addr %q: want host:port", *addr)
	}
	// A gateway listening on every interface is probed on loopback.
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, port)
	client := &http.Client{Timeout: *timeout}
	for _, path := range []string{"/healthz", "/readyz"} {
		status, body, err := probe(ctx, client, base+path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			return exitError(1)
		}
		if status != http.StatusOK {
			fmt.Fprintf(stderr, "%s: %d %s", path, status, body)
			return exitError(1)
		}
		fmt.Fprintf(stdout, "%s: %s", path, body)
	}
	return nil
}

func probe(ctx context.Context, client *http.Client, url string) (status int, body string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, string(b), err
}
