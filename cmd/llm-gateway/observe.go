package main

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/adminauth"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/dashboard"
	"github.com/llm-gateway/llm-gateway/internal/httpserver"
	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/prom"
	"github.com/llm-gateway/llm-gateway/internal/tracing"
)

// newProm is the Prometheus recorder: the catalog's names are the only
// model labels; inFlight reads the gateway, made after its recorders.
func newProm(cat *catalog.Catalog, inFlight func() int, gov *policy.Governor) *prom.Recorder {
	var names []string
	for _, m := range cat.Models() {
		names = append(names, m.Name)
	}
	opts := prom.Options{Models: names, InFlight: inFlight, Version: version, Runtime: true}
	if gov != nil {
		opts.Budgets = func(ctx context.Context) []prom.Budget {
			var out []prom.Budget
			for agent, figs := range gov.Limits(ctx, "", true).Agents {
				for _, f := range figs {
					if f.Unit == "usd" {
						out = append(out, prom.Budget{Agent: agent, Period: f.Limit, RemainingUSD: f.Remaining})
					}
				}
			}
			return out
		}
	}
	return prom.New(opts)
}

// promServed reports whether anything can read the Prometheus metrics: the
// http transport serves /metrics, and METRICS_ADDR serves it for any
// transport. A stdio gateway without METRICS_ADDR, as agents start it, has
// no /metrics, so it neither builds the registry nor feeds it on each call;
// get_stats keeps its own figures.
func promServed(cfg *config.Config) bool {
	return cfg.Transport == config.TransportHTTP || cfg.MetricsAddr != ""
}

// adminKeys are the keys of ADMIN_KEYS.
func adminKeys(cfg *config.Config) []adminauth.Key {
	keys := make([]adminauth.Key, 0, len(cfg.AdminKeys)+1)
	for _, k := range cfg.AdminKeys {
		keys = append(keys, adminauth.Key{Name: k.Name, Secret: k.Key})
	}
	return keys
}

// metricsGuard opens /metrics to admin keys and METRICS_TOKEN; with
// neither, to loopback listeners only.
func metricsGuard(cfg *config.Config, addr string, log *slog.Logger) (*adminauth.Guard, error) {
	keys := adminKeys(cfg)
	if cfg.MetricsToken != "" {
		keys = append(keys, adminauth.Key{Name: "metrics-token", Secret: cfg.MetricsToken})
	}
	g, err := adminauth.New(adminauth.Options{Keys: keys, Loopback: adminauth.Loopback(addr), Hint: "METRICS_TOKEN or ADMIN_KEYS", Logger: log})
	if err == nil && g.Locked() {
		log.Warn("/metrics is refused to everyone: it is served beyond loopback with no key; set METRICS_TOKEN or ADMIN_KEYS", "addr", addr)
	}
	return g, err
}

// adminRoutes are the admin surfaces the http transport serves beside MCP,
// each behind its own guard rather than the agents' keys.
func adminRoutes(cfg *config.Config, a *app, log *slog.Logger) ([]httpserver.Route, error) {
	if a.prom == nil {
		return nil, nil
	}
	g, err := metricsGuard(cfg, cfg.Addr, log)
	if err != nil {
		return nil, err
	}
	return []httpserver.Route{{Pattern: "GET /metrics", Handler: a.prom.Handler(), Guard: g.Require}}, nil
}

// serveMetrics serves /metrics on METRICS_ADDR, for any transport, until
// ctx ends; the returned func waits for it to stop. A listener that cannot
// start is logged, not fatal: the gateway serves its agents all the same.
func serveMetrics(ctx context.Context, cfg *config.Config, a *app, log *slog.Logger) (wait func()) {
	wait = func() {}
	if cfg.MetricsAddr == "" {
		return wait
	}
	if a.prom == nil {
		log.Warn("METRICS_ADDR is ignored: metrics are off (METRICS_ENABLED=false)")
		return wait
	}
	g, err := metricsGuard(cfg, cfg.MetricsAddr, log)
	if err != nil {
		log.Error("metrics listener not started", "error", err)
		return wait
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		log.Error("metrics listener not started; change METRICS_ADDR", "addr", cfg.MetricsAddr, "error", err)
		return wait
	}
	mux := http.NewServeMux()
	plain := func(w http.ResponseWriter, _ *http.Request, status int, msg string) { http.Error(w, msg, status) }
	mux.Handle("GET /metrics", a.authBackoff.Guard(plain, g.Require, a.prom.Handler()))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "error", err)
		}
	}()
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	return func() {
		if stop() { // ctx has not ended: serve returned on its own
			_ = srv.Close()
		}
		<-done
	}
}

