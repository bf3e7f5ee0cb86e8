package bedrock_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/llm-gateway/llm-gateway/internal/bedrock"
	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// A client pointed at the Bedrock simulator; against AWS, leave Endpoint
// and Credentials empty and let the AWS environment supply them.
func ExampleClient_Converse() {
	ctx := context.Background()
	sim := httptest.NewServer(bedrocksim.New(bedrocksim.Options{AccessKeyID: "AKIDSIM", SecretAccessKey: "secret"}))
	defer sim.Close()

	c, err := bedrock.New(ctx, bedrock.Options{
		Endpoint:    sim.URL,
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", ""),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	comp, err := c.Converse(ctx, &gateway.Call{
		ModelID:        "us.amazon.nova-lite-v1:0",
		SupportsSystem: true,
		System:         []string{"Answer in one word."},
		Messages:       []gateway.Message{{Role: gateway.RoleUser, Content: "Capital of France? [sim:reply=Paris]"}},
		MaxTokens:      10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(comp.Content, comp.FinishReason)
	// Output: Paris stop
}
