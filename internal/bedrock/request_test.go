package bedrock

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// checkGolden compares got with the golden file at path, or rewrites the
// file first with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("differs from %s (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

func user(s string) gateway.Message { return gateway.Message{Role: gateway.RoleUser, Content: s} }
func assistant(s string) gateway.Message {
	return gateway.Message{Role: gateway.RoleAssistant, Content: s}
}
func ptr[T any](v T) *T { return &v }

// buildCases are the calls whose ConverseInput is kept as a golden file
// under testdata/input/<name>.json.
var buildCases = []struct {
	name string
	call gateway.Call
}{
	{"plain", gateway.Call{
		ModelID: "us.amazon.nova-pro-v1:0", SupportsSystem: true,
		Messages: []gateway.Message{user("Hello")},
	}},
	{"system", gateway.Call{
		ModelID: "anthropic.claude-3-haiku-20240307-v1:0", SupportsSystem: true,
		System:   []string{"You are terse.", "", "Answer in French."},
		Messages: []gateway.Message{user("Hello"), assistant("Bonjour"), user("Why?")},
	}},
	{"folded_system", gateway.Call{
		ModelID:  "mistral.mistral-7b-instruct-v0:2",
		System:   []string{"You are terse.", "Answer in French."},
		Messages: []gateway.Message{user("Hello"), assistant("Bonjour"), user("Why?")},
	}},
	{"folded_system_after_assistant", gateway.Call{
		ModelID:  "mistral.mistral-7b-instruct-v0:2",
		System:   []string{"Be brief."},
		Messages: []gateway.Message{assistant("Hi, how can I help?"), user("Tell me a joke")},
	}},
	{"folded_system_no_user", gateway.Call{
		ModelID:  "mistral.mistral-7b-instruct-v0:2",
		System:   []string{"Be brief."},
		Messages: []gateway.Message{assistant("Hi")},
	}},
	{"merged_turns", gateway.Call{
		ModelID: "meta.llama3-3-70b-instruct-v1:0", SupportsSystem: true,
		Messages: []gateway.Message{
			user("one"), user(""), user("two"),
			assistant("three"), assistant("four"),
			user("five"),
		},
	}},
	{"inference_config", gateway.Call{
		ModelID: "us.amazon.nova-lite-v1:0", SupportsSystem: true,
		Messages:      []gateway.Message{user("Count to ten")},
		Temperature:   ptr(0.7),
		TopP:          ptr(0.9),
		MaxTokens:     256,
		StopSequences: []string{"\n\n", "END"},
	}},
	{"zero_temperature", gateway.Call{
		ModelID: "us.amazon.nova-lite-v1:0", SupportsSystem: true,
		Messages:    []gateway.Message{user("Pick a number")},
		Temperature: ptr(0.0),
	}},
	{"max_tokens_clamped", gateway.Call{
		ModelID: "us.amazon.nova-lite-v1:0", SupportsSystem: true,
		Messages:  []gateway.Message{user("Go on")},
		MaxTokens: 1 << 40,
	}},
}

func TestBuildInputGolden(t *testing.T) {
	for _, tc := range buildCases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := buildInput(&tc.call)
			if err != nil {
				t.Fatalf("buildInput: %v", err)
			}
			got, err := json.MarshalIndent(in, "", "  ")
			if err != nil {
				t.Fatalf("marshal input: %v", err)
			}
			got = append(got, '\n')
			checkGolden(t, filepath.Join("testdata", "input", tc.name+".json"), got)
		})
	}
}

// wireTurn is a ConverseInput message reduced to what the rules act on.
type wireTurn struct{ Role, Text string }

func turns(t *testing.T, msgs []types.Message) []wireTurn {
	t.Helper()
	var out []wireTurn
	for _, m := range msgs {
		if len(m.Content) != 1 {
			t.Fatalf("message has %d content blocks, want 1", len(m.Content))
		}
		text, ok := m.Content[0].(*types.ContentBlockMemberText)
		if !ok {
			t.Fatalf("content block is %T, want text", m.Content[0])
		}
		out = append(out, wireTurn{string(m.Role), text.Value})
	}
	return out
}

