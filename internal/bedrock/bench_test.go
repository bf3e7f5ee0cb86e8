package bedrock

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// benchPrompt and benchMaxTokens make the call a gateway miss makes in the
// project's bench: one user message and a max_tokens.
const (
	benchPrompt    = "What is the capital of France?"
	benchMaxTokens = 64
)

// oneModel is a catalog of one model, for the gateway sub-benchmark.
type oneModel struct{}

func (oneModel) Resolve(string) (gateway.Model, error) {
	return gateway.Model{Name: "nova-pro", ID: novaPro, MaxOutputTokens: 5000, MaxTemperature: 1,
		SupportsSystem: true, SupportsToolUse: true, Status: gateway.StatusActive}, nil
}

// BenchmarkConverse compares, in one run and against one simulator on
// loopback (whose own cost all include), the same Converse call made
//
//   - sdk: with the AWS SDK as an application would (issue 19's floor);
//   - client: through Client.Converse, the gateway's Bedrock client;
//   - gateway: through Gateway.Generate, a new question each time (a
//     miss; no cache, ledger or admission: the core alone).
func BenchmarkConverse(b *testing.B) {
	sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: simKeyID, SecretAccessKey: simSecret, Region: simRegion})
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	c, err := New(b.Context(), Options{
		Endpoint: srv.URL, Region: simRegion, HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sdk", func(b *testing.B) {
		rt := bedrockruntime.New(bedrockruntime.Options{
			Region: simRegion, BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
			Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(simKeyID, simSecret, "")),
		})
		in := &bedrockruntime.ConverseInput{
			ModelId: aws.String(novaPro),
			Messages: []types.Message{{Role: types.ConversationRoleUser,
				Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: benchPrompt}}}},
			InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(benchMaxTokens)},
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.Converse(b.Context(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client", func(b *testing.B) {
		call := &gateway.Call{ModelID: novaPro, SupportsSystem: true, MaxTokens: benchMaxTokens,
			Messages: []gateway.Message{user(benchPrompt)}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Converse(b.Context(), call); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gateway", func(b *testing.B) {
		g, err := gateway.New(gateway.Options{Catalog: oneModel{}, Provider: c})
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			i++
			_, err := g.Generate(b.Context(), &gateway.Request{Model: "nova-pro", MaxTokens: benchMaxTokens,
				Messages: []gateway.Message{user(fmt.Sprintf("%s %d", benchPrompt, i))}})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
