package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite schemas/*, the tools' schemas derived for the embedded catalog")

// embeddedFigures are the embedded catalog's figures the schemas state.
func embeddedFigures(t *testing.T) (generateSchemaLimits, []string, func() []ModelInfo) {
	t.Helper()
	cat, err := catalog.Load(catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	models := cat.Models()
	lim := generateSchemaLimits{}
	for i := range models {
		lim.maxTemperature = max(lim.maxTemperature, models[i].MaxTemperature)
	}
	return lim, providersOf(models), cat.Models
}

// The files under schemas/ are what derivation gives for the embedded
// catalog, byte for byte; -update rewrites them.
func TestDerivedSchemas(t *testing.T) {
	lim, providers, _ := embeddedFigures(t)
	d := deriveSchemas(lim, providers)
	for _, f := range []struct {
		name   string
		schema any
	}{
		{"generate.input.json", d.generateIn},
		{"generate.output.json", d.generateOut},
		{"list_models.input.json", d.listModelsIn},
		{"list_models.output.json", d.listModelsOut},
		{"get_stats.input.json", d.getStatsIn},
		{"derived-for.txt", schemaKey(lim, providers)},
	} {
		want, ok := f.schema.(string)
		if !ok {
			b, err := json.Marshal(f.schema)
			if err != nil {
				t.Fatal(err)
			}
			want = string(b)
		}
		path := filepath.Join("schemas", f.name)
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is not what the Go types derive for the embedded catalog; run go test ./internal/mcpserver -run TestDerivedSchemas -update", path)
		}
	}
	if _, ok := schemasFor(lim, providers).generateIn.(json.RawMessage); !ok {
		t.Error("the embedded catalog's schemas are derived at start, not read from schemas/")
	}
}

// rawToolsList is the result of tools/list as srv encodes it.
func rawToolsList(t *testing.T, srv *mcp.Server) []byte {
	t.Helper()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	conn, err := ct.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ask := func(id int64, method string, params any) []byte {
		var raw json.RawMessage
		if params != nil {
			raw, _ = json.Marshal(params)
		}
		req := &jsonrpc.Request{Method: method, Params: raw}
		if id != 0 {
			req.ID, _ = jsonrpc.MakeID(float64(id))
		}
		if err := conn.Write(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		if id == 0 {
			return nil
		}
		msg, err := conn.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		resp, ok := msg.(*jsonrpc.Response)
		if !ok || resp.Error != nil {
			t.Fatalf("%s: %#v", method, msg)
		}
		return resp.Result
	}
	ask(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "t", "version": "1"}})
	ask(0, "notifications/initialized", map[string]any{})
	return ask(2, "tools/list", map[string]any{})
}

// tools/list from the derived files is byte for byte what it is with the
// schemas derived at start, get_stats' output schema given as JSON too;
// and a catalog whose figures differ (a models file's new provider) has
// its schemas derived for it.
func TestToolsListFromDerivedSchemas(t *testing.T) {
	lim, providers, models := embeddedFigures(t)
	type stats struct {
		Cost   *float64 `json:"cost_usd"`
		Caller Caller   `json:"caller"`
	}
	statsJSON, err := OutputSchemaJSON(SchemaFor[stats]())
	if err != nil {
		t.Fatal(err)
	}
	opts := func(schema any) Options {
		return Options{Generator: &fakeGenerator{}, Models: models, Stats: func(context.Context, Caller) any { return nil },
			StatsFor: func(context.Context, Caller, StatsQuery) (any, error) { return nil, nil }, StatsSchema: schema}
	}
	fromFiles := rawToolsList(t, New(opts(statsJSON)))

	srv, _ := newServerWith(opts(SchemaFor[stats]()), deriveSchemas)
	if atStart := rawToolsList(t, srv); !bytes.Equal(fromFiles, atStart) {
		t.Errorf("tools/list from schemas/ differs from the schemas derived at start:\nfiles: %s\nstart: %s", fromFiles, atStart)
	}

	// Told the catalog is the embedded one, New serves the same without
	// reading it: the gateway loads it meanwhile.
	embedded := opts(statsJSON)
	embedded.EmbeddedCatalog = true
	read := 0
	embedded.Models = func() []ModelInfo { read++; return models() }
	if got := rawToolsList(t, New(embedded)); !bytes.Equal(fromFiles, got) || read != 0 {
		t.Errorf("with EmbeddedCatalog, Models read %d times for tools/list; tools/list:\n%s\nwant\n%s", read, got, fromFiles)
	}

	other := append([]string{"newcomer"}, providers...)
	if _, ok := schemasFor(lim, other).listModelsIn.(json.RawMessage); ok {
		t.Error("a catalog with another provider is served the embedded catalog's schemas")
	}
}
