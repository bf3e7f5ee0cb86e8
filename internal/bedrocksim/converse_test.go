package bedrocksim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

func tokensOf(s string) int32 { return int32((utf8.RuneCountInString(s) + 3) / 4) }

func TestConverseAnswer(t *testing.T) {
	sim, c := simClient(t)
	const prompt = "Hello there, simulator"
	out, err := c.Converse(t.Context(), input(novaPro, prompt))
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || id == "" {
		t.Errorf("request ID = %q, want one from x-amzn-RequestId", id)
	}
	got, err := converse(t, t.Context(), c, input(novaPro, prompt))
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	wantPrefix := "Simulated " + novaPro + " answer to: " + prompt + "."
	if !strings.HasPrefix(got.Text, wantPrefix) {
		t.Errorf("text = %q, want prefix %q", got.Text, wantPrefix)
	}
	if words := len(strings.Fields(strings.TrimPrefix(got.Text, wantPrefix))); words < 20 || words > 80 {
		t.Errorf("filler words = %d, want 20 to 80", words)
	}
	want := result{Text: got.Text, StopReason: types.StopReasonEndTurn, Input: tokensOf(prompt), Output: tokensOf(got.Text)}
	want.Total = want.Input + want.Output
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Converse result (-want +got):\n%s", diff)
	}
	if n := sim.Calls(); n != 2 {
		t.Errorf("Calls() = %d, want 2", n)
	}
}

func TestConverseDeterministic(t *testing.T) {
	_, c := simClient(t)
	ask := func(model, prompt string) string {
		t.Helper()
		r, err := converse(t, t.Context(), c, input(model, prompt))
		if err != nil {
			t.Fatalf("Converse(%s, %q): %v", model, prompt, err)
		}
		return r.Text
	}
	first := ask(novaPro, "What is the capital of France?")
	if again := ask(novaPro, "What is the capital of France?"); again != first {
		t.Errorf("same request, different answers:\n%q\n%q", first, again)
	}
	if other := ask(novaPro, "What is the capital of Spain?"); other == first {
		t.Errorf("different prompts gave the same answer %q", other)
	}
	if other := ask("amazon.nova-lite-v1:0", "What is the capital of France?"); strings.TrimPrefix(other, "Simulated amazon.nova-lite-v1:0") == strings.TrimPrefix(first, "Simulated "+novaPro) {
		t.Errorf("different models gave the same filler %q", other)
	}
	long := strings.Repeat("abcdefghij", 10)
	if got := ask(novaPro, long); !strings.Contains(got, "answer to: "+long[:60]+".") {
		t.Errorf("answer %q does not quote the first 60 characters of the prompt", got)
	}
}

func TestModelIDForms(t *testing.T) {
	sim, srv := newSim(t, bedrocksim.Options{Models: map[string]int{novaPro: 5000}})
	c := newClient(srv.URL)
	for _, id := range []string{
		novaPro,
		"us." + novaPro,
		"global." + novaPro,
		"apac." + novaPro,
		"arn:aws:bedrock:us-east-1::foundation-model/" + novaPro,
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu." + novaPro,
	} {
		t.Run(id, func(t *testing.T) {
			got, err := converse(t, t.Context(), c, input(id, "hi "+id))
			if err != nil {
				t.Fatalf("Converse: %v", err)
			}
			if !strings.HasPrefix(got.Text, "Simulated "+id+" answer") {
				t.Errorf("text = %q, want it to name %s", got.Text, id)
			}
			for _, key := range []string{id, novaPro} {
				if !bytes.Contains(sim.LastRequest(key), []byte("hi "+id)) {
					t.Errorf("LastRequest(%q) = %s, want this request", key, sim.LastRequest(key))
				}
			}
		})
	}
}

func TestLastRequest(t *testing.T) {
	sim, srv := newSim(t, bedrocksim.Options{})
	rt := &recordingTransport{}
	c := newClient(srv.URL, func(o *bedrockruntime.Options) { o.HTTPClient = &http.Client{Transport: rt} })
	if got := sim.LastRequest(novaPro); got != nil {
		t.Errorf("LastRequest before any call = %s, want nil", got)
	}
	in := input(novaPro, "remember me")
	in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "be brief"}}
	in.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(300), Temperature: aws.Float32(0.5)}
	if _, err := c.Converse(t.Context(), in); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	got := sim.LastRequest(novaPro)
	if len(rt.last) == 0 || !bytes.Equal(got, rt.last) {
		t.Errorf("LastRequest = %s\nwant the bytes sent: %s", got, rt.last)
	}
	got[0] = 'X'
	if again := sim.LastRequest(novaPro); again[0] == 'X' {
		t.Errorf("LastRequest returned the simulator's own buffer")
	}
}

