package bedrock

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyencoding "github.com/aws/smithy-go/encoding"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// The lean path writes the usual Converse request itself, byte for byte
// as the SDK's restJson1 serializer (smithy-go's HTTP binding and JSON
// shape serializer) writes it: a conversation of text, a system prompt of
// text, inference settings and a service tier. That serializer walks the
// operation's schema and allocates about thirty times a call; this writes
// the body into one buffer. Any other input (tools, images, documents,
// cache points, guardrails, additional fields, ...) goes through the
// SDK's serializer, as every input did before. TestLeanBodyAsSDK holds the
// two to the same method, path, headers and body.

// serializedRequest is a Converse request's method, path, headers and
// body, before the endpoint and signing.
type serializedRequest struct {
	method  string
	url     url.URL // Path and RawPath only
	header  http.Header
	body    []byte
	written bool // by appendConverseBody, not the SDK
}

// leanSerialize writes in as the SDK would, if it is an input
// appendConverseBody covers.
func leanSerialize(in *bedrockruntime.ConverseInput) (*serializedRequest, bool) {
	if in.ModelId == nil || *in.ModelId == "" {
		return nil, false // the SDK's serializer says what is wrong
	}
	body, ok := appendConverseBody(make([]byte, 0, converseBodySize(in)), in)
	if !ok {
		return nil, false
	}
	id := *in.ModelId
	return &serializedRequest{
		method: http.MethodPost,
		url: url.URL{
			Path:    "/model/" + id + "/converse",
			RawPath: "/model/" + httpbinding.EscapePath(id, true) + "/converse",
		},
		header:  http.Header{"Content-Type": {"application/json"}},
		body:    body,
		written: true,
	}, true
}

// converseBodySize is about the size of in's body, to allocate it once.
func converseBodySize(in *bedrockruntime.ConverseInput) int {
	n := 128
	for _, m := range in.Messages {
		for _, c := range m.Content {
			if t, ok := c.(*types.ContentBlockMemberText); ok {
				n += len(t.Value) + 32
			}
		}
	}
	for _, s := range in.System {
		if t, ok := s.(*types.SystemContentBlockMemberText); ok {
			n += len(t.Value) + 16
		}
	}
	if c := in.InferenceConfig; c != nil {
		for _, s := range c.StopSequences {
			n += len(s) + 4
		}
	}
	return n
}

// appendConverseBody appends in's JSON body, members in the order of the
// SDK's ConverseInput.SerializeMembers, or reports false for an input it
// does not cover.
func appendConverseBody(b []byte, in *bedrockruntime.ConverseInput) ([]byte, bool) {
	if in.AdditionalModelRequestFields != nil || in.AdditionalModelResponseFieldPaths != nil ||
		in.GuardrailConfig != nil || in.OutputConfig != nil || in.PerformanceConfig != nil ||
		in.PromptVariables != nil || in.RequestMetadata != nil || in.ToolConfig != nil {
		return b, false
	}
	for _, m := range in.Messages {
		for _, c := range m.Content {
			if _, ok := c.(*types.ContentBlockMemberText); !ok {
				return b, false
			}
		}
	}
	for _, s := range in.System {
		if _, ok := s.(*types.SystemContentBlockMemberText); !ok {
			return b, false
		}
	}
	if c := in.InferenceConfig; c != nil && (!finite32(c.Temperature) || !finite32(c.TopP)) {
		return b, false
	}

	b = append(b, '{')
	more := false
	if c := in.InferenceConfig; c != nil {
		b = appendKey(b, &more, "inferenceConfig")
		b = append(b, '{')
		inner := false
		if c.MaxTokens != nil {
			b = appendKey(b, &inner, "maxTokens")
			b = strconv.AppendInt(b, int64(*c.MaxTokens), 10)
		}
		if c.StopSequences != nil {
			b = appendKey(b, &inner, "stopSequences")
			b = append(b, '[')
			for i, s := range c.StopSequences {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendSmithyString(b, s)
			}
			b = append(b, ']')
		}
		if c.Temperature != nil {
			b = appendKey(b, &inner, "temperature")
			b = smithyencoding.EncodeFloat(b, float64(*c.Temperature), 32)
		}
		if c.TopP != nil {
			b = appendKey(b, &inner, "topP")
			b = smithyencoding.EncodeFloat(b, float64(*c.TopP), 32)
		}
		b = append(b, '}')
	}
	if in.Messages != nil {
		b = appendKey(b, &more, "messages")
		b = append(b, '[')
		for i, m := range in.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			inner := false
			if m.Content != nil {
				b = appendKey(b, &inner, "content")
				b = appendTextBlocks(b, m.Content, func(c types.ContentBlock) string { return c.(*types.ContentBlockMemberText).Value })
			}
			if m.Role != "" {
				b = appendKey(b, &inner, "role")
				b = appendSmithyString(b, string(m.Role))
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if t := in.ServiceTier; t != nil {
		b = appendKey(b, &more, "serviceTier")
		b = append(b, '{')
		if t.Type != "" {
			b = append(b, `"type":`...)
			b = appendSmithyString(b, string(t.Type))
		}
		b = append(b, '}')
	}
	if in.System != nil {
		b = appendKey(b, &more, "system")
		b = appendTextBlocks(b, in.System, func(s types.SystemContentBlock) string { return s.(*types.SystemContentBlockMemberText).Value })
	}
	return append(b, '}'), true
}

// appendTextBlocks appends a list of text blocks, text(block) each.
func appendTextBlocks[B any](b []byte, blocks []B, text func(B) string) []byte {
	b = append(b, '[')
	for i, block := range blocks {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"text":`...)
		b = appendSmithyString(b, text(block))
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendKey appends an object member's name, after a comma if *more.
func appendKey(b []byte, more *bool, name string) []byte {
	if *more {
		b = append(b, ',')
	}
	*more = true
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// finite32 reports whether f is unset or a number the JSON body can hold
// (smithy writes infinities and NaN as strings; those are left to it).
func finite32(f *float32) bool {
	return f == nil || !math.IsInf(float64(*f), 0) && !math.IsNaN(float64(*f))
}

// appendSmithyString appends s as smithy-go's JSON shape serializer writes
// a string (not as encoding/json does, which httpapi's writer follows: the
// two differ in \b, \f, DEL, HTML characters and invalid UTF-8): \", \\, \n, \r and \t; other control characters and DEL as
// \u00XX; U+2028 and U+2029 escaped; invalid UTF-8 as U+FFFD itself; the
// rest, < > & included, as it is.
func appendSmithyString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
