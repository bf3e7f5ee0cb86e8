package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// TestCredentialsProbeDoesNotHoldUpStart: the credentials check (which may
// wait on an instance-metadata service) runs in the background; a problem
// appears when it ends, and goes once credentials resolve.
func TestCredentialsProbeDoesNotHoldUpStart(t *testing.T) {
	release := make(chan error)
	answer := make(chan error, 1)
	su := newSetup(slog.New(slog.DiscardHandler))
	su.checkCreds = func(ctx context.Context) error {
		select {
		case err := <-release:
			return err
		case err := <-answer:
			return err
		}
	}
	wait := su.probeCredentials(t.Context()) // returns while the check is blocked
	if got := su.list(); len(got) != 0 {
		t.Fatalf("problems before the check ended = %v", got)
	}
	release <- errors.New("no EC2 IMDS role found")
	wait()
	got := su.list()
	if len(got) != 1 || got[0].Setting != "AWS credentials" || !strings.Contains(got[0].Fix, "--simulate") || got[0].Blocking {
		t.Fatalf("problems = %+v; want one non-blocking credentials problem with a fix", got)
	}
	if err := su.blocking(); err != nil {
		t.Errorf("blocking() = %v; missing credentials are left to the call", err)
	}
	answer <- errors.New("still none")
	if err := su.ready(t.Context()); err == nil || !strings.Contains(err.Error(), "still none") {
		t.Errorf("ready() = %v; want the new cause", err)
	}
	answer <- nil
	if err := su.ready(t.Context()); err != nil {
		t.Errorf("ready() after credentials appeared = %v", err)
	}
}

func TestGatedGeneratorRefusesWhileBlocked(t *testing.T) {
	su := newSetup(slog.New(slog.DiscardHandler))
	su.add(SetupProblem{Setting: "AWS_REGION", Cause: "bad", Fix: "set it", Blocking: true})
	wired := &core{done: make(chan struct{})}
	close(wired.done)
	_, err := gatedGenerator{setup: su, core: wired}.Generate(t.Context(), &gateway.Request{})
	if gateway.KindOf(err) != gateway.KindUnavailable || !strings.Contains(err.Error(), "AWS_REGION: bad; fix: set it") {
		t.Errorf("Generate error = %v; want unavailable naming the problem", err)
	}
}
