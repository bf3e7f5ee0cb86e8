// Package mcpserver puts the gateway behind the Model Context Protocol: the
// generate, list_models and get_stats tools, on the official MCP Go SDK. It
// turns tool arguments into gateway requests and gateway errors into tool
// errors an agent can act on; the transports (stdio, HTTP) are chosen by the
// caller.
package mcpserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Generator answers generate calls; *gateway.Gateway is one.
type Generator interface {
	Generate(ctx context.Context, req *gateway.Request) (*gateway.Response, error)
}

// Options configure the MCP server. Generator, Models and Stats are required.
type Options struct {
	Name    string // reported in initialize; if empty, "llm-gateway"
	Version string // reported in initialize; if empty, "dev"

	Generator Generator
	// Models lists the catalog for list_models. The lifecycle notices of
	// generate answers (legacy, near end of life) read it once, at the
	// first answer; New reads it for the figures the tools' schemas state
	// (the providers, the highest temperature), unless EmbeddedCatalog.
	Models func() []ModelInfo
	// EmbeddedCatalog says that Models lists the catalog embedded in the
	// binary as it is (no models file): New then serves the schemas
	// derived for it ahead of time (schemas/) without calling Models, which
	// may so wait for the catalog to load until a tool needs it.
	EmbeddedCatalog bool
	// Stats reports usage, spend, latency, cache and limits for get_stats,
	// as the caller may see them.
	Stats func(ctx context.Context, c Caller) any
	// StatsFor, if set, answers get_stats instead of Stats, narrowed by the
	// tool's optional arguments; an error of kind invalid_request says what
	// to change in them.
	StatsFor func(ctx context.Context, c Caller, q StatsQuery) (any, error)
	// StatsSchema is the output schema of get_stats, derived from a zero
	// value of what Stats returns (SchemaFor); if nil, none is advertised.
	// New rewrites it for portability: give each New its own. Given as
	// JSON (OutputSchemaJSON, ahead of time), it is advertised as it is.
	StatsSchema any
	// KeepAlive is how often a generate call with a progress token sends a
	// progress notification while it waits, so that clients that give up on
	// a silent call after 60s keep waiting. If zero, 5s.
	KeepAlive time.Duration
	// Transport names the transport for the ledger ("stdio", "http").
	Transport string
	// Agent names the caller when the transport does not (stdio, or HTTP
	// without keys): AGENT_NAME. If empty, the client's clientInfo.name,
	// else "default".
	Agent string
	// Admin reports whether an authenticated agent may see every agent's
	// figures in get_stats (ADMIN_KEYS); if nil, none may. A caller the
	// transport did not authenticate owns the gateway and sees them all.
	Admin func(agent string) bool

	Logger *slog.Logger
}

type server struct {
	opts Options
	log  *slog.Logger

	lifecycleOnce sync.Once
	lifecycle     map[string]lifecycle // by model name, from Models at the first answer
}

// lifecycleOf is what noticesOf needs of the model named name, if it may
// need a notice.
func (s *server) lifecycleOf(name string) (lifecycle, bool) {
	s.lifecycleOnce.Do(func() {
		if s.lifecycle == nil {
			s.lifecycle = lifecycles(s.opts.Models())
		}
	})
	m, ok := s.lifecycle[name]
	return m, ok
}

// New returns an MCP server with the gateway's three tools. It panics if a
// required option is missing, as that is a wiring bug, not an input.
func New(opts Options) *mcp.Server {
	srv, _ := newServer(opts)
	return srv
}

func newServer(opts Options) (*mcp.Server, *server) {
	return newServerWith(opts, schemasFor)
}

