package gateway

import "testing"

func TestPriceCost(t *testing.T) {
	p := Price{Input: PicoFromUSD(0.0008 / 1000), Output: PicoFromUSD(0.0032 / 1000)}
	tests := []struct {
		name string
		u    Usage
		want PicoUSD
	}{
		{"zero", Usage{}, 0},
		{"seed example", Usage{InputTokens: 10, OutputTokens: 50}, 10*800_000 + 50*3_200_000},
		{"cache tokens default to input price", Usage{CacheReadTokens: 3, CacheWriteTokens: 2}, 5 * 800_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Cost(tt.u); got != tt.want {
				t.Errorf("Cost(%+v) = %d, want %d", tt.u, got, tt.want)
			}
		})
	}
}

func TestPicoFromUSDExact(t *testing.T) {
	// $0.000035 per 1K tokens (nova-micro input) is 35,000 pUSD per token.
	if got := PicoFromUSD(0.000035 / 1000); got != 35_000 {
		t.Errorf("PicoFromUSD(0.000035/1000) = %d, want 35000", got)
	}
}
