package openaiapi

import (
	"encoding/json"

	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// ChatRequest is the body of POST /v1/chat/completions, as far as the
// gateway reads it. Fields it does not know are ignored, as OpenAI's own
// clients send many; those it knows and cannot honour are refused.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []ChatMessage   `json:"messages"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	Stop                json.RawMessage `json:"stop,omitempty"` // a string or a list of strings
	Tools               []ChatTool      `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"` // "none", "auto", "required" or {"type":"function","function":{"name":…}}
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	N                   *int            `json:"n,omitempty"`
	Logprobs            *bool           `json:"logprobs,omitempty"`
	ResponseFormat      *struct {
		Type string `json:"type"`
	} `json:"response_format,omitempty"`
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`
	// ServiceTier is OpenAI's processing tier, mapped to Bedrock's service
	// tier (see serviceTier).
	ServiceTier string `json:"service_tier,omitempty"`
	// User names the end user; the gateway identifies callers by their API
	// key, so it is not used.
	User string `json:"user,omitempty"`
}

// StreamOptions asks for a last chunk with the usage of the whole stream.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ChatMessage is one message of a conversation. Content is a string, a
// list of content parts, or null (an assistant turn that only calls tools).
type ChatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content,omitempty"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  []ChatToolCall  `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

// ContentPart is one part of a message's content list.
type ContentPart struct {
	Type     string `json:"type"` // text, image_url, file
	Text     string `json:"text,omitempty"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail,omitempty"`
	} `json:"image_url,omitempty"`
	File *struct {
		FileData string `json:"file_data,omitempty"` // a data URL
		FileID   string `json:"file_id,omitempty"`
		Filename string `json:"filename,omitempty"`
	} `json:"file,omitempty"`
	// CacheControl, an extension some gateways share with Anthropic's
	// API, puts a Bedrock prompt-cache point after this part.
	CacheControl *struct {
		Type string `json:"type"`
	} `json:"cache_control,omitempty"`
}

// ChatTool is a function the model may call.
type ChatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
		Strict      *bool           `json:"strict,omitempty"`
	} `json:"function"`
}

// ChatToolCall is a model's call of a function; Arguments is a JSON object
// encoded as a string, as OpenAI sends it.
type ChatToolCall struct {
	// Index is set in streamed chunks only.
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// ChatCompletion is the answer to a non-streamed request.
type ChatCompletion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"` // "chat.completion"
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	Choices           []ChatChoice `json:"choices"`
	Usage             *ChatUsage   `json:"usage"`
	SystemFingerprint *string      `json:"system_fingerprint"`
	Gateway           *Extension   `json:"llm_gateway,omitempty"`
}

// ChatChoice is the one answer (the gateway refuses n > 1).
type ChatChoice struct {
	Index        int             `json:"index"`
	Message      AnswerMessage   `json:"message"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

// AnswerMessage is the assistant's message in a completion.
type AnswerMessage struct {
	Role      string         `json:"role"`
	Content   *string        `json:"content"`
	Refusal   *string        `json:"refusal"`
	ToolCalls []ChatToolCall `json:"tool_calls,omitempty"`
}

// ChatUsage counts tokens as OpenAI does: prompt_tokens includes the
// prompt-cache tokens, of which cached_tokens were read from it.
type ChatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

// Extension is the gateway's own account of a call, under "llm_gateway".
type Extension = httpapi.Extension

// ChatChunk is one server-sent event of a streamed completion.
type ChatChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"` // "chat.completion.chunk"
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	Choices           []ChunkChoice `json:"choices"`
	SystemFingerprint *string       `json:"system_fingerprint"`
	// Usage is null on every chunk but the last when the request asked for
	// stream_options.include_usage, and absent otherwise.
	Usage   *ChatUsage `json:"usage,omitempty"`
	Gateway *Extension `json:"llm_gateway,omitempty"`
}

// ChunkChoice is the delta of one chunk.
type ChunkChoice struct {
	Index        int             `json:"index"`
	Delta        Delta           `json:"delta"`
	FinishReason *string         `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

// Delta is what a chunk adds to the message.
type Delta struct {
	Role      string         `json:"role,omitempty"`
	Content   *string        `json:"content,omitempty"`
	ToolCalls []ChatToolCall `json:"tool_calls,omitempty"`
}

// ErrorBody is OpenAI's error shape.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong; Code is the gateway's error kind.
type ErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// Model is one entry of GET /v1/models.
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"` // "model"
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	// Gateway is the catalog entry: limits, capabilities, prices.
	Gateway any `json:"llm_gateway,omitempty"`
}

// ModelList is the answer of GET /v1/models.
type ModelList struct {
	Object string  `json:"object"` // "list"
	Data   []Model `json:"data"`
}
