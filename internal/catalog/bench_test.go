package catalog

import (
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func BenchmarkResolve(b *testing.B) {
	c := mustLoad(b, Options{})
	for _, bm := range []struct{ name, model string }{
		{"short name", "claude-sonnet-4-5"},
		{"profile ID", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"ARN", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0"},
		{"unknown", "nova-prp"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = c.Resolve(bm.model)
			}
		})
	}
}

func BenchmarkCost(b *testing.B) {
	c := mustLoad(b, Options{})
	m, err := c.Resolve("claude-sonnet-4-5")
	if err != nil {
		b.Fatal(err)
	}
	u := gateway.Usage{InputTokens: 1234, OutputTokens: 567, CacheReadTokens: 89, CacheWriteTokens: 10}
	for b.Loop() {
		_, _ = c.Cost(m, u)
	}
}
