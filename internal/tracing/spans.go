package tracing

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Attribute keys: the GenAI and MCP semantic conventions', then the
// gateway's own under llm_gateway.
const (
	keyOperation     = attribute.Key("gen_ai.operation.name")
	keyProvider      = attribute.Key("gen_ai.provider.name")
	keyRequestModel  = attribute.Key("gen_ai.request.model")
	keyResponseModel = attribute.Key("gen_ai.response.model")
	keyMaxTokens     = attribute.Key("gen_ai.request.max_tokens")
	keyTemperature   = attribute.Key("gen_ai.request.temperature")
	keyTopP          = attribute.Key("gen_ai.request.top_p")
	keyInputTokens   = attribute.Key("gen_ai.usage.input_tokens")
	keyOutputTokens  = attribute.Key("gen_ai.usage.output_tokens")
	keyCacheRead     = attribute.Key("gen_ai.usage.cache_read.input_tokens")
	keyCacheWrite    = attribute.Key("gen_ai.usage.cache_creation.input_tokens")
	keyFinish        = attribute.Key("gen_ai.response.finish_reasons")
	keyInputMsgs     = attribute.Key("gen_ai.input.messages")
	keySystem        = attribute.Key("gen_ai.system_instructions")
	keyOutputMsgs    = attribute.Key("gen_ai.output.messages")
	keyToolName      = attribute.Key("gen_ai.tool.name")
	keyErrorType     = attribute.Key("error.type")

	keyMCPMethod  = attribute.Key("mcp.method.name")
	keyMCPSession = attribute.Key("mcp.session.id")

	keyAgent     = attribute.Key("llm_gateway.agent")
	keyRequestID = attribute.Key("llm_gateway.request_id")
	keyModel     = attribute.Key("llm_gateway.model")
	keyCached    = attribute.Key("llm_gateway.cached")
	keyCoalesced = attribute.Key("llm_gateway.coalesced")
	keyStream    = attribute.Key("llm_gateway.stream")
	keyCost      = attribute.Key("llm_gateway.cost_usd")
	keySaved     = attribute.Key("llm_gateway.saved_usd")
	keyPriced    = attribute.Key("llm_gateway.priced")
	keyFallbacks = attribute.Key("llm_gateway.fallbacks")
	keyAttempts  = attribute.Key("llm_gateway.attempts")
)

// providerName is gen_ai.provider.name for Bedrock.
const providerName = "aws.bedrock"

// WrapProvider returns next with a client span around each Bedrock call,
// a child of the caller's span (the MCP tool call's). With prompts, the
// messages and the answer go on the span too (LOG_PROMPTS).
func (t *Tracing) WrapProvider(next gateway.Provider, prompts bool) gateway.Provider {
	if !t.On() {
		return next
	}
	return &provider{next: next, tracer: t.tracer, prompts: prompts}
}

type provider struct {
	next    gateway.Provider
	tracer  trace.Tracer
	prompts bool
}

var _ gateway.Provider = (*provider)(nil)

func (p *provider) Converse(ctx context.Context, c *gateway.Call) (*gateway.Completion, error) {
	ctx, span := p.start(ctx, c, false)
	comp, err := p.next.Converse(ctx, c)
	p.end(span, c, comp, err)
	return comp, err
}

func (p *provider) ConverseStream(ctx context.Context, c *gateway.Call, onDelta func(string)) (*gateway.Completion, error) {
	ctx, span := p.start(ctx, c, true)
	comp, err := p.next.ConverseStream(ctx, c, onDelta)
	p.end(span, c, comp, err)
	return comp, err
}

