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
// package documentation. It fails, with an invalid-request *gateway.Error,
// only on what the gateway's validation should have refused: an unknown
// role or block type, or JSON that does not parse.
func buildInput(call *gateway.Call) (*bedrockruntime.ConverseInput, error) {
	turns, err := buildTurns(call.Messages)
	if err != nil {
		return nil, err
	}
	in := &bedrockruntime.ConverseInput{
		ModelId:         aws.String(call.ModelID),
		InferenceConfig: inferenceConfig(call),
	}
	if call.SupportsSystem {
		in.System = systemBlocks(call.System, call.CacheSystem)
	} else if sys := joinNonEmpty(call.System); sys != "" {
		turns = foldSystem(turns, sys, call.CacheSystem)
	}
	in.Messages = make([]types.Message, len(turns))
	for i, t := range turns {
		in.Messages[i] = types.Message{Role: t.role, Content: t.blocks}
	}
	if in.ToolConfig, err = toolConfig(call); err != nil {
		return nil, err
	}
	if g := call.Guardrail; g != nil {
		in.GuardrailConfig = &types.GuardrailConfiguration{
			GuardrailIdentifier: aws.String(g.ID),
			GuardrailVersion:    aws.String(g.Version),
		}
	}
	if call.ServiceTier != "" {
		in.ServiceTier = &types.ServiceTier{Type: types.ServiceTierType(call.ServiceTier)}
	}
	if len(call.AdditionalFields) > 0 {
		if in.AdditionalModelRequestFields, err = jsonDocument("additional_fields", call.AdditionalFields); err != nil {
			return nil, err
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
	out := &bedrockruntime.ConverseStreamInput{
		ModelId:                      in.ModelId,
		Messages:                     in.Messages,
		System:                       in.System,
		InferenceConfig:              in.InferenceConfig,
		ToolConfig:                   in.ToolConfig,
		AdditionalModelRequestFields: in.AdditionalModelRequestFields,
		ServiceTier:                  in.ServiceTier,
	}
	if g := in.GuardrailConfig; g != nil {
		out.GuardrailConfig = &types.GuardrailStreamConfiguration{
			GuardrailIdentifier: g.GuardrailIdentifier,
			GuardrailVersion:    g.GuardrailVersion,
		}
	}
	return out, nil
}

// turn is one Converse message being built.
type turn struct {
	role   types.ConversationRole
	blocks []types.ContentBlock
}

// buildTurns maps messages to Converse turns. Tool results become user
// turns, and consecutive turns of one role are merged, since Bedrock
// rejects two user (or assistant) turns in a row.
func buildTurns(msgs []gateway.Message) ([]turn, error) {
	out := make([]turn, 0, len(msgs))
	for i, m := range msgs {
		role, blocks, err := messageBlocks(i, m)
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].role == role {
			out[n-1].blocks = appendBlocks(out[n-1].blocks, blocks)
			continue
		}
		out = append(out, turn{role: role, blocks: blocks})
	}
	return out, nil
}

// appendBlocks appends more to blocks, joining a text block that ends one
// with a text block that starts the other, so that merged text turns read
// as one text. Empty texts contribute nothing. blocks is not modified in
// place.
func appendBlocks(blocks, more []types.ContentBlock) []types.ContentBlock {
	out := slices.Clone(blocks)
	if len(out) > 0 && len(more) > 0 {
		last, ok1 := out[len(out)-1].(*types.ContentBlockMemberText)
		first, ok2 := more[0].(*types.ContentBlockMemberText)
		if ok1 && ok2 {
			out[len(out)-1] = textBlock(joinNonEmpty([]string{last.Value, first.Value}))
			more = more[1:]
		}
	}
	return append(out, more...)
}

// foldSystem puts the system text in front of the first user turn, or adds
// a user turn holding it when there is none. With cache, the system text
// stays a block of its own followed by a cache point, so that the cached
// prefix is exactly the system prompt. turns is not modified.
func foldSystem(turns []turn, sys string, cache bool) []turn {
	prefix := []types.ContentBlock{textBlock(sys)}
	if cache {
		prefix = append(prefix, cachePoint())
	}
	for i, t := range turns {
		if t.role != types.ConversationRoleUser {
			continue
		}
		folded := slices.Clone(turns)
		if cache {
			folded[i].blocks = append(prefix, t.blocks...)
		} else {
			folded[i].blocks = appendBlocks(prefix, t.blocks)
		}
		return folded
	}
	return append([]turn{{role: types.ConversationRoleUser, blocks: prefix}}, turns...)
}

func systemBlocks(prompts []string, cache bool) []types.SystemContentBlock {
	var blocks []types.SystemContentBlock
	for _, p := range prompts {
		if p != "" {
			blocks = append(blocks, &types.SystemContentBlockMemberText{Value: p})
		}
	}
	if cache && len(blocks) > 0 {
		blocks = append(blocks, &types.SystemContentBlockMemberCachePoint{
			Value: types.CachePointBlock{Type: types.CachePointTypeDefault},
		})
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
