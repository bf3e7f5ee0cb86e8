package gateway

import (
	"encoding/json"
	"time"
)

// Message roles accepted from agents.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Finish reasons reported to agents, whatever the model family said.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)

// Message is one turn of a conversation. Its content is either Content
// (text) or Blocks (text, images, documents, cache points), never both.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Blocks is the content when it was given as a list.
	Blocks []Block `json:"-"`
	// ToolCalls are the tool calls an assistant turn made.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID is the call a RoleTool message answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
}

// Request is what an agent asks the gateway for. Optional numbers are
// pointers so that "not given" (use the model's default) differs from zero.
type Request struct {
	// Model is a catalog short name ("nova-pro"), a Bedrock model ID, or an
	// inference-profile ID or ARN.
	Model    string
	Messages []Message
	// System is an extra system prompt, placed before any system messages.
	System        string
	Temperature   *float64
	TopP          *float64
	MaxTokens     int // If zero, the model's default output limit.
	StopSequences []string
	// NoCache bypasses the response cache for this request (read and write).
	NoCache bool
	// Tools the model may call, and whether it must.
	Tools      []Tool
	ToolChoice *ToolChoice
	// CacheSystem and CacheTools put a Bedrock prompt-cache point after the
	// system prompt and after the tool definitions (models that support it).
	CacheSystem bool
	CacheTools  bool
	// Guardrail applies a Bedrock guardrail; nil means the gateway's default,
	// if one is configured.
	Guardrail *Guardrail
	// AdditionalFields are model-specific request fields passed through to
	// Bedrock as they are (e.g. {"top_k": 50}); a JSON object or nil.
	AdditionalFields json.RawMessage
	// Stream asks Bedrock for a streamed answer (ConverseStream). OnDelta,
	// if set, receives each piece of text as it arrives; the Response holds
	// the whole answer either way.
	Stream  bool
	OnDelta func(text string)
	// FallbackModels are tried in order when the model is throttled,
	// unavailable, timed out or end-of-life. If nil, the gateway's default
	// chain for the model applies.
	FallbackModels []string
	// Agent names the caller for logs, metrics, limits and the ledger;
	// empty means anonymous.
	Agent string
	// Frontend is the API the request came through ("mcp", "openai",
	// "anthropic"); Transport and Session say how ("stdio", "http", and the
	// transport's session ID). They are recorded, never part of the answer.
	Frontend  string
	Transport string
	Session   string
	// RequestID identifies the request in logs, traces and the ledger; if
	// empty the gateway makes one.
	RequestID string
	// Reasoning is the reasoning effort to ask of the model ("low",
	// "medium", "high", … or "off"); empty leaves the model's default. It
	// becomes the model's own request fields (Rules.Reasoning).
	Reasoning string
	// ServiceTier asks Bedrock for a service tier ("priority", "flex",
	// "reserved"); empty or "default" is the default tier. The tier the
	// answer says served it is the one billed.
	ServiceTier string
}

// Model is what the core needs to know of a catalog entry once a name has
// been resolved for the configured region.
type Model struct {
	Name string // catalog short name, e.g. "nova-pro"
	ID   string // model ID or inference profile to call, e.g. "us.amazon.nova-pro-v1:0"

	ContextWindow    int // tokens
	MaxOutputTokens  int // the largest max_tokens the model accepts
	DefaultMaxTokens int // used when a request gives none; if zero, MaxOutputTokens
	MinTemperature   float64
	MaxTemperature   float64

	SupportsSystem        bool
	SupportsImages        bool
	SupportsDocuments     bool
	SupportsToolUse       bool
	SupportsStreaming     bool
	SupportsPromptCaching bool

	Status      string // StatusActive, StatusLegacy or StatusEndOfLife
	EndOfLife   string // date (YYYY-MM-DD) the model stops or stopped answering, if known
	Replacement string // suggested catalog name for a legacy or end-of-life model

	// Endpoint is the Bedrock endpoint serving the model; empty or
	// EndpointRuntime for Converse, anything else is not callable here.
	Endpoint string
	// Rules are what the model refuses or requires of a request.
	Rules Rules

	// Price is the default tier's rate in force when the catalog was
	// loaded, for a call below any long-context threshold: the headline
	// price, for estimates. It is nil when the gateway knows no price for
	// this model (or this inference profile): such calls are reported as
	// unpriced, never as $0.
	Price *Price
	// Pricing is every rate of the model through this profile from the
	// configured Region, by tier, date and input size; Model.Cost uses it
	// when set, else Price.
	Pricing *Pricing
	// ServiceTiers are the Converse service tiers the model accepts besides
	// the default one (TierPriority, TierFlex, TierReserved).
	ServiceTiers []string
}

// Lifecycle statuses of a model.
const (
	StatusActive    = "active"
	StatusLegacy    = "legacy"
	StatusEndOfLife = "end-of-life"
)

// Usage counts the tokens of one call.
type Usage struct {
	InputTokens      int `json:"input_tokens"`
	OutputTokens     int `json:"output_tokens"`
	CacheReadTokens  int `json:"cache_read_input_tokens,omitempty"`
	CacheWriteTokens int `json:"cache_write_input_tokens,omitempty"`
}

// Total is every token billed for the call.
func (u Usage) Total() int {
	return u.InputTokens + u.OutputTokens + u.CacheReadTokens + u.CacheWriteTokens
}

// Add returns the sum of two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:      u.InputTokens + v.InputTokens,
		OutputTokens:     u.OutputTokens + v.OutputTokens,
		CacheReadTokens:  u.CacheReadTokens + v.CacheReadTokens,
		CacheWriteTokens: u.CacheWriteTokens + v.CacheWriteTokens,
	}
}

// Call is a validated request resolved to one Bedrock model: what a
// Provider sends upstream.
type Call struct {
	ModelID string
	// ServiceTier is the Converse service tier to ask for; empty for the
	// default.
	ServiceTier string
	// SupportsSystem is false for models that reject Converse system blocks;
	// the provider then folds System into the first user turn.
	SupportsSystem bool
	System         []string  // system prompts, in order
	Messages       []Message // user and assistant turns only
	Temperature    *float64
	TopP           *float64
	MaxTokens      int
	StopSequences  []string

	Tools            []Tool
	ToolChoice       *ToolChoice
	CacheSystem      bool
	CacheTools       bool
	Guardrail        *Guardrail
	AdditionalFields json.RawMessage
}

// Completion is a provider's answer to a Call.
type Completion struct {
	Content      string
	FinishReason string // one of the Finish* constants
	ToolCalls    []ToolCall
	Usage        Usage
	// UsageEstimated is true when some of Usage was estimated by the
	// provider rather than reported by Bedrock (a stream cut midway).
	UsageEstimated bool
	// ServiceTier is the tier Bedrock says served the call, which is the
	// one billed; the zero value if it did not say (the default tier).
	ServiceTier Tier
	// Latency is the model's own latency as Bedrock reports it
	// (ConverseMetrics.latencyMs); zero if not reported.
	Latency time.Duration
}
