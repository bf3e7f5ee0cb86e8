package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// costStats is the part of get_stats these tests read, with costs kept as
// raw JSON so that null and 0 differ.
type costStats struct {
	Metrics struct {
		UnpricedRequests       int `json:"unpriced_requests"`
		UsageEstimatedRequests int `json:"usage_estimated_requests"`
		ByModel                map[string]struct {
			CostUSD                json.RawMessage `json:"cost_usd"`
			UnpricedRequests       int             `json:"unpriced_requests"`
			UsageEstimatedRequests int             `json:"usage_estimated_requests"`
			InputTokens            int             `json:"input_tokens"`
			OutputTokens           int             `json:"output_tokens"`
		} `json:"by_model"`
		RequestsByAgent map[string]struct {
			CostUSD          json.RawMessage `json:"cost_usd"`
			UnpricedRequests int             `json:"unpriced_requests"`
		} `json:"requests_by_agent"`
	} `json:"metrics"`
}

// TestStdioInterruptedStreamIsBilled cuts a stream after text arrived: the
// call fails, yet get_stats counts the tokens AWS bills for it, estimated
// and marked so, at a cost that is not zero.
func TestStdioInterruptedStreamIsBilled(t *testing.T) {
	_, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url))
	res, err := s.CallTool(t.Context(), callParams("generate", map[string]any{
		"model": "nova-pro", "stream": true, "messages": user("Tell me about rivers [sim:stream-error-after=3]"),
	}))
	if err != nil || !res.IsError || !strings.Contains(text(res), "stream interrupted") {
		t.Fatalf("generate = %v %s, want the stream's failure", err, text(res))
	}
	var st costStats
	call(t, s, "get_stats", nil, &st)
	m := st.Metrics.ByModel["nova-pro"]
	var cost float64
	if err := json.Unmarshal(m.CostUSD, &cost); err != nil || cost <= 0 {
		t.Errorf("nova-pro cost_usd = %s, want a cost above 0", m.CostUSD)
	}
	if m.UsageEstimatedRequests != 1 || st.Metrics.UsageEstimatedRequests != 1 || m.InputTokens == 0 || m.OutputTokens == 0 {
		t.Errorf("nova-pro stats = %+v (total estimated %d), want one request with estimated input and output tokens",
			m, st.Metrics.UsageEstimatedRequests)
	}
}

// TestStdioUnpricedIsNullEverywhere makes a model's price unknown: the
// answer's cost, the model's and the agent's totals are null, never 0, and
// list_models shows no price.
func TestStdioUnpricedIsNullEverywhere(t *testing.T) {
	_, url := startSim(t)
	file := filepath.Join(t.TempDir(), "models.json")
	if err := os.WriteFile(file, []byte(`[{"name": "nova-lite", "input_cost_per_1k": null, "output_cost_per_1k": null, "cache_read_cost_per_1k": null}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := connect(t, gatewayEnv(url, "MODELS_FILE="+file))

	res := call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("Hello")}, nil)
	var answer map[string]json.RawMessage
	decode(t, res, &answer)
	if got := string(answer["estimated_cost_usd"]); got != "null" {
		t.Errorf("estimated_cost_usd = %s, want null", got)
	}

	var st costStats
	call(t, s, "get_stats", nil, &st)
	if m := st.Metrics.ByModel["nova-lite"]; string(m.CostUSD) != "null" || m.UnpricedRequests != 1 {
		t.Errorf("by_model nova-lite = cost %s, unpriced %d; want null, 1", m.CostUSD, m.UnpricedRequests)
	}
	if len(st.Metrics.RequestsByAgent) != 1 {
		t.Fatalf("requests_by_agent = %+v, want one agent", st.Metrics.RequestsByAgent)
	}
	for name, a := range st.Metrics.RequestsByAgent {
		if string(a.CostUSD) != "null" || a.UnpricedRequests != 1 {
			t.Errorf("requests_by_agent %s = cost %s, unpriced %d; want null, 1", name, a.CostUSD, a.UnpricedRequests)
		}
	}

	var models struct {
		Models []map[string]json.RawMessage `json:"models"`
	}
	call(t, s, "list_models", map[string]any{"provider": "amazon", "detail": true}, &models)
	for _, m := range models.Models {
		if string(m["name"]) != `"nova-lite"` {
			continue
		}
		if _, ok := m["input_cost_per_1k"]; ok || string(m["priced"]) != "false" {
			t.Errorf("list_models nova-lite = input %s priced %s; want no price and priced false", m["input_cost_per_1k"], m["priced"])
		}
	}
}

func callParams(tool string, args map[string]any) *mcp.CallToolParams {
	return &mcp.CallToolParams{Name: tool, Arguments: args}
}

// TestStdioServiceTierIsBilled asks for the flex tier of a model that
// offers it: the answer is priced at the tier Bedrock reports, to the
// picodollar, including when Bedrock reports another tier than asked; a
// tier the model does not offer is refused before Bedrock.
func TestStdioServiceTierIsBilled(t *testing.T) {
	sim, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url))
	// gpt-oss-20b from us-east-1: flex $0.000035/$0.00015 and priority
	// $0.0001225/$0.000525 per 1K, that is 35,000/150,000 and
	// 122,500/525,000 picodollars per token.
	for _, tt := range []struct {
		prompt    string
		in, out   int64
		tierLabel string
	}{
		{"Hello flex", 35_000, 150_000, "flex"},
		{"Hello again [sim:served-tier=priority]", 122_500, 525_000, "priority reported"},
	} {
		var r generateResult
		call(t, s, "generate", map[string]any{"model": "gpt-oss-20b", "service_tier": "flex", "messages": user(tt.prompt)}, &r)
		want := float64(int64(r.Usage.InputTokens)*tt.in+int64(r.Usage.OutputTokens)*tt.out) / 1e12
		if r.EstimatedCostUSD == nil || *r.EstimatedCostUSD != want || r.Usage.InputTokens == 0 {
			t.Errorf("%s: cost %v for %+v, want %v", tt.tierLabel, r.EstimatedCostUSD, r.Usage, want)
		}
	}

	before := sim.Calls()
	res, err := s.CallTool(t.Context(), callParams("generate", map[string]any{
		"model": "nova-pro", "service_tier": "flex", "messages": user("Hello"),
	}))
	if err != nil || !res.IsError || !strings.Contains(text(res), `does not offer the "flex" service tier`) {
		t.Errorf("flex on nova-pro = %v %s, want a refusal naming the tier", err, text(res))
	}
	if sim.Calls() != before {
		t.Error("the refused tier reached Bedrock")
	}
}
