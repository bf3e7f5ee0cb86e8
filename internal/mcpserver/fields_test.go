package mcpserver

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// list_models fields gives each model's name and the fields asked for,
// from the summary (capabilities) and the full record (model_id) alike;
// an unknown field is refused with the valid ones.
func TestListModelsFields(t *testing.T) {
	cat, err := catalog.Load(catalog.Options{Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, Options{Generator: &fakeGenerator{}, Models: cat.Models}, nil)
	list := func(args map[string]any) (*mcp.CallToolResult, listed) {
		t.Helper()
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_models", Arguments: args})
		if err != nil {
			t.Fatal(err)
		}
		var out listed
		raw, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(raw, &out)
		return res, out
	}

	sumRes, summary := list(nil)
	fields := []string{"context_window", "input_cost_per_1k", "model_id", "capabilities"}
	res, picked := list(map[string]any{"fields": fields})
	if res.IsError {
		t.Fatalf("list_models fields = %s", toolText(res))
	}
	if picked.Count != summary.Count || picked.Count == 0 {
		t.Errorf("fields listed %d models, the summary %d: fields must not change which models are listed", picked.Count, summary.Count)
	}
	want := append([]string{"name"}, fields...)
	slices.Sort(want)
	for _, m := range picked.Models {
		got := slices.Sorted(maps.Keys(m))
		if !slices.Equal(got, want) {
			t.Errorf("%s has fields %v, want %v", m["name"], got, want)
		}
	}
	if small, _ := list(map[string]any{"fields": []string{"context_window", "input_cost_per_1k"}}); len(toolText(small))*3 > len(toolText(sumRes)) {
		t.Errorf("two fields take %d bytes, the summary %d: want a third or less", len(toolText(small)), len(toolText(sumRes)))
	}

	// An unknown price is null, as in the summary, not left out.
	_, priced := list(map[string]any{"fields": []string{"input_cost_per_1k"}, "detail": true})
	nulls := 0
	for _, m := range priced.Models {
		if string(m["input_cost_per_1k"]) == "null" {
			nulls++
		}
	}
	if nulls == 0 {
		t.Errorf("no model's input_cost_per_1k is null; the catalog has unpriced models")
	}
	if priced.Count <= summary.Count {
		t.Errorf("detail with fields listed %d models, want the whole catalog (more than %d)", priced.Count, summary.Count)
	}

	res, _ = list(map[string]any{"fields": []string{"context_window", "price"}})
	if got := toolText(res); !res.IsError || !strings.Contains(got, `unknown field "price"`) || !strings.Contains(got, "input_cost_per_1k") {
		t.Errorf("list_models fields [price] = %q, want an error listing the valid fields", got)
	}
}

type listed struct {
	Models []map[string]json.RawMessage `json:"models"`
	Count  int                          `json:"count"`
}