func TestLimits(t *testing.T) {
	_, c := simClient(t)
	full, err := converse(t, t.Context(), c, input(novaPro, "tell me a story"))
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	words := strings.Fields(full.Text)
	stopWord := words[len(words)/2]
	cutAt := strings.Index(full.Text, stopWord)

	tests := []struct {
		name   string
		prompt string
		cfg    types.InferenceConfiguration
		want   result // Input is not compared
	}{{
		name:   "max tokens truncate",
		prompt: "tell me a story",
		cfg:    types.InferenceConfiguration{MaxTokens: aws.Int32(5)},
		want:   result{Text: full.Text[:20], StopReason: types.StopReasonMaxTokens, Output: 5},
	}, {
		name:   "max tokens above the answer",
		prompt: "tell me a story",
		cfg:    types.InferenceConfiguration{MaxTokens: aws.Int32(1000)},
		want:   result{Text: full.Text, StopReason: types.StopReasonEndTurn, Output: full.Output},
	}, {
		name:   "stop sequence",
		prompt: "tell me a story",
		cfg:    types.InferenceConfiguration{StopSequences: []string{"no-such-word", stopWord}},
		want:   result{Text: full.Text[:cutAt], StopReason: types.StopReasonStopSequence, Output: tokensOf(full.Text[:cutAt])},
	}, {
		name:   "stop sequence beyond max tokens",
		prompt: "tell me a story",
		cfg:    types.InferenceConfiguration{MaxTokens: aws.Int32(3), StopSequences: []string{stopWord}},
		want:   result{Text: full.Text[:12], StopReason: types.StopReasonMaxTokens, Output: 3},
	}, {
		name:   "reply marker with stop sequence",
		prompt: "[sim:reply=one two three STOP four]",
		cfg:    types.InferenceConfiguration{StopSequences: []string{"STOP"}},
		want:   result{Text: "one two three ", StopReason: types.StopReasonStopSequence, Output: 4},
	}, {
		name:   "reply marker",
		prompt: "say it [sim:reply=Exactly this.]",
		want:   result{Text: "Exactly this.", StopReason: types.StopReasonEndTurn, Output: 4},
	}, {
		name:   "echo is never truncated",
		prompt: "[sim:echo]",
		cfg:    types.InferenceConfiguration{MaxTokens: aws.Int32(1), StopSequences: []string{"messages"}},
		want: result{
			Text:       `{"inferenceConfig":{"maxTokens":1,"stopSequences":["messages"]},"messages":[{"content":[{"text":"[sim:echo]"}],"role":"user"}]}`,
			StopReason: types.StopReasonEndTurn, Output: 32,
		},
	}, {
		name:   "guardrail marker without a guardrail",
		prompt: "[sim:guardrail] something risky",
		want:   result{Text: "Sorry, the model cannot answer this question.", StopReason: types.StopReasonContentFiltered, Output: 12},
	}, {
		name:   "content filtered",
		prompt: "[sim:guardrail=content_filtered] something risky",
		want:   result{Text: "Sorry, the model cannot answer this question.", StopReason: types.StopReasonContentFiltered, Output: 12},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(novaPro, tt.prompt)
			in.InferenceConfig = &tt.cfg
			got, err := converse(t, t.Context(), c, in)
			if err != nil {
				t.Fatalf("Converse: %v", err)
			}
			tt.want.Input = got.Input
			tt.want.Total = got.Input + tt.want.Output
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Converse result (-want +got):\n%s", diff)
			}
			s, err := converseStream(t, t.Context(), c, in)
			if err != nil || s.Err != nil {
				t.Fatalf("ConverseStream: %v, stream error %v after %v", err, s.Err, s.Events)
			}
			if diff := cmp.Diff(got, s.result); diff != "" {
				t.Errorf("ConverseStream result differs from Converse (-converse +stream):\n%s", diff)
			}
		})
	}
}

