package openaiapi

import (
	"strconv"

	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// Every call's answer is written without reflection: encoding/json spent
// more on it than the rest of the front. TestAppendJSONMatchesEncodingJSON
// holds the bytes to encoding/json's.

var _ httpapi.Appender = (*ChatCompletion)(nil)

// AppendJSON writes c as encoding/json does (httpapi.Appender).
func (c *ChatCompletion) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = httpapi.AppendString(b, c.ID)
	b = append(b, `,"object":`...)
	b = httpapi.AppendString(b, c.Object)
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, c.Created, 10)
	b = append(b, `,"model":`...)
	b = httpapi.AppendString(b, c.Model)
	b = append(b, `,"choices":`...)
	if c.Choices == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range c.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = c.Choices[i].appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"usage":`...)
	b = c.Usage.appendJSON(b)
	b = append(b, `,"system_fingerprint":`...)
	b = httpapi.AppendStringOrNull(b, c.SystemFingerprint)
	if c.Gateway != nil {
		b = append(b, `,"llm_gateway":`...)
		if b, err = c.Gateway.AppendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (c *ChatChoice) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(c.Index), 10)
	b = append(b, `,"message":{"role":`...)
	b = httpapi.AppendString(b, c.Message.Role)
	b = append(b, `,"content":`...)
	b = httpapi.AppendStringOrNull(b, c.Message.Content)
	b = append(b, `,"refusal":`...)
	b = httpapi.AppendStringOrNull(b, c.Message.Refusal)
	if len(c.Message.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for i := range c.Message.ToolCalls {
			if i > 0 {
				b = append(b, ',')
			}
			b = c.Message.ToolCalls[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `},"finish_reason":`...)
	b = httpapi.AppendString(b, c.FinishReason)
	b = append(b, `,"logprobs":`...)
	// encoding/json compacts a raw value; null, the only one the gateway
	// sets, needs nothing.
	switch string(c.Logprobs) {
	case "", "null":
		b = append(b, "null"...)
	default:
		return b, httpapi.ErrReflect
	}
	return append(b, '}'), nil
}

func (t *ChatToolCall) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if t.Index != nil {
		b = append(b, `"index":`...)
		b = strconv.AppendInt(b, int64(*t.Index), 10)
		b = append(b, ',')
	}
	b = append(b, `"id":`...)
	b = httpapi.AppendString(b, t.ID)
	b = append(b, `,"type":`...)
	b = httpapi.AppendString(b, t.Type)
	b = append(b, `,"function":{"name":`...)
	b = httpapi.AppendString(b, t.Function.Name)
	b = append(b, `,"arguments":`...)
	b = httpapi.AppendString(b, t.Function.Arguments)
	return append(b, '}', '}')
}

func (u *ChatUsage) appendJSON(b []byte) []byte {
	if u == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.PromptTokens), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.CompletionTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, int64(u.PromptTokensDetails.CachedTokens), 10)
	return append(b, '}', '}')
}
