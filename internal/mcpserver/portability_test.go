package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// portabilityWarnings checks a tool input schema against what the strictest
// model providers' function declarations accept (Gemini's OpenAPI subset,
// OpenAI's strict mode, Anthropic's input_schema), as the MCP Inspector's
// portability check does: one type per schema and never "null", every
// property typed, arrays with items, enums of the schema's type, and none
// of the keywords those subsets lack. It works on the JSON a client sees.
func portabilityWarnings(path string, s map[string]any) []string {
	var warns []string
	warn := func(format string, args ...any) { warns = append(warns, path+": "+fmt.Sprintf(format, args...)) }
	for _, k := range []string{"$ref", "$defs", "definitions", "oneOf", "allOf", "not", "const", "if", "then", "else",
		"patternProperties", "dependentSchemas", "dependentRequired", "prefixItems", "unevaluatedProperties"} {
		if _, ok := s[k]; ok {
			warn("uses %q", k)
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		for i, b := range anyOf {
			bm, _ := b.(map[string]any)
			if bm == nil {
				warn("anyOf[%d] is not a schema", i)
				continue
			}
			warns = append(warns, portabilityWarnings(fmt.Sprintf("%s.anyOf[%d]", path, i), bm)...)
		}
		return warns
	}
	typ, ok := s["type"].(string)
	switch {
	case s["type"] == nil:
		warn("has no type")
		return warns
	case !ok:
		warn("type %v is not one type", s["type"])
		return warns
	case typ == "null":
		warn("is null")
	}
	if enum, ok := s["enum"].([]any); ok {
		for _, v := range enum {
			if _, isString := v.(string); isString != (typ == "string") {
				warn("enum value %v is not a %s", v, typ)
			}
		}
	}
	switch typ {
	case "object":
		props, _ := s["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			pm, _ := props[name].(map[string]any)
			warns = append(warns, portabilityWarnings(path+"."+name, pm)...)
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := props[r.(string)]; !ok {
					warn("requires %v, which it does not describe", r)
				}
			}
		}
	case "array":
		items, ok := s["items"].(map[string]any)
		if !ok {
			warn("array without items")
			break
		}
		warns = append(warns, portabilityWarnings(path+"[]", items)...)
	}
	return warns
}

func TestInputSchemasArePortable(t *testing.T) {
	cs := connect(t, Options{Generator: &fakeGenerator{}}, nil)
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		raw, _ := json.Marshal(tool.InputSchema)
		var s map[string]any
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		for _, w := range portabilityWarnings(tool.Name, s) {
			t.Errorf("portability: %s", w)
		}
	}
}

// The check itself catches what it is for.
func TestPortabilityWarnings(t *testing.T) {
	bad := map[string]any{"type": "object", "properties": map[string]any{
		"a": map[string]any{"type": []any{"null", "number"}},
		"b": map[string]any{"description": "untyped"},
		"c": map[string]any{"type": "array"},
		"d": map[string]any{"type": "string", "enum": []any{"x", 1.0}},
		"e": map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "null"}}},
		"f": map[string]any{"$ref": "#/$defs/x", "type": "object"},
	}}
	if got := portabilityWarnings("t", bad); len(got) != 6 {
		t.Errorf("warnings = %d %q, want 6", len(got), got)
	}
}

// typeLists lists the paths in a schema (as JSON) whose type is a list,
// which the MCP Inspector's portability check warns about in output
// schemas too.
func typeLists(path string, v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["type"].([]any); ok {
			out = append(out, path)
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = append(out, typeLists(path+"."+k, v[k])...)
		}
	case []any:
		for i, e := range v {
			out = append(out, typeLists(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	}
	return out
}

// Output schemas spell a nullable value as anyOf, and every tool's result
// still validates against its output schema (nulls included).
func TestOutputSchemasArePortableAndHold(t *testing.T) {
	type stats struct {
		Cost   *float64         `json:"cost_usd"`
		Ledger *struct{ N int } `json:"ledger"`
		Agents map[string][]int `json:"agents"`
		Names  []string         `json:"names"`
		Nested struct{ P *int } `json:"nested"`
	}
	cs := connect(t, Options{
		Generator:   &fakeGenerator{},
		StatsSchema: SchemaFor[stats](),
		Stats:       func(context.Context, Caller) any { return stats{Agents: map[string][]int{"a": nil}} },
	}, nil)
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*jsonschema.Resolved{}
	for _, tool := range tools.Tools {
		raw, _ := json.Marshal(tool.OutputSchema)
		var v any
		_ = json.Unmarshal(raw, &v)
		for _, p := range typeLists(tool.Name+".outputSchema", v) {
			t.Errorf("%s: type is a list; want anyOf", p)
		}
		var s jsonschema.Schema
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Resolve(nil)
		if err != nil {
			t.Fatalf("%s output schema: %v", tool.Name, err)
		}
		schemas[tool.Name] = rs
	}
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"generate", map[string]any{"model": "nova-lite", "messages": []map[string]any{{"role": "user", "content": "hi"}}}},
		{"list_models", nil},
		{"list_models", map[string]any{"detail": true}},
		{"list_models", map[string]any{"fields": []string{"input_cost_per_1k", "rules"}}},
		{"get_stats", nil},
	} {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
		if err != nil || res.IsError {
			t.Fatalf("%s(%v) = %v, %v", c.tool, c.args, res, err)
		}
		raw, _ := json.Marshal(res.StructuredContent)
		var v any
		_ = json.Unmarshal(raw, &v)
		if err := schemas[c.tool].Validate(v); err != nil {
			t.Errorf("%s(%v) result does not validate against its output schema: %v\n%s", c.tool, c.args, err, raw)
		}
	}
}
