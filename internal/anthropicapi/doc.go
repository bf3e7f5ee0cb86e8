// Package anthropicapi puts the gateway behind Anthropic's Messages API, so
// that the Anthropic SDKs and Claude Code reach Bedrock by changing only
// their base URL:
//
//	POST /v1/messages               a message, streamed as Anthropic's
//	                                server-sent events when "stream" is true
//	POST /v1/messages/count_tokens  an estimate of a request's input tokens
//	GET  /v1/models                 the catalog in Anthropic's list shape
//
// It is a thin front over the same core as the MCP tools and the OpenAI
// API: a request becomes a gateway.Request, so that the catalog,
// validation, response cache, limits, metrics and pricing are the
// gateway's own. cache_control marks become Bedrock prompt-cache points
// (after the system prompt, after the tools, or after the content block that
// carries the mark), and usage reports Bedrock's cache read and write tokens.
//
// Model names are resolved against the catalog, not a table: a catalog name
// or Bedrock ID as given, else the name Anthropic's API uses for a model
// (claude-sonnet-4-5-20250929, claude-3-5-haiku-latest) matched to the
// catalog entry whose Bedrock ID or name it is. A model added to the
// catalog is reachable by its Anthropic name with no change here.
package anthropicapi
