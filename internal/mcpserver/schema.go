package mcpserver

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// Tool input schemas reach model providers as function declarations, and
// the strictest of them (Gemini's OpenAPI subset) refuse a type list such
// as ["null", "number"], which is what Go's pointer and slice fields derive
// to. Input schemas therefore use one plain type per field: an optional
// field is simply not required. Enums, ranges and defaults say in the
// schema what validation would otherwise only say in an error.

// Values the gateway accepts, for enums.
var (
	roles        = []any{"user", "assistant", "system", "tool"}
	blockTypes   = []any{"text", "image", "document", "cache_point"}
	blockFormats = []any{"png", "jpeg", "gif", "webp", "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"}
	efforts      = []any{"off", "low", "medium", "high", "xhigh", "max"}
	statuses     = []string{"active", "legacy", "end-of-life"}
)

// plainTypes rewrites every type list of s that pairs "null" with one type
// as that type alone, all the way down.
func plainTypes(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 && slices.Contains(s.Types, "null") {
		i := slices.Index(s.Types, "null")
		s.Type, s.Types = s.Types[1-i], nil
	}
	for _, p := range s.Properties {
		plainTypes(p)
	}
	plainTypes(s.Items)
	for _, b := range s.AnyOf {
		plainTypes(b)
	}
}

func num(v float64) *float64 { return &v }

func rawDefault(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// generateSchemaLimits are figures from the catalog the generate schema
// states.
type generateSchemaLimits struct {
	maxTemperature float64 // the highest any model accepts
}

// portableGenerateSchema is generate's input schema with plain types, the
// enums and ranges validation enforces, and the defaults.
func portableGenerateSchema(lim generateSchemaLimits) *jsonschema.Schema {
	s := generateInputSchema()
	plainTypes(s)
	p := s.Properties
	msg := p["messages"].Items
	msg.Properties["role"].Enum = roles
	for _, b := range msg.Properties["content"].AnyOf {
		if b.Items != nil {
			b.Items.Properties["type"].Enum = blockTypes
			b.Items.Properties["format"].Enum = blockFormats
		}
	}
	p["messages"].MinItems = ptrInt(1)
	p["max_tokens"].Minimum = num(1)
	p["temperature"].Minimum = num(0)
	if lim.maxTemperature > 0 {
		p["temperature"].Maximum = num(lim.maxTemperature)
	}
	p["top_p"].Minimum, p["top_p"].Maximum = num(0), num(1)
	p["cache"].Default = rawDefault(true)
	p["stream"].Default = rawDefault(false)
	if r, ok := p["reasoning"]; ok {
		r.Enum = efforts
	}
	return s
}

func ptrInt(v int) *int { return &v }

// portableListModelsSchema is list_models' input schema with plain types
// and the filters' values as enums.
func portableListModelsSchema(providers []string) *jsonschema.Schema {
	s := mustSchema[ListModelsInput]()
	plainTypes(s)
	p := s.Properties
	if len(providers) > 0 {
		p["provider"].Enum = anys(providers)
	}
	p["capability"].Enum = anys(capabilityNames())
	p["status"].Enum = anys(statuses)
	p["detail"].Default = rawDefault(false)
	p["fields"].Items.Enum = anys(modelFieldNames())
	return s
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// capabilityNames are list_models' capability filter values, sorted.
func capabilityNames() []string {
	names := make([]string, 0, len(capabilities))
	for k := range capabilities {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// providersOf lists the catalog's providers, sorted, lower case.
func providersOf(models []ModelInfo) []string {
	var out []string
	for i := range models {
		p := strings.ToLower(models[i].Provider)
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// Output schemas say where a value may be null (an unknown cost, a list
// that may be absent). A type list such as ["null", "number"] says it in a
// way that clients mapping schemas onto a one-type dialect (Gemini's
// OpenAPI subset) drop or refuse, so output schemas spell it as
// anyOf [{"type": "null"}, {"type": "number", …}], which accepts the same
// values and is what the MCP Inspector's portability check asks for.

// portableOutput rewrites every nullable type list of s as anyOf, all the
// way down, and returns s. It changes s in place: each schema it is given
// is derived for it, and a copy cost a third of a megabyte at every start.
func portableOutput(s *jsonschema.Schema) *jsonschema.Schema {
	nullAsAnyOf(s)
	return s
}

func nullAsAnyOf(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	for _, p := range s.Properties {
		nullAsAnyOf(p)
	}
	nullAsAnyOf(s.Items)
	nullAsAnyOf(s.AdditionalProperties)
	for _, b := range s.AnyOf {
		nullAsAnyOf(b)
	}
	for _, d := range s.Defs {
		nullAsAnyOf(d)
	}
	if len(s.Types) != 2 || !slices.Contains(s.Types, "null") {
		return
	}
	// The branch keeps every keyword of the value's type; the annotations
	// stay on the property.
	branch := *s
	branch.Type, branch.Types = s.Types[1-slices.Index(s.Types, "null")], nil
	branch.Title, branch.Description, branch.Default, branch.Examples = "", "", nil, nil
	*s = jsonschema.Schema{
		Title: s.Title, Description: s.Description, Default: s.Default, Examples: s.Examples,
		AnyOf: []*jsonschema.Schema{{Type: "null"}, &branch},
	}
}
