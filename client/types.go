package client

import (
	"encoding/json"
	"time"
)

// Message roles the gateway accepts.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool" // a tool's result, answering ToolCallID
)

// Finish reasons the gateway reports, whatever the model family said.
const (
	FinishStop          = "stop"
	FinishLength        = "length" // the answer hit max_tokens
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)

// Message is one turn of a conversation. Its content is Content (text)
// or, when Blocks is non-empty, Blocks (text, images, documents, cache
// points).
type Message struct {
	Role    string // RoleUser, RoleAssistant, RoleSystem or RoleTool
	Content string
	Blocks  []Block
	// ToolCalls, on an assistant turn sent back, are the calls the model made.
	ToolCalls []ToolCall
	// ToolCallID, on a RoleTool message, is the call whose result it carries.
	ToolCallID string
}

// messageWire is Message as the gateway reads it: content is a string or a
// list of blocks.
type messageWire struct {
	Role       string     `json:"role"`
	Content    any        `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// MarshalJSON writes the message as the generate tool reads it.
func (m Message) MarshalJSON() ([]byte, error) {
	w := messageWire{Role: m.Role, Content: m.Content, ToolCalls: m.ToolCalls, ToolCallID: m.ToolCallID}
	if len(m.Blocks) > 0 {
		w.Content = m.Blocks
	}
	return json.Marshal(w)
}

// Content block types.
const (
	BlockText       = "text"
	BlockImage      = "image"
	BlockDocument   = "document"
	BlockCachePoint = "cache_point" // a Bedrock prompt-cache point after the blocks before it
)

// Block is one piece of a message's content.
type Block struct {
	Type string `json:"type"` // one of the Block* constants
	Text string `json:"text,omitempty"`
	// Format is, for an image, png, jpeg, gif or webp; for a document, pdf,
	// csv, doc, docx, xls, xlsx, html, txt or md.
	Format string `json:"format,omitempty"`
	Name   string `json:"name,omitempty"` // a document's name (Bedrock requires one)
	Data   []byte `json:"data,omitempty"` // image or document bytes; sent as base64
}

// ToolCall is a model's request to run a tool (in a response), or the
// record of one (in an assistant message sent back).
type ToolCall struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"` // a JSON object
}

// Tool describes a function the model may call.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// InputSchema is the JSON Schema of the arguments; if nil, any object.
	InputSchema json.RawMessage `json:"input_schema,omitempty"`
}

// ToolChoice says whether the model must call a tool: "auto" (the model
// decides; the default), "any" (some tool), or, for any other value, the
// tool of that name.
type ToolChoice string

// Tool choices other than a tool's name.
const (
	ToolChoiceAuto ToolChoice = "auto"
	ToolChoiceAny  ToolChoice = "any"
)

// MarshalJSON writes "auto" and "any" as strings and a tool's name as
// {"name": NAME}, as the generate tool reads them.
func (c ToolChoice) MarshalJSON() ([]byte, error) {
	if c == ToolChoiceAuto || c == ToolChoiceAny {
		return json.Marshal(string(c))
	}
	return json.Marshal(map[string]string{"name": string(c)})
}

// PromptCache asks for Bedrock prompt-cache points after the system prompt
// and after the tool definitions, on models that support prompt caching.
type PromptCache struct {
	System bool `json:"system,omitempty"`
	Tools  bool `json:"tools,omitempty"`
}

// Guardrail names a Bedrock guardrail to apply to a call.
type Guardrail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// GenerateRequest is the generate tool's input. Model and Messages are
// required; every other field's zero value means the model's default.
type GenerateRequest struct {
	// Model is a catalog name from ListModels ("nova-pro"), a Bedrock model
	// ID, or an inference-profile ID or ARN.
	Model    string
	Messages []Message
	// System is a system prompt, placed before any system messages.
	System string
	// Temperature, if non-nil, must be within the model's range (usually
	// 0 to 1; ListModels shows each model's). Nil means the model's default.
	Temperature *float64
	// MaxTokens bounds the answer's length in tokens. If zero, the model's
	// default.
	MaxTokens int
	// TopP, if non-nil, is nucleus sampling from 0 to 1.
	TopP          *float64
	StopSequences []string
	// NoCache skips the gateway's response cache for this call: it neither
	// answers from it nor stores the answer.
	NoCache bool

	// Tools the model may call; ToolChoice says whether it must. If empty,
	// ToolChoiceAuto.
	Tools       []Tool
	ToolChoice  ToolChoice
	PromptCache *PromptCache
	// Guardrail applies a Bedrock guardrail; nil means the gateway's
	// default, if it has one.
	Guardrail *Guardrail
	// AdditionalFields are model-specific request fields passed to Bedrock
	// as they are, e.g. {"top_k": 50}.
	AdditionalFields map[string]any
	// FallbackModels are tried in order if Model is throttled, unavailable,
	// timed out or end-of-life; the response names the model that answered.
	FallbackModels []string

	// Stream asks the gateway to stream the answer from Bedrock. It is
	// implied by OnDelta.
	Stream bool
	// OnDelta, if non-nil, streams the answer: it is called with each piece
	// of text, in order, from one goroutine at a time, before Generate
	// returns. The pieces concatenate to GenerateResponse.Content: a tail
	// whose progress notification had not been handled when the result
	// arrived, or a whole answer the gateway sent in one piece (from its
	// cache, say), is passed in a last call. OnDelta must not block for long:
	// the session's other notifications wait for it.
	OnDelta func(text string)
}