func TestBuildInputRules(t *testing.T) {
	tests := []struct {
		name       string
		call       gateway.Call
		wantSystem []string
		wantTurns  []wireTurn
	}{
		{
			name:       "system blocks in order, empty dropped",
			call:       gateway.Call{SupportsSystem: true, System: []string{"a", "", "b"}, Messages: []gateway.Message{user("q")}},
			wantSystem: []string{"a", "b"},
			wantTurns:  []wireTurn{{"user", "q"}},
		},
		{
			name:      "system folded into the first user turn",
			call:      gateway.Call{System: []string{"a", "b"}, Messages: []gateway.Message{user("q"), assistant("r"), user("s")}},
			wantTurns: []wireTurn{{"user", "a\n\nb\n\nq"}, {"assistant", "r"}, {"user", "s"}},
		},
		{
			name:      "fold skips a leading assistant turn",
			call:      gateway.Call{System: []string{"a"}, Messages: []gateway.Message{assistant("r"), user("q")}},
			wantTurns: []wireTurn{{"assistant", "r"}, {"user", "a\n\nq"}},
		},
		{
			name:      "fold without user turn adds one",
			call:      gateway.Call{System: []string{"a"}},
			wantTurns: []wireTurn{{"user", "a"}},
		},
		{
			name:      "fold of empty system prompts changes nothing",
			call:      gateway.Call{System: []string{"", ""}, Messages: []gateway.Message{user("q")}},
			wantTurns: []wireTurn{{"user", "q"}},
		},
		{
			name:      "fold into an empty user turn",
			call:      gateway.Call{System: []string{"a"}, Messages: []gateway.Message{user("")}},
			wantTurns: []wireTurn{{"user", "a"}},
		},
		{
			name: "consecutive turns merged",
			call: gateway.Call{SupportsSystem: true, Messages: []gateway.Message{
				user("1"), user("2"), assistant("3"), assistant(""), assistant("4"), user("5"),
			}},
			wantTurns: []wireTurn{{"user", "1\n\n2"}, {"assistant", "3\n\n4"}, {"user", "5"}},
		},
		{
			name:      "merge then fold",
			call:      gateway.Call{System: []string{"s"}, Messages: []gateway.Message{user("1"), user("2")}},
			wantTurns: []wireTurn{{"user", "s\n\n1\n\n2"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]gateway.Message(nil), tc.call.Messages...)
			in, err := buildInput(&tc.call)
			if err != nil {
				t.Fatalf("buildInput: %v", err)
			}
			var gotSystem []string
			for _, b := range in.System {
				gotSystem = append(gotSystem, b.(*types.SystemContentBlockMemberText).Value)
			}
			if diff := cmp.Diff(tc.wantSystem, gotSystem); diff != "" {
				t.Errorf("system blocks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTurns, turns(t, in.Messages)); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tc.call.Messages, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("buildInput modified the call's messages (-before +after):\n%s", diff)
			}
		})
	}
}

func TestBuildInputInferenceConfig(t *testing.T) {
	tests := []struct {
		name string
		call gateway.Call
		want *types.InferenceConfiguration
	}{
		{"nothing set", gateway.Call{}, nil},
		{"max tokens", gateway.Call{MaxTokens: 10}, &types.InferenceConfiguration{MaxTokens: ptr[int32](10)}},
		{"zero temperature kept", gateway.Call{Temperature: ptr(0.0)}, &types.InferenceConfiguration{Temperature: ptr[float32](0)}},
		{"top p", gateway.Call{TopP: ptr(0.5)}, &types.InferenceConfiguration{TopP: ptr[float32](0.5)}},
		{"stop sequences", gateway.Call{StopSequences: []string{"x"}}, &types.InferenceConfiguration{StopSequences: []string{"x"}}},
		{"empty stop sequences omitted", gateway.Call{StopSequences: []string{}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.Messages = []gateway.Message{user("q")}
			in, err := buildInput(&tc.call)
			if err != nil {
				t.Fatalf("buildInput: %v", err)
			}
			if diff := cmp.Diff(tc.want, in.InferenceConfig, cmpopts.IgnoreUnexported(types.InferenceConfiguration{})); diff != "" {
				t.Errorf("inferenceConfig (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildInputRejectsRole(t *testing.T) {
	call := gateway.Call{Messages: []gateway.Message{user("q"), {Role: gateway.RoleSystem, Content: "s"}}}
	_, err := buildInput(&call)
	if got := gateway.KindOf(err); got != gateway.KindInvalidRequest {
		t.Fatalf("buildInput with a system turn: kind %q (%v), want %q", got, err, gateway.KindInvalidRequest)
	}
}

func TestBuildStreamInputMatches(t *testing.T) {
	for _, tc := range buildCases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := buildInput(&tc.call)
			if err != nil {
				t.Fatal(err)
			}
			sin, err := buildStreamInput(&tc.call)
			if err != nil {
				t.Fatal(err)
			}
			want := &bedrockruntime.ConverseStreamInput{
				ModelId: in.ModelId, Messages: in.Messages, System: in.System, InferenceConfig: in.InferenceConfig,
			}
			opts := cmp.Options{
				cmpopts.IgnoreUnexported(bedrockruntime.ConverseStreamInput{}, types.Message{},
					types.ContentBlockMemberText{}, types.SystemContentBlockMemberText{}, types.InferenceConfiguration{}),
			}
			if diff := cmp.Diff(want, sin, opts); diff != "" {
				t.Errorf("buildStreamInput differs from buildInput (-want +got):\n%s", diff)
			}
		})
	}
}

func BenchmarkBuildInput(b *testing.B) {
	msgs := make([]gateway.Message, 0, 20)
	for i := range 10 {
		msgs = append(msgs, user("What is the capital of country number "+string(rune('A'+i))+"?"),
			assistant("It is a city with a long history and many museums."))
	}
	call := &gateway.Call{
		ModelID:       "us.amazon.nova-pro-v1:0",
		System:        []string{"You are a geography tutor.", "Answer in one sentence."},
		Messages:      msgs,
		Temperature:   ptr(0.2),
		MaxTokens:     512,
		StopSequences: []string{"END"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := buildInput(call); err != nil {
			b.Fatal(err)
		}
	}
}
