package bedrocksim_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// TestPromptCachePlaces checks cache points in each place Bedrock takes
// them: tools, system and messages. The first call writes the prefix, later
// ones read it, streamed or not.
func TestPromptCachePlaces(t *testing.T) {
	_, c := simClient(t)
	point := types.CachePointBlock{Type: types.CachePointTypeDefault}
	shared := strings.Repeat("A long shared context. ", 20)
	tests := []struct {
		name   string
		in     func(question string) *bedrockruntime.ConverseInput
		cached int32 // 0: only checked to be positive
	}{
		{"system", func(q string) *bedrockruntime.ConverseInput {
			in := input(novaPro, q)
			in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "system " + shared}, &types.SystemContentBlockMemberCachePoint{Value: point}}
			return in
		}, tokensOf("system " + shared)},
		{"messages", func(q string) *bedrockruntime.ConverseInput {
			in := input(novaPro, q)
			in.Messages = []types.Message{userSays(text("messages "+shared), &types.ContentBlockMemberCachePoint{Value: point}, text(q))}
			return in
		}, tokensOf("messages " + shared)},
		{"tools", func(q string) *bedrockruntime.ConverseInput {
			in := input(novaPro, q)
			in.ToolConfig = weatherTools(nil)
			in.ToolConfig.Tools = append(in.ToolConfig.Tools, &types.ToolMemberCachePoint{Value: point})
			return in
		}, 0},
		{"all three", func(q string) *bedrockruntime.ConverseInput {
			in := input(novaPro, q)
			in.ToolConfig = weatherTools(nil)
			in.ToolConfig.Tools = append(in.ToolConfig.Tools, &types.ToolMemberCachePoint{Value: point})
			in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "all " + shared}, &types.SystemContentBlockMemberCachePoint{Value: point}}
			in.Messages = []types.Message{userSays(text(shared), &types.ContentBlockMemberCachePoint{Value: point}, text(q))}
			return in
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := converse(t, t.Context(), c, tt.in("first question"))
			if err != nil {
				t.Fatalf("Converse: %v", err)
			}
			if first.CacheWrite <= 0 || first.CacheRead != 0 || (tt.cached > 0 && first.CacheWrite != tt.cached) {
				t.Errorf("first call cache write/read = %d/%d, want %d/0", first.CacheWrite, first.CacheRead, tt.cached)
			}
			if want := tokensOf("first question"); first.Input != want {
				t.Errorf("first call input tokens = %d, want %d (the part after the cache point)", first.Input, want)
			}
			second, err := converseStream(t, t.Context(), c, tt.in("second question"))
			if err != nil || second.Err != nil {
				t.Fatalf("ConverseStream: %v, stream error %v", err, second.Err)
			}
			third, err := converse(t, t.Context(), c, tt.in("third question"))
			if err != nil {
				t.Fatalf("Converse: %v", err)
			}
			for _, r := range []result{second.result, third} {
				if r.CacheRead != first.CacheWrite || r.CacheWrite != 0 {
					t.Errorf("later call cache write/read = %d/%d, want 0/%d", r.CacheWrite, r.CacheRead, first.CacheWrite)
				}
			}
			for _, r := range []result{first, second.result, third} {
				if r.Total != r.Input+r.Output+r.CacheRead+r.CacheWrite {
					t.Errorf("total tokens = %d, want input+output+cache read+cache write = %d", r.Total, r.Input+r.Output+r.CacheRead+r.CacheWrite)
				}
			}
		})
	}
}