// start opens the span of one Bedrock call, named as the GenAI
// conventions ask: "{operation} {model}".
func (p *provider) start(ctx context.Context, c *gateway.Call, stream bool) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{
		keyOperation.String("chat"),
		keyProvider.String(providerName),
		keyRequestModel.String(c.ModelID),
		keyMaxTokens.Int(c.MaxTokens),
		keyStream.Bool(stream),
	}
	if c.Temperature != nil {
		attrs = append(attrs, keyTemperature.Float64(*c.Temperature))
	}
	if c.TopP != nil {
		attrs = append(attrs, keyTopP.Float64(*c.TopP))
	}
	if p.prompts {
		attrs = append(attrs, keyInputMsgs.String(messagesJSON(c.Messages)))
		if len(c.System) > 0 {
			attrs = append(attrs, keySystem.StringSlice(c.System))
		}
	}
	return p.tracer.Start(ctx, "chat "+c.ModelID, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

func (p *provider) end(span trace.Span, c *gateway.Call, comp *gateway.Completion, err error) {
	defer span.End()
	if comp != nil {
		u := comp.Usage
		span.SetAttributes(
			keyResponseModel.String(c.ModelID), // Bedrock answers from the model it was asked
			keyInputTokens.Int(u.InputTokens+u.CacheReadTokens+u.CacheWriteTokens),
			keyOutputTokens.Int(u.OutputTokens),
		)
		if u.CacheReadTokens > 0 {
			span.SetAttributes(keyCacheRead.Int(u.CacheReadTokens))
		}
		if u.CacheWriteTokens > 0 {
			span.SetAttributes(keyCacheWrite.Int(u.CacheWriteTokens))
		}
		if comp.FinishReason != "" {
			span.SetAttributes(keyFinish.StringSlice([]string{comp.FinishReason}))
		}
		if p.prompts {
			span.SetAttributes(keyOutputMsgs.String(messagesJSON([]gateway.Message{{Role: gateway.RoleAssistant, Content: comp.Content}})))
		}
	}
	if err != nil {
		span.SetAttributes(keyErrorType.String(string(gateway.KindOf(err))))
		span.SetStatus(codes.Error, err.Error())
	}
}

// messagesJSON is messages as role and text, for the prompt attributes.
func messagesJSON(msgs []gateway.Message) string {
	type part struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	parts := make([]part, len(msgs))
	for i, m := range msgs {
		parts[i] = part{Role: m.Role, Content: m.Content}
	}
	b, _ := json.Marshal(parts)
	return string(b)
}

// Recorder puts the request's outcome on the span of ctx, the MCP tool
// call's: what the gateway alone knows (agent, cache, coalescing, cost,
// fallbacks). It is a gateway.Recorder.
func (t *Tracing) Recorder() gateway.Recorder { return recorder{} }

type recorder struct{}

func (recorder) Record(ctx context.Context, ev gateway.Event) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		keyRequestID.String(ev.RequestID),
		keyAgent.String(ev.Agent),
		keyModel.String(ev.Model),
		keyCached.Bool(ev.Cached),
		keyCoalesced.Bool(ev.Coalesced),
		keyPriced.Bool(ev.Priced),
		keyFallbacks.Int(ev.Fallbacks),
		keyAttempts.Int(len(ev.Attempts)),
		keyInputTokens.Int(ev.Usage.InputTokens + ev.Usage.CacheReadTokens + ev.Usage.CacheWriteTokens),
		keyOutputTokens.Int(ev.Usage.OutputTokens),
	}
	if ev.ModelID != "" {
		attrs = append(attrs, keyRequestModel.String(ev.ModelID))
	}
	// Unknown cost is left off, never given as $0.
	if ev.Priced {
		attrs = append(attrs, keyCost.Float64(ev.Cost.USD()), keySaved.Float64(ev.Saved.USD()))
	}
	if ev.FinishReason != "" {
		attrs = append(attrs, keyFinish.StringSlice([]string{ev.FinishReason}))
	}
	if ev.Kind != "" {
		attrs = append(attrs, keyErrorType.String(string(ev.Kind)))
		if r, ok := ctx.Value(recordedKey{}).(*recorded); ok {
			r.kind = ev.Kind
		}
	}
	span.SetAttributes(attrs...)
}

// MCPMiddleware opens a server span for each MCP tools/call, named
// "tools/call {tool}" as the MCP conventions ask. A W3C traceparent (and
// tracestate, baggage) in the request's _meta continues the caller's
// trace. Other methods pass through untraced.
func (t *Tracing) MCPMiddleware() mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			params, ok := req.GetParams().(*mcp.CallToolParamsRaw)
			if method != "tools/call" || !ok || params == nil {
				return next(ctx, method, req)
			}
			ctx = Propagator.Extract(ctx, metaCarrier(params.Meta))
			attrs := []attribute.KeyValue{
				keyMCPMethod.String(method),
				keyToolName.String(params.Name),
				keyOperation.String("execute_tool"),
			}
			if s := req.GetSession(); s != nil && s.ID() != "" {
				attrs = append(attrs, keyMCPSession.String(s.ID()))
			}
			ctx, span := t.tracer.Start(ctx, method+" "+params.Name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
			defer span.End()
			rec := &recorded{}
			ctx = context.WithValue(ctx, recordedKey{}, rec)
			res, err := next(ctx, method, req)
			switch r, _ := res.(*mcp.CallToolResult); {
			case err != nil:
				span.SetAttributes(keyErrorType.String(fmt.Sprintf("%T", err)))
				span.SetStatus(codes.Error, err.Error())
			case r != nil && r.IsError:
				// The gateway's kind when it recorded one; a refusal before
				// the gateway (bad arguments) is a tool error.
				if rec.kind == "" {
					span.SetAttributes(keyErrorType.String("tool_error"))
				}
				span.SetStatus(codes.Error, "the tool returned an error")
			}
			return res, err
		}
	}
}

// recordedKey carries, from the middleware to the recorder, a place for the
// request's error kind: the middleware reads it back to name error.type,
// since the span's attributes cannot be read through the API.
type recordedKey struct{}

type recorded struct{ kind gateway.ErrorKind }

// metaCarrier reads and writes W3C trace context in an MCP _meta object.
type metaCarrier map[string]any

func (m metaCarrier) Get(key string) string {
	s, _ := m[key].(string)
	return s
}

func (m metaCarrier) Set(key, value string) { m[key] = value }

func (m metaCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