// generateArgs is GenerateRequest as the generate tool reads it.
type generateArgs struct {
	Model         string    `json:"model"`
	Messages      []Message `json:"messages"`
	System        string    `json:"system,omitempty"`
	Temperature   *float64  `json:"temperature,omitempty"`
	MaxTokens     int       `json:"max_tokens,omitempty"`
	TopP          *float64  `json:"top_p,omitempty"`
	StopSequences []string  `json:"stop_sequences,omitempty"`
	Cache         *bool     `json:"cache,omitempty"`
	// Stream and the fields below are sent only when set, so that a
	// gateway without them still answers plain calls.
	Stream           bool           `json:"stream,omitempty"`
	Tools            []Tool         `json:"tools,omitempty"`
	ToolChoice       *ToolChoice    `json:"tool_choice,omitempty"`
	PromptCache      *PromptCache   `json:"prompt_cache,omitempty"`
	Guardrail        *Guardrail     `json:"guardrail,omitempty"`
	AdditionalFields map[string]any `json:"additional_fields,omitempty"`
	FallbackModels   []string       `json:"fallback_models,omitempty"`
}

func (r *GenerateRequest) args() generateArgs {
	a := generateArgs{
		Model:         r.Model,
		Messages:      r.Messages,
		System:        r.System,
		Temperature:   r.Temperature,
		MaxTokens:     r.MaxTokens,
		TopP:          r.TopP,
		StopSequences: r.StopSequences,
		Stream:        r.Stream || r.OnDelta != nil,

		Tools:            r.Tools,
		PromptCache:      r.PromptCache,
		Guardrail:        r.Guardrail,
		AdditionalFields: r.AdditionalFields,
		FallbackModels:   r.FallbackModels,
	}
	if r.ToolChoice != "" {
		a.ToolChoice = &r.ToolChoice
	}
	if r.NoCache {
		a.Cache = new(false)
	}
	return a
}

// GenerateResponse is the generate tool's result.
type GenerateResponse struct {
	Content string `json:"content"`
	// ToolCalls are the tools the model asks to run (FinishReason
	// FinishToolCalls); send each result back as a RoleTool message.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	Model     string     `json:"model"`    // the catalog name that answered
	ModelID   string     `json:"model_id"` // the model ID or inference profile called
	Usage     Usage      `json:"usage"`
	// FinishReason is FinishStop, FinishLength, FinishToolCalls or
	// FinishContentFilter.
	FinishReason string `json:"finish_reason"`
	// Cached is true for an answer from the gateway's cache, which costs
	// nothing (EstimatedCostUSD is 0 and SavedCostUSD says what it saved).
	Cached    bool    `json:"cached"`
	LatencyMs float64 `json:"latency_ms"` // as the gateway measured it, milliseconds
	// EstimatedCostUSD is what this call spent in US dollars; nil when the
	// gateway knows no price for the model (never a made-up 0).
	EstimatedCostUSD *float64 `json:"estimated_cost_usd"`
	// UsageEstimated is true when the usage (and cost) was estimated by the
	// gateway because Bedrock never reported it.
	UsageEstimated bool `json:"usage_estimated,omitempty"`
	// SavedCostUSD is what a cached or shared answer would have cost.
	SavedCostUSD *float64 `json:"saved_cost_usd,omitempty"`
	// TimeToFirstTokenMs is set on streamed answers by gateways that
	// stream: milliseconds until the first piece of text arrived.
	TimeToFirstTokenMs *float64 `json:"time_to_first_token_ms,omitempty"`
	// Attempts lists the models tried before the one that answered, when
	// FallbackModels were used.
	Attempts []Attempt `json:"attempts,omitempty"`
}

