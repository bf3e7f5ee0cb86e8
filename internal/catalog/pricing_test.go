package catalog

import (
	"strings"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// TestCostByTierThresholdAndDate prices calls of one model whose rates
// change by service tier, above an input threshold and on dates, each
// exact to the picodollar.
func TestCostByTierThresholdAndDate(t *testing.T) {
	path := writeModels(t, `[{"name": "acme-tiered", "model_id": "acme.tiered-v1:0", "provider": "acme",
  "context_window": 1000000, "max_tokens": 1000,
  "input_cost_per_1k": 0.003, "output_cost_per_1k": 0.015, "cache_read_cost_per_1k": 0.0003, "cache_write_cost_per_1k": 0.00375,
  "profiles": ["us", "eu"], "requires_profile": true,
  "service_tiers": ["priority", "flex", "reserved"],
  "prices": [
    {"regions": ["eu-*"], "input_cost_per_1k": 0.0036, "source": "test: EU input rate"},
    {"from": "2026-06-01", "until": "2026-09-01", "input_cost_per_1k": 0.0015, "source": "test: introductory rate"},
    {"from": "2026-10-01", "cache_read_cost_per_1k": 0.00015, "source": "test: cache-read cut"},
    {"above_input_tokens": 200000, "input_cost_per_1k": 0.006, "output_cost_per_1k": 0.0225, "cache_read_cost_per_1k": 0.0006, "cache_write_cost_per_1k": 0.0075, "source": "test: long context"},
    {"service_tier": "priority", "input_cost_per_1k": 0.00525, "output_cost_per_1k": 0.02625, "source": "test: priority"},
    {"service_tier": "flex", "input_cost_per_1k": 0.0015, "output_cost_per_1k": 0.0075, "source": "test: flex"},
    {"service_tier": "batch", "input_cost_per_1k": 0.0015, "output_cost_per_1k": 0.0075, "source": "test: batch"},
    {"profile": "eu", "service_tier": "flex", "unpriced": true, "source": "test: no EU flex price"}
  ],
  "source": "test"}]`)
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(12 * time.Hour)
	}
	small := gateway.Usage{InputTokens: 1000, OutputTokens: 100, CacheReadTokens: 2000}
	long := gateway.Usage{InputTokens: 150_000, OutputTokens: 100, CacheReadTokens: 50_001}
	tests := []struct {
		name, region, tier string
		at                 time.Time
		u                  gateway.Usage
		want               gateway.PicoUSD
		priced             bool
	}{
		{"default", "us-east-1", "", day("2026-01-15"), small, 1000*3_000_000 + 100*15_000_000 + 2000*300_000, true},
		{"EU source Region", "eu-west-1", "", day("2026-01-15"), small, 1000*3_600_000 + 100*15_000_000 + 2000*300_000, true},
		{"introductory rate", "us-east-1", gateway.TierDefault, day("2026-06-01"), small, 1000*1_500_000 + 100*15_000_000 + 2000*300_000, true},
		{"after the introductory rate", "us-east-1", "", day("2026-09-01"), small, 1000*3_000_000 + 100*15_000_000 + 2000*300_000, true},
		{"cache-read cut", "us-east-1", "", day("2026-10-02"), small, 1000*3_000_000 + 100*15_000_000 + 2000*150_000, true},
		{"at the threshold", "us-east-1", "", day("2026-01-15"), gateway.Usage{InputTokens: 150_000, CacheReadTokens: 50_000}, 150_000*3_000_000 + 50_000*300_000, true},
		{"above the threshold, whole call", "us-east-1", "", day("2026-01-15"), long, 150_000*6_000_000 + 100*22_500_000 + 50_001*600_000, true},
		{"priority", "us-east-1", gateway.TierPriority, day("2026-01-15"), gateway.Usage{InputTokens: 1000, OutputTokens: 100}, 1000*5_250_000 + 100*26_250_000, true},
		{"priority with no cache price", "us-east-1", gateway.TierPriority, day("2026-01-15"), small, 0, false},
		{"flex", "us-east-1", gateway.TierFlex, day("2026-01-15"), gateway.Usage{InputTokens: 1000, OutputTokens: 100}, 1000*1_500_000 + 100*7_500_000, true},
		{"flex unpriced in the EU", "eu-west-1", gateway.TierFlex, day("2026-01-15"), gateway.Usage{InputTokens: 1000}, 0, false},
		{"reserved has no known price", "us-east-1", gateway.TierReserved, day("2026-01-15"), gateway.Usage{InputTokens: 1000}, 0, false},
		{"batch", "us-east-1", gateway.TierBatch, day("2026-01-15"), gateway.Usage{InputTokens: 1000, OutputTokens: 100}, 1000*1_500_000 + 100*7_500_000, true},
		{"no usage reported", "us-east-1", "", day("2026-01-15"), gateway.Usage{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, Options{Region: tt.region, File: path})
			m, err := c.Resolve("acme-tiered")
			if err != nil {
				t.Fatal(err)
			}
			got, ok := m.Cost(tt.u, tt.tier, tt.at)
			if got != tt.want || ok != tt.priced {
				t.Errorf("Cost = %d, %v; want %d, %v", got, ok, tt.want, tt.priced)
			}
		})
	}
}

