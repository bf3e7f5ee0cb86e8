package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/fleet"
	"github.com/llm-gateway/llm-gateway/internal/limitsfile"
	"github.com/llm-gateway/llm-gateway/internal/policy"
)

// limitsState is where the policy's counters live, so that limits and
// budgets hold across every process that shares them: a fleet's Redis,
// else a counter file beside the SQLite file of STORE_URL (the processes
// of one machine; in the SQLite file itself where a counter file cannot be
// kept), else this process's memory, with spend so far read from the
// ledger. done closes what it opened.
func limitsState(ctx context.Context, cfg *config.Config, shared *fleet.Fleet, led *usageLedger, log *slog.Logger) (st policy.State, done func()) {
	switch {
	case cfg.PolicyFile == "":
		return nil, func() {}
	case shared != nil:
		return &fleet.Failover{Shared: shared.Limits(), Local: policy.NewMemory(), Open: cfg.FailMode == config.FailOpen}, func() {}
	case led != nil && led.sqlite != nil:
		f, err := limitsfile.Open(led.sqlite.Path() + "-limits")
		if err == nil {
			return f, func() { f.Close() }
		}
		log.Warn("limits kept in the SQLite file, at a write transaction per step: the counter file beside it cannot be used", "error", err)
		l, err := led.sqlite.Limits(ctx)
		if err == nil {
			return l, func() {}
		}
		log.Error("limits kept in this process only: the SQLite store cannot keep them", "error", err)
	default:
		log.Info("limits kept in this process only, spend so far read from the ledger; share them through STORE_URL=sqlite:PATH (one machine) or REDIS_URL (a fleet)", "store", led.url)
	}
	return nil, func() {}
}

// governance wires the policy of POLICY_FILE: a Governor for the gateway's
// admission, reloaded on SIGHUP and when the file changes, until ctx ends;
// wait blocks until the reloading has stopped. Without POLICY_FILE it
// returns nil: nothing is limited.
//
// A file that fails validation at start does not stop the gateway (it
// must come up to say what is wrong), nor leave it unlimited: every call
// is refused with the file's problems until a valid file replaces it.
func governance(ctx context.Context, cfg *config.Config, cat *catalog.Catalog, state policy.State, spent policy.Spender, log *slog.Logger) (g *policy.Governor, wait func()) {
	if cfg.PolicyFile == "" {
		return nil, func() {}
	}
	var names []string
	for _, m := range cat.Models() {
		names = append(names, m.Name)
	}
	known := func(name string) bool {
		_, err := cat.Resolve(name)
		return err == nil
	}
	parse := func(b []byte) (*policy.Policy, error) { return policy.Parse(b, known, names) }
	g = policy.New(nil, policy.Options{
		State:   state,
		Spent:   spent,
		HoldTTL: cfg.RequestTimeout + time.Minute,
		Logger:  log.With("component", "policy"),
	})
	r := &policy.Reloader{File: cfg.PolicyFile, Parse: parse, Governor: g, Logger: log.With("component", "policy")}
	if err := r.Load(); err != nil {
		log.Error("policy file refused: every call is refused until it is fixed", "file", cfg.PolicyFile, "error", err)
		g.SetPolicy(policy.Refusing(err))
	} else {
		log.Info("policy in force", "file", cfg.PolicyFile)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer signal.Stop(hup)
		r.Run(ctx, hup)
	})
	return g, wg.Wait
}
