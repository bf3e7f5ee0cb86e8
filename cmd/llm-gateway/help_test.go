package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestHelpAndCallFrictions: help and help TOOL exist, call --help succeeds,
// and call with a tool the gateway lacks names the tools it has.
func TestHelpAndCallFrictions(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		want     []string // in stdout or stderr
	}{
		{[]string{"help"}, 0, []string{"Commands:", "llm-gateway help [TOOL]"}},
		{[]string{"help", "generate"}, 0, []string{"generate — ", "messages (array, required)", "temperature (number", "role"}},
		{[]string{"help", "list_models"}, 0, []string{"fields (array, each one of [", "context_window"}},
		{[]string{"help", "nosuch"}, 2, []string{`no tool "nosuch"`, "generate, get_stats, list_models"}},
		{[]string{"call", "--help"}, 0, []string{"Usage: llm-gateway call TOOL"}},
		{[]string{"call", "nosuch", "--simulate"}, 1, []string{`no tool "nosuch"`, "generate, get_stats, list_models"}},
		{[]string{"call", "generate", "--", "--no-such-flag"}, 1, []string{"no-such-flag", "the gateway exited before answering"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Env = bareEnv(t)
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d:\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "client is closing") {
				t.Errorf("output has the SDK's noise:\n%s", out)
			}
		})
	}
}
