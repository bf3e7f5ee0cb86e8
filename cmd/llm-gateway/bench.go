package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/bench"
	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/httpserver"
	"github.com/llm-gateway/llm-gateway/internal/limitsfile"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/sqlite"
)

// runBench is `llm-gateway bench`: it measures what the gateway costs on
// top of the MCP protocol and of a direct Bedrock call (internal/bench
// describes the method). `llm-gateway bench child MODE` is the harness's
// own child process, not meant to be run by hand; it serves on this
// process's stdin and stdout.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "child" {
		return bench.RunChild(ctx, args[1:], benchWiring(), os.Stdin, os.Stdout)
	}
	fs := flag.NewFlagSet("llm-gateway bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "a few calls per scenario, in a few seconds: checks that every scenario runs, measures nothing")
	asJSON := fs.Bool("json", false, "print the results as JSON instead of tables")
	out := fs.String("out", "", "also write the results as Markdown to this `file` (e.g. docs/BENCHMARKS.md)")
	profile := fs.String("profile", "", "write a CPU profile of each served scenario's measured calls into this `directory`")
	soak := fs.Duration("soak", 0, "instead of the scenarios, load a gateway child process with mixed traffic and faults for this `duration` (e.g. 60s), read its RSS, goroutines, threads and open files every 5s, and fail if any grows without bound")
	peers := fs.Bool("peers", false, "also measure a minimal Go reverse proxy and Portkey's gateway (needs node and npm; installs it once into the user cache directory) beside the OpenAI-compatible front")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: llm-gateway bench [--quick] [--json] [--out FILE] [--profile DIR] [--peers]")
		fmt.Fprintln(stderr, "       llm-gateway bench --soak DURATION")
		fmt.Fprintln(stderr, "\nMeasures the gateway against the MCP protocol floor and a direct Bedrock call, on a built-in simulator.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError(2)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitError(2)
	}
	if *soak != 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		_, err = bench.Soak(ctx, bench.SoakOptions{Duration: *soak, Executable: exe, Out: stdout})
		return err
	}
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil { //nolint:gosec // a directory of profiles the user asked for, readable like the rest of their files
			return fmt.Errorf("bench: %w", err)
		}
		abs, err := filepath.Abs(*profile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		*profile = abs // children run in another directory
	}

	rep, err := bench.Run(ctx, bench.Options{
		Quick:      *quick,
		ChildArgs:  []string{"bench", "child"},
		Wiring:     benchWiring(),
		ProfileDir: *profile,
		Peers:      *peers,
		Progress:   stderr,
		Version:    version,
	})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	} else if err := rep.WriteText(stdout); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if *out != "" {
		command := "llm-gateway bench " + strings.Join(args, " ")
		if err := writeBenchMarkdown(*out, rep, command); err != nil {
			return err
		}
	}
	if f := rep.Failures(); len(f) > 0 {
		return fmt.Errorf("bench: %d scenario(s) failed:\n  %s", len(f), strings.Join(f, "\n  "))
	}
	return nil
}

