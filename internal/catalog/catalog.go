package catalog

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Entry is one model as list_models shows it, resolved for the catalog's
// Region. The first eight fields are the seed gateway's list_models fields,
// under the same JSON names. Costs are USD per 1,000 tokens for the profile
// ModelID uses, from the catalog's Region, on the default service tier, in
// force when the catalog was loaded, for a call below any long-context
// threshold; Rates has the others. An unknown price is omitted, never 0 (a
// real $0 rate shows as 0), and Priced is false when the input or output
// price is unknown.
type Entry struct {
	Name            string   `json:"name"`
	ModelID         string   `json:"model_id"` // what the gateway calls from this Region
	Description     string   `json:"description"`
	ContextWindow   int      `json:"context_window"` // tokens
	InputCostPer1K  *float64 `json:"input_cost_per_1k,omitempty"`
	OutputCostPer1K *float64 `json:"output_cost_per_1k,omitempty"`
	SupportsSystem  bool     `json:"supports_system"`
	MaxTokens       int      `json:"max_tokens"` // largest output, tokens

	Provider         string   `json:"provider"`
	BaseModelID      string   `json:"base_model_id"`
	Profile          string   `json:"profile,omitempty"` // inference profile in ModelID; empty for the bare ID
	Profiles         []string `json:"profiles,omitempty"`
	RequiresProfile  bool     `json:"requires_profile"`
	DefaultMaxTokens int      `json:"default_max_tokens,omitempty"` // output limit when a request gives none; if zero, MaxTokens
	// Regions serve the bare model ID on demand; omitted when not known.
	Regions []string `json:"regions,omitempty"`
	// Offered says where the model can be called from, when the catalog's
	// Region cannot call it (Callable false).
	Offered string `json:"offered,omitempty"`

	MinTemperature float64 `json:"min_temperature"`
	MaxTemperature float64 `json:"max_temperature"`

	SupportsImages        bool `json:"supports_images"`
	SupportsDocuments     bool `json:"supports_documents"`
	SupportsToolUse       bool `json:"supports_tool_use"`
	SupportsStreaming     bool `json:"supports_streaming"`
	SupportsPromptCaching bool `json:"supports_prompt_caching"`

	Status      string `json:"status"`                // active, legacy or end-of-life
	EndOfLife   string `json:"end_of_life,omitempty"` // YYYY-MM-DD
	Replacement string `json:"replacement,omitempty"` // catalog name to move to

	Family   string `json:"family"`
	Released string `json:"released,omitempty"` // YYYY-MM-DD the model came to Bedrock
	// New marks a model released in the last 90 days.
	New bool `json:"new,omitempty"`
	// Endpoint is the Bedrock endpoint serving the model; Callable is false
	// for models served only where this gateway does not call
	// (bedrock-mantle), and for models the catalog's Region cannot call
	// (Offered then says where they can be).
	Endpoint string `json:"endpoint"`
	Callable bool   `json:"callable"`
	// Rules are what the model refuses or requires of a request.
	Rules *Rules `json:"rules,omitempty"`

	Priced              bool     `json:"priced"`
	CacheReadCostPer1K  *float64 `json:"cache_read_cost_per_1k,omitempty"`
	CacheWriteCostPer1K *float64 `json:"cache_write_cost_per_1k,omitempty"`
	// ServiceTiers are the tiers generate accepts besides "default".
	ServiceTiers []string `json:"service_tiers,omitempty"`
	// Rates are every price band for the profile from this Region: by
	// service tier, date and input size.
	Rates []Rate `json:"rates,omitempty"`

	Source string `json:"source,omitempty"` // where the figures come from
}

// Catalog is a validated set of models resolved for one AWS Region. It is
// immutable after Load and safe for concurrent use.
type Catalog struct {
	region  string
	models  []*model          // by provider, then name
	byName  map[string]*model // lower-case short name
	byID    map[string]*model // lower-case base model ID
	entries []Entry           // models as listed, same order
	now     func() time.Time  // the clock that decides which models are new
}

// NewFor is how long after its release a model is listed as new.
const NewFor = 90 * 24 * time.Hour

