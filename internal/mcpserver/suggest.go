package mcpserver

import (
	"reflect"
	"strings"
)

// Agents trained on other APIs send their field names. These get a
// pointed "did you mean": the OpenAI Chat Completions and Anthropic names
// for what generate calls otherwise.
var fieldAliases = map[string]string{ //nolint:gosec // argument-name aliases ("max_tokens"…), no credential
	"stop":                  `"stop_sequences" (a list of strings)`,
	"max_completion_tokens": `"max_tokens"`,
	"max_output_tokens":     `"max_tokens"`,
	"maxtokens":             `"max_tokens"`,
	"image_url":             `a content block {"type":"image","format":"png","data":BASE64} in the message's content list`,
	"input_image":           `a content block {"type":"image","format":"png","data":BASE64} in the message's content list`,
	"function":              `"tools": [{"name", "description", "input_schema"}]`,
	"functions":             `"tools": [{"name", "description", "input_schema"}]`,
	"function_call":         `"tool_choice"`,
	"parameters":            `"input_schema"`,
	"top_k":                 `"additional_fields": {"top_k": N}`,
	"prompt":                `"messages": [{"role":"user","content":"…"}]`,
	"input":                 `"messages": [{"role":"user","content":"…"}]`,
	"system_prompt":         `"system"`,
	"model_id":              `"model"`,
	"response_format":       `asking for the format in the prompt (the gateway has no JSON mode)`,
	"tool_call_id":          `"tool_call_id" on a message with role "tool"`,
}

// suggestField says what an unknown field name probably meant: a known
// alias, else the accepted field of v's type (or of the types inside it)
// within two edits.
func suggestField(name string, v any) string {
	key := strings.ToLower(name)
	if s, ok := fieldAliases[key]; ok {
		return s
	}
	best, bestDist := "", 3
	for _, f := range jsonFields(reflect.TypeOf(v), map[reflect.Type]bool{}) {
		if d := editDistance(key, f); d < bestDist {
			best, bestDist = f, d
		}
	}
	if best == "" {
		return ""
	}
	return `"` + best + `"`
}

// jsonFields lists the JSON names of the struct fields reachable from t.
func jsonFields(t reflect.Type, seen map[reflect.Type]bool) []string {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
		out = append(out, jsonFields(f.Type, seen)...)
	}
	return out
}

// editDistance is the Levenshtein distance of two short ASCII names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
