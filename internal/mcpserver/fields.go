package mcpserver

import (
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// list_models' fields argument: an agent that needs two figures per model
// asks for them and reads a few kilobytes instead of the summary's tens.

// fieldGetter reads one field of a model; ok is false when the model has
// no value for it (a field the full record leaves out when empty).
type fieldGetter func(m *ModelInfo) (v any, ok bool)

// modelFields are the fields list_models can give for a model, by JSON
// name: the full record's, read through its struct tags once, and the
// summary's (capabilities, and prices that are null when unknown).
var modelFields = sync.OnceValue(func() map[string]fieldGetter {
	out := map[string]fieldGetter{}
	t := reflect.TypeFor[ModelInfo]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		omitEmpty := slices.Contains(strings.Split(opts, ","), "omitempty")
		index := f.Index
		out[name] = func(m *ModelInfo) (any, bool) {
			v := reflect.ValueOf(m).Elem().FieldByIndex(index)
			if omitEmpty && v.IsZero() {
				return nil, false
			}
			return v.Interface(), true
		}
	}
	out["capabilities"] = func(m *ModelInfo) (any, bool) { return capabilitiesOf(m), true }
	out["input_cost_per_1k"] = func(m *ModelInfo) (any, bool) { return m.InputCostPer1K, true }
	out["output_cost_per_1k"] = func(m *ModelInfo) (any, bool) { return m.OutputCostPer1K, true }
	return out
})

// modelFieldNames are modelFields' names, sorted.
func modelFieldNames() []string {
	names := make([]string, 0, len(modelFields()))
	for name := range modelFields() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// checkFields refuses a field name list_models cannot give, listing those
// it can.
func checkFields(fields []string) error {
	get := modelFields()
	for _, f := range fields {
		if get[f] == nil {
			return gateway.Invalid("fields", "unknown field %q; use any of %s", f, strings.Join(modelFieldNames(), ", "))
		}
	}
	return nil
}

// pickFields is m with only the fields asked for, and its name. A field
// the model has no value for is left out, except the prices, which are
// null when unknown, as in the summary.
func pickFields(m *ModelInfo, fields []string) map[string]any {
	get := modelFields()
	out := make(map[string]any, len(fields)+1)
	out["name"] = m.Name
	for _, f := range fields {
		if v, ok := get[f](m); ok {
			out[f] = v
		}
	}
	return out
}