// TestEcho checks that every part of a full request reaches the simulator
// and comes back in the echo.
func TestEcho(t *testing.T) {
	_, c := simClient(t)
	in := &bedrockruntime.ConverseInput{
		ModelId: aws.String("us." + novaPro),
		System:  []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "sys one"}, &types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}}},
		Messages: []types.Message{
			userText("first"),
			{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
				ToolUseId: aws.String("t1"), Name: aws.String("lookup"), Input: document.NewLazyDocument(map[string]any{"q": "x"}),
			}}}},
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("t1"), Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "found"}}}},
				&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: []byte{0x89, 'P', 'N', 'G'}}}},
				&types.ContentBlockMemberText{Value: "now [sim:echo]"},
			}},
		},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(100), Temperature: aws.Float32(0.25), TopP: aws.Float32(0.5), StopSequences: []string{"END"}},
		ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String("lookup"), InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
		}}}},
		GuardrailConfig:              &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr1"), GuardrailVersion: aws.String("1")},
		AdditionalModelRequestFields: document.NewLazyDocument(map[string]any{"top_k": 5}),
	}
	got, err := converse(t, t.Context(), c, in)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	var echo map[string]any
	if err := json.Unmarshal([]byte(got.Text), &echo); err != nil {
		t.Fatalf("echo %q is not JSON: %v", got.Text, err)
	}
	want := map[string]any{
		"system": []any{map[string]any{"text": "sys one"}, map[string]any{"cachePoint": map[string]any{"type": "default"}}},
		"messages": []any{
			map[string]any{"role": "user", "content": []any{map[string]any{"text": "first"}}},
			map[string]any{"role": "assistant", "content": []any{map[string]any{"toolUse": map[string]any{"toolUseId": "t1", "name": "lookup", "input": map[string]any{"q": "x"}}}}},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"toolResult": map[string]any{"toolUseId": "t1", "content": []any{map[string]any{"text": "found"}}}},
				map[string]any{"image": map[string]any{"format": "png", "source": map[string]any{"bytes": "<4 bytes sha256=" + sha256hex("\x89PNG") + ">"}}},
				map[string]any{"text": "now [sim:echo]"},
			}},
		},
		"inferenceConfig": map[string]any{"maxTokens": 100.0, "temperature": 0.25, "topP": 0.5, "stopSequences": []any{"END"}},
		"toolConfig": map[string]any{"tools": []any{map[string]any{"toolSpec": map[string]any{
			"name": "lookup", "inputSchema": map[string]any{"json": map[string]any{"type": "object"}},
		}}}},
		"guardrailConfig":              map[string]any{"guardrailIdentifier": "gr1", "guardrailVersion": "1"},
		"additionalModelRequestFields": map[string]any{"top_k": 5.0},
	}
	if diff := cmp.Diff(want, echo); diff != "" {
		t.Errorf("echo (-want +got):\n%s", diff)
	}
}

func TestPromptCache(t *testing.T) {
	_, c := simClient(t)
	const system = "You are a careful assistant with a long, shared preamble."
	try := func(prompt string) (result, error) {
		t.Helper()
		in := input(novaPro, prompt)
		in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: system}, &types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}}}
		return converse(t, t.Context(), c, in)
	}
	ask := func(prompt string) result {
		t.Helper()
		got, err := try(prompt)
		if err != nil {
			t.Fatalf("Converse: %v", err)
		}
		return got
	}
	// A failed call reaches no model and writes no cache.
	if _, err := try("first question [sim:throttle]"); err == nil {
		t.Fatalf("throttled Converse succeeded")
	}
	first, second := ask("first question"), ask("second question")
	cached := tokensOf(system)
	if first.CacheWrite != cached || first.CacheRead != 0 {
		t.Errorf("first call cache write/read = %d/%d, want %d/0", first.CacheWrite, first.CacheRead, cached)
	}
	if second.CacheRead != cached || second.CacheWrite != 0 {
		t.Errorf("second call cache write/read = %d/%d, want 0/%d", second.CacheWrite, second.CacheRead, cached)
	}
	if want := tokensOf("second question"); second.Input != want {
		t.Errorf("second call input tokens = %d, want %d (the uncached part)", second.Input, want)
	}
	if second.Total != second.Input+second.Output+second.CacheRead {
		t.Errorf("total = %d, want input+output+cache read = %d", second.Total, second.Input+second.Output+second.CacheRead)
	}
}

