package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/stdio"
)

// serveStdio serves the one agent on stdin and stdout until it closes its
// end or ctx ends. Either way every call it made is answered before the
// session ends: on stdin EOF once the calls finish, on a signal within
// cfg.ShutdownGrace, after which the calls still running get an error.
func serveStdio(ctx context.Context, cfg *config.Config, log *slog.Logger, a *app, stdin io.Reader, stdout io.Writer) error {
	log.Info("serving MCP over stdio", "version", version, "region", cfg.Region, "simulated", a.simulated)
	t := stdioTransport(cfg, log, stdin, stdout)
	// The session does not end with ctx: a signal drains it instead, so
	// calls in flight (already paid for) keep their context.
	ss, err := a.mcp.Connect(context.WithoutCancel(ctx), t, nil)
	if err != nil {
		return fmt.Errorf("serve stdio: %w", err)
	}
	if a.lane != nil {
		// generate is answered beside the SDK once the session has
		// initialized (mcpserver.Lane); until then, and for every other
		// message, by the SDK.
		t.SetLane(a.lane.For(ss))
	}
	ended := make(chan error, 1)
	go func() { ended <- ss.Wait() }()
	wired := a.core.done // the session began before the core was wired (start)
	for wait := true; wait; {
		select {
		case err = <-ended:
			wait = false
		case <-wired:
			wired = nil
			if a.core.err != nil {
				// As a failure in build would: the session ends with it.
				// The session ends with the wiring's error, not its own.
				_ = ss.Close()
				_ = <-ended
				return fmt.Errorf("serve stdio: %w", a.core.err)
			}
		case <-ctx.Done():
			log.Info("shutting down: answering the calls in flight", "grace", cfg.ShutdownGrace)
			grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
			t.Drain(grace)
			cancel()
			err = <-ended
			wait = false
		}
	}
	if err == nil || errors.Is(err, io.EOF) {
		log.Info("stdio session ended")
		return nil
	}
	return fmt.Errorf("serve stdio: %w", err)
}

// stdioTransport is the MCP transport on stdin and stdout, bounded by cfg.
func stdioTransport(cfg *config.Config, log *slog.Logger, stdin io.Reader, stdout io.Writer) *stdio.Transport {
	return stdio.New(stdin, stdout, stdio.Options{
		MaxMessageBytes:   int(cfg.MessageLimit()),
		Setting:           "MAX_MESSAGE_BYTES",
		MaxConcurrent:     cfg.MaxConcurrent,
		ConcurrentSetting: "MAX_CONCURRENT_CALLS",
		Logger:            log,
	})
}
