package client

import (
	"testing"
	"time"

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
			name: "a rate limit with its figures",
			res: &mcp.CallToolResult{IsError: true, Content: text("[rate_limited] agent \"a\"'s requests_per_minute limit of 60 is reached; retry in 12s"),
				Meta: mcp.Meta{errorMeta: map[string]any{"kind": "rate_limited", "retryable": true, "limit": "requests_per_minute",
					"scope": "agent:a", "unit": "requests", "max": 60.0, "used": 60.0, "reserved": 0.0,
					"resets_at": "2026-12-01T10:01:00Z", "retry_after_seconds": 12.0}}},
			want: &Error{Kind: KindRateLimited, Retryable: true, Message: "agent \"a\"'s requests_per_minute limit of 60 is reached; retry in 12s",
				Limit: &Limit{Name: "requests_per_minute", Scope: "agent:a", Unit: "requests", Max: 60, Used: 60,
					ResetsAt: time.Date(2026, 12, 1, 10, 1, 0, 0, time.UTC), RetryAfter: 12 * time.Second}},
		},
		{
			name: "a budget refusal",
			res: &mcp.CallToolResult{IsError: true, Content: text("[budget_exceeded] spent"),
				Meta: mcp.Meta{errorMeta: map[string]any{"kind": "budget_exceeded", "retryable": false, "limit": "budget.daily_usd",
					"scope": "agent:a", "unit": "usd", "max": 5.0, "used": 4.9, "reserved": 0.05, "resets_at": "2026-12-02T00:00:00Z"}}},
			want: &Error{Kind: KindBudgetExceeded, Message: "spent", Limit: &Limit{Name: "budget.daily_usd", Scope: "agent:a", Unit: "usd",
				Max: 5, Used: 4.9, Reserved: 0.05, ResetsAt: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}},
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
