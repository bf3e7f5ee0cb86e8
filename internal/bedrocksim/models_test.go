package bedrocksim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

const (
	strict = "anthropic.claude-strict"
	lax    = "anthropic.claude-lax"
)

// catalogSim serves two models alike but for the rules: strict refuses
// every feature a catalog can name, lax none.
func catalogSim(t *testing.T, opts bedrocksim.Options) *bedrockruntime.Client {
	t.Helper()
	all := []string{"temperature", "top_p", "top_k", "prefill", "forced_tool_choice", "tools_streaming", "reasoning_off", "thinking_enabled"}
	opts.Catalog = []bedrocksim.Model{
		{ID: strict, MaxTokens: 1000, Profiles: []string{"us", "global"}, RequiresProfile: true, Rejects: all, OptIn: "data retention"},
		{ID: lax, MaxTokens: 1000, Profiles: []string{"us"}, RequiresProfile: true},
		{ID: "meta.old-v1:0", MaxTokens: 1000, EndOfLife: true},
		{ID: "openai.mantle-only", MaxTokens: 1000, Endpoint: "bedrock-mantle"},
		{ID: "mistral.in-region-v1:0", MaxTokens: 1000},
	}
	_, srv := newSim(t, opts)
	return newClient(srv.URL)
}

// apiErr calls the model and returns Bedrock's error code and message.
func apiErr(t *testing.T, c *bedrockruntime.Client, in *bedrockruntime.ConverseInput, stream bool) (code, msg string) {
	t.Helper()
	var err error
	if stream {
		_, err = converseStream(t, t.Context(), c, in)
	} else {
		_, err = converse(t, t.Context(), c, in)
	}
	if err == nil {
		return "", ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an API error", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// TestCatalogModels checks the model-level answers: unknown, end of life,
// missing or unoffered profile, an endpoint other than Converse's.
func TestCatalogModels(t *testing.T) {
	c := catalogSim(t, bedrocksim.Options{})
	tests := []struct {
		id, code, says string
	}{
		{"us." + lax, "", ""},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + lax, "", ""},
		{"mistral.in-region-v1:0", "", ""},
		{"amazon.unknown-v1:0", "ValidationException", "The provided model identifier is invalid."},
		{lax, "ValidationException", "Invocation of model ID " + lax + " with on-demand throughput isn’t supported"},
		{"arn:aws:bedrock:us-east-1::foundation-model/" + lax, "ValidationException", "on-demand throughput"},
		{"eu." + lax, "ValidationException", "The provided model identifier is invalid."},
		{"us.mistral.in-region-v1:0", "ValidationException", "The provided model identifier is invalid."},
		{"meta.old-v1:0", "ResourceNotFoundException", "reached the end of its life"},
		{"openai.mantle-only", "ValidationException", "doesn't support the model that you provided"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			code, msg := apiErr(t, c, input(tt.id, "hi"), false)
			if code != tt.code || !strings.Contains(msg, tt.says) {
				t.Errorf("error = %s %q, want %s saying %q", code, msg, tt.code, tt.says)
			}
		})
	}
}

