package client

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestToolError(t *testing.T) {
	text := func(s string) []mcp.Content { return []mcp.Content{&mcp.TextContent{Text: s}} }
	tests := []struct {
		name string
		res  *mcp.CallToolResult
		want *Error
	}{
		{
			name: "kind in meta and text",
			res: &mcp.CallToolResult{IsError: true, Content: text("[throttled] nova-pro is throttled; retry later"),
				Meta: mcp.Meta{errorMeta: map[string]any{"kind": "throttled", "retryable": true}}},
			want: &Error{Kind: KindThrottled, Retryable: true, Message: "nova-pro is throttled; retry later"},
		},
		{
			name: "kind in text only",
			res:  &mcp.CallToolResult{IsError: true, Content: text("[invalid_request] temperature: too hot")},
			want: &Error{Kind: KindInvalidRequest, Message: "temperature: too hot"},
		},
		{
			name: "a kind this client does not know",
			res: &mcp.CallToolResult{IsError: true, Content: text("[quota_exceeded] over budget"),
				Meta: mcp.Meta{errorMeta: map[string]any{"kind": "quota_exceeded", "retryable": false}}},
			want: &Error{Kind: "quota_exceeded", Message: "over budget"},
		},
		{
			name: "no kind anywhere",
			res:  &mcp.CallToolResult{IsError: true, Content: text("unknown tool \"generat\"")},
			want: &Error{Kind: KindUnknown, Message: "unknown tool \"generat\""},
		},
		{
			name: "brackets that are not a kind",
			res:  &mcp.CallToolResult{IsError: true, Content: text("[1, 2] is not an object")},
			want: &Error{Kind: KindUnknown, Message: "[1, 2] is not an object"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, toolError(tt.res)); diff != "" {
				t.Errorf("toolError (-want +got):\n%s", diff)
			}
		})
	}
}
