package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/llm-gateway/llm-gateway/client"
)

// Start a gateway over stdio, as an agent's MCP client would, and ask a
// model for an answer. The gateway runs against its built-in Bedrock
// simulator here (--simulate); drop the flag and give AWS credentials to
// reach Bedrock. The [sim:reply=…] marker tells the simulator what to say.
func Example() {
	ctx := context.Background()
	c, err := client.Connect(ctx, client.Options{
		Command: os.Getenv("LLM_GATEWAY_BIN"), // the llm-gateway binary
		Args:    []string{"--simulate"},
		Env:     []string{"LOG_LEVEL=WARN"},
		Name:    "example-agent", // how get_stats names this agent
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.Generate(ctx, client.GenerateRequest{
		Model:       "nova-pro", // each agent chooses its model in its own code
		Messages:    []client.Message{{Role: client.RoleUser, Content: "What is MCP? [sim:reply=A protocol for agents and tools.]"}},
		Temperature: new(0.7),
		MaxTokens:   500,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Content)
	fmt.Println(resp.Model, resp.FinishReason, "cached:", resp.Cached)

	_, err = c.Generate(ctx, client.GenerateRequest{Model: "nova-pro", Messages: []client.Message{{Role: client.RoleUser, Content: "Hot take?"}}, Temperature: new(3.0)})
	var gerr *client.Error
	if errors.As(err, &gerr) {
		fmt.Println("refused:", gerr.Kind, "retryable:", gerr.Retryable)
	}

	stats, err := c.Stats(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("requests by example-agent:", stats.Metrics.RequestsByAgent["example-agent"].Requests)
	// Output:
	// A protocol for agents and tools.
	// nova-pro stop cached: false
	// refused: invalid_request retryable: false
	// requests by example-agent: 2
}
