package main

import (
	"flag"
	"os"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
)

var update = flag.Bool("update", false, "rewrite stats.schema.json")

// stats.schema.json is what get_stats' output schema derives to from
// Stats, byte for byte; -update rewrites it.
func TestStatsSchema(t *testing.T) {
	want, err := mcpserver.OutputSchemaJSON(mcpserver.SchemaFor[Stats]())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("stats.schema.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(statsSchema) != string(want) {
		t.Error("stats.schema.json is not what Stats derives to; run go test ./cmd/llm-gateway -run TestStatsSchema -update")
	}
}