var _ gateway.Catalog = (*Catalog)(nil)

// model is a validated spec with everything Resolve needs precomputed.
type model struct {
	spec spec
	// By profile, the bare ID ("") first, then the spec's profiles: a
	// handful, searched faster than a map is built.
	routes   []route
	profile  string        // the profile chosen for the Region; "" for the bare ID
	callable bool          // false when the Region can call the model no way
	resolved gateway.Model // for the Region's choice
}

// route is a model called through one profile ("": the bare ID). Every
// route is priced from the catalog's Region, the source Region AWS bills
// by.
type route struct {
	profile  string
	pricing  *gateway.Pricing
	rates    []Rate
	headline *gateway.Price // default tier at load time; nil is unpriced
	headRate Rate           // the same, as listed
}

// route is the route through profile, or a zero route if the model has
// none.
func (m *model) route(profile string) *route {
	for i := range m.routes {
		if m.routes[i].profile == profile {
			return &m.routes[i]
		}
	}
	return &route{}
}

// offers reports whether the model is offered through the (non-empty)
// profile.
func (m *model) offers(profile string) bool {
	return profile != "" && slices.Contains(m.spec.Profiles, profile)
}

// newModel precomputes a validated spec for region as of now.
func newModel(s spec, region string, now time.Time) *model {
	m := &model{spec: s, routes: make([]route, 1+len(s.Profiles))}
	for i := range m.routes {
		rt := &m.routes[i]
		if i > 0 {
			rt.profile = s.Profiles[i-1]
		}
		rt.pricing, rt.rates = s.pricing(rt.profile, region)
		if r := rt.pricing.Rate(gateway.TierDefault, now, 0); r != nil {
			rt.headline = r.Price
			for j := range rt.pricing.Rates {
				if &rt.pricing.Rates[j] == r {
					rt.headRate = rt.rates[j]
				}
			}
		}
	}
	geos, allowGlobal := geographies(region)
	m.profile, m.callable = m.chooseProfile(region, geos, allowGlobal)
	m.resolved = m.gatewayModel(m.profile, m.callID(m.profile))
	return m
}

// callID is the model or inference-profile ID for a profile.
func (m *model) callID(profile string) string {
	if profile == "" {
		return m.spec.ModelID
	}
	return profile + "." + m.spec.ModelID
}

// gatewayModel describes the model when called as id through profile.
func (m *model) gatewayModel(profile, id string) gateway.Model {
	s, rt := &m.spec, m.route(profile)
	gm := gateway.Model{
		Name:                  s.Name,
		ID:                    id,
		ContextWindow:         s.ContextWindow,
		MaxOutputTokens:       s.MaxTokens,
		DefaultMaxTokens:      s.DefaultMaxTokens,
		MinTemperature:        s.MinTemperature,
		MaxTemperature:        s.MaxTemperature,
		SupportsSystem:        s.SupportsSystem,
		SupportsImages:        s.SupportsImages,
		SupportsDocuments:     s.SupportsDocuments,
		SupportsToolUse:       s.SupportsToolUse,
		SupportsStreaming:     s.SupportsStreaming,
		SupportsPromptCaching: s.SupportsPromptCaching,
		Status:                s.Status,
		EndOfLife:             s.EndOfLife,
		Replacement:           s.Replacement,
		Endpoint:              s.Endpoint,
		Rules:                 s.Rules.gateway(),
		Pricing:               rt.pricing, // immutable, shared
		ServiceTiers:          slices.Clone(s.ServiceTiers),
	}
	if p := rt.headline; p != nil {
		price := *p // each caller gets its own copy
		gm.Price = &price
	}
	return gm
}

