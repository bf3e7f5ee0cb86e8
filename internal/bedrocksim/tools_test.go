package bedrocksim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

var toolUseIDPattern = regexp.MustCompile(`^tooluse_[A-Za-z0-9_-]{22}$`)

// weatherSchema exercises every kind of property schemaArgs fills in.
var weatherSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"city":    map[string]any{"type": "string"},
		"units":   map[string]any{"type": "string", "enum": []any{"celsius", "fahrenheit"}},
		"days":    map[string]any{"type": "integer"},
		"verbose": map[string]any{"type": "boolean"},
		"tags":    map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		"where":   map[string]any{"type": "object", "properties": map[string]any{"lat": map[string]any{"type": []any{"number", "null"}}}},
	},
	"required": []any{"city"},
}

const weatherArgs = `{"city":"sim","days":1,"tags":["sim"],"units":"celsius","verbose":true,"where":{"lat":1}}`

func toolSpec(name string, schema map[string]any) types.Tool {
	return &types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name:        aws.String(name),
		Description: aws.String("The " + name + " tool."),
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)},
	}}
}

// weatherTools are two tools: get_weather, then get_time with no properties.
func weatherTools(choice types.ToolChoice) *types.ToolConfiguration {
	return &types.ToolConfiguration{
		Tools:      []types.Tool{toolSpec("get_weather", weatherSchema), toolSpec("get_time", map[string]any{"type": "object"})},
		ToolChoice: choice,
	}
}

func toolUseBlock(id, name string, input map[string]any) types.ContentBlock {
	return &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String(id), Name: aws.String(name), Input: document.NewLazyDocument(input)}}
}

func toolResultBlock(id string, status types.ToolResultStatus, texts ...string) types.ContentBlock {
	r := types.ToolResultBlock{ToolUseId: aws.String(id), Status: status}
	for _, text := range texts {
		r.Content = append(r.Content, &types.ToolResultContentBlockMemberText{Value: text})
	}
	return &types.ContentBlockMemberToolResult{Value: r}
}

// bothWays makes the call with Converse and ConverseStream, checks that they
// agree, and returns the result and the stream.
func bothWays(t *testing.T, c *bedrockruntime.Client, in *bedrockruntime.ConverseInput) (result, streamed) {
	t.Helper()
	got, err := converse(t, t.Context(), c, in)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	s, err := converseStream(t, t.Context(), c, in)
	if err != nil || s.Err != nil {
		t.Fatalf("ConverseStream: %v, stream error %v after %v", err, s.Err, s.Events)
	}
	if diff := cmp.Diff(got, s.result); diff != "" {
		t.Errorf("ConverseStream differs from Converse (-converse +stream):\n%s", diff)
	}
	return got, s
}