func TestValidation(t *testing.T) {
	sim, srv := newSim(t, bedrocksim.Options{Models: map[string]int{novaPro: 5000}})
	c := newClient(srv.URL)
	tests := []struct {
		name string
		in   func(*bedrockruntime.ConverseInput)
		want string
	}{
		{"unknown model", func(in *bedrockruntime.ConverseInput) { in.ModelId = aws.String("amazon.nova-mega-v9:0") }, "The provided model identifier is invalid."},
		{"malformed model", func(in *bedrockruntime.ConverseInput) { in.ModelId = aws.String("nova pro") }, "The provided model identifier is invalid."},
		{"arn of another region", func(in *bedrockruntime.ConverseInput) {
			in.ModelId = aws.String("arn:aws:bedrock:eu-west-1::foundation-model/" + novaPro)
		}, "The provided model identifier is invalid."},
		{"no messages", func(in *bedrockruntime.ConverseInput) { in.Messages = nil }, "A conversation must start with a user message. Try again with a conversation that starts with a user message."},
		{"first from assistant", func(in *bedrockruntime.ConverseInput) {
			in.Messages = []types.Message{assistantText("hello"), userText("hi")}
		}, "A conversation must start with a user message. Try again with a conversation that starts with a user message."},
		{"two user turns", func(in *bedrockruntime.ConverseInput) {
			in.Messages = []types.Message{userText("one"), userText("two")}
		}, "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."},
		{"unknown role", func(in *bedrockruntime.ConverseInput) {
			in.Messages = append(in.Messages, types.Message{Role: "system", Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "x"}}})
		}, "Value 'system' at 'messages.2.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]"},
		{"empty content", func(in *bedrockruntime.ConverseInput) {
			in.Messages = []types.Message{userText("hi"), {Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{}}}
		}, "The content field in the Message object at messages.1 is empty. Add a ContentBlock object to the content field and try again."},
		{"blank text", func(in *bedrockruntime.ConverseInput) {
			in.Messages = []types.Message{userText("hi"), assistantText("ok"), userText(" \n")}
		}, "The text field in the ContentBlock object at messages.2.content.0 is blank. Add text to the text field, and try again."},
		{"blank system", func(in *bedrockruntime.ConverseInput) {
			in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: ""}}
		}, "The text field in the SystemContentBlock object at system.0 is blank. Add text to the text field, and try again."},
		{"temperature above 1", func(in *bedrockruntime.ConverseInput) {
			in.InferenceConfig = &types.InferenceConfiguration{Temperature: aws.Float32(1.5)}
		}, "Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"},
		{"temperature below 0", func(in *bedrockruntime.ConverseInput) {
			in.InferenceConfig = &types.InferenceConfiguration{Temperature: aws.Float32(-0.5)}
		}, "Value '-0.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"topP above 1", func(in *bedrockruntime.ConverseInput) {
			in.InferenceConfig = &types.InferenceConfiguration{TopP: aws.Float32(2)}
		}, "Value '2' at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value less than or equal to 1"},
		{"maxTokens zero", func(in *bedrockruntime.ConverseInput) {
			in.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(0)}
		}, "Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"maxTokens above the model limit", func(in *bedrockruntime.ConverseInput) {
			in.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(5001)}
		}, "The maximum tokens you requested exceeds the model limit of 5000. Try again with a maximum tokens value that is lower than 5000."},
		{"tool use without toolConfig", func(in *bedrockruntime.ConverseInput) {
			in.Messages = []types.Message{userText("hi"), {Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
				ToolUseId: aws.String("t1"), Name: aws.String("f"), Input: document.NewLazyDocument(map[string]any{}),
			}}}}}
		}, "The toolConfig field must be defined when using toolUse and toolResult content blocks."},
		{"additional fields not an object", func(in *bedrockruntime.ConverseInput) {
			in.AdditionalModelRequestFields = document.NewLazyDocument([]any{"top_k", 50})
		}, "Malformed input request, please reformat your input and try again."},
		{"unknown marker", func(in *bedrockruntime.ConverseInput) { in.Messages = []types.Message{userText("[sim:explode]")} }, "unknown simulator marker [sim:explode]"},
		{"bad marker value", func(in *bedrockruntime.ConverseInput) { in.Messages = []types.Message{userText("[sim:latency=soon]")} }, "simulator marker [sim:latency=soon]: want a duration such as 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(novaPro, "hello")
			tt.in(in)
			calls := sim.Calls()
			_, err := c.Converse(t.Context(), in)
			var ve *types.ValidationException
			if !errors.As(err, &ve) {
				t.Fatalf("Converse error = %v, want a ValidationException", err)
			}
			if ve.ErrorMessage() != tt.want {
				t.Errorf("message = %q, want %q", ve.ErrorMessage(), tt.want)
			}
			if got := sim.Calls() - calls; got != 1 {
				t.Errorf("Calls() grew by %d, want 1", got)
			}
			_, err = c.ConverseStream(t.Context(), streamInput(in))
			if !errors.As(err, &ve) || ve.ErrorMessage() != tt.want {
				t.Errorf("ConverseStream error = %v, want ValidationException %q", err, tt.want)
			}
		})
	}
}
