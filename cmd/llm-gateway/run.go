package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/llm-gateway/llm-gateway/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usageCommands = `
Commands:
  llm-gateway [flags]                 serve MCP (stdio unless --transport http)
  llm-gateway call TOOL [call flags]  call one tool on a gateway and print the result
                                      (llm-gateway call --help for its flags)
  llm-gateway bedrock-sim [--addr A]  run the Bedrock Runtime simulator
  llm-gateway healthcheck [--addr A]  probe a running gateway's /healthz and /readyz; exit 0 or 1
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
		case "healthcheck":
			return runHealthcheck(ctx, args[2:], getenv, stdout, stderr)
		case "bench":
			return runBench(ctx, args[2:], stdout, stderr)
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
	switch {
	case errors.Is(err, config.ErrHelp):
		config.Usage(stdout)
		fmt.Fprint(stdout, usageCommands)
		return nil
	case err != nil:
		return fmt.Errorf("%w\nRun llm-gateway --help for the settings.", err)
	case cfg.Version:
		fmt.Fprintln(stdout, "llm-gateway", version)
		return nil
	}
	log := newLogger(cfg, stderr)
	log.Debug("settings", "config", cfg) // secrets show as set or unset
	return serve(ctx, cfg, log, stdin, stdout)
}

// newLogger writes to stderr, always: in stdio mode stdout is the protocol's.
func newLogger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogJSON {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}
