package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// profileNone is the price rules' name for calls by the bare model ID.
const profileNone = "none"

// Rate is one band of a model's prices as list_models shows it: the rates
// in USD per 1,000 tokens for a service tier, from a date, above an input
// size. A rate that is unknown is omitted (never 0); Priced says whether
// the band has a price at all.
type Rate struct {
	ServiceTier      string   `json:"service_tier"`
	From             string   `json:"from,omitempty"`               // YYYY-MM-DD; empty means since always
	AboveInputTokens int      `json:"above_input_tokens,omitempty"` // applies to calls with more input than this
	Priced           bool     `json:"priced"`
	InputCostPer1K   *float64 `json:"input_cost_per_1k,omitempty"`
	OutputCostPer1K  *float64 `json:"output_cost_per_1k,omitempty"`
	CacheReadPer1K   *float64 `json:"cache_read_cost_per_1k,omitempty"`
	CacheWritePer1K  *float64 `json:"cache_write_cost_per_1k,omitempty"`
	// Source is where the band's rates come from when a price rule set
	// them; empty means the model's base prices (see the model's source).
	Source string `json:"source,omitempty"`
}

// band is the compiled price of one (tier, date, input size) combination.
type band struct {
	tier  string
	from  string // YYYY-MM-DD or "" for since always
	above int
	p     prices
	// sources are the rules that set the band's rates, in order.
	sources []string
}

// regionMatches matches a source Region against a rule's pattern, where a
// trailing "*" matches any suffix.
func regionMatches(pattern, region string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(region, prefix)
	}
	return pattern == region
}

// routes reports whether r applies to calls through profile ("" for the
// bare ID) from region.
func (r *priceRule) routes(profile, region string) bool {
	switch {
	case r.Profile == "":
	case r.Profile == profileNone:
		if profile != "" {
			return false
		}
	case r.Profile != profile:
		return false
	}
	return r.Regions == nil || slices.ContainsFunc(r.Regions, func(p string) bool { return regionMatches(p, region) })
}

func (r *priceRule) tier() string {
	if r.ServiceTier == "" {
		return gateway.TierDefault
	}
	return r.ServiceTier
}

// inForce reports whether r's dates cover a band starting at day ("" is
// since always). Dates compare as strings once validated.
func (r *priceRule) inForce(day string) bool {
	return (r.From == "" || (day != "" && r.From <= day)) && (r.Until == "" || day < r.Until)
}

// rules lists the price rules of s that apply to calls through profile
// from region, in the order they are laid over each other: the
// profile_prices shorthand first, then "prices".
func (s *spec) rules(profile, region string) []priceRule {
	var out []priceRule
	if o, ok := s.ProfilePrices[profile]; ok && profile != "" {
		out = append(out, priceRule{Profile: profile, prices: o, Source: fmt.Sprintf("profile_prices[%q], from the model's source", profile)})
	}
	for _, r := range s.Prices {
		if r.routes(profile, region) {
			out = append(out, r)
		}
	}
	return out
}

// bands compiles the prices of calls through profile from region into one
// band per combination of tier, date and threshold, so that a call's rate
// is the one band that covers it.
func (s *spec) bands(profile, region string) []band {
	rules := s.rules(profile, region)
	tiers := append([]string{gateway.TierDefault}, s.ServiceTiers...)
	for _, r := range rules {
		if !slices.Contains(tiers, r.tier()) {
			tiers = append(tiers, r.tier()) // batch
		}
	}
	var out []band
	for _, tier := range tiers {
		days, aboves := []string{""}, []int{0}
		for _, r := range rules {
			if r.tier() != tier {
				continue
			}
			for _, d := range []string{r.From, r.Until} {
				if d != "" && !slices.Contains(days, d) {
					days = append(days, d)
				}
			}
			if !slices.Contains(aboves, r.AboveInputTokens) {
				aboves = append(aboves, r.AboveInputTokens)
			}
		}
		slices.Sort(days)
		slices.Sort(aboves)
		for _, day := range days {
			for _, above := range aboves {
				var p prices
				var sources []string
				if tier == gateway.TierDefault {
					p = s.prices
				}
				for _, r := range rules {
					if r.tier() != tier || !r.inForce(day) || r.AboveInputTokens > above {
						continue
					}
					if r.Unpriced {
						p = prices{}
					}
					p = p.over(r.prices)
					if r.Source != "" && !slices.Contains(sources, r.Source) {
						sources = append(sources, r.Source)
					}
				}
				out = append(out, band{tier: tier, from: day, above: above, p: p, sources: sources})
			}
		}
	}
	return out
}

