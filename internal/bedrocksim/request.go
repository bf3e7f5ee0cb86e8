package bedrocksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// converseRequest is the body of Converse and ConverseStream: the members the
// simulator reads. Others (requestMetadata, performanceConfig, …) are
// accepted and ignored.
type converseRequest struct {
	Messages        []message         `json:"messages"`
	System          []json.RawMessage `json:"system"`
	InferenceConfig *inferenceConfig  `json:"inferenceConfig"`
	ToolConfig      json.RawMessage   `json:"toolConfig"`
	GuardrailConfig json.RawMessage   `json:"guardrailConfig"`
	// AdditionalModelRequestFields go to the model as they are; the
	// simulator only checks that they form a JSON object.
	AdditionalModelRequestFields json.RawMessage `json:"additionalModelRequestFields"`
	ServiceTier                  *serviceTier    `json:"serviceTier"`
}

// serviceTier is Converse's serviceTier member, in requests and answers.
type serviceTier struct {
	Type string `json:"type"`
}

// serviceTiers are the values Converse accepts for serviceTier.type.
var serviceTiers = []string{"priority", "default", "flex", "reserved"}

type message struct {
	Role string `json:"role"`
	// Content blocks are unions: one member named for the kind of block
	// (text, image, document, toolUse, toolResult, cachePoint, …).
	Content []map[string]json.RawMessage `json:"content"`
}

// inferenceConfig keeps numbers as sent so that validation messages quote
// them as Bedrock does ("Value '1.5' at …").
type inferenceConfig struct {
	MaxTokens     *json.Number `json:"maxTokens"`
	Temperature   *json.Number `json:"temperature"`
	TopP          *json.Number `json:"topP"`
	StopSequences []string     `json:"stopSequences"`
}

// text returns the block's text and whether it is a text block.
func blockText(block map[string]json.RawMessage) (string, bool) {
	raw, ok := block["text"]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func parseRequest(body []byte) (*converseRequest, *apiError) {
	var req converseRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return nil, validationError("%s", msgMalformed)
	}
	return &req, nil
}

// checked is what validation learns of a request.
type checked struct {
	maxTokens int // the effective output limit: maxTokens, or the model's limit
	tools     toolSet
	guardrail *guardrailConfig // nil without a guardrailConfig
	media     []media          // images and documents, in request order
}

// validate rejects what Bedrock rejects, with Bedrock's messages where they
// are known.
func (req *converseRequest) validate(modelLimit int) (checked, *apiError) {
	c := checked{maxTokens: modelLimit}
	var aerr *apiError
	if c.maxTokens, aerr = req.InferenceConfig.validate(modelLimit); aerr != nil {
		return c, aerr
	}
	for i, raw := range req.System {
		var block map[string]json.RawMessage
		if json.Unmarshal(raw, &block) != nil {
			return c, validationError("%s", msgMalformed)
		}
		if text, ok := blockText(block); ok && strings.TrimSpace(text) == "" {
			return c, validationError("The text field in the SystemContentBlock object at system.%d is blank. Add text to the text field, and try again.", i)
		}
	}
	if c.tools, aerr = parseToolConfig(req.ToolConfig); aerr != nil {
		return c, aerr
	}
	if c.guardrail, aerr = parseGuardrail(req.GuardrailConfig); aerr != nil {
		return c, aerr
	}
	if len(req.AdditionalModelRequestFields) > 0 && string(req.AdditionalModelRequestFields) != "null" {
		var fields map[string]json.RawMessage
		if json.Unmarshal(req.AdditionalModelRequestFields, &fields) != nil {
			return c, validationError("%s", msgMalformed)
		}
	}

	if len(req.Messages) == 0 || req.Messages[0].Role != "user" {
		if len(req.Messages) > 0 && req.Messages[0].Role != "assistant" {
			return c, roleError(0, req.Messages[0].Role)
		}
		return c, validationError("%s", msgStartWithUser)
	}
	usesTools := false
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return c, roleError(i, m.Role)
		}
		if i > 0 && m.Role == req.Messages[i-1].Role {
			return c, validationError("%s", msgAlternate)
		}
		if len(m.Content) == 0 {
			return c, validationError("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		hasText, hasDocument := false, false
		for j, block := range m.Content {
			if len(block) == 0 {
				return c, validationError("%s", msgMalformed)
			}
			if text, ok := blockText(block); ok {
				if strings.TrimSpace(text) == "" {
					return c, validationError("The text field in the ContentBlock object at messages.%d.content.%d is blank. Add text to the text field, and try again.", i, j)
				}
				hasText = true
			}
			_, toolUse := block["toolUse"]
			_, toolResult := block["toolResult"]
			usesTools = usesTools || toolUse || toolResult
			found, aerr := blockMedia(block, blockPath{msg: i, block: j, inner: -1})
			if aerr != nil {
				return c, aerr
			}
			if len(found) > 0 && !toolResult {
				if m.Role != "user" {
					return c, validationError(msgMediaRole, i)
				}
				hasDocument = hasDocument || found[0].kind == "document"
			}
			c.media = append(c.media, found...)
		}
		if hasDocument && !hasText {
			return c, validationError(msgDocumentText, i)
		}
	}
	if usesTools && len(req.ToolConfig) == 0 {
		return c, validationError("%s", msgToolConfig)
	}
	if aerr := req.checkToolTurns(); aerr != nil {
		return c, aerr
	}
	if aerr := countMedia(c.media); aerr != nil {
		return c, aerr
	}
	return c, nil
}

