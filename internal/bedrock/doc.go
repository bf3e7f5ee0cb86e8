// Package bedrock is the gateway's one model provider: a client for the
// Amazon Bedrock Runtime Converse and ConverseStream APIs, built on
// aws-sdk-go-v2. Every model family (Nova, Claude, Llama, Mistral, ...) is
// called through the same Converse shape, so there is no per-family code.
//
// # Requests
//
// A gateway.Call becomes a ConverseInput as follows:
//
//   - Each system prompt becomes one system text block, in order; empty
//     prompts are dropped. Call.CacheSystem adds a cache point after them.
//   - Each message becomes a turn: its text as a text block, or its blocks
//     one to one (text, image, document, cache point); an assistant's tool
//     calls follow as toolUse blocks. A tool message becomes a user turn
//     holding a toolResult block.
//   - Consecutive turns of the same role are merged into one turn, because
//     Bedrock requires user and assistant turns to alternate. Where a text
//     block meets a text block, their texts are joined with a blank line
//     ("\n\n"); empty texts contribute nothing. So tool results and the
//     user's next question share one user turn, as Bedrock expects.
//   - Folded system rule: when the model does not accept system blocks
//     (Call.SupportsSystem is false), the system prompts, joined with a blank
//     line, are prepended to the first user turn as
//     "<system text>\n\n<user text>". If there is no user turn, one holding
//     only the system text is placed first. With CacheSystem, the system
//     text instead stays a block of its own, followed by a cache point.
//   - inferenceConfig carries MaxTokens, Temperature and TopP only when the
//     call sets them, and StopSequences when there are any; otherwise it is
//     omitted and the model's defaults apply.
//   - Tools become toolConfig (with a cache point after them for
//     CacheTools, and the tool choice); Guardrail becomes guardrailConfig;
//     AdditionalFields become additionalModelRequestFields. JSON (schemas,
//     arguments, fields) is passed on with its numbers exactly as written.
//
// # Answers
//
// Text blocks of the answer are concatenated and toolUse blocks become tool
// calls (reasoning and other blocks are left out); streamed tool input is
// reassembled per content block. Bedrock stop reasons map to gateway finish reasons: end_turn and
// stop_sequence give "stop", max_tokens gives "length", tool_use gives
// "tool_calls", guardrail_intervened and content_filtered give
// "content_filter"; any other reason gives "stop" and is logged.
//
// # How a Converse call is sent
//
// ConverseStream goes through the SDK client. Converse takes a lean path
// (lean.go) instead of the SDK's per-call middleware stack, which is most
// of the client's own cost on a miss: profiled against the simulator, the
// stack (building some forty middlewares, resolving the endpoint and the
// auth scheme, cloning the request, metrics and user-agent bookkeeping)
// made about 290 of the client's some 400 allocations per call, and most
// of its CPU. The lean path uses the SDK's own parts, so that Bedrock sees
// the same request and the caller gets the same answer and errors: the
// client's protocol serializer (except for the usual request, a
// conversation of text with inference settings, whose body leanbody.go
// writes byte for byte as it does, held to it by TestLeanBodyAsSDK and
// FuzzLeanBody) and deserializer with the service's Converse schema and
// type registry; its endpoint resolver, and the auth
// scheme the SDK would pick (both depend only on the options, so they are
// settled once, at New); its credentials provider and SigV4 signer, or its
// bearer signer for a Bedrock API key; its HTTP client; and its retryer
// (the same instance, so one retry quota for both APIs), in a retry loop
// that follows the SDK's: attempt and retry tokens, X-Amz-Retry-After,
// clock skew correction. The User-Agent is the SDK's, taken at New from a
// request the SDK builds but does not send. lean_test.go compares, for
// every golden call, the method, path, headers and body bytes the
// simulator receives from both paths, and the answers and errors they
// return. A legacy endpoint resolver, or no credentials at all, keeps the
// SDK's path. Not carried over, as the gateway uses none of them: the
// SDK's interceptors, its ClientLogMode request logging, its tracer and
// meter providers, and the X-Amzn-Trace-Id it copies from a Lambda
// function's environment.
//
// # Retries
//
// The SDK's standard retryer retries throttling (ThrottlingException),
// ModelNotReadyException (added here: Bedrock returns it while a model is
// loading), HTTP 500/502/503/504 and connection errors, with exponential
// backoff and jitter capped by Options.MaxBackoff, up to Options.MaxAttempts
// attempts in all. A stream is only retried before its first event; once
// text has arrived, a failure is returned to the caller.
//
// # Errors
//
// Every failure is classified once, here, into a *gateway.Error whose
// Message tells the caller what to do and whose Err is the SDK's error.
// Messages and logs never hold credentials.
//
// # Credentials, region and endpoint
//
// Unless Options.Credentials is set, credentials come from the SDK's
// standard chain: environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), shared config and credentials files and profiles
// (AWS_PROFILE or Options.Profile, SSO included), web identity, and the
// container or instance role. AWS_BEARER_TOKEN_BEDROCK (a Bedrock API key)
// is honoured by the SDK when Options.Credentials is not set. The endpoint
// is the SDK's own unless Options.Endpoint is set; the SDK honours
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL.
package bedrock
