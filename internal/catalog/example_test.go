package catalog_test

import (
	"fmt"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func ExampleCatalog_Resolve() {
	c, err := catalog.Load(catalog.Options{Region: "eu-west-1"})
	if err != nil {
		panic(err)
	}
	m, err := c.Resolve("nova-pro")
	if err != nil {
		panic(err)
	}
	cost, _ := c.Cost(m, gateway.Usage{InputTokens: 1234, OutputTokens: 567})
	fmt.Println(m.ID, m.MaxOutputTokens)
	fmt.Printf("$%.7f\n", cost.USD())

	_, err = c.Resolve("nova-prp")
	fmt.Println(err)
	// Output:
	// eu.amazon.nova-pro-v1:0 10000
	// $0.0036771
	// model: unknown model "nova-prp"; did you mean "nova-pro", "nova-lite", "nova-micro"? Call list_models for the full catalog.
}
