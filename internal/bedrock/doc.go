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
//     prompts are dropped.
//   - Consecutive turns of the same role are merged into one turn, their
//     texts joined with a blank line ("\n\n"), because Bedrock requires user
//     and assistant turns to alternate. Empty texts contribute nothing.
//   - Folded system rule: when the model does not accept system blocks
//     (Call.SupportsSystem is false), the system prompts, joined with a blank
//     line, are prepended to the first user turn as
//     "<system text>\n\n<user text>". If there is no user turn, one holding
//     only the system text is placed first.
//   - inferenceConfig carries MaxTokens, Temperature and TopP only when the
//     call sets them, and StopSequences when there are any; otherwise it is
//     omitted and the model's defaults apply.
//
// # Answers
//
// Text blocks of the answer are concatenated (reasoning and tool blocks are
// ignored). Bedrock stop reasons map to gateway finish reasons: end_turn and
// stop_sequence give "stop", max_tokens gives "length", tool_use gives
// "tool_calls", guardrail_intervened and content_filtered give
// "content_filter"; any other reason gives "stop" and is logged.
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
