package bedrocksim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Tool choices, as the members of Bedrock's ToolChoice union are named.
const (
	choiceAuto = "auto"
	choiceAny  = "any"
	choiceTool = "tool"
)

// Messages for tool refusals. The first four are Bedrock's own wording; the
// others follow its style, as the real wording is not documented.
const (
	msgUserToolUse       = "User messages cannot contain tool uses. Please remove the tool uses and try again."
	msgTooManyResults    = "The number of toolResult blocks at messages.%d.content exceeds the number of toolUse blocks of previous turn."
	msgMissingResults    = "Expected toolResult blocks at messages.%d.content for the following Ids: %s"
	msgEmptyErrorResult  = "The content field at messages.%d.content.%d.toolResult cannot be empty when status value is error."
	msgAssistantResult   = "Assistant messages cannot contain tool results. Please remove the tool results and try again."
	msgToolSchemaType    = "The value at toolConfig.tools.%d.toolSpec.inputSchema.json.type must be one of the following: object."
	msgDuplicateTool     = "The tool name %q appears more than once in toolConfig.tools. Tool names must be unique."
	msgUnknownChoiceTool = "The tool %q named in toolConfig.toolChoice is not defined in toolConfig.tools."
	msgChoiceNeedsTools  = "toolConfig.toolChoice requires at least one toolSpec in toolConfig.tools."
)

// toolNamePattern and maxToolNameLen are the ToolSpecification name
// constraints.
var toolNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

const maxToolNameLen = 64

// maxSchemaDepth bounds how deep arguments built from a schema go, so that
// a recursive or absurd schema still gives a finite answer.
const maxSchemaDepth = 8

// toolSet is a request's toolConfig as the simulator uses it.
type toolSet struct {
	specs      []toolSpec // in request order; cachePoint and systemTool entries are skipped
	choice     string     // choiceAuto, choiceAny, choiceTool, or "" when none was sent
	choiceName string     // the tool of choiceTool
}

type toolSpec struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
	InputSchema struct {
		JSON json.RawMessage `json:"json"`
	} `json:"inputSchema"`
}

func (ts toolSet) lookup(name string) (toolSpec, bool) {
	for _, s := range ts.specs {
		if s.Name == name {
			return s, true
		}
	}
	return toolSpec{}, false
}

