package bedrock

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// completion maps a Converse answer: text blocks concatenated, toolUse
// blocks as tool calls, reasoning and other blocks left out. known is false
// when the stop reason has no mapping and was reported as "stop".
func completion(out *bedrockruntime.ConverseOutput) (comp *gateway.Completion, known bool) {
	var b strings.Builder
	var calls []gateway.ToolCall
	if msg, ok := out.Output.(*types.ConverseOutputMemberMessage); ok {
		for _, block := range msg.Value.Content {
			switch v := block.(type) {
			case *types.ContentBlockMemberText:
				b.WriteString(v.Value)
			case *types.ContentBlockMemberToolUse:
				calls = append(calls, gateway.ToolCall{
					ID:        aws.ToString(v.Value.ToolUseId),
					Name:      aws.ToString(v.Value.Name),
					Arguments: documentJSON(v.Value.Input),
				})
			}
		}
	}
	reason, known := finishReason(out.StopReason)
	comp = &gateway.Completion{
		Content:      b.String(),
		FinishReason: reason,
		ToolCalls:    calls,
		Usage:        usage(out.Usage),
		ServiceTier:  servedTier(out.ServiceTier),
	}
	if out.Metrics != nil {
		comp.Latency = millis(out.Metrics.LatencyMs)
	}
	return comp, known
}

// servedTier is the tier Bedrock says served a call, which is what AWS
// bills; none said is the default tier, and one this code does not know is
// ServedUnknown, so that the call is unpriced rather than priced at a
// guess.
func servedTier(t *types.ServiceTier) gateway.Tier {
	if t == nil || t.Type == "" {
		return gateway.ServedDefault
	}
	if tier, ok := gateway.ParseTier(string(t.Type)); ok {
		return tier
	}
	return gateway.ServedUnknown
}

// finishReason maps a Bedrock stop reason to a gateway finish reason.
// known is false for reasons without a mapping (malformed output, context
// window exceeded, reasons newer than this code), reported as "stop".
func finishReason(r types.StopReason) (reason string, known bool) {
	switch r {
	case types.StopReasonEndTurn, types.StopReasonStopSequence:
		return gateway.FinishStop, true
	case types.StopReasonMaxTokens:
		return gateway.FinishLength, true
	case types.StopReasonToolUse:
		return gateway.FinishToolCalls, true
	case types.StopReasonGuardrailIntervened, types.StopReasonContentFiltered:
		return gateway.FinishContentFilter, true
	}
	return gateway.FinishStop, false
}

func usage(u *types.TokenUsage) gateway.Usage {
	if u == nil {
		return gateway.Usage{}
	}
	return gateway.Usage{
		InputTokens:      int32Value(u.InputTokens),
		OutputTokens:     int32Value(u.OutputTokens),
		CacheReadTokens:  int32Value(u.CacheReadInputTokens),
		CacheWriteTokens: int32Value(u.CacheWriteInputTokens),
	}
}

func int32Value(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

func millis(p *int64) time.Duration {
	if p == nil {
		return 0
	}
	return time.Duration(*p) * time.Millisecond
}
