package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestStdioGatewaysShareOneBudgetThroughSQLite runs two stdio gateways
// with the same AGENT_NAME on one SQLite store, as an IDE starting one per
// window does: what one spends, the other counts against the same budget,
// and a gateway started afresh on the store keeps the spend.
func TestStdioGatewaysShareOneBudgetThroughSQLite(t *testing.T) {
	_, url := startSim(t)
	db := filepath.Join(t.TempDir(), "gateway.db")
	store := "STORE_URL=sqlite:" + db
	env := gatewayEnv(url, store, "AGENT_NAME=shared-bot", "CACHE_ENABLED=false",
		"POLICY_FILE="+writePolicy(t, "agents:\n  shared-bot: { budget: { daily_usd: 0.002 } }\n"))
	a, _ := connect(t, env)
	b, _ := connect(t, env)

	// nova-pro's worst case at 590 output tokens is just under $0.002:
	// it fits the budget alone, not beside anything already spent.
	big := map[string]any{"model": "nova-pro", "messages": user("hi"), "max_tokens": 590}
	spent := func(s limitsStats) float64 {
		for _, f := range s.Limits.Agents["shared-bot"] {
			if f.Limit == "budget.daily_usd" {
				return f.Used
			}
		}
		return -1
	}

	var r generateResult
	call(t, a, "generate", map[string]any{"model": "nova-pro", "messages": user("a small call"), "max_tokens": 200}, &r)
	if r.EstimatedCostUSD == nil || *r.EstimatedCostUSD <= 0 {
		t.Fatalf("first call cost %v", r.EstimatedCostUSD)
	}
	var sb limitsStats
	call(t, b, "get_stats", nil, &sb)
	if got := spent(sb); got != *r.EstimatedCostUSD {
		t.Errorf("the other gateway counts $%v spent, want the first's $%v", got, *r.EstimatedCostUSD)
	}
	refusal(t, b, "budget_exceeded", big)

	// A gateway started afresh on the same store still counts the spend.
	b.Close()
	c, _ := connect(t, env)
	var sc limitsStats
	call(t, c, "get_stats", nil, &sc)
	if got := spent(sc); got != *r.EstimatedCostUSD {
		t.Errorf("after a restart the store counts $%v spent, want $%v", got, *r.EstimatedCostUSD)
	}
	refusal(t, c, "budget_exceeded", big)

	// The counters beside the database are only a fast copy: without them
	// (all gateways stopped, the file removed), spend so far comes from
	// the ledger.
	a.Close()
	c.Close()
	if err := os.Remove(db + "-limits"); err != nil {
		t.Fatalf("the counter file beside the database: %v", err)
	}
	d, _ := connect(t, env)
	refusal(t, d, "budget_exceeded", big)
	var sd limitsStats
	call(t, d, "get_stats", nil, &sd)
	if got := spent(sd); got != *r.EstimatedCostUSD {
		t.Errorf("with the counter file removed the store counts $%v spent, want the ledger's $%v", got, *r.EstimatedCostUSD)
	}

	// Without the first call's spend, the same call fits: the refusals
	// above came from the shared spend, not from the call alone.
	fresh, _ := connect(t, gatewayEnv(url, "STORE_URL=sqlite:"+filepath.Join(t.TempDir(), "other.db"), "AGENT_NAME=shared-bot",
		"POLICY_FILE="+writePolicy(t, "agents:\n  shared-bot: { budget: { daily_usd: 0.002 } }\n")))
	call(t, fresh, "generate", big, nil)
}

// TestStdioGatewayKilledInACallGivesBackItsPlace runs two stdio gateways
// for one agent with max_concurrent 1 on one SQLite store. The first is
// killed while its call waits on Bedrock: the place it held is given back
// at the other's next call, not when the hold would expire.
func TestStdioGatewayKilledInACallGivesBackItsPlace(t *testing.T) {
	// The call in flight when its gateway is killed hangs on Bedrock.
	url, arrived := startHangingSim(t, func(r *http.Request) bool { return strings.Contains(r.URL.Path, "nova-pro") })
	env := gatewayEnv(url, "STORE_URL=sqlite:"+filepath.Join(t.TempDir(), "gateway.db"), "AGENT_NAME=shared-bot", "CACHE_ENABLED=false",
		"POLICY_FILE="+writePolicy(t, "agents:\n  shared-bot: { max_concurrent: 1 }\n"))

	cmd := exec.Command(binary)
	cmd.Env, cmd.Dir, cmd.Stderr = env, t.TempDir(), &lockedBuilder{}
	a, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-agent", Version: "1"}, nil).Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	go func() {
		_, _ = a.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "nova-pro", "messages": user("hold on"), "max_tokens": 10}})
	}()
	<-arrived

	b, _ := connect(t, env)
	lite := map[string]any{"model": "nova-lite", "messages": user("hi"), "max_tokens": 10}
	refusal(t, b, "rate_limited", lite)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait() // its output has ended: it is gone
	call(t, b, "generate", lite, nil)
}