// validate checks the inference parameters and returns the effective
// output limit: maxTokens, or the model's limit.
func (ic *inferenceConfig) validate(modelLimit int) (int, *apiError) {
	if ic == nil {
		return modelLimit, nil
	}
	for _, p := range []struct {
		name string
		v    *json.Number
	}{{"temperature", ic.Temperature}, {"topP", ic.TopP}} {
		if p.v == nil {
			continue
		}
		f, err := p.v.Float64()
		if err != nil {
			return 0, validationError("%s", msgMalformed)
		}
		if f < 0 {
			return 0, rangeError(p.name, p.v.String(), "greater than or equal to 0")
		}
		if f > 1 {
			return 0, rangeError(p.name, p.v.String(), "less than or equal to 1")
		}
	}
	if ic.MaxTokens == nil {
		return modelLimit, nil
	}
	n, err := ic.MaxTokens.Int64()
	if err != nil {
		return 0, validationError("%s", msgMalformed)
	}
	if n < 1 {
		return 0, rangeError("maxTokens", ic.MaxTokens.String(), "greater than or equal to 1")
	}
	if n > int64(modelLimit) {
		return 0, validationError("The maximum tokens you requested exceeds the model limit of %d. Try again with a maximum tokens value that is lower than %d.", modelLimit, modelLimit)
	}
	return int(n), nil
}

// blockMedia validates the image or document of a content block, or those
// inside a tool result, and returns them.
func blockMedia(block map[string]json.RawMessage, at blockPath) ([]media, *apiError) {
	for _, kind := range []string{"image", "document"} {
		if raw, ok := block[kind]; ok {
			m, aerr := parseMedia(kind, raw, at)
			if aerr != nil {
				return nil, aerr
			}
			return []media{m}, nil
		}
	}
	raw, ok := block["toolResult"]
	if !ok || at.inner >= 0 {
		return nil, nil
	}
	var r toolResultBlock
	if json.Unmarshal(raw, &r) != nil {
		return nil, validationError("%s", msgMalformed)
	}
	var out []media
	for k, inner := range r.Content {
		at.inner = k
		found, aerr := blockMedia(inner, at)
		if aerr != nil {
			return nil, aerr
		}
		out = append(out, found...)
	}
	return out, nil
}

// rangeError is the constraint message of Bedrock's schema validation.
func rangeError(member, value, bound string) *apiError {
	return validationError("Value '%s' at 'inferenceConfig.%s' failed to satisfy constraint: Member must have value %s", value, member, bound)
}

// roleError quotes the index one-based, as Bedrock's schema validation does
// for list members.
func roleError(i int, role string) *apiError {
	return validationError("Value '%s' at 'messages.%d.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]", role, i+1)
}

// lastUserText joins the text blocks of the last user message: where the
// prompt (and the simulator's markers) are read.
func (req *converseRequest) lastUserText() string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		m := req.Messages[i]
		if m.Role != "user" {
			continue
		}
		var parts []string
		for _, block := range m.Content {
			if text, ok := blockText(block); ok {
				parts = append(parts, text)
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

// baseModelID reduces a model ID, inference profile ID, or foundation-model
// or inference-profile ARN to the base model ID ("amazon.nova-pro-v1:0").
// It fails for IDs that are not well formed and for ARNs of another region.
func baseModelID(id, region string) (string, error) {
	if rest, ok := strings.CutPrefix(id, "arn:"); ok {
		// arn:PARTITION:bedrock:REGION:ACCOUNT:TYPE/ID
		f := strings.SplitN(rest, ":", 5)
		if len(f) != 5 || f[1] != "bedrock" {
			return "", fmt.Errorf("not a bedrock arn: %q", id)
		}
		if f[2] != region {
			return "", fmt.Errorf("arn of region %q, not %q", f[2], region)
		}
		typ, resource, _ := strings.Cut(f[4], "/")
		if typ != "foundation-model" && typ != "inference-profile" {
			return "", fmt.Errorf("arn of unsupported resource type %q", typ)
		}
		id = resource
	}
	// The geographic prefixes of cross-region inference profile IDs.
	for _, p := range []string{"us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.", "global."} {
		if rest, ok := strings.CutPrefix(id, p); ok {
			id = rest
			break
		}
	}
	provider, name, ok := strings.Cut(id, ".")
	if !ok || provider == "" || name == "" {
		return "", fmt.Errorf("model id %q has no provider", id)
	}
	for _, c := range provider {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", fmt.Errorf("model id %q: bad provider", id)
		}
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".:-_", c)) {
			return "", fmt.Errorf("model id %q: bad character %q", id, c)
		}
	}
	return id, nil
}