// Attempt is one model tried, and failed, before a fallback answered.
type Attempt struct {
	Model     string    `json:"model"`
	ErrorKind ErrorKind `json:"error_kind"`
	Error     string    `json:"error"`
}

// Usage counts one call's tokens.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	TotalTokens  int `json:"total_tokens"`
	// Bedrock prompt-caching tokens, when the model reports them.
	CacheReadTokens  int `json:"cache_read_input_tokens,omitempty"`
	CacheWriteTokens int `json:"cache_write_input_tokens,omitempty"`
}

// ListModelsRequest filters the catalog; the zero value lists every model.
type ListModelsRequest struct {
	// Provider is amazon, anthropic, meta, mistral, deepseek or openai.
	Provider string `json:"provider,omitempty"`
	// Capability is images, documents, tool_use, streaming,
	// prompt_caching or system.
	Capability string `json:"capability,omitempty"`
	// Status is active, legacy or end-of-life.
	Status string `json:"status,omitempty"`
}

// Model is one catalog entry as list_models reports it. Prices are US
// dollars per 1,000 tokens, and are zero when Priced is false.
type Model struct {
	Name            string  `json:"name"`
	ModelID         string  `json:"model_id"` // what the gateway calls from its region
	Description     string  `json:"description"`
	ContextWindow   int     `json:"context_window"` // tokens
	InputCostPer1K  float64 `json:"input_cost_per_1k,omitempty"`
	OutputCostPer1K float64 `json:"output_cost_per_1k,omitempty"`
	SupportsSystem  bool    `json:"supports_system"`
	MaxTokens       int     `json:"max_tokens"` // largest answer, tokens

	Provider         string   `json:"provider"`
	BaseModelID      string   `json:"base_model_id"`
	Profile          string   `json:"profile,omitempty"` // inference profile in ModelID, if any
	Profiles         []string `json:"profiles,omitempty"`
	RequiresProfile  bool     `json:"requires_profile"`
	DefaultMaxTokens int      `json:"default_max_tokens,omitempty"` // if zero, MaxTokens
	// Regions serve the bare model ID on demand; empty when not known.
	Regions []string `json:"regions,omitempty"`
	// Callable is false when the gateway's Region cannot call the model;
	// Offered then says where it can.
	Callable bool   `json:"callable"`
	Offered  string `json:"offered,omitempty"`

	MinTemperature float64 `json:"min_temperature"`
	MaxTemperature float64 `json:"max_temperature"`

	SupportsImages        bool `json:"supports_images"`
	SupportsDocuments     bool `json:"supports_documents"`
	SupportsToolUse       bool `json:"supports_tool_use"`
	SupportsStreaming     bool `json:"supports_streaming"`
	SupportsPromptCaching bool `json:"supports_prompt_caching"`

	Status      string `json:"status"`                // active, legacy or end-of-life
	EndOfLife   string `json:"end_of_life,omitempty"` // YYYY-MM-DD
	Replacement string `json:"replacement,omitempty"` // catalog name to move to

	Priced              bool    `json:"priced"`
	CacheReadCostPer1K  float64 `json:"cache_read_cost_per_1k,omitempty"`
	CacheWriteCostPer1K float64 `json:"cache_write_cost_per_1k,omitempty"`
	Family              string  `json:"family,omitempty"`
	Released            string  `json:"released,omitempty"` // YYYY-MM-DD the model came to Bedrock
	New                 bool    `json:"new,omitempty"`      // released in the last 90 days
	// Endpoint is the Bedrock endpoint serving the model.
	Endpoint string `json:"endpoint,omitempty"`
	// Rules are what the model refuses or requires of a request.
	Rules *ModelRules `json:"rules,omitempty"`
	// ServiceTiers are the tiers the model accepts besides "default".
	ServiceTiers []string `json:"service_tiers,omitempty"`
	// Rates are every price band: by service tier, date and input size.
	Rates []Rate `json:"rates,omitempty"`

	Source string `json:"source,omitempty"` // where the figures come from
}

// listModelsResult is the list_models tool's result.
type listModelsResult struct {
	Models []Model `json:"models"`
	Count  int     `json:"count"`
}

// Stats is the get_stats tool's result: usage since the gateway started.
type Stats struct {
	Metrics Metrics    `json:"metrics"`
	Cache   CacheStats `json:"cache"`
	Gateway Gateway    `json:"gateway"`
	// Caller is who the gateway took this client for.
	Caller Caller `json:"caller"`
	// Limits are the gateway's policy limits (POLICY_FILE) with what is
	// used of them: this agent's, or every agent's for an admin key and
	// over stdio.
	Limits Limits `json:"limits"`
	// Ledger says where the totals come from and whether the store is
	// written; nil from a gateway without a ledger.
	Ledger *Ledger `json:"ledger,omitempty"`
}

