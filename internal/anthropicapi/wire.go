package anthropicapi

import (
	"encoding/json"

	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// MessagesRequest is the body of POST /v1/messages, as far as the gateway
// reads it. Fields it does not know are ignored (Claude Code sends many);
// those it knows and cannot honour are refused.
type MessagesRequest struct {
	Model         string          `json:"model"`
	MaxTokens     int             `json:"max_tokens"`
	System        json.RawMessage `json:"system,omitempty"` // a string or a list of text blocks
	Messages      []Message       `json:"messages"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          *int            `json:"top_k,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	Tools         []Tool          `json:"tools,omitempty"`
	ToolChoice    *ToolChoice     `json:"tool_choice,omitempty"`
	// Thinking (extended thinking) is accepted and not used: answers come
	// without thinking blocks.
	Thinking json.RawMessage `json:"thinking,omitempty"`
	// ServiceTier is Anthropic's "auto" or "standard_only" (see
	// serviceTier).
	ServiceTier string `json:"service_tier,omitempty"`
}

// Message is one turn; Content is a string or a list of blocks.
type Message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// CacheControl marks the end of a prefix to cache.
type CacheControl struct {
	Type string `json:"type"`
	TTL  string `json:"ttl,omitempty"`
}

// Block is one content block of a request, of any type.
type Block struct {
	Type         string        `json:"type"`
	Text         string        `json:"text,omitempty"`
	Source       *Source       `json:"source,omitempty"`
	Title        string        `json:"title,omitempty"` // document
	CacheControl *CacheControl `json:"cache_control,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"` // a string or a list of blocks
	IsError   bool            `json:"is_error,omitempty"`
}

// Source is where an image's or document's bytes are.
type Source struct {
	Type      string `json:"type"` // base64, text, url
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

// Tool is a tool the model may call.
type Tool struct {
	Type         string          `json:"type,omitempty"` // empty or "custom"; others are Anthropic's server tools
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema,omitempty"`
	CacheControl *CacheControl   `json:"cache_control,omitempty"`
}

// ToolChoice says whether and which tool the model must call.
type ToolChoice struct {
	Type string `json:"type"` // auto, any, tool, none
	Name string `json:"name,omitempty"`
}

// MessageResponse is the answer to a non-streamed request, and the message
// of a stream's message_start event.
type MessageResponse struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"` // "message"
	Role         string          `json:"role"` // "assistant"
	Model        string          `json:"model"`
	Content      []ContentOut    `json:"content"`
	StopReason   *string         `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	Usage        Usage           `json:"usage"`
	Gateway      *Extension      `json:"llm_gateway,omitempty"`
	Container    json.RawMessage `json:"container,omitempty"`
}

// ContentOut is one block of an answer: text or tool_use.
type ContentOut struct {
	Type  string           `json:"type"`
	Text  *string          `json:"text,omitempty"`
	ID    string           `json:"id,omitempty"`
	Name  string           `json:"name,omitempty"`
	Input *json.RawMessage `json:"input,omitempty"`
}

// Usage counts tokens as Anthropic does: input_tokens excludes the tokens
// read from or written to the prompt cache, which have their own counts.
type Usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// Extension is the gateway's own account of a call, under "llm_gateway".
type Extension = httpapi.Extension

// ErrorBody is Anthropic's error shape.
type ErrorBody struct {
	Type      string      `json:"type"` // "error"
	Error     ErrorDetail `json:"error"`
	RequestID string      `json:"request_id,omitempty"`
}

// ErrorDetail says what went wrong.
type ErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// ModelInfo is one entry of GET /v1/models.
type ModelInfo struct {
	Type        string `json:"type"` // "model"
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
	Gateway     any    `json:"llm_gateway,omitempty"`
}

// ModelList is the answer of GET /v1/models (one page: the whole catalog).
type ModelList struct {
	Data    []ModelInfo `json:"data"`
	HasMore bool        `json:"has_more"`
	FirstID *string     `json:"first_id"`
	LastID  *string     `json:"last_id"`
}
