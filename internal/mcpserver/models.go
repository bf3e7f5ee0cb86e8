package mcpserver

import (
	"context"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// ModelInfo is one catalog entry as list_models shows it: the seed's fields
// (name, model_id, description, context_window, input_cost_per_1k,
// output_cost_per_1k, supports_system, max_tokens) and the catalog's extras.
type ModelInfo = catalog.Entry

// ListModelsInput filters the catalog; every filter is optional.
type ListModelsInput struct {
	Provider   string `json:"provider,omitempty" jsonschema:"only this provider (one of the catalog's, listed in the enum: amazon, anthropic, meta, mistral, openai …)"`
	Capability string `json:"capability,omitempty" jsonschema:"only models that support this: images, documents, tool_use, streaming, prompt_caching, system, reasoning"`
	Status     string `json:"status,omitempty" jsonschema:"only models with this lifecycle status: active, legacy, end-of-life"`
	// Filters added with the 2026 catalog; see filter.go.
	Family         string `json:"family,omitempty" jsonschema:"only this family and its sub-families: e.g. claude (every Claude), claude-opus, llama-4, qwen3, nova"`
	ReleasedAfter  string `json:"released_after,omitempty" jsonschema:"only models released on Bedrock on or after this day, YYYY-MM-DD"`
	ReleasedBefore string `json:"released_before,omitempty" jsonschema:"only models released on Bedrock before this day, YYYY-MM-DD"`
	New            *bool  `json:"new,omitempty" jsonschema:"true: only models released in the last 90 days; false: only the others"`
	Callable       *bool  `json:"callable,omitempty" jsonschema:"true: only models this gateway can call; false: only those listed but served elsewhere (bedrock-mantle). Without callable or status, only models that can be called now are listed (no end-of-life ones)"`
	Detail         bool   `json:"detail,omitempty" jsonschema:"true: the whole catalog as it is, every model (end-of-life ones too) with every field (Bedrock IDs, inference profiles, Regions, price bands, request rules, sources); default false: the models callable now with the fields needed to choose one"`
	// Fields picks the fields of each listed model; see fields.go.
	Fields []string `json:"fields,omitempty" jsonschema:"only these fields of each model (name is always given), from the summary's and the full record's, e.g. [\"context_window\", \"input_cost_per_1k\", \"model_id\"]; default: the summary's fields, or every field with detail"`
}

// ModelSummary is a model as list_models shows it by default: what an
// agent needs to choose one, a fraction of the full record's size.
type ModelSummary struct {
	Name          string `json:"name"`
	Provider      string `json:"provider"`
	Description   string `json:"description"`
	ContextWindow int    `json:"context_window"`
	MaxTokens     int    `json:"max_tokens"`
	// Prices in USD per 1K tokens; null when unknown.
	InputCostPer1K  *float64 `json:"input_cost_per_1k"`
	OutputCostPer1K *float64 `json:"output_cost_per_1k"`
	// Capabilities are the capability filter's values the model has.
	Capabilities []string `json:"capabilities"`
	Status       string   `json:"status"`
	EndOfLife    string   `json:"end_of_life,omitempty"`
	Replacement  string   `json:"replacement,omitempty"`
	New          bool     `json:"new,omitempty"`
}

func summarize(m *ModelInfo) ModelSummary {
	out := ModelSummary{
		Name: m.Name, Provider: m.Provider, Description: m.Description, ContextWindow: m.ContextWindow, MaxTokens: m.MaxTokens,
		InputCostPer1K: m.InputCostPer1K, OutputCostPer1K: m.OutputCostPer1K, Capabilities: capabilitiesOf(m),
		Status: m.Status, EndOfLife: m.EndOfLife, Replacement: m.Replacement, New: m.New,
	}
	return out
}

// capabilitiesOf lists the capability filter's values m has.
func capabilitiesOf(m *ModelInfo) []string {
	out := []string{}
	for _, c := range capabilityNames() {
		if capabilities[c](m) {
			out = append(out, c)
		}
	}
	return out
}

// ListModelsOutput is the list_models result. The seed returned a bare
// list; it is wrapped in an object because MCP clients before SEP-2106
// accept only an object as structuredContent.
type ListModelsOutput struct {
	// Models are ModelSummary values, ModelInfo values with detail, or
	// the fields asked for.
	Models []any `json:"models"`
	Count  int   `json:"count"`
	// Hidden counts the models left out by default (end-of-life, or not
	// callable from here); status, callable or detail lists them.
	Hidden int `json:"hidden,omitempty"`
}

// listModelsOutputSchema describes both forms of a listed model: the
// summary's fields, and the full record's besides, none beyond name
// required.
func listModelsOutputSchema() *jsonschema.Schema {
	s := mustSchema[ListModelsOutput]()
	item := mustSchema[ModelInfo]()
	for name, p := range mustSchema[ModelSummary]().Properties {
		item.Properties[name] = p
	}
	item.Required = []string{"name"}
	item.AdditionalProperties = nil
	s.Properties["models"].Items = item
	return s
}

const listModelsDescription = `List the AWS Bedrock foundation models this gateway can call now, each with its context window, max output tokens, capabilities, lifecycle status and on-demand price in USD per 1K input and output tokens (null when unknown). ` +
	`Optional filters: provider, capability, status, family, released_after, released_before, new, callable; end-of-life models are listed only with status, callable or detail. ` +
	`detail: true gives the whole catalog with every field (model IDs, inference profiles, temperature range, request rules, price bands, sources); fields: [names] gives only those fields of each model. Models released in the last 90 days are marked new. Use a model's "name" as generate's "model".`

var capabilities = map[string]func(m *ModelInfo) bool{
	"images":         func(m *ModelInfo) bool { return m.SupportsImages },
	"documents":      func(m *ModelInfo) bool { return m.SupportsDocuments },
	"tool_use":       func(m *ModelInfo) bool { return m.SupportsToolUse },
	"streaming":      func(m *ModelInfo) bool { return m.SupportsStreaming },
	"prompt_caching": func(m *ModelInfo) bool { return m.SupportsPromptCaching },
	"system":         func(m *ModelInfo) bool { return m.SupportsSystem },
	"reasoning":      func(m *ModelInfo) bool { return m.Rules != nil && m.Rules.Reasoning != "" },
}

func (s *server) listModels(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in ListModelsInput
	if err := decodeArgs(req.Params.Arguments, &in); err != nil {
		return toolError(err), nil
	}
	has := func(*ModelInfo) bool { return true }
	if in.Capability != "" {
		f, ok := capabilities[in.Capability]
		if !ok {
			return toolError(gateway.Invalid("capability", "unknown capability %q; use one of %s", in.Capability, strings.Join(capabilityNames(), ", "))), nil
		}
		has = f
	}
	if err := in.checkFilters(); err != nil {
		return toolError(err), nil
	}
	if err := checkFields(in.Fields); err != nil {
		return toolError(err), nil
	}
	all := s.opts.Models()
	// A filter value no model can have is a mistake to report, not an
	// empty list to return.
	if providers := providersOf(all); in.Provider != "" && !slices.Contains(providers, strings.ToLower(in.Provider)) {
		return toolError(gateway.Invalid("provider", "unknown provider %q; use one of %s", in.Provider, strings.Join(providers, ", "))), nil
	}
	if in.Status != "" && !slices.Contains(statuses, strings.ToLower(in.Status)) {
		return toolError(gateway.Invalid("status", "unknown status %q; use one of %s", in.Status, strings.Join(statuses, ", "))), nil
	}
	// By default only what can be called now: an agent choosing a model
	// has no use for the retired ones, which the status filter still lists.
	callableNow := in.Status == "" && in.Callable == nil && !in.Detail
	out := ListModelsOutput{Models: make([]any, 0, len(all))}
	for i := range all {
		m := &all[i]
		if in.Provider != "" && !strings.EqualFold(m.Provider, in.Provider) {
			continue
		}
		if in.Status != "" && !strings.EqualFold(m.Status, in.Status) {
			continue
		}
		if !has(m) || !in.matches(m) {
			continue
		}
		if callableNow && (m.Status == "end-of-life" || !m.Callable) {
			out.Hidden++
			continue
		}
		switch {
		case len(in.Fields) > 0:
			out.Models = append(out.Models, pickFields(m, in.Fields))
		case in.Detail:
			out.Models = append(out.Models, *m)
		default:
			out.Models = append(out.Models, summarize(m))
		}
	}
	out.Count = len(out.Models)
	return structured(out)
}