// Ledger is the state of a gateway's usage ledger.
type Ledger struct {
	Store        string     `json:"store"` // where records live (no password)
	OK           bool       `json:"ok"`    // false while the store cannot be written
	Error        string     `json:"error,omitempty"`
	FailingSince *time.Time `json:"failing_since,omitempty"`
	Spooled      int        `json:"spooled"`   // records waiting in memory for the store
	Journaled    int        `json:"journaled"` // records in this process's journal, not yet moved into the store
	Dropped      int64      `json:"dropped"`   // records lost: the spool was full
	Written      int64      `json:"written"`   // records this process wrote
	// Scope says which figures span the store and which are the process's.
	Scope string `json:"scope"`
	// Since, Agent and Model echo get_stats's filters, if any.
	Since string `json:"since,omitempty"`
	Agent string `json:"agent,omitempty"`
	Model string `json:"model,omitempty"`
}

// Caller is the agent a gateway took the caller for.
type Caller struct {
	Agent string `json:"agent"`
	// Source is where the name came from: "api_key", "AGENT_NAME",
	// "client_info" or "default".
	Source        string `json:"source"`
	SeesAllAgents bool   `json:"sees_all_agents"`
}

// Limits are a gateway's policy limits and their use in their periods.
type Limits struct {
	Enabled  bool                     `json:"enabled"` // false: nothing is limited
	Timezone string                   `json:"timezone,omitempty"`
	Agents   map[string][]LimitFigure `json:"agents,omitempty"`
	Models   map[string][]LimitFigure `json:"models,omitempty"`
	Global   []LimitFigure            `json:"global,omitempty"`
	Error    string                   `json:"error,omitempty"`
}

// LimitFigure is one limit's figures: dollars for budgets, counts for the
// others.
type LimitFigure struct {
	Limit     string  `json:"limit"` // "requests_per_minute", "budget.daily_usd", …
	Unit      string  `json:"unit"`
	Max       float64 `json:"max"`
	Used      float64 `json:"used"`
	Reserved  float64 `json:"reserved"`
	Remaining float64 `json:"remaining"`
	ResetsAt  string  `json:"resets_at,omitempty"` // RFC 3339; empty for max_concurrent
}

// Metrics are the gateway's totals. Money is in US dollars, latency in
// milliseconds. Spend counts only calls that reached Bedrock; cached and
// shared answers count in CostSavedUSD.
type Metrics struct {
	TotalRequests       int64            `json:"total_requests"`
	TotalTokens         int64            `json:"total_tokens"`
	TotalCostUSD        float64          `json:"total_cost_usd"`
	CacheHitRatePercent float64          `json:"cache_hit_rate_percent"`
	AverageLatencyMs    float64          `json:"average_latency_ms"`
	RequestsByModel     map[string]int64 `json:"requests_by_model"`

	SuccessfulRequests int64            `json:"successful_requests"`
	FailedRequests     int64            `json:"failed_requests"`
	CacheHits          int64            `json:"cache_hits"`
	CoalescedRequests  int64            `json:"coalesced_requests"` // answered by an identical call in flight
	FallbackRequests   int64            `json:"fallback_requests"`  // a model failed and another was tried
	ErrorsByKind       map[string]int64 `json:"errors_by_kind"`
	LatencyMs          Latency          `json:"latency_ms"`
	CostSavedUSD       float64          `json:"cost_saved_usd"`
	UnpricedRequests   int64            `json:"unpriced_requests"` // model calls at no known price
	CostOverflowed     bool             `json:"cost_overflowed,omitempty"`
	// UsageEstimatedRequests counts requests whose usage the gateway
	// estimated (a stream cut before Bedrock reported it).
	UsageEstimatedRequests int64                 `json:"usage_estimated_requests"`
	Tokens                 Tokens                `json:"tokens"`
	ByModel                map[string]ModelStats `json:"by_model"`
	RequestsByAgent        map[string]AgentStats `json:"requests_by_agent"`
	// RequestsByFrontend counts requests by the API they came through:
	// "mcp", "openai", "anthropic".
	RequestsByFrontend map[string]int64 `json:"requests_by_frontend"`
	UptimeSeconds      float64          `json:"uptime_seconds"`
}