// newServerWith is newServer with the tools' schemas from schemas.
func newServerWith(opts Options, schemas func(generateSchemaLimits, []string) toolSchemas) (*mcp.Server, *server) {
	if opts.Generator == nil || opts.Models == nil || opts.Stats == nil {
		panic("mcpserver: Generator, Models and Stats are required")
	}
	if opts.Name == "" {
		opts.Name = "llm-gateway"
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 5 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &server{opts: opts, log: log}
	var ts toolSchemas
	if opts.EmbeddedCatalog {
		ts = derivedSchemas()
	} else {
		models := opts.Models()
		s.lifecycle = lifecycles(models)
		lim := generateSchemaLimits{}
		for i := range models {
			lim.maxTemperature = max(lim.maxTemperature, models[i].MaxTemperature)
		}
		ts = schemas(lim, providersOf(models))
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: opts.Name, Title: "LLM Gateway for AWS Bedrock", Version: opts.Version}, &mcp.ServerOptions{
		Instructions: "One door to every AWS Bedrock foundation model. Call list_models to choose a model, generate to get a completion, get_stats for usage, spend and cache figures.",
		Logger:       log,
	})
	srv.AddTool(&mcp.Tool{
		Name:         "generate",
		Title:        "Generate with a Bedrock model",
		Description:  generateDescription,
		InputSchema:  ts.generateIn,
		OutputSchema: ts.generateOut,
		Annotations:  &mcp.ToolAnnotations{ReadOnlyHint: false, OpenWorldHint: ptr(true)},
	}, s.generate)
	srv.AddTool(&mcp.Tool{
		Name:         "list_models",
		Title:        "List Bedrock models",
		Description:  listModelsDescription,
		InputSchema:  ts.listModelsIn,
		OutputSchema: ts.listModelsOut,
		Annotations:  &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, s.listModels)
	statsTool := &mcp.Tool{
		Name:        "get_stats",
		Title:       "Gateway statistics",
		Description: getStatsDescription,
		InputSchema: &jsonschema.Schema{Type: "object"},
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(false)},
	}
	if opts.StatsFor != nil {
		statsTool.InputSchema = ts.getStatsIn
	}
	if schema, ok := opts.StatsSchema.(*jsonschema.Schema); ok {
		statsTool.OutputSchema = portableOutput(schema)
	} else if opts.StatsSchema != nil {
		statsTool.OutputSchema = opts.StatsSchema
	}
	srv.AddTool(statsTool, s.getStats)
	s.addResources(srv)
	return srv, s
}

// mustSchema derives a tool's JSON schema from a Go type once, at start,
// rather than reflecting on every call.
func mustSchema[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](schemaOptions)
	if err != nil {
		panic(fmt.Sprintf("mcpserver: schema for %T: %v", *new(T), err))
	}
	return s
}

// SchemaFor derives a JSON schema for T, for Options.StatsSchema.
func SchemaFor[T any]() any { return mustSchema[T]() }

func ptr[T any](v T) *T { return &v }

type agentKey struct{}

// WithAgent returns a context that names the calling agent, for transports
// that know it (the HTTP transport, from the API key).
func WithAgent(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, agentKey{}, name)
}

// Caller is who called a tool, as get_stats reports it.
type Caller struct {
	Agent string `json:"agent"`
	// Source says where the name came from: "api_key", "AGENT_NAME",
	// "client_info" or "default".
	Source string `json:"source"`
	// All is true when the caller may see every agent's figures: an admin
	// key, or a transport without keys, whose user owns every agent.
	All bool `json:"sees_all_agents"`
}

// callerOf names the caller: the transport's authenticated name if any,
// else AGENT_NAME, else the clientInfo.name the client gave in
// initialize, else "default".
func (s *server) callerOf(ctx context.Context, req *mcp.CallToolRequest) Caller {
	return s.callerOfSession(ctx, req.Session)
}

// callerOfSession is callerOf for any request of session.
func (s *server) callerOfSession(ctx context.Context, session *mcp.ServerSession) Caller {
	if name, ok := ctx.Value(agentKey{}).(string); ok && name != "" {
		return Caller{Agent: name, Source: "api_key", All: s.opts.Admin != nil && s.opts.Admin(name)}
	}
	if s.opts.Agent != "" {
		return Caller{Agent: s.opts.Agent, Source: "AGENT_NAME", All: true}
	}
	if session != nil {
		if p := session.InitializeParams(); p != nil && p.ClientInfo != nil && p.ClientInfo.Name != "" {
			return Caller{Agent: p.ClientInfo.Name, Source: "client_info", All: true}
		}
	}
	return Caller{Agent: "default", Source: "default", All: true}
}

const getStatsDescription = `Report the gateway's usage: requests, tokens, spend in USD, cache hit rate and savings, errors by kind, and breakdowns by model and by agent, from the usage ledger (every gateway process sharing its store, across restarts); optional since, agent and model narrow the totals. Latency percentiles and uptime are this process's own. Plus the cache's size and limits and the ledger's health.`

func (s *server) getStats(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if s.opts.StatsFor != nil {
		var q StatsQuery
		if err := decodeArgs(req.Params.Arguments, &q); err != nil {
			return toolError(err), nil
		}
		v, err := s.opts.StatsFor(ctx, s.callerOf(ctx, req), q)
		if err != nil {
			return toolError(err), nil
		}
		return structured(v)
	}
	if err := decodeArgs(req.Params.Arguments, &struct{}{}); err != nil {
		return toolError(err), nil
	}
	return structured(s.opts.Stats(ctx, s.callerOf(ctx, req)))
}

// StatsQuery is get_stats's optional arguments: they narrow the totals.
type StatsQuery struct {
	Since string `json:"since,omitempty" jsonschema:"count only requests since then: a duration back from now such as 24h or 30m, or an RFC 3339 time such as 2026-01-31T00:00:00Z; omit for every request the ledger keeps"`
	Agent string `json:"agent,omitempty" jsonschema:"count only this agent's requests"`
	Model string `json:"model,omitempty" jsonschema:"count only requests answered by this catalog model"`
}