func TestToolUse(t *testing.T) {
	_, c := simClient(t)
	anyTool := &types.ToolChoiceMemberAny{Value: types.AnyToolChoice{}}
	tests := []struct {
		name   string
		prompt string
		choice types.ToolChoice
		cfg    *types.InferenceConfiguration
		text   string     // the text before the calls
		calls  []toolCall // IDs not compared
		stop   types.StopReason
	}{
		{"marker with arguments", `Weather? [sim:tool=get_weather:{"city":"Paris","tags":["a]b"]}]`, nil, nil, "",
			[]toolCall{{Name: "get_weather", Input: `{"city":"Paris","tags":["a]b"]}`}}, types.StopReasonToolUse},
		{"marker, arguments from the schema", "Weather? [sim:tool=get_weather]", nil, nil, "",
			[]toolCall{{Name: "get_weather", Input: weatherArgs}}, types.StopReasonToolUse},
		{"tool without properties", "Time? [sim:tool=get_time]", nil, nil, "",
			[]toolCall{{Name: "get_time", Input: `{}`}}, types.StopReasonToolUse},
		{"two markers call in parallel", "Both [sim:tool=get_time] [sim:tool=get_weather:{}]", nil, nil, "",
			[]toolCall{{Name: "get_time", Input: `{}`}, {Name: "get_weather", Input: `{}`}}, types.StopReasonToolUse},
		{"choice any calls the first tool", "Anything", anyTool, nil, "",
			[]toolCall{{Name: "get_weather", Input: weatherArgs}}, types.StopReasonToolUse},
		{"choice tool calls that tool", "Anything", &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_time")}}, nil, "",
			[]toolCall{{Name: "get_time", Input: `{}`}}, types.StopReasonToolUse},
		{"marker beats choice", "[sim:tool=get_time]", anyTool, nil, "",
			[]toolCall{{Name: "get_time", Input: `{}`}}, types.StopReasonToolUse},
		{"reply before the call", "[sim:reply=Let me check.] [sim:tool=get_time]", nil, nil, "Let me check.",
			[]toolCall{{Name: "get_time", Input: `{}`}}, types.StopReasonToolUse},
		{"reply cut short never calls", "[sim:reply=Let me check the weather first.] [sim:tool=get_time]", nil,
			&types.InferenceConfiguration{MaxTokens: aws.Int32(2)}, "Let me c", nil, types.StopReasonMaxTokens},
		{"choice auto answers text", "[sim:reply=No tool needed.]", &types.ToolChoiceMemberAuto{Value: types.AutoToolChoice{}}, nil, "No tool needed.",
			nil, types.StopReasonEndTurn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(novaPro, tt.prompt)
			in.ToolConfig = weatherTools(tt.choice)
			in.InferenceConfig = tt.cfg
			got, s := bothWays(t, c, in)
			want := result{Text: tt.text, ToolUses: tt.calls, StopReason: tt.stop}
			ignore := cmpopts.IgnoreFields(result{}, "Input", "Output", "Total")
			if diff := cmp.Diff(want, got, ignore, cmpopts.IgnoreFields(toolCall{}, "ID"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			ids := make(map[string]bool)
			for _, call := range got.ToolUses {
				if !toolUseIDPattern.MatchString(call.ID) || ids[call.ID] {
					t.Errorf("tool use ID %q: want a fresh tooluse_ and 22 characters", call.ID)
				}
				ids[call.ID] = true
			}
			if s.ToolDeltas < 2*len(tt.calls) {
				t.Errorf("tool input streamed in %d deltas, want at least 2 per call", s.ToolDeltas)
			}
			if starts := strings.Count(strings.Join(s.Events, " "), "contentBlockStart"); starts != len(tt.calls) {
				t.Errorf("%d contentBlockStart events, want one per tool use (none for text): %v", starts, s.Events)
			}
			var chars int
			for _, call := range got.ToolUses {
				chars += len(call.Name) + len(call.Input)
			}
			if want := tokensOf(tt.text + strings.Repeat("x", chars)); got.Output != want {
				t.Errorf("output tokens = %d, want %d (text, tool names and inputs)", got.Output, want)
			}
			again, err := converse(t, t.Context(), c, in)
			if err != nil || !cmp.Equal(got, again) {
				t.Errorf("same request again = %+v, %v; want the same answer, IDs included", again, err)
			}
		})
	}
}

func TestToolLoop(t *testing.T) {
	_, c := simClient(t)
	tools := weatherTools(&types.ToolChoiceMemberAny{Value: types.AnyToolChoice{}})
	first := input(novaPro, "What's the weather in Paris? [sim:tool=get_weather:{\"city\":\"Paris\"}] [sim:tool=get_time]")
	first.ToolConfig = tools
	step1, _ := bothWays(t, c, first)
	if len(step1.ToolUses) != 2 {
		t.Fatalf("first step calls %v, want two tools", step1.ToolUses)
	}
	var uses []types.ContentBlock
	for _, call := range step1.ToolUses {
		uses = append(uses, toolUseBlock(call.ID, call.Name, map[string]any{}))
	}
	tests := []struct {
		name    string
		results []types.ContentBlock
		want    string
	}{
		{"both answered", []types.ContentBlock{
			toolResultBlock(step1.ToolUses[0].ID, types.ToolResultStatusSuccess, "18°C, sunny"),
			toolResultBlock(step1.ToolUses[1].ID, "", "12:00"),
		}, "Simulated answer using tool results: 18°C, sunny; 12:00"},
		{"one failed", []types.ContentBlock{
			toolResultBlock(step1.ToolUses[1].ID, types.ToolResultStatusError, "clock broken"),
			&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String(step1.ToolUses[0].ID), Content: []types.ToolResultContentBlock{
				&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(map[string]any{"temp": 18, "sky": "clear"})},
			}}},
		}, `Simulated answer using tool results: error: clock broken; {"sky":"clear","temp":18}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &bedrockruntime.ConverseInput{
				ModelId: aws.String(novaPro),
				Messages: []types.Message{
					first.Messages[0],
					{Role: types.ConversationRoleAssistant, Content: uses},
					{Role: types.ConversationRoleUser, Content: tt.results},
				},
				ToolConfig: tools, // toolChoice any: the results still end the loop
			}
			got, _ := bothWays(t, c, in)
			if got.Text != tt.want || got.StopReason != types.StopReasonEndTurn || len(got.ToolUses) != 0 {
				t.Errorf("second step = %+v, want text %q and end_turn", got, tt.want)
			}
		})
	}
}

func TestToolStreamFaults(t *testing.T) {
	_, c := simClient(t)
	in := input(novaPro, "[sim:tool=get_weather] [sim:stream-error-after=1]")
	in.ToolConfig = weatherTools(nil)
	got, err := converseStream(t, t.Context(), c, in)
	var mse *types.ModelStreamErrorException
	if err != nil || !errors.As(got.Err, &mse) {
		t.Fatalf("ConverseStream: %v, stream error %v, want a ModelStreamErrorException", err, got.Err)
	}
	if want := []string{"messageStart", "contentBlockStart", "contentBlockDelta"}; !cmp.Equal(got.Events, want) {
		t.Errorf("events = %v, want %v", got.Events, want)
	}

	in = input(novaPro, "[sim:tool=get_weather] [sim:token-delay=1ms]")
	in.ToolConfig = weatherTools(nil)
	got, err = converseStream(t, t.Context(), c, in)
	if err != nil || got.Err != nil || len(got.ToolUses) != 1 || got.ToolUses[0].Input != weatherArgs {
		t.Errorf("ConverseStream with token delay = %+v, %v; want the weather call", got, err)
	}
}

func TestToolValidation(t *testing.T) {
	_, c := simClient(t)
	user := func(blocks ...types.ContentBlock) types.Message {
		return types.Message{Role: types.ConversationRoleUser, Content: blocks}
	}
	assistant := func(blocks ...types.ContentBlock) types.Message {
		return types.Message{Role: types.ConversationRoleAssistant, Content: blocks}
	}
	text := func(s string) types.ContentBlock { return &types.ContentBlockMemberText{Value: s} }
	use := toolUseBlock("tooluse_a", "get_time", map[string]any{})
	tests := []struct {
		name  string
		msgs  []types.Message
		tools *types.ToolConfiguration
		want  string
	}{
		{"result for another id", []types.Message{user(text("hi")), assistant(use), user(toolResultBlock("tooluse_b", "", "x"))}, weatherTools(nil),
			"Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a"},
		{"no result", []types.Message{user(text("hi")), assistant(text("calling"), use), user(text("never mind"))}, weatherTools(nil),
			"Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a"},
		{"more results than uses", []types.Message{user(text("hi")), assistant(use), user(toolResultBlock("tooluse_a", "", "x"), toolResultBlock("tooluse_a", "", "y"))}, weatherTools(nil),
			"The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn."},
		{"result without a use", []types.Message{user(toolResultBlock("tooluse_a", "", "x"))}, weatherTools(nil),
			"The number of toolResult blocks at messages.0.content exceeds the number of toolUse blocks of previous turn."},
		{"tool use from the user", []types.Message{user(text("hi"), use)}, weatherTools(nil),
			"User messages cannot contain tool uses. Please remove the tool uses and try again."},
		{"results without toolConfig", []types.Message{user(text("hi")), assistant(use), user(toolResultBlock("tooluse_a", "", "x"))}, nil,
			"The toolConfig field must be defined when using toolUse and toolResult content blocks."},
		{"marker for an unknown tool", []types.Message{user(text("[sim:tool=get_news]"))}, weatherTools(nil),
			`simulator marker [sim:tool=get_news]: the request's toolConfig has no tool named "get_news"`},
		{"marker without tools", []types.Message{user(text("[sim:tool=get_time]"))}, nil,
			`simulator marker [sim:tool=get_time]: the request's toolConfig has no tool named "get_time"`},
		{"marker with bad arguments", []types.Message{user(text("[sim:tool=get_time:{city}]"))}, weatherTools(nil),
			"simulator marker [sim:tool=get_time:…]: want a JSON object of arguments after the ':'"},
		{"marker with an array", []types.Message{user(text("[sim:tool=get_time:[1]]"))}, weatherTools(nil),
			"simulator marker [sim:tool=get_time:…]: want a JSON object of arguments after the ':'"},
		{"choice of an unknown tool", []types.Message{user(text("hi"))}, weatherTools(&types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_news")}}),
			`The tool "get_news" named in toolConfig.toolChoice is not defined in toolConfig.tools.`},
		{"bad tool name", []types.Message{user(text("hi"))}, &types.ToolConfiguration{Tools: []types.Tool{toolSpec("get_time", map[string]any{"type": "object"}), toolSpec("get.news", map[string]any{"type": "object"})}},
			"Value 'get.news' at 'toolConfig.tools.2.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"},
		{"schema not an object", []types.Message{user(text("hi"))}, &types.ToolConfiguration{Tools: []types.Tool{toolSpec("get_time", map[string]any{"type": "string"})}},
			"The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be one of the following: object."},
		{"duplicate tool", []types.Message{user(text("hi"))}, &types.ToolConfiguration{Tools: []types.Tool{toolSpec("get_time", map[string]any{"type": "object"}), toolSpec("get_time", map[string]any{"type": "object"})}},
			`The tool name "get_time" appears more than once in toolConfig.tools. Tool names must be unique.`},
		{"choice with only a cache point", []types.Message{user(text("hi"))}, &types.ToolConfiguration{
			Tools:      []types.Tool{&types.ToolMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}}},
			ToolChoice: &types.ToolChoiceMemberAny{Value: types.AnyToolChoice{}},
		}, "toolConfig.toolChoice requires at least one toolSpec in toolConfig.tools."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &bedrockruntime.ConverseInput{ModelId: aws.String(novaPro), Messages: tt.msgs, ToolConfig: tt.tools}
			_, err := c.Converse(t.Context(), in)
			var ve *types.ValidationException
			if !errors.As(err, &ve) || ve.ErrorMessage() != tt.want {
				t.Errorf("Converse error = %v, want ValidationException %q", err, tt.want)
			}
			_, err = c.ConverseStream(t.Context(), streamInput(in))
			if !errors.As(err, &ve) || ve.ErrorMessage() != tt.want {
				t.Errorf("ConverseStream error = %v, want ValidationException %q", err, tt.want)
			}
		})
	}
}

