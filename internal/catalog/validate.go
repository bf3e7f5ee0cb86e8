package catalog

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// validate normalises defaults in place and returns every problem of the
// merged catalog, each naming its model.
func validate(specs []spec) []error {
	byName := make(map[string]*spec, len(specs))
	for i := range specs {
		byName[strings.ToLower(specs[i].Name)] = &specs[i]
	}
	var errs []error
	idOwner := make(map[string]string, len(specs))
	for i := range specs {
		s := &specs[i]
		normalise(s)
		label := s.label(i)
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s", label, fmt.Sprintf(format, args...)))
		}
		checkIdentity(s, bad)
		if id := strings.ToLower(s.ModelID); id != "" {
			if other, dup := idOwner[id]; dup {
				bad("model_id %q is also the model_id of model %q", s.ModelID, other)
			} else {
				idOwner[id] = s.Name
			}
		}
		checkLimits(s, bad)
		checkPrices("", s.prices, prices{}, bad)
		checkLifecycle(s, byName, bad)
		checkProfiles(s, bad)
		checkAvailability(s, bad)
		checkPriceRules(s, bad)
		checkRules(s, bad)
	}
	return errs
}

// requestTiers are the service tiers a model may list: the ones Converse
// accepts besides the default.
var requestTiers = []string{gateway.TierPriority, gateway.TierFlex, gateway.TierReserved}

func checkAvailability(s *spec, bad complain) {
	seen := make(map[string]bool, len(s.Regions))
	for _, r := range s.Regions {
		switch {
		case !isRegion(r):
			bad("regions: %q is not an AWS Region name such as \"us-east-1\"", r)
		case seen[r]:
			bad("regions: %q is listed twice", r)
		}
		seen[r] = true
	}
	tiers := make(map[string]bool, len(s.ServiceTiers))
	for _, t := range s.ServiceTiers {
		switch {
		case !slices.Contains(requestTiers, t):
			bad("service_tiers: %q must be one of %s (default is always offered)", t, strings.Join(requestTiers, ", "))
		case tiers[t]:
			bad("service_tiers: %q is listed twice", t)
		}
		tiers[t] = true
	}
}

// isRegion accepts names shaped like AWS Regions: letters, a dash, more
// parts, a final number ("us-east-1", "us-gov-west-1").
func isRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	last := parts[len(parts)-1]
	return last != "" && strings.Trim(last, "0123456789") == ""
}

func checkPriceRules(s *spec, bad complain) {
	for i, r := range s.Prices {
		where := fmt.Sprintf("prices[%d].", i)
		rbad := func(format string, args ...any) { bad(where+format, args...) }
		switch {
		case r.Profile == "", r.Profile == profileNone:
		case !slices.Contains(s.Profiles, r.Profile):
			rbad("profile %q is not in profiles (use \"none\" for the bare model ID)", r.Profile)
		}
		for _, g := range r.Regions {
			pattern, glob := strings.CutSuffix(g, "*")
			if (glob && (pattern == "" || strings.Contains(pattern, "*"))) || (!glob && !isRegion(g)) {
				rbad("regions: %q must be a Region (\"eu-west-1\") or a prefix ending in * (\"eu-*\")", g)
			}
		}
		switch t := r.ServiceTier; {
		case t == "", t == gateway.TierDefault, t == gateway.TierBatch:
		case !slices.Contains(requestTiers, t):
			rbad("service_tier %q must be default, %s or batch", t, strings.Join(requestTiers, ", "))
		case !slices.Contains(s.ServiceTiers, t):
			rbad("service_tier %q is not in the model's service_tiers", t)
		}
		for _, d := range []struct{ name, v string }{{"from", r.From}, {"until", r.Until}} {
			if d.v == "" {
				continue
			}
			if _, err := time.Parse(time.DateOnly, d.v); err != nil {
				rbad("%s %q must be a date as YYYY-MM-DD", d.name, d.v)
			}
		}
		if r.From != "" && r.Until != "" && r.From >= r.Until {
			rbad("from (%s) must be before until (%s)", r.From, r.Until)
		}
		if r.AboveInputTokens < 0 {
			rbad("above_input_tokens must not be negative")
		}
		if strings.TrimSpace(r.Source) == "" {
			rbad("source is required: say where the rates come from and on what date")
		}
		checkPrices("", r.prices, prices{}, func(format string, args ...any) {
			// Only the sign and finiteness of each rate matter here: a rule
			// may change one rate of what it refines.
			if strings.Contains(format, "0 or more") {
				rbad(format, args...)
			}
		})
	}
}

