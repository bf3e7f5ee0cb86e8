package mcpserver

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// fuzzCatalog knows one model that takes everything.
type fuzzCatalog struct{}

func (fuzzCatalog) Resolve(name string) (gateway.Model, error) {
	if name != "m" {
		return gateway.Model{}, &gateway.Error{Kind: gateway.KindUnknownModel, Message: "unknown"}
	}
	return gateway.Model{
		Name: "m", ID: "x.m", MaxOutputTokens: 100, MaxTemperature: 1, Status: gateway.StatusActive,
		SupportsSystem: true, SupportsImages: true, SupportsDocuments: true, SupportsToolUse: true,
		SupportsStreaming: true, SupportsPromptCaching: true,
		Price: &gateway.Price{Input: 1, Output: 2},
	}, nil
}

type echoProvider struct{}

func (echoProvider) Converse(_ context.Context, c *gateway.Call) (*gateway.Completion, error) {
	return &gateway.Completion{Content: "ok", FinishReason: gateway.FinishStop}, nil
}

func (p echoProvider) ConverseStream(ctx context.Context, c *gateway.Call, onDelta func(string)) (*gateway.Completion, error) {
	comp, err := p.Converse(ctx, c)
	onDelta(comp.Content)
	return comp, err
}

// FuzzGenerateArguments feeds arbitrary arguments through the generate
// tool's decoding (its scanner, then decodeArgs) and the gateway's validation: any input must give an
// answer or an invalid-request error, never a panic or another kind.
func FuzzGenerateArguments(f *testing.F) {
	for _, seed := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image","format":"png","data":"iVBORw=="},{"type":"cache_point"}]}],"prompt_cache":{"system":true},"system":"s"}`,
		`{"model":"m","tools":[{"name":"f"}],"tool_choice":{"name":"f"},"messages":[{"role":"user","content":"go"},{"role":"assistant","content":"","tool_calls":[{"id":"1","name":"f","arguments":{}}]},{"role":"tool","tool_call_id":"1","content":"r"}]}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":2,"max_tokens":-1,"top_p":null,"stop_sequences":[""]}`,
		`{"model":"m","messages":[{"role":"tool","content":null}],"guardrail":{"id":"","version":""},"additional_fields":[1]}`,
		`[]`, `null`, `{"model":"m","messages":[{"role":"user","content":{}}]}`,
	} {
		f.Add([]byte(seed))
	}
	g, err := gateway.New(gateway.Options{Catalog: fuzzCatalog{}, Provider: echoProvider{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, args []byte) {
		var in GenerateInput
		if err := decodeGenerateArgs(json.RawMessage(args), &in); err != nil {
			if gateway.KindOf(err) != gateway.KindInvalidRequest {
				t.Fatalf("decodeGenerateArgs(%s) = %v, want an invalid request", args, err)
			}
			return
		}
		req, err := in.request()
		if err != nil {
			if gateway.KindOf(err) != gateway.KindInvalidRequest {
				t.Fatalf("request(%s) = %v, want an invalid request", args, err)
			}
			return
		}
		if _, err := g.Generate(t.Context(), req); err != nil {
			switch gateway.KindOf(err) {
			case gateway.KindInvalidRequest, gateway.KindUnknownModel:
			default:
				t.Fatalf("Generate(%s) = %v, want an answer or an invalid request", args, err)
			}
		}
	})
}
