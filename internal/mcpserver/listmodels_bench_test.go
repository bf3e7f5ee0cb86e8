package mcpserver

import (
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// BenchmarkListModelsForms: the cost of one list_models call over the
// embedded catalog in each form (the summary, detail, two fields), the
// tool handler alone, without a transport.
func BenchmarkListModelsForms(b *testing.B) {
	cat, err := catalog.Load(catalog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := &server{opts: Options{Models: cat.Models}}
	for _, c := range []struct{ name, args string }{
		{"summary", `{}`},
		{"detail", `{"detail":true}`},
		{"two_fields", `{"fields":["context_window","input_cost_per_1k"]}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "list_models", Arguments: []byte(c.args)}}
			b.ReportAllocs()
			for b.Loop() {
				if res, err := s.listModels(b.Context(), req); err != nil || res.IsError {
					b.Fatal(res, err)
				}
			}
		})
	}
}