// normalise applies the documented defaults of zero fields.
func normalise(s *spec) {
	if s.MaxTemperature == 0 && s.MinTemperature == 0 {
		s.MaxTemperature = 1
	}
	if s.Status == "" {
		s.Status = gateway.StatusActive
	}
	if s.Family == "" {
		s.Family = s.Provider
	}
	if s.Endpoint == "" {
		s.Endpoint = gateway.EndpointRuntime
	}
}

// endpoints are the Bedrock endpoints a data file may name.
var endpoints = []string{gateway.EndpointRuntime, "bedrock-mantle"}

func checkRules(s *spec, bad complain) {
	if s.Released != "" {
		if _, err := time.Parse(time.DateOnly, s.Released); err != nil {
			bad("released %q must be a date as YYYY-MM-DD", s.Released)
		}
	}
	if !slices.Contains(endpoints, s.Endpoint) {
		bad("endpoint %q must be one of %s", s.Endpoint, strings.Join(endpoints, ", "))
	}
	if strings.ContainsFunc(s.Family, isSpace) {
		bad("family %q must not contain spaces", s.Family)
	}
	r := &s.Rules
	for _, x := range r.Rejects {
		if !slices.Contains(gateway.RuleNames, x) {
			bad("rules.rejects has %q; use %s", x, strings.Join(gateway.RuleNames, ", "))
		}
	}
	if r.Reasoning != "" && !slices.Contains(gateway.ReasoningStyles, r.Reasoning) {
		bad("rules.reasoning %q must be one of %s", r.Reasoning, strings.Join(gateway.ReasoningStyles, ", "))
	}
	if (len(r.Efforts) > 0 || r.DefaultEffort != "") && (r.Reasoning == "" || r.Reasoning == gateway.ReasoningAlways) {
		bad("rules.efforts and rules.default_effort need a rules.reasoning that takes an effort")
	}
	for _, e := range r.Efforts {
		if e == "" || e == gateway.ReasoningOff || strings.ContainsFunc(e, isSpace) {
			bad("rules.efforts has %q; give effort names such as low, medium, high", e)
		}
	}
	if r.DefaultEffort != "" && len(r.Efforts) > 0 && !slices.Contains(r.Efforts, r.DefaultEffort) {
		bad("rules.default_effort %q is not among rules.efforts", r.DefaultEffort)
	}
}

type complain func(format string, args ...any)

