package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	segjson "github.com/segmentio/encoding/json"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// prices are USD per 1,000 tokens. A nil field is "not given": in a base
// entry it means unknown, in a profile override it means "as the base".
type prices struct {
	InputCostPer1K      *float64 `json:"input_cost_per_1k,omitempty"`
	OutputCostPer1K     *float64 `json:"output_cost_per_1k,omitempty"`
	CacheReadCostPer1K  *float64 `json:"cache_read_cost_per_1k,omitempty"`
	CacheWriteCostPer1K *float64 `json:"cache_write_cost_per_1k,omitempty"`
}

// over returns p with the fields o gives replaced.
func (p prices) over(o prices) prices {
	if o.InputCostPer1K != nil {
		p.InputCostPer1K = o.InputCostPer1K
	}
	if o.OutputCostPer1K != nil {
		p.OutputCostPer1K = o.OutputCostPer1K
	}
	if o.CacheReadCostPer1K != nil {
		p.CacheReadCostPer1K = o.CacheReadCostPer1K
	}
	if o.CacheWriteCostPer1K != nil {
		p.CacheWriteCostPer1K = o.CacheWriteCostPer1K
	}
	return p
}

// Rules are a model's request rules as a data file writes them; see
// gateway.Rules for their meaning.
type Rules struct {
	Rejects       []string `json:"rejects,omitempty"`        // gateway.Reject* names
	Reasoning     string   `json:"reasoning,omitempty"`      // gateway.Reasoning* style
	Efforts       []string `json:"efforts,omitempty"`        // effort levels, lowest first
	DefaultEffort string   `json:"default_effort,omitempty"` // the model's own default
	OptIn         string   `json:"opt_in,omitempty"`         // one-time account step Bedrock requires
}

// empty reports whether no rule is set.
func (r Rules) empty() bool {
	return len(r.Rejects) == 0 && r.Reasoning == "" && len(r.Efforts) == 0 && r.DefaultEffort == "" && r.OptIn == ""
}

func (r Rules) gateway() gateway.Rules {
	return gateway.Rules{
		Rejects:       slices.Clone(r.Rejects),
		Reasoning:     r.Reasoning,
		Efforts:       slices.Clone(r.Efforts),
		DefaultEffort: r.DefaultEffort,
		OptIn:         r.OptIn,
	}
}

// spec is one model as a data file writes it. Decoding a user object onto an
// existing spec changes only the fields the object contains, which is how
// partial overrides work.
type spec struct {
	Name        string `json:"name"`
	ModelID     string `json:"model_id"` // base model ID, without a profile prefix
	Provider    string `json:"provider"`
	Description string `json:"description"`

	ContextWindow    int `json:"context_window"`
	MaxTokens        int `json:"max_tokens"`
	DefaultMaxTokens int `json:"default_max_tokens"`

	prices

	SupportsSystem        bool `json:"supports_system"`
	SupportsImages        bool `json:"supports_images"`
	SupportsDocuments     bool `json:"supports_documents"`
	SupportsToolUse       bool `json:"supports_tool_use"`
	SupportsStreaming     bool `json:"supports_streaming"`
	SupportsPromptCaching bool `json:"supports_prompt_caching"`

	MinTemperature float64 `json:"min_temperature"`
	MaxTemperature float64 `json:"max_temperature"` // If zero, defaults to 1.

	Status      string `json:"status"` // If empty, defaults to active.
	EndOfLife   string `json:"end_of_life"`
	Replacement string `json:"replacement"`

	Family   string `json:"family"`   // e.g. "claude-opus"; if empty, the provider
	Released string `json:"released"` // YYYY-MM-DD the model came to Bedrock
	Endpoint string `json:"endpoint"` // if empty, bedrock-runtime (Converse)
	Rules    Rules  `json:"rules"`

	Profiles        []string          `json:"profiles"`
	RequiresProfile bool              `json:"requires_profile"`
	ProfilePrices   map[string]prices `json:"profile_prices"`
	// Regions are the Regions that serve the bare model ID on demand. Nil
	// means not known: the bare ID is then tried from any Region no profile
	// covers, so that missing data never refuses what Bedrock accepts.
	Regions []string `json:"regions"`
	// ServiceTiers are the Converse service tiers the model accepts besides
	// "default": "priority", "flex", "reserved".
	ServiceTiers []string `json:"service_tiers"`
	// Prices are the rates that differ from the base prices above: by
	// source Region, profile, service tier, date or input size.
	Prices priceRules `json:"prices"`

	Source string `json:"source"`
}

// priceRules is a model's "prices". A user file that gives them replaces
// the list whole: encoding/json would otherwise decode the new rules onto
// the old ones, field by field, and keep what the new ones leave out.
type priceRules []priceRule

func (p *priceRules) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // as for the rest of the file
	var fresh []priceRule
	if err := dec.Decode(&fresh); err != nil {
		return err
	}
	*p = fresh
	return nil
}

