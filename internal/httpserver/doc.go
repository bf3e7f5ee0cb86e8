// Package httpserver serves one MCP server to many agents over the network,
// so that they share one gateway core: one response cache and one set of
// metrics.
//
// A Server is an http.Handler with these routes:
//
//	/mcp          MCP Streamable HTTP (POST, GET, DELETE), the current transport
//	/sse          the legacy HTTP+SSE transport: GET opens a session, POST
//	              /sse?sessionid=… carries the client's messages
//	GET /healthz  200 while the process serves
//	GET /readyz   200 when Options.Ready says so, else 503 with the reason
//
// and the Options.Routes mounted from outside: further APIs (OpenAI's,
// Anthropic's) over the same gateway, behind the same checks as /mcp.
//
// Every request to /mcp and /sse passes, in this order, before the MCP SDK
// sees it: an Origin check against DNS rebinding and cross-site use (403),
// API-key authentication (401 with WWW-Authenticate), and a body size limit
// (413). The key's holder is put into the request context with
// mcpserver.WithAgent, so that logs and metrics name the agent, and into the
// SDK's auth.TokenInfo, so that a session opened with one key cannot be used
// with another. Keys are held only as SHA-256 hashes and compared in constant
// time.
//
// Nothing kept by the gateway depends on the MCP session: the agent's
// identity comes from its key on every request. Options.Stateless serves
// Streamable HTTP in the SDK's stateless mode, where every POST stands alone
// (no Mcp-Session-Id, GET answers 405), as the specification is heading.
//
// /mcp is the SDK's Streamable HTTP handler with one thing before it, inside
// those checks: with Options.Lane, a POST of an initialized session that
// carries a single tools/call of generate is answered by the lane
// (mcpserver.Lane) beside the SDK's JSON-RPC machinery, which is most of a
// cache hit's cost. The lane takes only what the SDK would serve (it repeats
// the SDK's own checks: Accept, Content-Type, Mcp-Protocol-Version,
// Last-Event-ID, Host on loopback, the session's owner, the message read as
// the SDK reads it), runs the same receiving middleware around the same
// handler with the same session, and answers with the bytes the SDK would
// send: a text/event-stream of "message" events, the call's log
// notifications before its result. Calls asking for progress, every other
// message, and anything it is unsure of go to the SDK. Sessions left idle for
// Options.SessionIdleTimeout are closed by the gateway rather than the SDK,
// which would not see the lane's POSTs.
//
// Serve runs an http.Server with header, body and idle timeouts but no write
// timeout, which would cut long SSE streams. When its context ends it stops
// accepting connections, lets the calls in flight finish within
// Options.ShutdownGrace, cancels those still running after it, closes every
// MCP session and returns once every handler has returned.
package httpserver
