package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/llm-gateway/llm-gateway/internal/anthropicapi"
	"github.com/llm-gateway/llm-gateway/internal/httpserver"
	"github.com/llm-gateway/llm-gateway/internal/openaiapi"
)

// apiRoutes are the HTTP APIs served beside MCP over the same gateway,
// under the same keys: OpenAI's Chat Completions and Anthropic's Messages.
// Both have GET /v1/models; Anthropic's clients are told apart by the
// anthropic-version header they always send.
func apiRoutes(a *app, log *slog.Logger) []httpserver.Route {
	agent := func(r *http.Request) string { return httpserver.AgentFrom(r.Context()) }
	oa := openaiapi.New(openaiapi.Options{
		Generator: a.gateway,
		Models:    a.catalog.Models,
		Agent:     agent,
		Logger:    log.With("frontend", "openai"),
	})
	an := anthropicapi.New(anthropicapi.Options{
		Generator: a.gateway,
		Catalog:   a.catalog,
		Models:    a.catalog.Models,
		Agent:     agent,
		Logger:    log.With("frontend", "anthropic"),
	})
	isAnthropic := func(r *http.Request) bool { return r.Header.Get("anthropic-version") != "" }
	either := func(anthropic, openai http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isAnthropic(r) {
				anthropic(w, r)
				return
			}
			openai(w, r)
		})
	}
	refuseEither := func(w http.ResponseWriter, r *http.Request, status int, msg string) {
		if isAnthropic(r) {
			anthropicapi.Refuse(w, r, status, msg)
			return
		}
		openaiapi.Refuse(w, r, status, msg)
	}
	// Any other path under /v1 (embeddings, the Responses API, …) is
	// answered in the caller's API's error shape, saying what is served.
	notServed := func(w http.ResponseWriter, r *http.Request) {
		refuseEither(w, r, http.StatusNotFound, fmt.Sprintf("%s %s is not served by this gateway; it serves POST /v1/chat/completions (OpenAI), POST /v1/messages and /v1/messages/count_tokens (Anthropic), and GET /v1/models", r.Method, r.URL.Path))
	}
	const keyHeader = "x-api-key" // Anthropic's; Authorization: Bearer works everywhere
	return []httpserver.Route{
		{Pattern: "POST /v1/chat/completions", Handler: http.HandlerFunc(oa.ChatCompletions), Refuse: openaiapi.Refuse},
		{Pattern: "POST /v1/messages", Handler: http.HandlerFunc(an.Messages), KeyHeader: keyHeader, Refuse: anthropicapi.Refuse},
		{Pattern: "POST /v1/messages/count_tokens", Handler: http.HandlerFunc(an.CountTokens), KeyHeader: keyHeader, Refuse: anthropicapi.Refuse},
		{Pattern: "GET /v1/models", Handler: either(an.ListModels, oa.ListModels), KeyHeader: keyHeader, Refuse: refuseEither},
		{Pattern: "GET /v1/models/{model}", Handler: either(an.GetModel, oa.GetModel), KeyHeader: keyHeader, Refuse: refuseEither},
		{Pattern: "/v1/", Handler: http.HandlerFunc(notServed), KeyHeader: keyHeader, Refuse: refuseEither},
	}
}