// pricing is what calls through profile from region cost.
func (s *spec) pricing(profile, region string) (*gateway.Pricing, []Rate) {
	bands := s.bands(profile, region)
	pr := &gateway.Pricing{Rates: make([]gateway.Rate, len(bands))}
	rates := make([]Rate, len(bands))
	for i, b := range bands {
		var from time.Time
		if b.from != "" {
			from, _ = time.Parse(time.DateOnly, b.from) // validated
		}
		price := toPrice(b.p)
		pr.Rates[i] = gateway.Rate{Tier: b.tier, From: from, AboveInputTokens: b.above, Price: price}
		rates[i] = Rate{ServiceTier: b.tier, From: b.from, AboveInputTokens: b.above, Priced: price != nil,
			Source: strings.Join(b.sources, "; ")}
		if price != nil {
			rates[i].InputCostPer1K = b.p.InputCostPer1K
			rates[i].OutputCostPer1K = b.p.OutputCostPer1K
			rates[i].CacheReadPer1K = b.p.CacheReadCostPer1K
			rates[i].CacheWritePer1K = b.p.CacheWriteCostPer1K
		}
	}
	return pr, rates
}

// toPrice converts per-1K dollar prices to per-token PicoUSD; nil when the
// input or output price is unknown. An unknown cache price is marked so,
// never replaced by the input price.
func toPrice(p prices) *gateway.Price {
	if p.InputCostPer1K == nil || p.OutputCostPer1K == nil {
		return nil
	}
	perToken := func(per1K *float64) gateway.PicoUSD {
		if per1K == nil {
			return 0
		}
		return gateway.PicoFromUSD(*per1K / 1000)
	}
	return &gateway.Price{
		Input:             perToken(p.InputCostPer1K),
		Output:            perToken(p.OutputCostPer1K),
		CacheRead:         perToken(p.CacheReadCostPer1K),
		CacheWrite:        perToken(p.CacheWriteCostPer1K),
		CacheReadUnknown:  p.CacheReadCostPer1K == nil,
		CacheWriteUnknown: p.CacheWriteCostPer1K == nil,
	}
}

// RegionPrice is what a price list says one model costs from the
// catalog's Region, in USD per 1,000 tokens; nil is not given.
type RegionPrice struct {
	Input, Output, CacheRead, CacheWrite *float64
	// Profile, if set, limits the correction to calls through that
	// profile ("global", "us", or "none" for the bare model ID).
	Profile string
	// Source says where the rates come from and when they were read.
	Source string
}

// PriceCorrection is the MODELS_FILE object that makes the named model's
// default-tier rates from the catalog's Region those of p: the model's
// price rules, kept, with one more for this Region after them (a later
// rule refines the earlier ones).
func (c *Catalog) PriceCorrection(name string, p RegionPrice) (map[string]any, bool) {
	m, ok := c.byName[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	rules := slices.Clone(m.spec.Prices)
	rules = append(rules, priceRule{
		Profile: p.Profile,
		Regions: []string{c.region},
		prices: prices{
			InputCostPer1K: p.Input, OutputCostPer1K: p.Output,
			CacheReadCostPer1K: p.CacheRead, CacheWriteCostPer1K: p.CacheWrite,
		},
		Source: p.Source,
	})
	return map[string]any{"name": m.spec.Name, "prices": rules}, true
}
