package mcpserver

import (
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// The tools' schemas are derived from the Go types by reflection and
// rewritten for portability (schema.go), which, with the SDK's checks on
// what it is given (it encodes a *jsonschema.Schema to read it back), was
// a fifth of a stdio gateway's own start-up. They are derived ahead of
// time for the embedded catalog into schemas/*.json (`go test
// ./internal/mcpserver -run TestDerivedSchemas -update`; the test fails
// while the files differ from what derivation gives) and served from there
// when the catalog's figures they state are the same. A catalog changed by
// a models file derives them at start, as before.

var (
	//go:embed schemas/derived-for.txt
	derivedFor string
	//go:embed schemas/generate.input.json
	generateInputJSON []byte
	//go:embed schemas/generate.output.json
	generateOutputJSON []byte
	//go:embed schemas/list_models.input.json
	listModelsInputJSON []byte
	//go:embed schemas/list_models.output.json
	listModelsOutputJSON []byte
	//go:embed schemas/get_stats.input.json
	getStatsInputJSON []byte
)

// toolSchemas are the schemas the tools advertise: each a
// *jsonschema.Schema or its JSON.
type toolSchemas struct {
	generateIn, generateOut, listModelsIn, listModelsOut, getStatsIn any
}

// schemasFor gives the tools' schemas for the catalog's figures: the
// derived files when they were derived for the same, else derived now.
func schemasFor(lim generateSchemaLimits, providers []string) toolSchemas {
	if schemaKey(lim, providers) == derivedFor {
		return derivedSchemas()
	}
	return deriveSchemas(lim, providers)
}

// derivedSchemas are the files of schemas/: the tools' schemas for the
// embedded catalog (TestDerivedSchemas checks that they are).
func derivedSchemas() toolSchemas {
	return toolSchemas{
		generateIn:    json.RawMessage(generateInputJSON),
		generateOut:   json.RawMessage(generateOutputJSON),
		listModelsIn:  json.RawMessage(listModelsInputJSON),
		listModelsOut: json.RawMessage(listModelsOutputJSON),
		getStatsIn:    json.RawMessage(getStatsInputJSON),
	}
}

// deriveSchemas derives the tools' schemas from the Go types.
func deriveSchemas(lim generateSchemaLimits, providers []string) toolSchemas {
	return toolSchemas{
		generateIn:    portableGenerateSchema(lim),
		generateOut:   portableOutput(mustSchema[gateway.Response]()),
		listModelsIn:  portableListModelsSchema(providers),
		listModelsOut: portableOutput(listModelsOutputSchema()),
		getStatsIn:    mustSchema[StatsQuery](),
	}
}

// schemaKey states the catalog's figures the schemas depend on, as
// schemas/derived-for.txt holds them.
func schemaKey(lim generateSchemaLimits, providers []string) string {
	return "max_temperature " + strconv.FormatFloat(lim.maxTemperature, 'g', -1, 64) + "\nproviders " + strings.Join(providers, ",") + "\n"
}

// OutputSchemaJSON is what New advertises for an Options.StatsSchema
// derived with SchemaFor, as JSON: give it as StatsSchema to spare New the
// derivation at start (and keep it true with a test comparing the two).
func OutputSchemaJSON(schema any) (json.RawMessage, error) {
	if s, ok := schema.(*jsonschema.Schema); ok {
		schema = portableOutput(s)
	}
	return json.Marshal(schema)
}
