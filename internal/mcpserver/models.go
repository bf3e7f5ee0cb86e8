package mcpserver

import (
	"context"
	"slices"
	"strings"

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
	Provider   string `json:"provider,omitempty" jsonschema:"only this provider: amazon, anthropic, meta, mistral, deepseek, openai"`
	Capability string `json:"capability,omitempty" jsonschema:"only models that support this: images, documents, tool_use, streaming, prompt_caching, system, reasoning"`
	Status     string `json:"status,omitempty" jsonschema:"only models with this lifecycle status: active, legacy, end-of-life"`
	// Filters added with the 2026 catalog; see filter.go.
	Family         string `json:"family,omitempty" jsonschema:"only this family and its sub-families: e.g. claude (every Claude), claude-opus, llama-4, qwen3, nova"`
	ReleasedAfter  string `json:"released_after,omitempty" jsonschema:"only models released on Bedrock on or after this day, YYYY-MM-DD"`
	ReleasedBefore string `json:"released_before,omitempty" jsonschema:"only models released on Bedrock before this day, YYYY-MM-DD"`
	New            *bool  `json:"new,omitempty" jsonschema:"true: only models released in the last 90 days; false: only the others"`
	Callable       *bool  `json:"callable,omitempty" jsonschema:"true: only models this gateway can call; false: only those listed but served elsewhere (bedrock-mantle)"`
}

// ListModelsOutput is the list_models result. The seed returned a bare
// list; it is wrapped in an object because MCP clients before SEP-2106
// accept only an object as structuredContent.
type ListModelsOutput struct {
	Models []ModelInfo `json:"models"`
	Count  int         `json:"count"`
}

const listModelsDescription = `List the AWS Bedrock foundation models this gateway can call, with each one's model_id, context window, max output tokens, temperature range, capabilities, lifecycle status and on-demand price in USD per 1K input and output tokens (null when unknown). ` +
	`Optional filters: provider, capability, status, family, released_after, released_before, new, callable. Models released in the last 90 days are marked new. Use a model's "name" as generate's "model".`

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
			names := make([]string, 0, len(capabilities))
			for k := range capabilities {
				names = append(names, k)
			}
			slices.Sort(names)
			return toolError(gateway.Invalid("capability", "unknown capability %q; use one of %s", in.Capability, strings.Join(names, ", "))), nil
		}
		has = f
	}
	if err := in.checkFilters(); err != nil {
		return toolError(err), nil
	}
	all := s.opts.Models()
	out := ListModelsOutput{Models: make([]ModelInfo, 0, len(all))}
	for i := range all {
		m := &all[i]
		if in.Provider != "" && !strings.EqualFold(m.Provider, in.Provider) {
			continue
		}
		if in.Status != "" && !strings.EqualFold(m.Status, in.Status) {
			continue
		}
		if has(m) && in.matches(m) {
			out.Models = append(out.Models, *m)
		}
	}
	out.Count = len(out.Models)
	return structured(out)
}