func checkIdentity(s *spec, bad complain) {
	if s.Name == "" {
		bad("name is required")
	} else if strings.ContainsFunc(s.Name, isSpace) {
		bad("name must not contain spaces")
	}
	switch {
	case s.ModelID == "":
		bad("model_id is required")
	case strings.ContainsFunc(s.ModelID, isSpace):
		bad("model_id %q must not contain spaces", s.ModelID)
	case strings.HasPrefix(strings.ToLower(s.ModelID), "arn:"):
		bad("model_id %q must be a base model ID, not an ARN", s.ModelID)
	default:
		if p, _, ok := strings.Cut(s.ModelID, "."); ok && isProfile(p) {
			bad("model_id %q must be the base model ID, without the %q inference-profile prefix (list the profile in profiles)", s.ModelID, p)
		}
	}
	if s.Provider == "" {
		bad("provider is required")
	}
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func checkLimits(s *spec, bad complain) {
	if s.ContextWindow <= 0 {
		bad("context_window must be positive")
	}
	if s.MaxTokens <= 0 {
		bad("max_tokens must be positive")
	} else if s.ContextWindow > 0 && s.MaxTokens > s.ContextWindow {
		bad("max_tokens (%d) must not exceed context_window (%d)", s.MaxTokens, s.ContextWindow)
	}
	if s.DefaultMaxTokens < 0 {
		bad("default_max_tokens must not be negative")
	} else if s.MaxTokens > 0 && s.DefaultMaxTokens > s.MaxTokens {
		bad("default_max_tokens (%d) must not exceed max_tokens (%d)", s.DefaultMaxTokens, s.MaxTokens)
	}
	if s.MinTemperature < 0 || s.MaxTemperature > 2 || s.MinTemperature >= s.MaxTemperature {
		bad("temperature range [%g, %g] must satisfy 0 <= min_temperature < max_temperature <= 2",
			s.MinTemperature, s.MaxTemperature)
	}
}

// checkPrices checks p as a profile's override of base; with an empty
// profile, p is the base itself.
func checkPrices(profile string, p, base prices, bad complain) {
	where := ""
	if profile != "" {
		where = fmt.Sprintf("profile_prices[%q].", profile)
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{
		{"input_cost_per_1k", p.InputCostPer1K},
		{"output_cost_per_1k", p.OutputCostPer1K},
		{"cache_read_cost_per_1k", p.CacheReadCostPer1K},
		{"cache_write_cost_per_1k", p.CacheWriteCostPer1K},
	} {
		if f.v != nil && !(*f.v >= 0 && !math.IsInf(*f.v, 0)) {
			bad("%s%s must be 0 or more (omit it if the price is unknown; 0 means free)", where, f.name)
		}
	}
	eff := base.over(p)
	if (eff.InputCostPer1K == nil) != (eff.OutputCostPer1K == nil) {
		bad("%sinput_cost_per_1k and output_cost_per_1k must be given together", where)
	} else if eff.InputCostPer1K == nil && (eff.CacheReadCostPer1K != nil || eff.CacheWriteCostPer1K != nil) {
		bad("%scache prices need input_cost_per_1k and output_cost_per_1k", where)
	}
}

func checkLifecycle(s *spec, byName map[string]*spec, bad complain) {
	switch s.Status {
	case gateway.StatusActive, gateway.StatusLegacy, gateway.StatusEndOfLife:
	default:
		bad("status %q must be %q, %q or %q", s.Status,
			gateway.StatusActive, gateway.StatusLegacy, gateway.StatusEndOfLife)
	}
	if s.EndOfLife != "" {
		if _, err := time.Parse(time.DateOnly, s.EndOfLife); err != nil {
			bad("end_of_life %q must be a date as YYYY-MM-DD", s.EndOfLife)
		}
	}
	if s.Replacement != "" {
		r, ok := byName[strings.ToLower(s.Replacement)]
		switch {
		case !ok:
			bad("replacement %q is not a model in the catalog", s.Replacement)
		case r == s:
			bad("replacement must name another model")
		default:
			s.Replacement = r.Name // canonical spelling
		}
	}
}

func checkProfiles(s *spec, bad complain) {
	seen := make(map[string]bool, len(s.Profiles))
	for _, p := range s.Profiles {
		switch {
		case !isProfile(p):
			bad("profile %q must be one of %s", p, strings.Join(validProfiles, ", "))
		case seen[p]:
			bad("profile %q is listed twice", p)
		}
		seen[p] = true
	}
	if s.RequiresProfile && len(s.Profiles) == 0 {
		bad("requires_profile is set but no profiles are listed")
	}
	keys := make([]string, 0, len(s.ProfilePrices))
	for p := range s.ProfilePrices {
		keys = append(keys, p)
	}
	sort.Strings(keys) // errors in a stable order
	for _, p := range keys {
		if !seen[p] {
			bad("profile_prices has %q, which is not in profiles", p)
			continue
		}
		checkPrices(p, s.ProfilePrices[p], s.prices, bad)
	}
}
