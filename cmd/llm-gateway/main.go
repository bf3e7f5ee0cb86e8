// Command llm-gateway is one MCP door between AI agents and every foundation
// model on AWS Bedrock. Run it with no arguments to serve MCP over stdio;
// `llm-gateway --help` lists the settings and subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// Most of what a call allocates is short-lived JSON buffers; with the
		// gateway's small live heap the default GOGC collects every few dozen
		// calls. 200 cut CPU per cache hit by about 30% for a few MiB
		// of RSS (docs/BENCHMARKS.md, experiments).
		debug.SetGCPercent(200)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(int(exit))
		}
		fmt.Fprintln(os.Stderr, "llm-gateway:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a status and no further message, for
// commands that have already said why (a failed tool call, a failed probe).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
