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
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/adminauth"
	"github.com/llm-gateway/llm-gateway/internal/authbackoff"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/dashboard"
)

const dashboardUsage = `Usage: llm-gateway dashboard [--addr HOST:PORT] [--store URL]

Serves the web dashboard at http://HOST:PORT/ui/ from the usage ledger, so
that the calls of every gateway sharing the store show, stdio ones (Claude
Desktop, Cursor, …) included. Beyond loopback it needs ADMIN_KEYS. With
POLICY_FILE and a SQLite store, where local gateways keep their limits, it
shows spend against the policy's budgets too.

Flags:
`

// runDashboard serves the dashboard over a store until ctx ends.
func runDashboard(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, dashboardUsage); fs.PrintDefaults() }
	addr := fs.String("addr", "127.0.0.1:8090", "where to serve the dashboard")
	storeURL := fs.String("store", firstNonEmpty(getenv("STORE_URL"), defaultStoreURL(getenv)), "the ledger to read (env STORE_URL): sqlite:PATH or postgres://…")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError(2)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, err := openReader(ctx, *storeURL, log)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	defer st.Close(context.WithoutCancel(ctx))
	var keys []adminauth.Key
	for _, kv := range strings.Split(getenv("ADMIN_KEYS"), ",") {
		name, secret, ok := strings.Cut(strings.TrimSpace(kv), ":")
		if ok && name != "" && secret != "" {
			keys = append(keys, adminauth.Key{Name: name, Secret: secret})
		}
	}
	g, err := adminauth.New(adminauth.Options{Keys: keys, Loopback: adminauth.Loopback(*addr), Logger: log})
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	if g.Locked() {
		return fmt.Errorf("dashboard: %s is reachable from other machines: set ADMIN_KEYS=name:key, or serve on 127.0.0.1", *addr)
	}
	cat, err := catalog.Load(catalog.Options{Region: firstNonEmpty(getenv("AWS_REGION"), "us-east-1"), Logger: log})
	if err != nil {
		return fmt.Errorf("dashboard: model catalog: %w", err)
	}
	var budgets func(context.Context) []dashboard.Budget
	if pf := getenv("POLICY_FILE"); pf != "" {
		// The limits' counters, where the local gateways keep them.
		_, db, err := openStore(ctx, *storeURL)
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		if db == nil {
			return fmt.Errorf("dashboard: POLICY_FILE: the budgets' spend is kept per process unless the store is SQLite (or Redis, which this command does not read); unset POLICY_FILE, or use --store sqlite:PATH")
		}
		defer db.Close()
		cfg := &config.Config{PolicyFile: pf}
		state, done := limitsState(ctx, cfg, nil, &usageLedger{url: config.RedactStoreURL(*storeURL), sqlite: db}, log)
		defer done()
		// The policy is reloaded until the command returns, however it does.
		pctx, cancel := context.WithCancel(ctx)
		gov, wait := governance(pctx, cfg, cat, state, db, log)
		defer func() { cancel(); wait() }()
		budgets = dashboardBudgets(gov)
	}
	h := dashboard.New(dashboard.Options{Store: st, Guard: g, Models: dashboardModels(cat), Budgets: budgets, Logger: log})
	defer h.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	// Wrong admin keys slow down as on the gateway's own listener (the
	// backoff's defaults: AUTH_BACKOFF_AFTER and AUTH_BACKOFF_MAX).
	plain := func(w http.ResponseWriter, _ *http.Request, status int, msg string) { http.Error(w, msg, status) }
	srv := &http.Server{Handler: authbackoff.New(authbackoff.Options{Logger: log}).Watch(plain, h), ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(h.Close) // the event streams would hold Shutdown
	fmt.Fprintf(stdout, "dashboard: http://%s/ui/ (store %s)\n", ln.Addr(), config.RedactStoreURL(*storeURL))
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
