package gateway

import (
	"math"
	"testing"
	"time"
)

func TestPriceCost(t *testing.T) {
	p := Price{Input: PicoFromUSD(0.0008 / 1000), Output: PicoFromUSD(0.0032 / 1000), CacheRead: 200_000, CacheWrite: 1_000_000}
	noWrite := p
	noWrite.CacheWriteUnknown = true
	free := Price{Input: 0, Output: 0, CacheRead: 0, CacheWrite: 0}
	tests := []struct {
		name   string
		p      Price
		u      Usage
		want   PicoUSD
		priced bool
	}{
		{"zero", p, Usage{}, 0, true},
		{"seed example", p, Usage{InputTokens: 10, OutputTokens: 50}, 10*800_000 + 50*3_200_000, true},
		{"cache tokens at their own rates", p, Usage{CacheReadTokens: 3, CacheWriteTokens: 2}, 3*200_000 + 2*1_000_000, true},
		{"unknown cache-write rate unused", noWrite, Usage{InputTokens: 1, CacheReadTokens: 3}, 800_000 + 3*200_000, true},
		{"unknown cache-write rate used", noWrite, Usage{InputTokens: 1, CacheWriteTokens: 1}, 0, false},
		{"a real $0 rate", free, Usage{InputTokens: 5, OutputTokens: 5}, 0, true},
		{"overflow", Price{Input: math.MaxInt64 / 2}, Usage{InputTokens: 3}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.p.Cost(tt.u)
			if got != tt.want || ok != tt.priced {
				t.Errorf("Cost(%+v) = %d, %v; want %d, %v", tt.u, got, ok, tt.want, tt.priced)
			}
		})
	}
}

func TestAddPico(t *testing.T) {
	if s, ok := AddPico(math.MaxInt64-1, 1); !ok || s != math.MaxInt64 {
		t.Errorf("AddPico(max-1, 1) = %d, %v", s, ok)
	}
	if _, ok := AddPico(math.MaxInt64, 1); ok {
		t.Error("AddPico(max, 1) did not report the overflow")
	}
	if _, ok := AddPico(math.MinInt64, -1); ok {
		t.Error("AddPico(min, -1) did not report the overflow")
	}
}

func TestPricingRate(t *testing.T) {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	price := func(in PicoUSD) *Price { return &Price{Input: in, Output: 2 * in} }
	p := &Pricing{Rates: []Rate{
		{Tier: TierDefault, Price: price(100)},
		{Tier: TierDefault, AboveInputTokens: 1000, Price: price(200)},
		{Tier: TierDefault, From: day("2026-06-01"), Price: price(80)},
		{Tier: TierDefault, From: day("2026-06-01"), AboveInputTokens: 1000, Price: price(160)},
		{Tier: TierPriority, Price: price(175)},
		{Tier: TierFlex, Price: nil},
	}}
	tests := []struct {
		name   string
		u      Usage
		tier   string
		at     time.Time
		want   PicoUSD
		priced bool
	}{
		{"default tier before the date", Usage{InputTokens: 10, OutputTokens: 1}, "", day("2026-05-31"), 10*100 + 1*200, true},
		{"on the date", Usage{InputTokens: 10, OutputTokens: 1}, TierDefault, day("2026-06-01"), 10*80 + 1*160, true},
		{"at the threshold", Usage{InputTokens: 1000}, TierDefault, day("2026-01-01"), 1000 * 100, true},
		{"above the threshold, whole call", Usage{InputTokens: 1001, OutputTokens: 10}, TierDefault, day("2026-01-01"), 1001*200 + 10*400, true},
		{"cache tokens count toward the threshold", Usage{InputTokens: 1, CacheReadTokens: 1000}, TierDefault, day("2027-01-01"), 160 + 1000*0, true},
		{"priority", Usage{InputTokens: 10}, TierPriority, day("2026-01-01"), 1750, true},
		{"tier with unknown rate", Usage{InputTokens: 10}, TierFlex, day("2026-01-01"), 0, false},
		{"tier not offered", Usage{InputTokens: 10}, TierReserved, day("2026-01-01"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := p.Cost(tt.u, tt.tier, tt.at)
			if got != tt.want || ok != tt.priced {
				t.Errorf("Cost = %d, %v; want %d, %v", got, ok, tt.want, tt.priced)
			}
		})
	}
}

func TestModelCostUnknownWithoutUsage(t *testing.T) {
	m := Model{Price: &Price{Input: 1, Output: 1}}
	if c, ok := m.Cost(Usage{}, "", time.Now()); ok {
		t.Errorf("a call with no reported usage priced at %d, want unknown", c)
	}
	if _, ok := m.Cost(Usage{InputTokens: 1}, TierFlex, time.Now()); ok {
		t.Error("a tier the model has no price for was priced")
	}
	if _, ok := (Model{}).Cost(Usage{InputTokens: 1}, "", time.Now()); ok {
		t.Error("an unpriced model was priced")
	}
}

func TestPicoFromUSDExact(t *testing.T) {
	// $0.000035 per 1K tokens (nova-micro input) is 35,000 pUSD per token.
	if got := PicoFromUSD(0.000035 / 1000); got != 35_000 {
		t.Errorf("PicoFromUSD(0.000035/1000) = %d, want 35000", got)
	}
}

// costOf is p's cost of u, for tests whose prices know every rate.
func costOf(p *Price, u Usage) PicoUSD {
	c, _ := p.Cost(u)
	return c
}