func writeBenchMarkdown(path string, rep *bench.Report, command string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := rep.WriteMarkdown(f, command); err != nil {
		f.Close()
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	return nil
}

// benchWiring lets the harness wire the gateway exactly as serve does,
// and serve it over HTTP exactly as serveHTTP does.
func benchWiring() bench.Wiring {
	return bench.Wiring{
		Admissions: benchAdmissions,
		Gateway: func(ctx context.Context, getenv func(string) string, stderr io.Writer) (*bench.Gateway, error) {
			cfg, done, err := benchConfig(getenv)
			if err != nil {
				return nil, err
			}
			if cfg.StoreURL == "" {
				cfg.StoreURL = defaultStoreURL(getenv)
			}
			log := newLogger(cfg, stderr)
			// The gateway's background work (the ledger's writer) ends with
			// its context: Close ends it before waiting for it.
			bctx, stop := context.WithCancel(ctx)
			a, wait, err := build(bctx, cfg, log)
			if err != nil {
				stop()
				done()
				return nil, err
			}
			return &bench.Gateway{MCP: a.mcp, Lane: a.lane, Generator: a.gateway, Routes: apiRoutes(a, log), Close: func() {
				stop()
				wait()
				done()
			}}, nil
		},
		StdioTransport: func(stdin io.Reader, stdout io.Writer, getenv func(string) string, stderr io.Writer) (mcp.Transport, error) {
			cfg, done, err := benchConfig(getenv)
			if err != nil {
				return nil, err
			}
			defer done()
			return stdioTransport(cfg, newLogger(cfg, stderr), stdin, stdout), nil
		},
		HTTPHandler: func(srv *mcp.Server, lane *mcpserver.Lane, routes []httpserver.Route, getenv func(string) string, stderr io.Writer) (http.Handler, error) {
			cfg, done, err := benchConfig(getenv)
			if err != nil {
				return nil, err
			}
			defer done()
			keys := make([]httpserver.Key, len(cfg.APIKeys))
			for i, k := range cfg.APIKeys {
				keys[i] = httpserver.Key{Name: k.Name, Secret: k.Key}
			}
			return httpserver.New(httpserver.Options{
				Server:              srv,
				Lane:                lane,
				Routes:              routes,
				Keys:                keys,
				AllowNoAuth:         cfg.AllowNoAuth,
				AllowedOrigins:      cfg.AllowedOrigins,
				Stateless:           cfg.Stateless,
				MaxBodyBytes:        cfg.MessageLimit(),
				MaxSessions:         cfg.MaxSessions,
				MaxConcurrent:       cfg.MaxConcurrent,
				MaxConcurrentPerKey: cfg.MaxConcurrentPerKey,
				MaxBytesInFlight:    cfg.MaxBytesInFlight,
				MaxSessionsPerKey:   cfg.MaxSessionsPerKey,
				SessionIdleTimeout:  cfg.SessionIdleTimeout,
				ShutdownGrace:       cfg.ShutdownGrace,
				Logger:              newLogger(cfg, stderr),
			})
		},
	}
}

// benchConfig loads the settings from getenv alone: an empty directory,
// so that a .env where the harness runs does not change what is measured.
func benchConfig(getenv func(string) string) (cfg *config.Config, done func(), err error) {
	dir, err := os.MkdirTemp("", "llm-gateway-bench-config")
	if err != nil {
		return nil, nil, err
	}
	done = func() { os.RemoveAll(dir) }
	cfg, err = config.Load(nil, getenv, dir)
	if err != nil {
		done()
		return nil, nil, err
	}
	return cfg, done, nil
}

// benchPolicy limits every call in each way, generously enough that the
// benchmark is never refused.
const benchPolicy = `
defaults:
  requests_per_minute: 100000000
  tokens_per_minute: 100000000000
  max_concurrent: 1000
  budget: { daily_usd: 1000000 }
`

// benchAdmissions are the governance backends `bench` measures: counters
// in memory; in the counter file beside a SQLite store, as a gateway with
// STORE_URL=sqlite:PATH keeps them; and in the SQLite file itself, the
// fallback where a counter file cannot be used.
func benchAdmissions(ctx context.Context, dir string) ([]bench.AdmissionBackend, func(), error) {
	p, err := policy.Parse([]byte(benchPolicy), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "admission.db"), sqlite.Options{})
	if err != nil {
		return nil, nil, err
	}
	inDB, err := db.Limits(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	backends := []bench.AdmissionBackend{{Name: "memory", Admission: policy.New(p, policy.Options{})}}
	closeAll := func() { db.Close() }
	if f, err := limitsfile.Open(db.Path() + "-limits"); err == nil {
		backends = append(backends, bench.AdmissionBackend{Name: bench.AdmissionSQLite, Admission: policy.New(p, policy.Options{State: f, Spent: db})})
		closeAll = func() { f.Close(); db.Close() }
	}
	backends = append(backends, bench.AdmissionBackend{Name: "sqlite, transactions", Admission: policy.New(p, policy.Options{State: inDB, Spent: db})})
	return backends, closeAll, nil
}