// entry lists the model as resolved for the Region.
func (m *model) entry() Entry {
	s := &m.spec
	e := Entry{
		Name:                  s.Name,
		ModelID:               m.resolved.ID,
		Description:           s.Description,
		ContextWindow:         s.ContextWindow,
		SupportsSystem:        s.SupportsSystem,
		MaxTokens:             s.MaxTokens,
		Provider:              s.Provider,
		BaseModelID:           s.ModelID,
		Profile:               m.profile,
		Profiles:              slices.Clone(s.Profiles),
		RequiresProfile:       s.RequiresProfile,
		DefaultMaxTokens:      s.DefaultMaxTokens,
		Regions:               slices.Clone(s.Regions),
		MinTemperature:        s.MinTemperature,
		MaxTemperature:        s.MaxTemperature,
		SupportsImages:        s.SupportsImages,
		SupportsDocuments:     s.SupportsDocuments,
		SupportsToolUse:       s.SupportsToolUse,
		SupportsStreaming:     s.SupportsStreaming,
		SupportsPromptCaching: s.SupportsPromptCaching,
		Status:                s.Status,
		EndOfLife:             s.EndOfLife,
		Replacement:           s.Replacement,
		Family:                s.Family,
		Released:              s.Released,
		Endpoint:              s.Endpoint,
		Callable:              m.callable && s.Endpoint == gateway.EndpointRuntime,
		ServiceTiers:          slices.Clone(s.ServiceTiers),
		Source:                s.Source,
	}
	if !s.Rules.empty() {
		r := s.Rules
		r.Rejects, r.Efforts = slices.Clone(r.Rejects), slices.Clone(r.Efforts)
		e.Rules = &r
	}
	if !m.callable {
		e.Offered = m.offered()
		return e // no route, no price
	}
	rt := m.route(m.profile)
	e.Rates = slices.Clone(rt.rates)
	e.Priced = m.resolved.Price != nil
	if h := rt.headRate; h.Priced {
		e.InputCostPer1K, e.OutputCostPer1K = h.InputCostPer1K, h.OutputCostPer1K
		e.CacheReadCostPer1K, e.CacheWriteCostPer1K = h.CacheReadPer1K, h.CacheWritePer1K
	}
	return e
}

// newCatalog indexes validated specs for region.
func newCatalog(specs []spec, region string, now time.Time) *Catalog {
	c := &Catalog{
		region: region,
		byName: make(map[string]*model, len(specs)),
		byID:   make(map[string]*model, len(specs)),
	}
	for _, s := range specs {
		m := newModel(s, region, now)
		c.models = append(c.models, m)
		c.byName[strings.ToLower(s.Name)] = m
		c.byID[strings.ToLower(s.ModelID)] = m
	}
	slices.SortFunc(c.models, func(a, b *model) int {
		return cmp.Or(cmp.Compare(a.spec.Provider, b.spec.Provider), cmp.Compare(a.spec.Name, b.spec.Name))
	})
	c.entries = make([]Entry, len(c.models))
	for i, m := range c.models {
		c.entries[i] = m.entry()
	}
	return c
}

// Region is the AWS Region the catalog resolves models for.
func (c *Catalog) Region() string { return c.region }

// Models returns every model, resolved for the Region, ordered by provider
// and then name. The slice is the caller's to keep or change.
func (c *Catalog) Models() []Entry {
	out := slices.Clone(c.entries)
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	cutoff := now().UTC().Add(-NewFor).Format(time.DateOnly)
	for i := range out {
		e := &out[i]
		e.Profiles = slices.Clone(e.Profiles)
		if e.Rules != nil {
			r := *e.Rules
			r.Rejects, r.Efforts = slices.Clone(r.Rejects), slices.Clone(r.Efforts)
			e.Rules = &r
		}
		// Validated dates compare as strings.
		e.New = e.Released != "" && e.Released > cutoff
	}
	return out
}

// Cost prices a usage of a resolved model on the default tier now. It
// reports false, and zero, when the cost cannot be known (see
// gateway.Model.Cost).
func (c *Catalog) Cost(m gateway.Model, u gateway.Usage) (gateway.PicoUSD, bool) {
	return m.Cost(u, gateway.TierDefault, time.Now())
}

// BedrockLimits maps every catalog model's base model ID to its largest
// output in tokens, whatever its lifecycle status. The Bedrock simulator uses
// it to know which models exist and how long their answers may be.
func (c *Catalog) BedrockLimits() map[string]int {
	limits := make(map[string]int, len(c.models))
	for _, m := range c.models {
		limits[m.spec.ModelID] = m.spec.MaxTokens
	}
	return limits
}
