package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// writePolicy writes a policy file in a test directory and returns its path.
func writePolicy(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// refusal calls generate, expects a refusal of kind, and returns its _meta.
func refusal(t *testing.T, s *mcp.ClientSession, kind string, args map[string]any) map[string]any {
	t.Helper()
	res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: args})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	meta, _ := res.Meta["llm-gateway/error"].(map[string]any)
	if !res.IsError || !strings.HasPrefix(text(res), "["+kind+"] ") || meta["kind"] != kind {
		t.Fatalf("generate(%v) = %s (meta %v), want a %s refusal", args["model"], text(res), res.Meta, kind)
	}
	return meta
}

type limitsStats struct {
	Caller struct {
		Agent  string `json:"agent"`
		Source string `json:"source"`
		All    bool   `json:"sees_all_agents"`
	} `json:"caller"`
	Limits struct {
		Enabled bool `json:"enabled"`
		Agents  map[string][]struct {
			Limit     string  `json:"limit"`
			Max       float64 `json:"max"`
			Used      float64 `json:"used"`
			Reserved  float64 `json:"reserved"`
			Remaining float64 `json:"remaining"`
			ResetsAt  string  `json:"resets_at"`
		} `json:"agents"`
		Global []map[string]any `json:"global"`
	} `json:"limits"`
	Metrics struct {
		RequestsByAgent map[string]any `json:"requests_by_agent"`
	} `json:"metrics"`
}

const e2ePolicy = `
agents:
  e2e-bot:
    models: ["nova-*"]
    requests_per_minute: 4
    budget: { daily_usd: 0.001 }
global:
  budget: { monthly_usd: 100 }
`

// TestStdioPolicyRefusals meets every refusal kind over stdio, with the
// agent named by AGENT_NAME; none of them reaches Bedrock.
func TestStdioPolicyRefusals(t *testing.T) {
	sim, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url, "POLICY_FILE="+writePolicy(t, e2ePolicy), "AGENT_NAME=e2e-bot"))

	meta := refusal(t, s, "model_not_allowed", map[string]any{"model": "claude-3-haiku", "messages": user("hi")})
	if meta["limit"] != "models" || meta["scope"] != "agent:e2e-bot" {
		t.Errorf("model_not_allowed meta = %v", meta)
	}
	// nova-lite's worst case at 5000 output tokens is over $0.001.
	meta = refusal(t, s, "budget_exceeded", map[string]any{"model": "nova-lite", "messages": user("hi"), "max_tokens": 5000})
	if meta["limit"] != "budget.daily_usd" || meta["max"] != 0.001 || meta["used"] != 0.0 || meta["resets_at"] == nil {
		t.Errorf("budget_exceeded meta = %v", meta)
	}
	if sim.Calls() != 0 {
		t.Fatalf("%d refused calls reached Bedrock", sim.Calls())
	}
	var r generateResult
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("hi"), "max_tokens": 100}, &r)
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("hi"), "max_tokens": 100}, &r) // a cache hit counts as a request
	meta = refusal(t, s, "rate_limited", map[string]any{"model": "nova-lite", "messages": user("hi"), "max_tokens": 100})
	if meta["limit"] != "requests_per_minute" || meta["max"] != 4.0 || meta["retry_after_seconds"] == nil {
		t.Errorf("rate_limited meta = %v", meta)
	}
	if sim.Calls() != 1 {
		t.Errorf("Bedrock saw %d calls, want 1", sim.Calls())
	}

	var st limitsStats
	call(t, s, "get_stats", nil, &st)
	if st.Caller.Agent != "e2e-bot" || st.Caller.Source != "AGENT_NAME" || !st.Caller.All || !st.Limits.Enabled {
		t.Errorf("get_stats caller %+v, limits enabled %v", st.Caller, st.Limits.Enabled)
	}
	figs := st.Limits.Agents["e2e-bot"]
	if len(figs) != 2 || figs[0].Limit != "requests_per_minute" || figs[0].Used != 4 || figs[1].Limit != "budget.daily_usd" || figs[1].Used <= 0 || figs[1].Used+figs[1].Remaining != 0.001 {
		t.Errorf("e2e-bot's limits = %+v, want 4 requests and the spend of one call", figs)
	}
	if len(st.Limits.Global) != 1 {
		t.Errorf("over stdio the global cap is visible; got %v", st.Limits.Global)
	}
}

