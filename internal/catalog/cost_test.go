package catalog

import (
	"encoding/json"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func TestCost(t *testing.T) {
	c := mustLoad(t, Options{})
	tests := []struct {
		model string
		u     gateway.Usage
		want  gateway.PicoUSD
	}{
		// $0.0008 and $0.0032 per 1K tokens are 800,000 and 3,200,000 pUSD
		// per token: 1,234*800,000 + 567*3,200,000 = $0.0028016.
		{"nova-pro", gateway.Usage{InputTokens: 1234, OutputTokens: 567}, 2_801_600_000},
		// Nova bills cache reads at a quarter of the input price.
		{"nova-pro", gateway.Usage{InputTokens: 10, CacheReadTokens: 1000}, 10*800_000 + 1000*200_000},
		// Global Sonnet 4.5: $3/$15 per 1M, cache read $0.30, write $3.75.
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0",
			gateway.Usage{InputTokens: 100, OutputTokens: 10, CacheReadTokens: 1000, CacheWriteTokens: 200},
			100*3_000_000 + 10*15_000_000 + 1000*300_000 + 200*3_750_000},
		// The us profile costs 10% more.
		{"claude-sonnet-4-5", gateway.Usage{InputTokens: 100, OutputTokens: 10},
			100*3_300_000 + 10*16_500_000},
		{"nova-micro", gateway.Usage{InputTokens: 1_000_000}, 35_000_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m, err := c.Resolve(tt.model)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := c.Cost(m, tt.u)
			if !ok || got != tt.want {
				t.Errorf("Cost(%s, %+v) = %d, %v, want %d, true", tt.model, tt.u, got, ok, tt.want)
			}
		})
	}
}

// TestCacheWriteWithoutPriceIsUnpriced checks that a cache write at a rate
// the catalog does not know makes the call unpriced, rather than priced at
// the input rate as if that were known.
func TestCacheWriteWithoutPriceIsUnpriced(t *testing.T) {
	c := mustLoad(t, Options{})
	m, err := c.Resolve("nova-pro") // no cache-write price in the catalog
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Cost(m, gateway.Usage{InputTokens: 10, CacheWriteTokens: 10}); ok || got != 0 {
		t.Errorf("Cost(nova-pro with a cache write) = %d, %v, want 0, false", got, ok)
	}
	if e := entryByName(t, c, "nova-pro"); e.CacheWriteCostPer1K != nil || !e.Priced {
		t.Errorf("nova-pro entry = priced %v, cache write %v; want priced with no cache-write price", e.Priced, e.CacheWriteCostPer1K)
	}
}

func TestCostUnpriced(t *testing.T) {
	path := writeModels(t, `[{"name": "deepseek-r1", "input_cost_per_1k": null, "output_cost_per_1k": null}]`)
	c := mustLoad(t, Options{File: path})
	m, err := c.Resolve("deepseek-r1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Price != nil {
		t.Errorf("Resolve(deepseek-r1).Price = %+v, want nil", m.Price)
	}
	if got, ok := c.Cost(m, gateway.Usage{InputTokens: 1, OutputTokens: 1}); ok || got != 0 {
		t.Errorf("Cost(unpriced) = %d, %v, want 0, false", got, ok)
	}
}
