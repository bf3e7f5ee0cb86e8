// Package openaiapi puts the gateway behind OpenAI's Chat Completions API,
// so that any OpenAI client (the official SDKs, LangChain's ChatOpenAI, …)
// reaches Bedrock by changing only its base URL:
//
//	POST /v1/chat/completions   a chat completion, streamed as server-sent
//	                            events when "stream" is true
//	GET  /v1/models             the catalog in OpenAI's list shape
//	GET  /v1/models/{model}     one catalog entry
//
// It is a thin front over the same core as the MCP tools: a request becomes
// a gateway.Request (so the catalog, validation, response cache, limits,
// metrics and pricing are the gateway's own), and the gateway's answer or
// error becomes OpenAI's JSON shape and status code. An identical request
// made here and through MCP is one cache entry.
//
// What OpenAI's API has and Bedrock's Converse lacks is refused with a
// message that says so (n > 1, logprobs, response_format other than text,
// non-zero penalties, image URLs that are not data URLs), never dropped in
// silence. The gateway's own figures ride along where SDKs ignore them: the
// X-LLM-Gateway-* response headers and an "llm_gateway" field on the
// completion (on the last chunk of a stream).
package openaiapi
