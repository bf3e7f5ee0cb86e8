// Package client is a Go client for llm-gateway: it connects to a gateway
// over MCP, either by starting the gateway binary and speaking over its
// stdin and stdout, or over Streamable HTTP with an API key, and offers the
// gateway's three tools as typed methods: Generate, ListModels and Stats.
//
// A Client holds one MCP session and is safe for concurrent use: any number
// of Generate calls may be in flight at once on the same session.
//
// Failed tool calls come back as *Error, which keeps the gateway's error
// kind and whether a retry may help, so a caller can tell a throttled model
// (retry, or try another model) from a request that must change:
//
//	resp, err := c.Generate(ctx, client.GenerateRequest{Model: "nova-pro", ...})
//	var gerr *client.Error
//	if errors.As(err, &gerr) && gerr.Retryable {
//		// back off and try again
//	}
//
// Streaming: give GenerateRequest.OnDelta and the answer's text is passed to
// it piece by piece as the gateway sends MCP progress notifications, before
// Generate returns the whole response.
//
// The request and response types here duplicate the gateway's wire format
// on purpose rather than importing the gateway's own types: those live in
// internal packages, which Go forbids other modules to import, and a client
// should depend on the protocol, not on the server's code. The package's
// tests decode the real gateway's output strictly into these types, so a
// field the gateway adds to its results fails them until it is added here.
package client