// TestZeroRate checks that a real $0 rate is a price, not an unknown one.
func TestZeroRate(t *testing.T) {
	path := writeModels(t, `[{"name": "acme-free", "model_id": "acme.free-v1:0", "provider": "acme",
  "context_window": 1000, "max_tokens": 100, "input_cost_per_1k": 0, "output_cost_per_1k": 0,
  "cache_read_cost_per_1k": 0, "cache_write_cost_per_1k": 0, "source": "test"}]`)
	c := mustLoad(t, Options{File: path})
	m, err := c.Resolve("acme-free")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Cost(gateway.Usage{InputTokens: 10, OutputTokens: 10, CacheWriteTokens: 5}, "", catalogDay); !ok || got != 0 {
		t.Errorf("Cost at $0 = %d, %v; want 0, true", got, ok)
	}
	e := entryByName(t, c, "acme-free")
	if !e.Priced || e.InputCostPer1K == nil || *e.InputCostPer1K != 0 {
		t.Errorf("entry = priced %v, input %v; want priced at 0", e.Priced, e.InputCostPer1K)
	}
}

func TestPriceRuleErrors(t *testing.T) {
	path := writeModels(t, `[{"name": "nova-pro", "regions": ["mars", "us-east-1", "us-east-1"], "service_tiers": ["gold"],
  "prices": [
    {"profile": "jp", "regions": ["*", "eu-west-1"], "service_tier": "flex", "from": "2026-13-01", "input_cost_per_1k": -1},
    {"from": "2026-06-01", "until": "2026-05-01", "above_input_tokens": -5, "source": "x"}
  ]}]`)
	_, err := Load(Options{File: path})
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	for _, want := range []string{
		`regions: "mars" is not an AWS Region name`,
		`regions: "us-east-1" is listed twice`,
		`service_tiers: "gold" must be one of priority, flex, reserved`,
		`prices[0].profile "jp" is not in profiles`,
		`prices[0].regions: "*" must be a Region`,
		`prices[0].service_tier "flex" is not in the model's service_tiers`,
		`prices[0].from "2026-13-01" must be a date`,
		`prices[0].input_cost_per_1k must be 0 or more`,
		`prices[0].source is required`,
		`prices[1].from (2026-06-01) must be before until (2026-05-01)`,
		`prices[1].above_input_tokens must not be negative`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load error lacks %q:\n%v", want, err)
		}
	}
}

// TestRegionRefusal checks the error that refuses a model the Region does
// not serve: before Bedrock, saying where it is served.
func TestRegionRefusal(t *testing.T) {
	c := mustLoad(t, Options{Region: "eu-west-1"})
	for _, name := range []string{"llama-3-3-70b", "meta.llama3-3-70b-instruct-v1:0", "us.meta.llama3-3-70b-instruct-v1:0"} {
		_, err := c.Resolve(name)
		if gateway.KindOf(err) != gateway.KindModelNotFound || !strings.Contains(err.Error(), `through the "us" profile from us-* and ca-* Regions`) ||
			!strings.Contains(err.Error(), "from eu-west-1") {
			t.Errorf("Resolve(%s) from eu-west-1 = %v, want a refusal naming where it is offered", name, err)
		}
	}
	if e := entryByName(t, c, "llama-3-3-70b"); e.Callable || e.Offered == "" || e.Priced {
		t.Errorf("llama-3-3-70b entry from eu-west-1 = callable %v, offered %q, priced %v; want not callable, where offered, no price", e.Callable, e.Offered, e.Priced)
	}
}
