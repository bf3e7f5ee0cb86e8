package main

import (
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// simModels describes the catalog's models to the Bedrock simulator, so
// that it answers unknown and end-of-life models, missing profiles and each
// request rule as Bedrock does. The two packages do not know each other;
// this is where they meet.
func simModels(cat *catalog.Catalog) []bedrocksim.Model {
	entries := cat.Models()
	out := make([]bedrocksim.Model, 0, len(entries))
	for _, e := range entries {
		m := bedrocksim.Model{
			ID:              e.BaseModelID,
			MaxTokens:       e.MaxTokens,
			Profiles:        e.Profiles,
			RequiresProfile: e.RequiresProfile,
			EndOfLife:       e.Status == gateway.StatusEndOfLife,
			Endpoint:        e.Endpoint,
			ServiceTiers:    e.ServiceTiers,
		}
		if r := e.Rules; r != nil {
			m.Rejects, m.OptIn = r.Rejects, r.OptIn
		}
		out = append(out, m)
	}
	return out
}

// simAccount is what the simulator's control plane and Price List say of
// the account: the catalog's models as the catalog resolves them for its
// Region (those it can call, through the profiles the Region may use, at
// the catalog's prices), so that `models check` against the simulator finds
// no difference until a test makes one.
func simAccount(cat *catalog.Catalog) []bedrocksim.AccountModel {
	var out []bedrocksim.AccountModel
	for _, e := range cat.Models() {
		if !e.Callable || e.Status == gateway.StatusEndOfLife {
			continue
		}
		a := bedrocksim.AccountModel{
			ID: e.BaseModelID, Name: displayName(e.Name), Provider: e.Provider,
			Legacy:      e.Status == gateway.StatusLegacy,
			OnDemand:    e.Profile == "",
			Marketplace: e.Provider == "anthropic", // AWS lists Anthropic's prices under Marketplace
		}
		if e.Profile == "global" { // global inference has rates of its own
			a.Global.Input, a.Global.Output = e.InputCostPer1K, e.OutputCostPer1K
			a.Global.CacheRead, a.Global.CacheWrite = e.CacheReadCostPer1K, e.CacheWriteCostPer1K
		} else {
			a.Input, a.Output = e.InputCostPer1K, e.OutputCostPer1K
			a.CacheRead, a.CacheWrite = e.CacheReadCostPer1K, e.CacheWriteCostPer1K
		}
		for _, p := range e.Profiles {
			if catalog.ProfileServes(p, cat.Region()) {
				a.Profiles = append(a.Profiles, p)
			}
		}
		out = append(out, a)
	}
	return out
}

// displayName turns a catalog name into a name as Bedrock shows it:
// "claude-sonnet-4-5" becomes "Claude Sonnet 4.5", "llama-3-3-70b"
// "Llama 3.3 70b". The Price List and ListFoundationModels name models this
// way, not by ID.
func displayName(name string) string {
	var b strings.Builder
	words := strings.Split(name, "-")
	for i, w := range words {
		if w == "" {
			continue
		}
		digit := w[0] >= '0' && w[0] <= '9'
		if i > 0 {
			prevDigit := words[i-1] != "" && words[i-1][0] >= '0' && words[i-1][0] <= '9'
			if digit && prevDigit && len(words[i-1]) == 1 && len(w) == 1 {
				b.WriteByte('.')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