// parseToolConfig validates a toolConfig as Bedrock does. An absent
// toolConfig is an empty toolSet.
func parseToolConfig(raw json.RawMessage) (toolSet, *apiError) {
	var ts toolSet
	if len(raw) == 0 || string(raw) == "null" {
		return ts, nil
	}
	var tc struct {
		Tools      []map[string]json.RawMessage `json:"tools"`
		ToolChoice map[string]json.RawMessage   `json:"toolChoice"`
	}
	if json.Unmarshal(raw, &tc) != nil {
		return ts, validationError("%s", msgMalformed)
	}
	if tc.Tools == nil {
		return ts, validationError("Value null at 'toolConfig.tools' failed to satisfy constraint: Member must not be null")
	}
	if len(tc.Tools) == 0 {
		return ts, validationError("Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	for i, tool := range tc.Tools {
		if len(tool) != 1 {
			return ts, validationError("%s", msgMalformed)
		}
		raw, ok := tool["toolSpec"]
		if !ok {
			continue // a cachePoint or a systemTool
		}
		var spec toolSpec
		if json.Unmarshal(raw, &spec) != nil {
			return ts, validationError("%s", msgMalformed)
		}
		if aerr := spec.check(i); aerr != nil {
			return ts, aerr
		}
		if _, dup := ts.lookup(spec.Name); dup {
			return ts, validationError(msgDuplicateTool, spec.Name)
		}
		ts.specs = append(ts.specs, spec)
	}
	if tc.ToolChoice == nil {
		return ts, nil
	}
	if len(tc.ToolChoice) != 1 {
		return ts, validationError("%s", msgMalformed)
	}
	if len(ts.specs) == 0 {
		return ts, validationError("%s", msgChoiceNeedsTools)
	}
	for k, v := range tc.ToolChoice {
		switch k {
		case choiceAuto, choiceAny:
		case choiceTool:
			var named struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(v, &named) != nil {
				return ts, validationError("%s", msgMalformed)
			}
			if _, ok := ts.lookup(named.Name); !ok {
				return ts, validationError(msgUnknownChoiceTool, named.Name)
			}
			ts.choiceName = named.Name
		default:
			return ts, validationError("%s", msgMalformed)
		}
		ts.choice = k
	}
	return ts, nil
}

// check applies the ToolSpecification constraints to the spec at index i
// of toolConfig.tools.
func (s toolSpec) check(i int) *apiError {
	path := fmt.Sprintf("toolConfig.tools.%d.member.toolSpec", i+1)
	switch {
	case len(s.Name) < 1:
		return validationError("Value '' at '%s.name' failed to satisfy constraint: Member must have length greater than or equal to 1", path)
	case len(s.Name) > maxToolNameLen:
		return validationError("Value '%s' at '%s.name' failed to satisfy constraint: Member must have length less than or equal to %d", s.Name, path, maxToolNameLen)
	case !toolNamePattern.MatchString(s.Name):
		return validationError("Value '%s' at '%s.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+", s.Name, path)
	case s.Description != nil && *s.Description == "":
		return validationError("Value '' at '%s.description' failed to satisfy constraint: Member must have length greater than or equal to 1", path)
	}
	var schema struct {
		Type any `json:"type"`
	}
	if json.Unmarshal(s.InputSchema.JSON, &schema) != nil || schema.Type != "object" {
		return validationError(msgToolSchemaType, i)
	}
	return nil
}

// checkToolTurns applies Bedrock's rules on tool blocks across turns: tool
// uses only from the assistant, tool results only from the user, and each
// user turn after an assistant's tool uses answering every one of them.
func (req *converseRequest) checkToolTurns() *apiError {
	var pending []string // toolUse IDs of the previous assistant turn
	for i, m := range req.Messages {
		var uses, results []string
		for j, block := range m.Content {
			if raw, ok := block["toolUse"]; ok {
				if m.Role == "user" {
					return validationError("%s", msgUserToolUse)
				}
				var u struct {
					ToolUseID string `json:"toolUseId"`
				}
				if json.Unmarshal(raw, &u) != nil {
					return validationError("%s", msgMalformed)
				}
				uses = append(uses, u.ToolUseID)
			}
			if raw, ok := block["toolResult"]; ok {
				if m.Role == "assistant" {
					return validationError("%s", msgAssistantResult)
				}
				var r toolResultBlock
				if json.Unmarshal(raw, &r) != nil {
					return validationError("%s", msgMalformed)
				}
				if r.Status == "error" && len(r.Content) == 0 {
					return validationError(msgEmptyErrorResult, i, j)
				}
				results = append(results, r.ToolUseID)
			}
		}
		if m.Role == "assistant" {
			pending = uses
			continue
		}
		if len(results) > len(pending) {
			return validationError(msgTooManyResults, i)
		}
		var missing []string
		for _, id := range pending {
			if !slices.Contains(results, id) {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return validationError(msgMissingResults, i, strings.Join(missing, ", "))
		}
		pending = nil
	}
	return nil
}

type toolResultBlock struct {
	ToolUseID string                       `json:"toolUseId"`
	Content   []map[string]json.RawMessage `json:"content"`
	Status    string                       `json:"status"`
}

// toolUse is a toolUse block of an answer.
type toolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

// resolveCalls decides which tools the answer calls: those of the tool
// markers, or else, unless the last turn brings tool results (the loop's
// next step), the tool that toolChoice any (the first tool) or tool forces.
func resolveCalls(ts toolSet, markers []toolMarker, req *converseRequest) ([]toolUse, *apiError) {
	wants := markers
	if len(wants) == 0 && len(req.lastToolResults()) == 0 {
		switch ts.choice {
		case choiceAny:
			wants = []toolMarker{{name: ts.specs[0].Name}}
		case choiceTool:
			wants = []toolMarker{{name: ts.choiceName}}
		}
	}
	if len(wants) == 0 {
		return nil, nil
	}
	seed := sha256.Sum256(canonicalJSON(mustMarshal(req.Messages)))
	calls := make([]toolUse, 0, len(wants))
	for i, w := range wants {
		spec, ok := ts.lookup(w.name)
		if !ok {
			return nil, validationError("simulator marker [sim:tool=%s]: the request's toolConfig has no tool named %q", w.name, w.name)
		}
		args := w.args
		if args == nil {
			args = schemaArgs(spec.InputSchema.JSON)
		}
		calls = append(calls, toolUse{ToolUseID: toolUseID(seed, i), Name: spec.Name, Input: args})
	}
	return calls, nil
}

// toolUseID is a deterministic ID in the form of Bedrock's
// ("tooluse_" and 22 URL-safe base64 characters).
func toolUseID(seed [sha256.Size]byte, i int) string {
	h := sha256.New()
	h.Write(seed[:])
	fmt.Fprintf(h, "/%d", i)
	return "tooluse_" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// schemaArgs builds arguments that fit a tool's JSON schema: every property,
// strings "sim", numbers 1, booleans true, the first of an enum, one item
// per array.
func schemaArgs(schema json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	var s map[string]any
	if dec.Decode(&s) != nil {
		return json.RawMessage(`{}`)
	}
	v, ok := sampleValue(s, 0).(map[string]any)
	if !ok {
		return json.RawMessage(`{}`)
	}
	return canonicalJSON(mustMarshal(v))
}

func sampleValue(s map[string]any, depth int) any {
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	if c, ok := s["const"]; ok {
		return c
	}
	props, _ := s["properties"].(map[string]any)
	typ := schemaType(s)
	if typ == "" && props != nil {
		typ = "object"
	}
	switch typ {
	case "integer", "number":
		return 1
	case "boolean":
		return true
	case "null":
		return nil
	case "array":
		items, _ := s["items"].(map[string]any)
		if items == nil || depth >= maxSchemaDepth {
			return []any{}
		}
		return []any{sampleValue(items, depth+1)}
	case "object":
		obj := make(map[string]any, len(props))
		if depth >= maxSchemaDepth {
			return obj
		}
		for name, p := range props {
			ps, _ := p.(map[string]any)
			obj[name] = sampleValue(ps, depth+1)
		}
		return obj
	default:
		return "sim"
	}
}

// schemaType is a schema's "type", or the first type other than "null" of
// a list of types.
func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if name, ok := x.(string); ok && name != "null" {
				return name
			}
		}
	}
	return ""
}