// TestHTTPPolicyRefusalsAndVisibility meets every refusal kind over HTTP,
// where the agent is its key's holder, a budget that downgrades to a
// cheaper model, and get_stats showing an agent's key only its own
// figures and an admin key everyone's. The policy is then reloaded on
// SIGHUP: a valid change applies, an invalid one is refused.
func TestHTTPPolicyRefusalsAndVisibility(t *testing.T) {
	sim, url := startSim(t)
	const workerKey, otherKey, bossKey = "worker-key-0123456789", "other-key-0123456789", "boss-key-0123456789ab"
	file := writePolicy(t, `
defaults:
  models: ["nova-*"]
  requests_per_minute: 3
  budget: { daily_usd: 0.001, downgrade_to: nova-micro }
agents:
  boss: { models: ["*"] }
`)
	g := startHTTPGateway(t, gatewayEnv(url, "POLICY_FILE="+file,
		"API_KEYS=worker:"+workerKey+",other:"+otherKey, "ADMIN_KEYS=boss:"+bossKey))
	worker := httpSession(t, g, workerKey, false)

	refusal(t, worker, "model_not_allowed", map[string]any{"model": "claude-3-haiku", "messages": user("hi")})
	// nova-pro's worst case is over the budget; nova-micro's fits.
	var r struct {
		Model    string `json:"model"`
		Attempts []struct {
			Model string `json:"model"`
			Kind  string `json:"error_kind"`
		} `json:"attempts"`
	}
	call(t, worker, "generate", map[string]any{"model": "nova-pro", "messages": user("hi"), "max_tokens": 5000}, &r)
	if r.Model != "nova-micro" || len(r.Attempts) != 1 || r.Attempts[0].Kind != "budget_exceeded" {
		t.Errorf("answer = %+v, want nova-micro after nova-pro's budget refusal", r)
	}
	// The cheaper model itself over the budget: refused outright.
	refusal(t, worker, "budget_exceeded", map[string]any{"model": "nova-micro", "messages": user(strings.Repeat("long ", 2000)), "max_tokens": 5000})
	meta := refusal(t, worker, "rate_limited", map[string]any{"model": "nova-lite", "messages": user("hi")})
	if meta["retry_after_seconds"] == nil {
		t.Errorf("rate_limited meta = %v, want retry_after_seconds", meta)
	}
	if sim.Calls() != 1 {
		t.Errorf("Bedrock saw %d calls, want the downgraded one only", sim.Calls())
	}

	call(t, httpSession(t, g, otherKey, false), "generate", map[string]any{"model": "nova-micro", "messages": user("other")}, nil)
	var mine, all limitsStats
	call(t, worker, "get_stats", nil, &mine)
	if mine.Caller.Agent != "worker" || mine.Caller.Source != "api_key" || mine.Caller.All {
		t.Errorf("worker's caller = %+v", mine.Caller)
	}
	if _, ok := mine.Limits.Agents["other"]; ok || len(mine.Limits.Agents) != 1 || mine.Limits.Global != nil {
		t.Errorf("worker sees limits of %v, want its own only", mine.Limits.Agents)
	}
	if _, ok := mine.Metrics.RequestsByAgent["other"]; ok {
		t.Errorf("worker sees other agents' usage: %v", mine.Metrics.RequestsByAgent)
	}
	boss := httpSession(t, g, bossKey, false)
	call(t, boss, "get_stats", nil, &all)
	if !all.Caller.All || all.Limits.Agents["worker"] == nil || all.Limits.Agents["other"] == nil || all.Metrics.RequestsByAgent["other"] == nil {
		t.Errorf("the admin key sees %+v", all)
	}

	// Reload: an invalid file is refused, the policy in force stays.
	if err := os.WriteFile(file, []byte("defaults: {requests_per_minut: 1000}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = g.cmd.Process.Signal(syscall.SIGHUP)
	if line, err := g.waitLog("policy file refused; the policy in force stays"); err != nil || !strings.Contains(line, "requests_per_minut") {
		t.Fatalf("invalid reload: %q %v", line, err)
	}
	refusal(t, worker, "rate_limited", map[string]any{"model": "nova-lite", "messages": user("hi")})
	// A valid one applies.
	if err := os.WriteFile(file, []byte("defaults: {requests_per_minute: 1000}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = g.cmd.Process.Signal(syscall.SIGHUP)
	if _, err := g.waitLog("policy reloaded"); err != nil {
		t.Fatal(err)
	}
	call(t, worker, "generate", map[string]any{"model": "nova-lite", "messages": user("after the reload")}, nil)
}