// priceRule is one entry of a model's "prices": a set of rates and the calls
// they apply to. Every selector given must match; a selector left out
// matches anything. The rates of every rule that matches a call are laid
// over the base prices in file order, so a later rule refines an earlier
// one. Rules for a service tier other than "default" (or for "batch") start
// from no price at all, not from the base prices: a tier's price is unknown
// until a rule gives it.
type priceRule struct {
	// Profile is the inference profile the call uses ("eu", "global"), or
	// "none" for the bare model ID.
	Profile string `json:"profile,omitempty"`
	// Regions are source Regions ("eu-west-1"); a trailing "*" matches a
	// prefix ("eu-*"). AWS prices a call by the Region it is made from.
	Regions []string `json:"regions,omitempty"`
	// ServiceTier is the tier that served the call: "default" (if empty),
	// "priority", "flex", "reserved", or "batch" for batch inference.
	ServiceTier string `json:"service_tier,omitempty"`
	// From and Until (YYYY-MM-DD, UTC, Until exclusive) bound when the
	// rates are in force; a call is priced by the rates of its own time.
	From  string `json:"from,omitempty"`
	Until string `json:"until,omitempty"`
	// AboveInputTokens makes the rates apply only to a call whose input
	// (input, cache-read and cache-write tokens) is larger; every token of
	// such a call is billed at them.
	AboveInputTokens int `json:"above_input_tokens,omitempty"`
	// Unpriced makes every rate unknown for the calls the rule matches,
	// before its own rates (if any) apply.
	Unpriced bool `json:"unpriced,omitempty"`
	prices
	// Source says where the rates come from and on what date.
	Source string `json:"source"`
}

// label names an entry in error messages, even one without a name.
func (s *spec) label(index int) string {
	if s.Name == "" {
		return fmt.Sprintf("model #%d (no name)", index+1)
	}
	return fmt.Sprintf("model %q", s.Name)
}

// rawEntry is one undecoded object of a data file and where it starts.
type rawEntry struct {
	data   json.RawMessage
	offset int64
}

// splitEntries reads a data file's top-level array into its objects. Errors
// name the file and a line and column.
func splitEntries(file string, data []byte) ([]rawEntry, error) {
	if !json.Valid(data) {
		// Unmarshal reports syntax errors at offsets into the whole file,
		// which a streaming Decoder does not.
		var v any
		return nil, positionError(file, data, 0, "", json.Unmarshal(data, &v))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, positionError(file, data, 0, "", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%s:1:1: want a JSON array of models", file)
	}
	var entries []rawEntry
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, positionError(file, data, 0, "", err)
		}
		end := dec.InputOffset()
		entries = append(entries, rawEntry{data: raw, offset: end - int64(len(raw))})
	}
	return entries, nil // json.Valid vouched for the closing bracket
}

// decodeFresh decodes the embedded data file into new specs in one go;
// false on any problem it finds. It does not look for unknown fields,
// which the embedded file has none of (TestFreshDecodeMatchesEntries
// reads it entry by entry with encoding/json, refusing them, and checks
// that both readings agree). It decodes with the JSON package the MCP SDK
// brings, at a third of encoding/json's cost, which needs a Decoder, and
// so a copy of the file, to refuse unknown fields.
func decodeFresh(data []byte) ([]spec, bool) {
	// Room for every model at once, rather than a slice of large specs
	// grown and copied as they come.
	specs := make([]spec, 0, bytes.Count(data, []byte(`"model_id"`)))
	if err := segjson.Unmarshal(data, &specs); err != nil || specs == nil { // null
		return nil, false
	}
	return specs, true
}

// decodeInto decodes one object, named name, onto s, rejecting unknown
// fields so that a misspelt field in a user file is an error rather than
// silently ignored.
func decodeInto(file string, data []byte, e rawEntry, name string, s *spec) error {
	dec := json.NewDecoder(bytes.NewReader(e.data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return positionError(file, data, e.offset, fmt.Sprintf("model %q", name), err)
	}
	return nil
}

// entryName reads only the name of an object, to find what it overrides.
func entryName(e rawEntry) string {
	var n struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(e.data, &n) // a bad object is reported by decodeInto
	return n.Name
}

// positionError turns a JSON error into "file:line:col: what: message" when
// the error carries an offset (relative to base within data). what names the
// entry at fault and may be empty.
func positionError(file string, data []byte, base int64, what string, err error) error {
	if what != "" {
		what += ": "
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	offset := int64(-1)
	switch {
	case errors.As(err, &syn):
		offset = base + syn.Offset - 1 // Offset counts the offending byte; point at it
	case errors.As(err, &typ):
		offset = base + typ.Offset
	case strings.Contains(err.Error(), "unknown field"):
		offset = base // the decoder does not say where; point at the object
	}
	if offset < 0 {
		return fmt.Errorf("%s: %s%w", file, what, err)
	}
	return fmt.Errorf("%s:%s: %s%w", file, lineCol(data, offset), what, err)
}

// lineCol renders a byte offset as a 1-based "line:col".
func lineCol(data []byte, offset int64) string {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Sprintf("%d:%d", line, col)
}