// TestCatalogRules checks each rule the way Bedrock answers it, and that
// the same request passes on a model without the rule.
func TestCatalogRules(t *testing.T) {
	c := catalogSim(t, bedrocksim.Options{})
	tools := &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name: aws.String("f"), Description: aws.String("a tool"),
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
	}}}}
	forced := *tools
	forced.ToolChoice = &types.ToolChoiceMemberAny{}
	tests := []struct {
		name   string
		edit   func(in *bedrockruntime.ConverseInput)
		stream bool
		says   string
	}{
		{"temperature", func(in *bedrockruntime.ConverseInput) {
			in.InferenceConfig = &types.InferenceConfiguration{Temperature: aws.Float32(0.3)}
		}, false, "`temperature` is deprecated for this model."},
		{"top_p", func(in *bedrockruntime.ConverseInput) {
			in.InferenceConfig = &types.InferenceConfiguration{TopP: aws.Float32(0.5)}
		}, false, "`top_p` is deprecated for this model."},
		{"top_k", func(in *bedrockruntime.ConverseInput) {
			in.AdditionalModelRequestFields = document.NewLazyDocument(map[string]any{"top_k": 5})
		}, false, "`top_k` is deprecated for this model."},
		{"thinking enabled", func(in *bedrockruntime.ConverseInput) {
			in.AdditionalModelRequestFields = document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": 500}})
		}, false, "thinking.type.enabled is not supported"},
		{"thinking disabled", func(in *bedrockruntime.ConverseInput) {
			in.AdditionalModelRequestFields = document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "disabled"}})
		}, false, "thinking.type.disabled is not supported"},
		{"prefill", func(in *bedrockruntime.ConverseInput) {
			in.Messages = append(in.Messages, assistantText("{"))
		}, false, "does not support assistant message prefill"},
		{"forced tool choice", func(in *bedrockruntime.ConverseInput) { in.ToolConfig = &forced }, false, `tool_choice: type "tool" and "any" are not supported`},
		{"tools while streaming", func(in *bedrockruntime.ConverseInput) { in.ToolConfig = tools }, true, "doesn't support tool use in streaming mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input("us."+strict, "hi")
			tt.edit(in)
			code, msg := apiErr(t, c, in, tt.stream)
			if code != "ValidationException" || !strings.Contains(msg, tt.says) {
				t.Errorf("strict model: error = %s %q, want ValidationException saying %q", code, msg, tt.says)
			}
			in = input("us."+lax, "hi")
			tt.edit(in)
			if code, msg := apiErr(t, c, in, tt.stream); code != "" {
				t.Errorf("lax model: error = %s %q, want an answer", code, msg)
			}
		})
	}
	// What the rules let through.
	in := input("global."+strict, "hi")
	in.InferenceConfig = &types.InferenceConfiguration{Temperature: aws.Float32(1), TopP: aws.Float32(0.995)}
	in.ToolConfig = tools
	if code, msg := apiErr(t, c, in, false); code != "" {
		t.Errorf("temperature 1, top_p 0.995 and tools without streaming: error = %s %q, want an answer", code, msg)
	}
}

// TestMissingOptIn checks that a model needing an account agreement is
// refused with access denied until the agreement is made.
func TestMissingOptIn(t *testing.T) {
	c := catalogSim(t, bedrocksim.Options{MissingOptIns: true})
	code, msg := apiErr(t, c, input("us."+strict, "hi"), false)
	if code != "AccessDeniedException" || !strings.Contains(msg, "data retention") {
		t.Errorf("error = %s %q, want AccessDeniedException about data retention", code, msg)
	}
	if code, msg := apiErr(t, c, input("us."+lax, "hi"), false); code != "" {
		t.Errorf("a model without opt-in: error = %s %q", code, msg)
	}
}

// TestReasoning checks that a request asking the model to reason, in each
// shape the catalog's models take, gets a reasoning block before the text,
// streamed alike, and that its tokens are counted as output.
func TestReasoning(t *testing.T) {
	c := catalogSim(t, bedrocksim.Options{})
	tests := []struct {
		name   string
		fields map[string]any
		effort string
	}{
		{"adaptive", map[string]any{"thinking": map[string]any{"type": "adaptive"}, "output_config": map[string]any{"effort": "high"}}, "high"},
		{"budget", map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": 1024}}, "budget 1024"},
		{"reasoning_effort", map[string]any{"reasoning_effort": "low"}, "low"},
		{"nova", map[string]any{"reasoningConfig": map[string]any{"type": "enabled", "maxReasoningEffort": "medium"}}, "medium"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input("us."+lax, "Why is the sky blue?")
			in.AdditionalModelRequestFields = document.NewLazyDocument(tt.fields)
			got, err := converse(t, t.Context(), c, in)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.Reasoning, "Simulated reasoning at effort "+tt.effort+" about: Why is the sky blue?") || got.Signature == "" {
				t.Errorf("reasoning = %q (signature %q), want the simulated reasoning at effort %s", got.Reasoning, got.Signature, tt.effort)
			}
			chars := len([]rune(got.Reasoning)) + len([]rune(got.Text))
			if want := int32((chars + 3) / 4); got.Output != want {
				t.Errorf("output tokens = %d, want %d: the reasoning's and the text's", got.Output, want)
			}
			streamed, err := converseStream(t, t.Context(), c, in)
			if err != nil || streamed.Err != nil {
				t.Fatal(err, streamed.Err)
			}
			if streamed.Reasoning != got.Reasoning || streamed.Signature != got.Signature || streamed.Text != got.Text || streamed.Output != got.Output {
				t.Errorf("streamed %+v, want the same as Converse's %+v", streamed.result, got)
			}
		})
	}
	plain, err := converse(t, t.Context(), c, input("us."+lax, "Why is the sky blue?"))
	if err != nil || plain.Reasoning != "" {
		t.Errorf("without reasoning fields: reasoning %q, %v; want none", plain.Reasoning, err)
	}
}
