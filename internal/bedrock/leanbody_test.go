package bedrock

import (
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// leanBodyInput is a Converse input of the shape appendConverseBody covers.
func leanBodyInput(model, text, system string, temp, topP float32, maxTokens int32, stop []string, tier string) *bedrockruntime.ConverseInput {
	in := &bedrockruntime.ConverseInput{
		ModelId: aws.String(model),
		Messages: []types.Message{
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}},
			{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: system}, &types.ContentBlockMemberText{Value: text}}},
		},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(maxTokens), Temperature: aws.Float32(temp), TopP: aws.Float32(topP), StopSequences: stop},
		System:          []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: system}},
	}
	if tier != "" {
		in.ServiceTier = &types.ServiceTier{Type: types.ServiceTierType(tier)}
	}
	return in
}

// sameSerialization checks that leanSerialize writes in as the SDK's
// serializer does, or leaves it to it (covered says which is expected).
func sameSerialization(t *testing.T, l *leanConverse, in *bedrockruntime.ConverseInput, covered bool) {
	t.Helper()
	lean, ok := leanSerialize(in)
	if ok != covered {
		t.Fatalf("leanSerialize covers the input: %v, want %v", ok, covered)
	}
	if !ok {
		return
	}
	sdk, err := l.sdkSerialize(t.Context(), in)
	if err != nil {
		t.Fatalf("the SDK's serializer: %v", err)
	}
	type view struct {
		Method, Path, RawPath string
		Header                map[string][]string
		Body                  string
	}
	see := func(r *serializedRequest) view {
		return view{r.method, r.url.Path, r.url.RawPath, r.header, string(r.body)}
	}
	if diff := cmp.Diff(see(sdk), see(lean)); diff != "" {
		t.Errorf("the lean serialization differs from the SDK's (-sdk +lean):\n%s", diff)
	}
}

// TestLeanBodyAsSDK: the requests the lean path writes itself are, method,
// path, headers and body, the SDK serializer's; the others are left to it.
func TestLeanBodyAsSDK(t *testing.T) {
	_, srv := startSim(t, nil)
	l := newTestClient(t, srv, 1).lean
	if l == nil {
		t.Fatal("the test client has no lean path")
	}
	const odd = "quote \" backslash \\ nl \n cr \r tab \t nul \x00 \x01 \x08 \x0c \x1f del \x7f <b>&amp; \u2028 \u2029 é 日本 \xff \xc3 end"
	covered := map[string]*bedrockruntime.ConverseInput{
		"gateway call": mustInput(t, ask("Hello")),
		"gateway call with settings": mustInput(t, func() *gateway.Call {
			c := ask("Hello")
			c.System, c.Temperature, c.TopP, c.MaxTokens = []string{"Be brief.", "Answer in French."}, ptr(0.7), ptr(0.9), 200
			c.StopSequences, c.ServiceTier = []string{"END", "\n\n"}, "priority"
			return c
		}()),
		"odd text":         leanBodyInput("us.amazon.nova-lite-v1:0", odd, odd, 0.1, 1, 1, []string{odd}, "flex"),
		"odd model ID":     leanBodyInput("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x a%2F+é", "hi", "", 0, 0, 0, nil, ""),
		"small floats":     leanBodyInput("m", "", "", 1e-7, -1e-30, -5, []string{}, ""),
		"large floats":     leanBodyInput("m", "", "", 1e21, math.MaxFloat32, math.MaxInt32, nil, ""),
		"negative zero":    leanBodyInput("m", "x", "y", float32(math.Copysign(0, -1)), 0.25, 0, nil, ""),
		"no settings":      {ModelId: aws.String("m"), Messages: []types.Message{{Role: types.ConversationRoleUser}}},
		"empty lists":      {ModelId: aws.String("m"), Messages: []types.Message{{Content: []types.ContentBlock{}}}, System: []types.SystemContentBlock{}, InferenceConfig: &types.InferenceConfiguration{}, ServiceTier: &types.ServiceTier{}},
		"no messages":      {ModelId: aws.String("m")},
		"empty messages":   {ModelId: aws.String("m"), Messages: []types.Message{}},
		"role only, twice": {ModelId: aws.String("m"), Messages: []types.Message{{Role: "user"}, {Role: "assistant"}}},
	}
	for name, in := range covered {
		t.Run(name, func(t *testing.T) { sameSerialization(t, l, in, true) })
	}
	left := map[string]*bedrockruntime.ConverseInput{
		"no model":                         {Messages: []types.Message{{Role: types.ConversationRoleUser}}},
		"empty model":                      {ModelId: aws.String("")},
		"tools":                            {ModelId: aws.String("m"), ToolConfig: &types.ToolConfiguration{}},
		"image":                            {ModelId: aws.String("m"), Messages: []types.Message{{Content: []types.ContentBlock{&types.ContentBlockMemberImage{}}}}},
		"cache point in the system prompt": {ModelId: aws.String("m"), System: []types.SystemContentBlock{&types.SystemContentBlockMemberCachePoint{}}},
		"guardrail":                        {ModelId: aws.String("m"), GuardrailConfig: &types.GuardrailConfiguration{}},
		"additional fields": func() *bedrockruntime.ConverseInput {
			c := ask("Hello")
			c.AdditionalFields = []byte(`{"top_k":5}`)
			return mustInput(t, c)
		}(),
		"NaN temperature": leanBodyInput("m", "", "", float32(math.NaN()), 0, 1, nil, ""),
		"infinite top_p":  leanBodyInput("m", "", "", 0, float32(math.Inf(1)), 1, nil, ""),
	}
	for name, in := range left {
		t.Run(name, func(t *testing.T) { sameSerialization(t, l, in, false) })
	}
}

func mustInput(t *testing.T, call *gateway.Call) *bedrockruntime.ConverseInput {
	t.Helper()
	in, err := buildInput(call)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// FuzzLeanBody holds the lean serialization to the SDK's for any text,
// model ID and settings.
func FuzzLeanBody(f *testing.F) {
	f.Add("us.amazon.nova-lite-v1:0", "Hello", "Be brief.", float32(0.7), float32(0.9), int32(200), "END", "priority")
	f.Add("a/b c%", "\x00\u2028\xff\"\\", "<&>", float32(1e-7), float32(math.Copysign(0, -1)), int32(-1), "", "")
	l := newFuzzLean(f)
	f.Fuzz(func(t *testing.T, model, text, system string, temp, topP float32, maxTokens int32, stop, tier string) {
		sameSerialization(t, l, leanBodyInput(model, text, system, temp, topP, maxTokens, []string{stop}, tier),
			model != "" && finite32(&temp) && finite32(&topP))
	})
}

// newFuzzLean is a client's lean path for serializing only: its endpoint
// is never called.
func newFuzzLean(f *testing.F) *leanConverse {
	c, err := New(f.Context(), Options{
		Endpoint: "http://127.0.0.1:9", Region: simRegion, MaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""),
	})
	if err != nil || c.lean == nil {
		f.Fatalf("New: %v (lean path %v)", err, c != nil && c.lean != nil)
	}
	return c.lean
}