// startTracing sets up OpenTelemetry traces when the standard OTEL_*
// variables of the process environment ask for them.
// A setting it cannot use is logged, and the gateway serves untraced.
// stop sends the spans still buffered.
func startTracing(ctx context.Context, cfg *config.Config, log *slog.Logger) (tr *tracing.Tracing, stop func()) {
	tr, err := tracing.Start(ctx, tracing.Options{Getenv: os.Getenv, Version: version, Logger: log})
	if err != nil {
		log.Error("traces are off", "error", err)
		return tracing.Off(), func() {}
	}
	if tr.On() && cfg.LogPrompts {
		log.Warn("LOG_PROMPTS is on: prompts and answers go on the spans sent to the trace collector")
	}
	return tr, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tr.Shutdown(sctx); err != nil {
			log.Warn("flushing traces", "error", err)
		}
	}
}

// dashboardRoutes serve the dashboard at /ui/ on the http transport,
// behind admin keys (agent keys do not open it). Its event streams end
// when ctx does, so that they do not hold the shutdown.
func dashboardRoutes(ctx context.Context, cfg *config.Config, a *app, log *slog.Logger) ([]httpserver.Route, error) {
	if a.ledger == nil {
		return nil, nil
	}
	g, err := adminauth.New(adminauth.Options{Keys: adminKeys(cfg), Loopback: adminauth.Loopback(cfg.Addr), Logger: log})
	if err != nil {
		return nil, err
	}
	if g.Locked() {
		log.Warn("the dashboard (/ui/) is refused to everyone: it is served beyond loopback with no admin key; set ADMIN_KEYS", "addr", cfg.Addr)
	}
	h := dashboard.New(dashboard.Options{Store: a.ledger, Guard: g, Models: dashboardModels(a.catalog), Budgets: dashboardBudgets(a.policy), Logger: log})
	context.AfterFunc(ctx, h.Close)
	// The dashboard checks keys itself, per path (its login form and
	// assets are open), so its route's guard lets everything through.
	open := func(next http.Handler) http.Handler { return next }
	return []httpserver.Route{{Pattern: "/ui/", Handler: h, Guard: open, ChecksKeys: true}}, nil
}

// dashboardModels is the catalog as the dashboard shows it.
func dashboardModels(cat *catalog.Catalog) func() []dashboard.Model {
	return func() []dashboard.Model {
		var out []dashboard.Model
		for _, m := range cat.Models() {
			out = append(out, dashboard.Model{Name: m.Name, Status: m.Status, EndOfLife: m.EndOfLife, Replacement: m.Replacement})
		}
		return out
	}
}

// dashboardBudgets are the policy's dollar budgets as get_stats' limits
// section gives them, in a steady order; nil without a policy.
func dashboardBudgets(gov *policy.Governor) func(context.Context) []dashboard.Budget {
	if gov == nil {
		return nil
	}
	return func(ctx context.Context) []dashboard.Budget {
		l := gov.Limits(ctx, "", true)
		var out []dashboard.Budget
		add := func(scope, name string, figs []policy.Figure) {
			for _, f := range figs {
				if f.Unit == "usd" {
					out = append(out, dashboard.Budget{Scope: scope, Name: name, Limit: f.Limit, MaxUSD: f.Max, UsedUSD: f.Used,
						ReservedUSD: f.Reserved, RemainingUSD: f.Remaining, ResetsAt: f.ResetsAt})
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(l.Agents)) {
			add("agent", name, l.Agents[name])
		}
		for _, name := range slices.Sorted(maps.Keys(l.Models)) {
			add("model", name, l.Models[name])
		}
		add("global", "", l.Global)
		return out
	}
}
