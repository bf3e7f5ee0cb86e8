package mcpserver

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

func TestFilterValuesNoModelHasAreErrors(t *testing.T) {
	cs := connect(t, Options{Generator: &fakeGenerator{}}, nil)
	for _, tt := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"provider": "anthropics"}, []string{`unknown provider "anthropics"`, "amazon, meta"}},
		{map[string]any{"status": "deprecated"}, []string{`unknown status "deprecated"`, "active, legacy, end-of-life"}},
		{map[string]any{"capability": "telepathy"}, []string{"images", "tool_use"}},
	} {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_models", Arguments: tt.args})
		if err != nil {
			t.Fatal(err)
		}
		got := toolText(res)
		if !res.IsError {
			t.Errorf("list_models(%v) = %s, want an error", tt.args, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("list_models(%v) error %q lacks %q", tt.args, got, w)
			}
		}
	}
}

func TestOtherAPIsFieldNamesGetDidYouMean(t *testing.T) {
	cs := connect(t, Options{Generator: &fakeGenerator{}}, nil)
	msgs := []map[string]any{{"role": "user", "content": "hi"}}
	for _, tt := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"model": "m", "messages": msgs, "stop": []string{"x"}}, `did you mean "stop_sequences"`},
		{map[string]any{"model": "m", "messages": msgs, "max_completion_tokens": 5}, `did you mean "max_tokens"`},
		{map[string]any{"model": "m", "messages": msgs, "function": map[string]any{}}, `did you mean "tools"`},
		{map[string]any{"model": "m", "messages": msgs, "temprature": 0.5}, `did you mean "temperature"`},
		{map[string]any{"model": "m", "messages": []map[string]any{{"role": "user", "content": []map[string]any{{"type": "image_url", "image_url": map[string]any{"url": "x"}}}}}},
			`"type":"image"`},
	} {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: tt.args})
		if err != nil {
			t.Fatal(err)
		}
		if got := toolText(res); !res.IsError || !strings.Contains(got, tt.want) {
			t.Errorf("generate(%v) = %q, want an error with %q", tt.args, got, tt.want)
		}
	}
}

// list_models {} is what an agent reads to choose: the models it can call
// now, in short. detail gives the full records.
func TestListModelsIsCompactByDefault(t *testing.T) {
	day := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cat, err := catalog.Load(catalog.Options{Now: func() time.Time { return day }})
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, Options{Generator: &fakeGenerator{}, Models: cat.Models}, nil)
	list := func(args map[string]any) (string, map[string]any) {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_models", Arguments: args})
		if err != nil || res.IsError {
			t.Fatalf("list_models(%v) = %v, %v", args, res, err)
		}
		raw, _ := json.Marshal(res.StructuredContent)
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		return string(raw), out
	}
	short, out := list(nil)
	full, _ := list(map[string]any{"detail": true})
	if len(short)*3 > len(full) {
		t.Errorf("list_models {} is %d bytes, detail %d: want the default a third or less", len(short), len(full))
	}
	if out["hidden"].(float64) == 0 {
		t.Errorf("no model hidden by default; the catalog has end-of-life ones")
	}
	for _, m := range out["models"].([]any) {
		m := m.(map[string]any)
		if m["status"] == "end-of-life" {
			t.Errorf("%v is end-of-life and listed by default", m["name"])
		}
		for _, f := range []string{"name", "context_window", "max_tokens", "capabilities", "input_cost_per_1k"} {
			if _, ok := m[f]; !ok {
				t.Errorf("%v lacks %s", m["name"], f)
			}
		}
		if _, ok := m["source"]; ok {
			t.Errorf("%v has its source notes by default", m["name"])
		}
	}
	if !strings.Contains(full, `"model_id"`) {
		t.Errorf("detail lacks model_id")
	}
	t.Logf("list_models {}: %d bytes; detail: %d bytes", len(short), len(full))
}
