package main

import (
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
