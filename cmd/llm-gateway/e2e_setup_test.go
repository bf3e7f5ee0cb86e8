package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bareEnv is an environment with no AWS credentials, no shared config
// and no instance-metadata service: what a new user's MCP client starts
// the gateway with.
func bareEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(), // no ~/.aws
		"AWS_EC2_METADATA_DISABLED=true",
		"BEDROCK_MAX_ATTEMPTS=1",
		"LOG_LEVEL=DEBUG",
	}, extra...)
}

type problemsResult struct {
	Gateway struct {
		Problems []SetupProblem `json:"problems"`
	} `json:"gateway"`
}

func (p problemsResult) settings() []string {
	var out []string
	for _, pr := range p.Gateway.Problems {
		out = append(out, pr.Setting)
	}
	return out
}

// TestStdioComesUpWithBadSetup: whatever is wrong with the AWS setup or
// the settings, the gateway answers initialize and tools/list, and every
// generate call names the cause and the fix, as does get_stats and the log.
func TestStdioComesUpWithBadSetup(t *testing.T) {
	dir := t.TempDir()
	badModels := filepath.Join(dir, "models.json")
	if err := os.WriteFile(badModels, []byte(`[{"name": "my-model", "context_window": -5}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     []string
		args    []string
		setting string   // the problem get_stats names
		want    []string // parts of generate's error
	}{
		{"missing profile", []string{"AWS_PROFILE=bedrock"}, nil,
			"AWS_PROFILE", []string{"[unavailable]", `profile "bedrock"`, "aws configure --profile bedrock", "--simulate"}},
		{"no credentials", []string{"AWS_REGION=us-west-2"}, nil,
			"AWS credentials", []string{"[access_denied]", "no usable AWS credentials", "AWS_ACCESS_KEY_ID", "--simulate"}},
		{"unknown region", []string{"AWS_REGION=us-east-9", "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"}, nil,
			"AWS_REGION", []string{"[unavailable]", `"us-east-9" is not an AWS Region`, "us-west-2"}},
		{"unreadable models file entry", []string{"MODELS_FILE=" + badModels, "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"}, nil,
			"MODELS_FILE", []string{"[unavailable]", "my-model", "unset MODELS_FILE"}},
		{"fallback to an unknown model", []string{"FALLBACK_MODELS=nova-pro:nova-prp", "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"}, nil,
			"FALLBACK_MODELS", []string{"[unavailable]", "nova-prp", "list_models"}},
		{"a malformed guardrail", []string{"GUARDRAIL_ID=my guardrail", "GUARDRAIL_VERSION=1", "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"}, nil,
			`GUARDRAIL_ID="my guardrail"`, []string{"[unavailable]", "want a guardrail ID"}},
		{"an endless keys file", []string{"API_KEYS_FILE=/dev/zero", "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"}, nil,
			"API_KEYS_FILE=/dev/zero", []string{"[unavailable]", "larger than"}},
		{"a setting that does not parse", []string{"CACHE_TTL=soon", "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret"}, nil,
			"CACHE_TTL=soon", []string{"[unavailable]", "CACHE_TTL=soon", "whole number of seconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, stderr := connect(t, bareEnv(t, tt.env...), tt.args...)
			tools, err := s.ListTools(t.Context(), nil)
			if err != nil || len(tools.Tools) < 3 {
				t.Fatalf("tools/list = %v, %v; want the tools", tools, err)
			}
			call(t, s, "list_models", nil, nil) // the catalog answers anyway

			res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "nova-lite", "messages": user("hi")}})
			if err != nil {
				t.Fatalf("generate: %v (want a tool error)", err)
			}
			got := text(res)
			if !res.IsError {
				t.Fatalf("generate succeeded with %s; want the setup problem", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("generate error %q does not mention %q", got, w)
				}
			}

			// The credentials check runs in the background: poll.
			var st problemsResult
			for range 5000 {
				st = problemsResult{}
				call(t, s, "get_stats", nil, &st)
				if slices.Contains(st.settings(), tt.setting) {
					break
				}
			}
			if !slices.Contains(st.settings(), tt.setting) {
				t.Errorf("get_stats problems = %+v, want one about %s", st.Gateway.Problems, tt.setting)
			}
			for _, p := range st.Gateway.Problems {
				if p.Cause == "" || p.Fix == "" {
					t.Errorf("problem %+v lacks a cause or a fix", p)
				}
			}
			if !strings.Contains(stderr.String(), "configuration problem") {
				t.Errorf("the log does not report the problem:\n%s", stderr)
			}
		})
	}
}

// TestSimulateConsultsNoAWSSetting: with --simulate a missing profile, a
// Bedrock API key and a broken ~/.aws change nothing.
func TestSimulateConsultsNoAWSSetting(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte("[profile broken\nnot ini at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := bareEnv(t, "AWS_PROFILE=bedrock", "HOME="+home, "AWS_BEARER_TOKEN_BEDROCK=not-a-key")
	s, _ := connect(t, env, "--simulate")
	var out generateResult
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("hi")}, &out)
	if out.Content == "" {
		t.Errorf("generate with --simulate gave no content")
	}
	var st problemsResult
	call(t, s, "get_stats", nil, &st)
	if len(st.Gateway.Problems) > 0 {
		t.Errorf("get_stats problems = %+v, want none with --simulate", st.Gateway.Problems)
	}
}

// TestHTTPReportsSetupProblems: over HTTP the problem is in /readyz too,
// and the gateway still serves MCP.
func TestHTTPReportsSetupProblems(t *testing.T) {
	g := startHTTPGateway(t, bareEnv(t, "AWS_PROFILE=bedrock"))
	resp, err := http.Get(g.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "AWS_PROFILE") || !strings.Contains(string(body), "aws configure") {
		t.Errorf("/readyz = %d %q; want 503 naming AWS_PROFILE and the fix", resp.StatusCode, body)
	}
	s := httpSession(t, g, "", false)
	res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "nova-lite", "messages": user("hi")}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "AWS_PROFILE") {
		t.Errorf("generate = %v, %v; want a tool error naming AWS_PROFILE", res, err)
	}
}

// TestHTTPStillExitsOnBadSettings: over HTTP a setting that does not parse
// stops the gateway, since the listener and its keys are settings too.
func TestHTTPStillExitsOnBadSettings(t *testing.T) {
	_, err := launchHTTPGateway(t, bareEnv(t, "CACHE_TTL=soon"))
	if err == nil {
		t.Fatal("the gateway started over HTTP with CACHE_TTL=soon")
	}
}
