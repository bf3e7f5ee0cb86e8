package mcpserver

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// TestListModelsCatalogFilters filters the embedded catalog, as of a fixed
// day, by family, release date, capability, new and callable.
func TestListModelsCatalogFilters(t *testing.T) {
	day := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cat, err := catalog.Load(catalog.Options{Now: func() time.Time { return day }})
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, Options{Generator: &fakeGenerator{}, Models: cat.Models}, nil)
	list := func(args map[string]any) ([]string, *mcp.CallToolResult) {
		t.Helper()
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_models", Arguments: args})
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Models []catalog.Entry `json:"models"`
		}
		raw, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(raw, &out)
		var names []string
		for _, m := range out.Models {
			names = append(names, m.Name)
		}
		return names, res
	}
	tests := []struct {
		args       map[string]any
		want       []string // exactly these, in catalog order
		has, hasnt []string // or at least these, and none of those
	}{
		{args: map[string]any{"family": "claude-opus", "released_after": "2026-04-01"},
			want: []string{"claude-opus-4-7", "claude-opus-4-8", "claude-opus-5", "claude-opus-5-5"}},
		{args: map[string]any{"family": "CLAUDE", "new": true},
			want: []string{"claude-haiku-5-5", "claude-opus-5-5", "claude-sonnet-5-5"}},
		{args: map[string]any{"family": "claude", "released_before": "2024-05-01"}, want: nil}, // all retired: hidden by default
		{args: map[string]any{"family": "claude", "released_before": "2024-05-01", "status": "end-of-life"},
			want: []string{"claude-3-haiku", "claude-3-opus", "claude-3-sonnet"}},
		{args: map[string]any{"callable": false, "provider": "openai"}, want: []string{"gpt-5-4", "gpt-5-5"}},
		{args: map[string]any{"capability": "reasoning", "provider": "openai"},
			has: []string{"gpt-oss-120b", "gpt-oss-safeguard-20b"}, hasnt: []string{"gpt-5-6"}},
		{args: map[string]any{"family": "qwen3"}, has: []string{"qwen3-32b", "qwen3-coder-30b"}, hasnt: []string{"kimi-k3"}},
		{args: map[string]any{"family": "qwen3-coder"}, has: []string{"qwen3-coder-30b"}, hasnt: []string{"qwen3-32b"}},
		{args: map[string]any{"new": false, "family": "claude-haiku"}, has: []string{"claude-haiku-4-5"}, hasnt: []string{"claude-haiku-5-5"}},
	}
	for _, tt := range tests {
		got, res := list(tt.args)
		if res.IsError {
			t.Errorf("list_models(%v) failed: %v", tt.args, res.Content)
			continue
		}
		if (tt.want != nil || tt.has == nil) && !slices.Equal(got, tt.want) {
			t.Errorf("list_models(%v) = %v, want %v", tt.args, got, tt.want)
		}
		for _, n := range tt.has {
			if !slices.Contains(got, n) {
				t.Errorf("list_models(%v) lacks %s: %v", tt.args, n, got)
			}
		}
		for _, n := range tt.hasnt {
			if slices.Contains(got, n) {
				t.Errorf("list_models(%v) has %s", tt.args, n)
			}
		}
	}
	if _, res := list(map[string]any{"released_after": "June 2026"}); !res.IsError || !strings.Contains(toolText(res), "YYYY-MM-DD") {
		t.Errorf("a bad date gave %v, want an error asking for YYYY-MM-DD", res.Content)
	}
}

func toolText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
