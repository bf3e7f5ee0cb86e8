package bedrock

import (
	"math"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// turnSeparator joins texts that end up in one block: merged turns, and a
// folded system prompt and its user turn.
const turnSeparator = "\n\n"

// buildInput maps a call to a Converse request, following the rules in the
// package documentation. It fails only on a role other than user or
// assistant.
func buildInput(call *gateway.Call) (*bedrockruntime.ConverseInput, error) {
	turns, err := mergeTurns(call.Messages)
	if err != nil {
		return nil, err
	}
	in := &bedrockruntime.ConverseInput{
		ModelId:         aws.String(call.ModelID),
		InferenceConfig: inferenceConfig(call),
	}
	if call.SupportsSystem {
		in.System = systemBlocks(call.System)
	} else if sys := joinNonEmpty(call.System); sys != "" {
		turns = foldSystem(turns, sys)
	}
	// One allocation each for the messages, their blocks and the block
	// slices, whatever the length of the conversation.
	in.Messages = make([]types.Message, len(turns))
	texts := make([]types.ContentBlockMemberText, len(turns))
	blocks := make([]types.ContentBlock, len(turns))
	for i, t := range turns {
		texts[i].Value = t.Content
		blocks[i] = &texts[i]
		in.Messages[i] = types.Message{
			Role:    types.ConversationRole(t.Role),
			Content: blocks[i : i+1 : i+1],
		}
	}
	return in, nil
}

// buildStreamInput is buildInput for ConverseStream, whose request has the
// same fields under another type.
func buildStreamInput(call *gateway.Call) (*bedrockruntime.ConverseStreamInput, error) {
	in, err := buildInput(call)
	if err != nil {
		return nil, err
	}
	return &bedrockruntime.ConverseStreamInput{
		ModelId:         in.ModelId,
		Messages:        in.Messages,
		System:          in.System,
		InferenceConfig: in.InferenceConfig,
	}, nil
}

// mergeTurns checks roles and merges consecutive turns of one role, since
// Bedrock rejects two user (or assistant) turns in a row.
func mergeTurns(msgs []gateway.Message) ([]gateway.Message, error) {
	out := make([]gateway.Message, 0, len(msgs))
	for i, m := range msgs {
		if m.Role != gateway.RoleUser && m.Role != gateway.RoleAssistant {
			return nil, gateway.Invalid("messages", "message %d has role %q; only %q and %q turns can be sent to Bedrock",
				i, m.Role, gateway.RoleUser, gateway.RoleAssistant)
		}
		if n := len(out); n > 0 && out[n-1].Role == m.Role {
			out[n-1].Content = joinNonEmpty([]string{out[n-1].Content, m.Content})
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// foldSystem prepends the system text to the first user turn, or adds a
// user turn holding it when there is none. turns is not modified.
func foldSystem(turns []gateway.Message, sys string) []gateway.Message {
	for i, t := range turns {
		if t.Role == gateway.RoleUser {
			folded := append([]gateway.Message(nil), turns...)
			folded[i].Content = joinNonEmpty([]string{sys, t.Content})
			return folded
		}
	}
	return append([]gateway.Message{{Role: gateway.RoleUser, Content: sys}}, turns...)
}

func systemBlocks(prompts []string) []types.SystemContentBlock {
	var blocks []types.SystemContentBlock
	for _, p := range prompts {
		if p != "" {
			blocks = append(blocks, &types.SystemContentBlockMemberText{Value: p})
		}
	}
	return blocks
}

// inferenceConfig returns nil when the call sets nothing, so that the
// model's own defaults apply.
func inferenceConfig(call *gateway.Call) *types.InferenceConfiguration {
	var ic types.InferenceConfiguration
	set := false
	if call.MaxTokens > 0 {
		ic.MaxTokens = aws.Int32(int32(min(call.MaxTokens, math.MaxInt32)))
		set = true
	}
	if call.Temperature != nil {
		ic.Temperature = aws.Float32(float32(*call.Temperature))
		set = true
	}
	if call.TopP != nil {
		ic.TopP = aws.Float32(float32(*call.TopP))
		set = true
	}
	if len(call.StopSequences) > 0 {
		ic.StopSequences = slices.Clone(call.StopSequences)
		set = true
	}
	if !set {
		return nil
	}
	return &ic
}

func joinNonEmpty(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(turnSeparator)
		}
		b.WriteString(p)
	}
	return b.String()
}
