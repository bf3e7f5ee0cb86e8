package mcpserver

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// list_models' fields argument: an agent that needs two figures per model
// asks for them and reads a few kilobytes instead of the summary's tens.

// modelFieldNames are the fields list_models can give for a model: the
// summary's (capabilities, prices as null when unknown) and the full
// record's, sorted.
var modelFieldNames = sync.OnceValue(func() []string {
	names := slices.Collect(maps.Keys(mustSchema[ModelInfo]().Properties))
	for name := range mustSchema[ModelSummary]().Properties {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
})

// checkFields refuses a field name list_models cannot give, listing those
// it can.
func checkFields(fields []string) error {
	valid := modelFieldNames()
	for _, f := range fields {
		if !slices.Contains(valid, f) {
			return gateway.Invalid("fields", "unknown field %q; use any of %s", f, strings.Join(valid, ", "))
		}
	}
	return nil
}

// pickFields is m with only the fields asked for, and its name. A field
// the model has no value for is left out, except the prices, which are
// null when unknown, as in the summary.
func pickFields(m *ModelInfo, fields []string) map[string]json.RawMessage {
	all := map[string]json.RawMessage{}
	for _, v := range []any{m, summarize(m)} {
		b, err := json.Marshal(v)
		if err != nil {
			continue // plain data; cannot fail
		}
		_ = json.Unmarshal(b, &all)
	}
	out := make(map[string]json.RawMessage, len(fields)+1)
	out["name"] = all["name"]
	for _, f := range fields {
		if v, ok := all[f]; ok {
			out[f] = v
		}
	}
	return out
}
