package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usageCommands = `
Commands:
  llm-gateway [flags]                 serve MCP (stdio unless --transport http)
  llm-gateway help [TOOL]             this help, or what a tool does and its arguments
  llm-gateway call TOOL [call flags]  call one tool on a gateway and print the result
                                      (llm-gateway call --help for its flags)
  llm-gateway bedrock-sim [--addr A]  run the Bedrock Runtime simulator
  llm-gateway models table [--write F] print the catalog as the README's model table
  llm-gateway dashboard [--addr A]    serve the web dashboard over the usage ledger (STORE_URL)
  llm-gateway healthcheck [--addr A]  probe a running gateway's /healthz and /readyz; exit 0 or 1
  llm-gateway usage [--since 24h] [--by agent|model|day] [--format table|csv|json]
                                      print spend from the usage ledger (STORE_URL)
  llm-gateway bench [--quick]         measure latency, throughput and memory (docs/BENCHMARKS.md)
  llm-gateway version                 print the version
`

// run is the whole program; main only gives it the process's surroundings.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		switch args[1] {
		case "call":
			return runCall(ctx, args[2:], getenv, stdout, stderr)
		case "bedrock-sim":
			return runSim(ctx, args[2:], getenv, stdout, stderr)
		case "models":
			return runModels(ctx, args[2:], getenv, stdout, stderr)
		case "dashboard":
			return runDashboard(ctx, args[2:], getenv, stdout, stderr)
		case "healthcheck":
			return runHealthcheck(ctx, args[2:], getenv, stdout, stderr)
		case "usage":
			return runUsage(ctx, args[2:], getenv, stdout, stderr)
		case "bench":
			return runBench(ctx, args[2:], stdout, stderr)
		case "help":
			return runHelp(ctx, args[2:], stdout, stderr)
		case "version":
			fmt.Fprintln(stdout, "llm-gateway", version)
			return nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	cfg, err := config.Load(args[1:], getenv, dir)
	var problems []SetupProblem
	switch {
	case errors.Is(err, config.ErrHelp):
		config.Usage(stdout)
		fmt.Fprint(stdout, usageCommands)
		return nil
	case err != nil:
		// Over stdio the gateway still comes up, refusing generate calls
		// with the problems: an MCP server that exits at start is invisible
		// in every client. Over HTTP it does not: the listener and its keys
		// are among the settings, and a container restart loop is seen.
		fallback := config.Fallback(args[1:], getenv, dir)
		if fallback.Transport != config.TransportStdio {
			return fmt.Errorf("%w\nRun llm-gateway --help for the settings.", err)
		}
		problems = settingsProblems(err)
		fallback.ModelsFile = "" // it may be what failed; the built-in catalog meanwhile
		cfg = fallback
	case cfg.Version:
		fmt.Fprintln(stdout, "llm-gateway", version)
		return nil
	}
	if cfg.StoreURL == "" {
		cfg.StoreURL = defaultStoreURL(getenv)
	}
	log := newLogger(cfg, stderr)
	log.Debug("settings", "config", cfg) // secrets show as set or unset
	return serve(ctx, cfg, log, stdin, stdout, problems...)
}

// settingsProblems turns each problem config.Load reported into a blocking
// setup problem.
func settingsProblems(err error) []SetupProblem {
	var out []SetupProblem
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		setting, cause, ok := strings.Cut(line, ": ")
		if !ok {
			setting, cause = "settings", line
		}
		out = append(out, SetupProblem{Setting: setting, Cause: cause, Blocking: true,
			Fix: "correct it where it is set (the flag, the environment of the MCP client's server entry, or .env in the working directory); llm-gateway --help lists the settings"})
	}
	return out
}

// newLogger writes to stderr, always: in stdio mode stdout is the protocol's.
func newLogger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogJSON {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}
