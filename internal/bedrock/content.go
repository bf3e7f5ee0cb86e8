package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithydocument "github.com/aws/smithy-go/document"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// messageBlocks maps one gateway message to the role and content blocks of
// a Converse turn:
//
//   - user and assistant text (Content) is one text block; a message with
//     no content at all still gets an empty one, for Bedrock to refuse;
//   - Blocks map one to one (text, image, document, cache point);
//   - an assistant's ToolCalls follow its content as toolUse blocks;
//   - a tool message is a user turn holding one toolResult block.
func messageBlocks(i int, m gateway.Message) (types.ConversationRole, []types.ContentBlock, error) {
	field := fmt.Sprintf("messages[%d]", i)
	switch m.Role {
	case gateway.RoleTool:
		content, err := toolResultContent(field, m)
		if err != nil {
			return "", nil, err
		}
		return types.ConversationRoleUser, []types.ContentBlock{&types.ContentBlockMemberToolResult{
			Value: types.ToolResultBlock{ToolUseId: aws.String(m.ToolCallID), Content: content},
		}}, nil
	case gateway.RoleUser, gateway.RoleAssistant:
	default:
		return "", nil, gateway.Invalid(field+".role", "%q cannot be sent to Bedrock; only %q, %q and %q turns can",
			m.Role, gateway.RoleUser, gateway.RoleAssistant, gateway.RoleTool)
	}
	var blocks []types.ContentBlock
	if m.Content != "" || (len(m.Blocks) == 0 && len(m.ToolCalls) == 0) {
		blocks = append(blocks, textBlock(m.Content))
	}
	for j, b := range m.Blocks {
		block, err := contentBlock(fmt.Sprintf("%s.content[%d]", field, j), b)
		if err != nil {
			return "", nil, err
		}
		blocks = append(blocks, block)
	}
	for j, tc := range m.ToolCalls {
		input, err := jsonDocument(fmt.Sprintf("%s.tool_calls[%d].arguments", field, j), tc.Arguments)
		if err != nil {
			return "", nil, err
		}
		blocks = append(blocks, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
			ToolUseId: aws.String(tc.ID),
			Name:      aws.String(tc.Name),
			Input:     input,
		}})
	}
	return types.ConversationRole(m.Role), blocks, nil
}

func contentBlock(field string, b gateway.Block) (types.ContentBlock, error) {
	switch b.Type {
	case gateway.BlockText:
		return textBlock(b.Text), nil
	case gateway.BlockImage:
		return &types.ContentBlockMemberImage{Value: imageBlock(b)}, nil
	case gateway.BlockDocument:
		return &types.ContentBlockMemberDocument{Value: documentBlock(b)}, nil
	case gateway.BlockCachePoint:
		return cachePoint(), nil
	}
	return nil, gateway.Invalid(field+".type", "%q is not a content block Bedrock takes", b.Type)
}

// toolResultContent is what a tool answered: its text, or its blocks
// (text, images, documents; cache points have no place in a tool result).
func toolResultContent(field string, m gateway.Message) ([]types.ToolResultContentBlock, error) {
	if len(m.Blocks) == 0 {
		return []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: m.Content}}, nil
	}
	var out []types.ToolResultContentBlock
	for j, b := range m.Blocks {
		switch b.Type {
		case gateway.BlockText:
			out = append(out, &types.ToolResultContentBlockMemberText{Value: b.Text})
		case gateway.BlockImage:
			out = append(out, &types.ToolResultContentBlockMemberImage{Value: imageBlock(b)})
		case gateway.BlockDocument:
			out = append(out, &types.ToolResultContentBlockMemberDocument{Value: documentBlock(b)})
		case gateway.BlockCachePoint:
		default:
			return nil, gateway.Invalid(fmt.Sprintf("%s.content[%d].type", field, j), "%q is not a block a tool result can hold", b.Type)
		}
	}
	return out, nil
}

func textBlock(s string) types.ContentBlock { return &types.ContentBlockMemberText{Value: s} }

func cachePoint() types.ContentBlock {
	return &types.ContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}}
}

// imageBlock and documentBlock use the formats as given: the gateway's
// names are Bedrock's (png, jpeg, ...; pdf, csv, ...).
func imageBlock(b gateway.Block) types.ImageBlock {
	return types.ImageBlock{Format: types.ImageFormat(b.Format), Source: &types.ImageSourceMemberBytes{Value: b.Data}}
}

func documentBlock(b gateway.Block) types.DocumentBlock {
	return types.DocumentBlock{
		Format: types.DocumentFormat(b.Format),
		Name:   aws.String(b.Name),
		Source: &types.DocumentSourceMemberBytes{Value: b.Data},
	}
}

// toolConfig maps the tools and the tool choice; nil when there are none.
func toolConfig(call *gateway.Call) (*types.ToolConfiguration, error) {
	if len(call.Tools) == 0 {
		return nil, nil
	}
	tc := &types.ToolConfiguration{Tools: make([]types.Tool, 0, len(call.Tools)+1)}
	for i, t := range call.Tools {
		schema := t.InputSchema
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		doc, err := jsonDocument(fmt.Sprintf("tools[%d].input_schema", i), schema)
		if err != nil {
			return nil, err
		}
		spec := types.ToolSpecification{
			Name:        aws.String(t.Name),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: doc},
		}
		if t.Description != "" {
			spec.Description = aws.String(t.Description)
		}
		tc.Tools = append(tc.Tools, &types.ToolMemberToolSpec{Value: spec})
	}
	if call.CacheTools {
		tc.Tools = append(tc.Tools, &types.ToolMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}})
	}
	if c := call.ToolChoice; c != nil {
		switch c.Mode {
		case gateway.ToolChoiceAuto, "":
			tc.ToolChoice = &types.ToolChoiceMemberAuto{}
		case gateway.ToolChoiceAny:
			tc.ToolChoice = &types.ToolChoiceMemberAny{}
		case gateway.ToolChoiceTool:
			tc.ToolChoice = &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String(c.Name)}}
		default:
			return nil, gateway.Invalid("tool_choice", "mode %q is not one Bedrock takes", c.Mode)
		}
	}
	return tc, nil
}

// jsonDocument turns JSON (a tool schema, tool arguments, extra model
// fields) into the SDK's document type. Empty JSON is an empty object.
// Numbers keep their exact text: they are decoded as json.Number and
// handed to the SDK as document.Number, which it writes verbatim.
func jsonDocument(field string, raw json.RawMessage) (document.Interface, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return document.NewLazyDocument(map[string]any{}), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, gateway.Invalid(field, "is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, gateway.Invalid(field, "holds more than one JSON value")
	}
	return document.NewLazyDocument(exactNumbers(v)), nil
}

// exactNumbers replaces json.Number, which the SDK's document encoder
// would write as a string, with document.Number.
func exactNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		return smithydocument.Number(v)
	case map[string]any:
		for k, e := range v {
			v[k] = exactNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = exactNumbers(e)
		}
	}
	return v
}

// documentJSON is the JSON of a document the SDK decoded (tool arguments in
// an answer); an empty or unreadable document is an empty object.
func documentJSON(d document.Interface) json.RawMessage {
	if d == nil {
		return json.RawMessage(`{}`)
	}
	b, err := d.MarshalSmithyDocument()
	if err != nil || len(bytes.TrimSpace(b)) == 0 || !json.Valid(b) {
		return json.RawMessage(`{}`)
	}
	return b
}