// TestToolWire checks the tool use shapes on the wire, and what the SDK
// would refuse to send.
func TestToolWire(t *testing.T) {
	srv := httptest.NewServer(bedrocksim.New(bedrocksim.Options{}))
	t.Cleanup(srv.Close)
	const body = `{"messages":[{"role":"user","content":[{"text":"[sim:tool=f:{\"a\":\"bc\"}]"}]}],` +
		`"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}]}}`

	resp := rawPost(t, srv, "/model/amazon.nova-pro-v1%3A0/converse", body)
	var out struct {
		Output     json.RawMessage `json:"output"`
		StopReason string          `json:"stopReason"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("Converse answer: %v", err)
	}
	id := regexp.MustCompile(`tooluse_[A-Za-z0-9_-]{22}`).FindString(string(out.Output))
	if want := `{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"` + id + `","name":"f","input":{"a":"bc"}}}]}}`; string(out.Output) != want || out.StopReason != "tool_use" {
		t.Errorf("Converse output = %s, stop reason %q\nwant %s, tool_use", out.Output, out.StopReason, want)
	}

	frames := readFrames(t, rawPost(t, srv, "/model/amazon.nova-pro-v1%3A0/converse-stream", body))
	event := func(typ, payload string) frame { return frame{typ, "application/json", "event", payload} }
	want := []frame{
		event("messageStart", `{"role":"assistant"}`),
		event("contentBlockStart", `{"start":{"toolUse":{"toolUseId":"`+id+`","name":"f"}},"contentBlockIndex":0}`),
		event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"a\":"}}}`),
		event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"\"bc\"}"}}}`),
		event("contentBlockStop", `{"contentBlockIndex":0}`),
		event("messageStop", `{"stopReason":"tool_use"}`),
		event("metadata", `{"usage":{"inputTokens":23,"outputTokens":3,"totalTokens":26}}`),
	}
	if diff := cmp.Diff(want, frames); diff != "" {
		t.Errorf("stream frames (-want +got):\n%s", diff)
	}

	resp = rawPost(t, srv, "/model/amazon.nova-pro-v1%3A0/converse", `{"messages":[`+
		`{"role":"user","content":[{"text":"hi"}]},`+
		`{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]},`+
		`{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[],"status":"error"}}]}],`+
		`"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}]}}`)
	got, _ := io.ReadAll(resp.Body)
	if want := `{"message":"The content field at messages.2.content.0.toolResult cannot be empty when status value is error."}`; resp.StatusCode != http.StatusBadRequest || string(got) != want {
		t.Errorf("empty error result: %d %s, want 400 %s", resp.StatusCode, got, want)
	}
}
