package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Resources, for clients that show them: the catalog, and the caller's
// own usage (what get_stats gives it).
const (
	uriModels = "llm-gateway://models"
	uriUsage  = "llm-gateway://usage"
)

func (s *server) addResources(srv *mcp.Server) {
	srv.AddResource(&mcp.Resource{
		URI: uriModels, Name: "models", Title: "Bedrock model catalog", MIMEType: "application/json",
		Description: "Every model the gateway knows, with IDs, limits, capabilities, lifecycle and prices: list_models with detail true.",
	}, s.readModels)
	srv.AddResource(&mcp.Resource{
		URI: uriUsage, Name: "usage", Title: "Your usage", MIMEType: "application/json",
		Description: "Your requests, tokens, spend, cache savings, latency and errors since the gateway started, and your limits: what get_stats returns to you.",
	}, s.readUsage)
}

func (s *server) readModels(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	all := s.opts.Models()
	out := ListModelsOutput{Models: make([]any, len(all)), Count: len(all)}
	for i := range all {
		out.Models[i] = all[i]
	}
	return jsonResource(req.Params.URI, out)
}

func (s *server) readUsage(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	return jsonResource(req.Params.URI, s.opts.Stats(ctx, s.callerOfSession(ctx, req.Session)))
}

func jsonResource(uri string, v any) (*mcp.ReadResourceResult, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", uri, err)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
}
