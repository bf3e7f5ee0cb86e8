// Package gateway is the domain of llm-gateway: what an agent asks for
// (Request), what it gets back (Response), how usage is counted and priced,
// the kinds of error every layer agrees on, and the small interfaces the core
// consumes (a model catalog, a provider, a cache, a metrics recorder).
//
// It imports no other package of this module: transports (MCP over stdio or
// HTTP) call into it, and implementations (the Bedrock client, the in-memory
// cache, the metrics registry) are wired to it by main.
package gateway
