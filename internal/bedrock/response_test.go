package bedrock

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestFinishReason(t *testing.T) {
	tests := []struct {
		in        types.StopReason
		want      string
		wantKnown bool
	}{
		{types.StopReasonEndTurn, gateway.FinishStop, true},
		{types.StopReasonStopSequence, gateway.FinishStop, true},
		{types.StopReasonMaxTokens, gateway.FinishLength, true},
		{types.StopReasonToolUse, gateway.FinishToolCalls, true},
		{types.StopReasonGuardrailIntervened, gateway.FinishContentFilter, true},
		{types.StopReasonContentFiltered, gateway.FinishContentFilter, true},
		{types.StopReasonMalformedModelOutput, gateway.FinishStop, false},
		{types.StopReasonModelContextWindowExceeded, gateway.FinishStop, false},
		{"", gateway.FinishStop, false},
		{"something_new", gateway.FinishStop, false},
	}
	for _, tc := range tests {
		got, known := finishReason(tc.in)
		if got != tc.want || known != tc.wantKnown {
			t.Errorf("finishReason(%q) = %q, %v, want %q, %v", tc.in, got, known, tc.want, tc.wantKnown)
		}
	}
}

func TestCompletion(t *testing.T) {
	tests := []struct {
		name      string
		out       *bedrockruntime.ConverseOutput
		want      *gateway.Completion
		wantKnown bool
	}{
		{
			name: "text blocks concatenated, others ignored",
			out: &bedrockruntime.ConverseOutput{
				Output: &types.ConverseOutputMemberMessage{Value: types.Message{
					Role: types.ConversationRoleAssistant,
					Content: []types.ContentBlock{
						&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{
							Value: types.ReasoningTextBlock{Text: ptr("thinking")},
						}},
						&types.ContentBlockMemberText{Value: "Hello, "},
						&types.ContentBlockMemberText{Value: "world"},
					},
				}},
				StopReason: types.StopReasonEndTurn,
				Usage: &types.TokenUsage{
					InputTokens: ptr[int32](12), OutputTokens: ptr[int32](3), TotalTokens: ptr[int32](40),
					CacheReadInputTokens: ptr[int32](20), CacheWriteInputTokens: ptr[int32](5),
				},
				Metrics: &types.ConverseMetrics{LatencyMs: ptr[int64](1234)},
			},
			want: &gateway.Completion{
				Content:      "Hello, world",
				FinishReason: gateway.FinishStop,
				Usage:        gateway.Usage{InputTokens: 12, OutputTokens: 3, CacheReadTokens: 20, CacheWriteTokens: 5},
				Latency:      1234 * time.Millisecond,
			},
			wantKnown: true,
		},
		{
			name: "truncated",
			out: &bedrockruntime.ConverseOutput{
				Output: &types.ConverseOutputMemberMessage{Value: types.Message{
					Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Once upon"}},
				}},
				StopReason: types.StopReasonMaxTokens,
				Usage:      &types.TokenUsage{InputTokens: ptr[int32](5), OutputTokens: ptr[int32](2)},
			},
			want: &gateway.Completion{
				Content: "Once upon", FinishReason: gateway.FinishLength,
				Usage: gateway.Usage{InputTokens: 5, OutputTokens: 2},
			},
			wantKnown: true,
		},
		{
			name:      "nothing reported",
			out:       &bedrockruntime.ConverseOutput{StopReason: "brand_new_reason"},
			want:      &gateway.Completion{FinishReason: gateway.FinishStop},
			wantKnown: false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, known := completion(tc.out)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("completion (-want +got):\n%s", diff)
			}
			if known != tc.wantKnown {
				t.Errorf("completion known = %v, want %v", known, tc.wantKnown)
			}
		})
	}
}

func TestAssembler(t *testing.T) {
	events := []types.ConverseStreamOutput{
		&types.ConverseStreamOutputMemberMessageStart{Value: types.MessageStartEvent{Role: types.ConversationRoleAssistant}},
		&types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
			Delta: &types.ContentBlockDeltaMemberText{Value: "Hel"},
		}},
		&types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
			Delta: &types.ContentBlockDeltaMemberReasoningContent{Value: &types.ReasoningContentBlockDeltaMemberText{Value: "hmm"}},
		}},
		&types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
			Delta: &types.ContentBlockDeltaMemberText{Value: "lo"},
		}},
		&types.ConverseStreamOutputMemberContentBlockStop{},
		&types.ConverseStreamOutputMemberMessageStop{Value: types.MessageStopEvent{StopReason: types.StopReasonStopSequence}},
		&types.ConverseStreamOutputMemberMetadata{Value: types.ConverseStreamMetadataEvent{
			Usage:   &types.TokenUsage{InputTokens: ptr[int32](7), OutputTokens: ptr[int32](2), CacheReadInputTokens: ptr[int32](1)},
			Metrics: &types.ConverseStreamMetrics{LatencyMs: ptr[int64](80)},
		}},
	}
	var a assembler
	var deltas []string
	for _, ev := range events {
		if text := a.add(ev); text != "" {
			deltas = append(deltas, text)
		}
	}
	if diff := cmp.Diff([]string{"Hel", "lo"}, deltas); diff != "" {
		t.Errorf("deltas (-want +got):\n%s", diff)
	}
	if !a.stopped || !a.metadata {
		t.Errorf("assembler stopped, metadata = %v, %v, want true, true", a.stopped, a.metadata)
	}
	got, known := a.completion()
	want := &gateway.Completion{
		Content: "Hello", FinishReason: gateway.FinishStop,
		Usage:   gateway.Usage{InputTokens: 7, OutputTokens: 2, CacheReadTokens: 1},
		Latency: 80 * time.Millisecond,
	}
	if diff := cmp.Diff(want, got); diff != "" || !known {
		t.Errorf("completion known %v (-want +got):\n%s", known, diff)
	}
}