// lastToolResults renders the tool results of the last message, when it is
// a user turn, as text: each result's content joined, errors marked.
func (req *converseRequest) lastToolResults() []string {
	if len(req.Messages) == 0 {
		return nil
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role != "user" {
		return nil
	}
	var out []string
	for _, block := range last.Content {
		raw, ok := block["toolResult"]
		if !ok {
			continue
		}
		var r toolResultBlock
		_ = json.Unmarshal(raw, &r) // validated already
		var parts []string
		for _, c := range r.Content {
			parts = append(parts, resultPartText(c))
		}
		text := strings.Join(parts, " ")
		if r.Status == "error" {
			text = "error: " + text
		}
		out = append(out, text)
	}
	return out
}

// resultPartText renders one block of a tool result's content.
func resultPartText(c map[string]json.RawMessage) string {
	if text, ok := blockText(c); ok {
		return text
	}
	if raw, ok := c["json"]; ok {
		return string(canonicalJSON(raw))
	}
	for _, kind := range []string{"image", "document"} {
		if raw, ok := c[kind]; ok {
			var b mediaBlock
			_ = json.Unmarshal(raw, &b)
			if kind == "document" {
				return fmt.Sprintf("[document %s %q]", b.Format, b.Name)
			}
			return fmt.Sprintf("[image %s]", b.Format)
		}
	}
	return string(canonicalJSON(mustMarshal(c)))
}

// toolResultAnswer is the text answer to a turn of tool results.
func toolResultAnswer(results []string) string {
	if len(results) == 1 {
		return "Simulated answer using tool result: " + results[0]
	}
	return "Simulated answer using tool results: " + strings.Join(results, "; ")
}