// Latency summarises latencies in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Tokens counts the tokens billed upstream, by kind.
type Tokens struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cache_read"`
	CacheWrite int64 `json:"cache_write"`
}

// ModelStats are one model's totals.
type ModelStats struct {
	Requests          int64 `json:"requests"`
	CacheHits         int64 `json:"cache_hits"`
	CoalescedRequests int64 `json:"coalesced_requests"`
	Errors            int64 `json:"errors"`
	InputTokens       int64 `json:"input_tokens"`
	OutputTokens      int64 `json:"output_tokens"`
	// CostUSD is nil, never 0, when every call that spent did so at an
	// unknown price; UnpricedRequests counts those calls.
	CostUSD                *float64 `json:"cost_usd"`
	UnpricedRequests       int64    `json:"unpriced_requests"`
	UsageEstimatedRequests int64    `json:"usage_estimated_requests"`
	LatencyMs              Latency  `json:"latency_ms"`
}

// AgentStats are one agent's totals. Over stdio an agent is named by the
// client name it gave (Options.Name); over HTTP, by its API key's name.
type AgentStats struct {
	Requests         int64    `json:"requests"`
	Tokens           int64    `json:"tokens"`
	CostUSD          *float64 `json:"cost_usd"` // nil when unknown, as in ModelStats
	UnpricedRequests int64    `json:"unpriced_requests"`
}

// CacheStats describe the gateway's response cache.
type CacheStats struct {
	Enabled     bool    `json:"enabled"`
	CurrentSize int     `json:"current_size"` // stored answers
	MaxSize     int     `json:"max_size"`
	Bytes       int64   `json:"bytes"`
	MaxBytes    int64   `json:"max_bytes"`
	Hits        uint64  `json:"hits"`
	Misses      uint64  `json:"misses"`
	Evictions   uint64  `json:"evictions"`
	Expirations uint64  `json:"expirations"`
	TTLSeconds  float64 `json:"ttl_seconds"`
}

// Gateway describes the running gateway.
type Gateway struct {
	Version        string `json:"version"`
	Region         string `json:"region"`
	Simulated      bool   `json:"simulated"` // answers come from the built-in simulator, not AWS
	MetricsEnabled bool   `json:"metrics_enabled"`
	InFlight       int    `json:"in_flight_requests"` // Bedrock calls under way
	Notice         string `json:"notice,omitempty"`
	// Problems are configuration problems found at start; a blocking one
	// refuses every generate call with its cause and fix.
	Problems []Problem `json:"problems,omitempty"`
	// Fleet is the state of the Redis that replicas share, if any.
	Fleet *Fleet `json:"fleet,omitempty"`
}

// Problem is a configuration problem and how to fix it.
type Problem struct {
	Setting  string `json:"setting"`
	Cause    string `json:"cause"`
	Fix      string `json:"fix"`
	Blocking bool   `json:"blocking"`
}

// Fleet is whether the replicas' shared Redis answers.
type Fleet struct {
	Redis  string `json:"redis"` // "ok" or "unreachable"
	Detail string `json:"detail,omitempty"`
}

// decode reads a tool's structured result into v. It is lenient about
// unknown fields so that a newer gateway does not break an older client;
// the package's tests decode strictly to catch drift.
func decode(raw []byte, v any) error {
	return json.Unmarshal(raw, v)
}

// Rate is one band of a model's prices, in US dollars per 1,000 tokens:
// for a service tier, from a date, above an input size. A rate is nil when
// unknown; Priced says whether the band has a price at all.
type Rate struct {
	ServiceTier      string   `json:"service_tier"`
	From             string   `json:"from,omitempty"`               // YYYY-MM-DD
	AboveInputTokens int      `json:"above_input_tokens,omitempty"` // applies to calls with more input than this
	Priced           bool     `json:"priced"`
	InputCostPer1K   *float64 `json:"input_cost_per_1k,omitempty"`
	OutputCostPer1K  *float64 `json:"output_cost_per_1k,omitempty"`
	CacheReadPer1K   *float64 `json:"cache_read_cost_per_1k,omitempty"`
	CacheWritePer1K  *float64 `json:"cache_write_cost_per_1k,omitempty"`
	Source           string   `json:"source,omitempty"`
}

// ModelRules are what a model refuses or requires of a request.
type ModelRules struct {
	Rejects       []string `json:"rejects,omitempty"`
	Reasoning     string   `json:"reasoning,omitempty"`
	Efforts       []string `json:"efforts,omitempty"`
	DefaultEffort string   `json:"default_effort,omitempty"`
	OptIn         string   `json:"opt_in,omitempty"`
}
