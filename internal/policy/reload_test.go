package policy

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "policy.yaml")
		write := func(s string) {
			if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var logs bytes.Buffer
		g := New(nil, Options{})
		r := &Reloader{File: file, Governor: g, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			Parse: func(b []byte) (*Policy, error) { return Parse(b, nil, nil) }}
		write("defaults: {models: [nova-*]}")
		if err := r.Load(); err != nil {
			t.Fatal(err)
		}
		allowed := func(m string) bool { return g.Allow(t.Context(), "a", gateway.Model{Name: m}) == nil }
		if allowed("claude-opus") || !allowed("nova-pro") {
			t.Fatal("the policy at start was not applied")
		}

		ctx, cancel := context.WithCancel(t.Context())
		hup := make(chan os.Signal, 1)
		done := make(chan struct{})
		go func() { r.Run(ctx, hup); close(done) }()

		// A change of the file applies on the next look.
		write("defaults: {models: [claude-*]}")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if !allowed("claude-opus") || allowed("nova-pro") {
			t.Error("a valid change of the file was not applied")
		}

		// An invalid file is refused and the policy in force stays.
		write("defaults: {modles: [nova-*]}")
		hup <- syscall.SIGHUP
		synctest.Wait()
		if !allowed("claude-opus") {
			t.Error("an invalid file replaced the policy")
		}
		if !strings.Contains(logs.String(), "policy file refused") || !strings.Contains(logs.String(), "unknown key modles") {
			t.Errorf("the log does not say why the file was refused:\n%s", logs.String())
		}
		cancel()
		<-done
	})
}
