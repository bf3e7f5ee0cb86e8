package gateway

import (
	"math"
	"time"
)

// PicoUSD is an amount of money in millionths of a millionth of a US dollar.
// Prices and costs are integers so that totals over millions of calls add up
// exactly; a per-token price on Bedrock never has more than 12 decimals.
type PicoUSD int64

// PicoPerUSD is one dollar in PicoUSD.
const PicoPerUSD = 1_000_000_000_000

// USD converts to dollars for display.
func (p PicoUSD) USD() float64 { return float64(p) / PicoPerUSD }

// PicoFromUSD converts a dollar amount, such as a catalog price per token,
// to the nearest PicoUSD.
func PicoFromUSD(usd float64) PicoUSD { return PicoUSD(math.Round(usd * PicoPerUSD)) }

// AddPico returns a+b, and false when the sum does not fit: about $9.2
// million is the most a PicoUSD holds, which a long-lived total can reach.
// Callers treat an overflowed total as unknown, never as a wrapped number.
func AddPico(a, b PicoUSD) (PicoUSD, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// mulPico returns n×p, and false when it does not fit.
func mulPico(n int, p PicoUSD) (PicoUSD, bool) {
	if n == 0 || p == 0 {
		return 0, true
	}
	r := PicoUSD(n) * p
	if r/PicoUSD(n) != p || n < 0 || p < 0 {
		return 0, false
	}
	return r, true
}

// Service tiers: Converse's serviceTier, and batch inference's price.
const (
	TierDefault  = "default"
	TierPriority = "priority"
	TierFlex     = "flex"
	TierReserved = "reserved"
	// TierBatch is the price of batch inference. The gateway does not submit
	// batches; the price is kept so that it is known the day it does.
	TierBatch = "batch"
)

// Tier is a service tier in a byte, so that a cached Completion stays in
// its malloc size class; its String is one of the Tier* names.
type Tier uint8

// Tiers, in the order of tierNames.
const (
	ServedDefault Tier = iota
	ServedPriority
	ServedFlex
	ServedReserved
	// ServedUnknown is a tier Bedrock named that this code does not know:
	// its price is unknown.
	ServedUnknown Tier = 255
)

var tierNames = [...]string{TierDefault, TierPriority, TierFlex, TierReserved}

func (t Tier) String() string {
	if int(t) < len(tierNames) {
		return tierNames[t]
	}
	return "unknown"
}

// ParseTier returns the Tier of a name; empty is the default tier. It
// reports false for a name Converse does not know.
func ParseTier(name string) (Tier, bool) {
	if name == "" {
		return ServedDefault, true
	}
	for i, n := range tierNames {
		if n == name {
			return Tier(i), true
		}
	}
	return ServedDefault, false
}

// Price is what one token costs, by kind of token. Every rate is known
// except a cache rate marked unknown: a call that read or wrote the prompt
// cache at an unknown rate is unpriced (never priced at the input rate, a
// guess that is wrong for every model that caches).
type Price struct {
	Input      PicoUSD // per input token
	Output     PicoUSD // per output token
	CacheRead  PicoUSD // per prompt-cache read token
	CacheWrite PicoUSD // per prompt-cache write token

	CacheReadUnknown  bool
	CacheWriteUnknown bool
}

// Cost prices a usage exactly; no rounding happens until display. It
// reports false when the usage has tokens of a kind whose rate is unknown,
// or when the cost does not fit a PicoUSD.
func (p Price) Cost(u Usage) (PicoUSD, bool) {
	if (u.CacheReadTokens != 0 && p.CacheReadUnknown) || (u.CacheWriteTokens != 0 && p.CacheWriteUnknown) {
		return 0, false
	}
	var total PicoUSD
	for _, part := range [...]struct {
		n int
		p PicoUSD
	}{{u.InputTokens, p.Input}, {u.OutputTokens, p.Output}, {u.CacheReadTokens, p.CacheRead}, {u.CacheWriteTokens, p.CacheWrite}} {
		c, ok := mulPico(part.n, part.p)
		if !ok {
			return 0, false
		}
		if total, ok = AddPico(total, c); !ok {
			return 0, false
		}
	}
	return total, true
}

// Pricing is everything a model costs through one inference profile from one
// source Region: a rate per service tier, each of which may change on dates
// and above input-size thresholds. The catalog builds it; Rates holds one
// entry for every combination of tier, date and threshold, so that the rate
// for a call is the single entry that applies, not a sum of adjustments.
type Pricing struct {
	Rates []Rate
}

// Rate is the price in one band of a Pricing.
type Rate struct {
	Tier string // TierDefault, TierPriority, …
	// From is when the rate starts; zero means since always. The rate of a
	// call is the one with the latest From not after the call's time.
	From time.Time
	// AboveInputTokens, if not zero, makes the rate apply only to calls
	// whose input (input, cache-read and cache-write tokens together) is
	// larger; every token of such a call is billed at this rate.
	AboveInputTokens int
	// Price is nil when the rate in this band is unknown.
	Price *Price
}

// Rate returns the rate of a call served at tier, made at time at, with
// inputTokens of input; nil when the pricing has no rate for the tier.
func (p *Pricing) Rate(tier string, at time.Time, inputTokens int) *Rate {
	if tier == "" {
		tier = TierDefault
	}
	var best *Rate
	for i := range p.Rates {
		r := &p.Rates[i]
		if r.Tier != tier || r.From.After(at) || (r.AboveInputTokens != 0 && inputTokens <= r.AboveInputTokens) {
			continue
		}
		if best == nil || r.From.After(best.From) ||
			(r.From.Equal(best.From) && r.AboveInputTokens > best.AboveInputTokens) {
			best = r
		}
	}
	return best
}

// Cost prices a usage served at tier at time at; false when the rate is
// unknown.
func (p *Pricing) Cost(u Usage, tier string, at time.Time) (PicoUSD, bool) {
	r := p.Rate(tier, at, u.InputTokens+u.CacheReadTokens+u.CacheWriteTokens)
	if r == nil || r.Price == nil {
		return 0, false
	}
	return r.Price.Cost(u)
}

// Cost prices a usage of m served at tier (empty means the default tier) at
// time at. It reports false, and zero, whenever the cost cannot be known:
// no price for the model, its profile, the tier, the date or the size of
// the call, a cache rate that is unknown, or no usage at all (Bedrock bills
// at least one input token for every call it serves, so a zero usage means
// none was reported, not that the call was free).
func (m Model) Cost(u Usage, tier string, at time.Time) (PicoUSD, bool) {
	if u == (Usage{}) {
		return 0, false
	}
	switch {
	case m.Pricing != nil:
		return m.Pricing.Cost(u, tier, at)
	case m.Price != nil && (tier == "" || tier == TierDefault):
		return m.Price.Cost(u)
	}
	return 0, false
}
