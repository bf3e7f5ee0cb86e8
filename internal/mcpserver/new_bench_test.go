package mcpserver

import (
	"context"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// BenchmarkNew: the MCP server's construction at start, over the embedded
// catalog, with a get_stats output schema as the gateway gives it.
func BenchmarkNew(b *testing.B) {
	cat, err := catalog.Load(catalog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	type stats struct {
		Metrics struct {
			Requests int      `json:"requests"`
			Cost     *float64 `json:"cost_usd"`
		} `json:"metrics"`
		Caller Caller `json:"caller"`
	}
	b.ReportAllocs()
	for b.Loop() {
		New(Options{
			Generator:   &fakeGenerator{},
			Models:      cat.Models,
			Stats:       func(context.Context, Caller) any { return nil },
			StatsFor:    func(context.Context, Caller, StatsQuery) (any, error) { return nil, nil },
			StatsSchema: SchemaFor[stats](),
		})
	}
}
