package main

import (
	"log/slog"
	"net/http"

	"github.com/llm-gateway/llm-gateway/internal/httpserver"
	"github.com/llm-gateway/llm-gateway/internal/openaiapi"
)

// apiRoutes are the HTTP APIs served beside MCP over the same gateway: the
// OpenAI-compatible one, under the same keys.
func apiRoutes(a *app, log *slog.Logger) []httpserver.Route {
	agent := func(r *http.Request) string { return httpserver.AgentFrom(r.Context()) }
	oa := openaiapi.New(openaiapi.Options{
		Generator: a.gateway,
		Models:    a.catalog.Models,
		Agent:     agent,
		Logger:    log.With("frontend", "openai"),
	})
	return []httpserver.Route{
		{Pattern: "POST /v1/chat/completions", Handler: http.HandlerFunc(oa.ChatCompletions), Refuse: openaiapi.Refuse},
		{Pattern: "GET /v1/models", Handler: http.HandlerFunc(oa.ListModels), Refuse: openaiapi.Refuse},
		{Pattern: "GET /v1/models/{model}", Handler: http.HandlerFunc(oa.GetModel), Refuse: openaiapi.Refuse},
	}
}
