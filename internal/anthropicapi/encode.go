package anthropicapi

import (
	"strconv"

	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// Every call's answer is written without reflection: encoding/json spent
// more on it than the rest of the front. TestAppendJSONMatchesEncodingJSON
// holds the bytes to encoding/json's.

var _ httpapi.Appender = (*MessageResponse)(nil)

// AppendJSON writes m as encoding/json does (httpapi.Appender). A tool
// call's input and a container are raw JSON, which encoding/json compacts:
// those answers are left to it.
func (m *MessageResponse) AppendJSON(b []byte) ([]byte, error) {
	if len(m.Container) > 0 {
		return b, httpapi.ErrReflect
	}
	b = append(b, `{"id":`...)
	b = httpapi.AppendString(b, m.ID)
	b = append(b, `,"type":`...)
	b = httpapi.AppendString(b, m.Type)
	b = append(b, `,"role":`...)
	b = httpapi.AppendString(b, m.Role)
	b = append(b, `,"model":`...)
	b = httpapi.AppendString(b, m.Model)
	b = append(b, `,"content":`...)
	if m.Content == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range m.Content {
			if c.Input != nil {
				return b, httpapi.ErrReflect
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":`...)
			b = httpapi.AppendString(b, c.Type)
			if c.Text != nil {
				b = append(b, `,"text":`...)
				b = httpapi.AppendString(b, *c.Text)
			}
			if c.ID != "" {
				b = append(b, `,"id":`...)
				b = httpapi.AppendString(b, c.ID)
			}
			if c.Name != "" {
				b = append(b, `,"name":`...)
				b = httpapi.AppendString(b, c.Name)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"stop_reason":`...)
	b = httpapi.AppendStringOrNull(b, m.StopReason)
	b = append(b, `,"stop_sequence":`...)
	b = httpapi.AppendStringOrNull(b, m.StopSequence)
	b = append(b, `,"usage":{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(m.Usage.InputTokens), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(m.Usage.OutputTokens), 10)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = strconv.AppendInt(b, int64(m.Usage.CacheCreationInputTokens), 10)
	b = append(b, `,"cache_read_input_tokens":`...)
	b = strconv.AppendInt(b, int64(m.Usage.CacheReadInputTokens), 10)
	b = append(b, '}')
	if e := m.Gateway; e != nil {
		var err error
		b = append(b, `,"llm_gateway":`...)
		if b, err = e.AppendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
