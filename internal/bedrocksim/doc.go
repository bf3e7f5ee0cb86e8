// Package bedrocksim simulates the AWS Bedrock Runtime wire protocol for the
// Converse and ConverseStream operations, faithfully enough that the real
// aws-sdk-go-v2 bedrockruntime client talks to it unchanged. Tests, demos and
// benchmarks of the gateway run against it on 127.0.0.1; nothing reaches AWS.
//
// # Protocol
//
// The simulator answers POST /model/{modelId}/converse with Bedrock's JSON
// and POST /model/{modelId}/converse-stream with an
// application/vnd.amazon.eventstream body (messageStart, contentBlockDelta,
// contentBlockStop, messageStop, metadata; exceptions as exception frames).
// Errors carry an X-Amzn-ErrorType header and a {"message": …} body with the
// status codes Bedrock uses, so the SDK surfaces them as its typed errors
// (types.ValidationException, types.ThrottlingException, …).
//
// Requests must carry a valid SigV4 signature (service "bedrock", the
// configured region) made with the configured credentials; a missing,
// stale (more than 15 minutes off) or wrong signature is refused with 403,
// as AWS does. When no credentials are configured, signatures are not checked.
//
// # Replies
//
// Replies are deterministic: the text depends only on the model ID as sent
// and on the system prompt and messages. It reads
// "Simulated <modelId> answer to: <start of the last user text>" followed by
// 20 to 80 filler words chosen by a hash. Tokens are counted as one per four
// characters, rounded up. inferenceConfig.maxTokens truncates the answer
// (stopReason max_tokens) and a stop sequence cuts it (stop_sequence).
// When the request holds cachePoint blocks, the tokens before the last one are
// reported as cacheWriteInputTokens the first time that prefix is seen and as
// cacheReadInputTokens afterwards (the simulator never forgets a prefix).
//
// # Markers
//
// Text markers in the last user message steer the simulator, so end-to-end
// tests can trigger behaviour through the gateway. The grammar is
// [sim:NAME] or [sim:NAME=VALUE]; several may appear; an unknown marker or a
// bad value is a ValidationException. Markers are removed from the quoted
// prompt.
//
//	echo                 answer with the canonical JSON (sorted keys, no spaces) of the
//	                     received system, messages and inferenceConfig; never truncated
//	reply=TEXT           answer exactly TEXT (which cannot contain ']')
//	throttle             429 ThrottlingException
//	throttle=N           ThrottlingException for the first N calls carrying this exact
//	                     request body (whatever the model), then answer normally
//	error=CODE           400, 403, 404, 408, 424, 429, 500 or 503 as Bedrock's exception
//	not-ready            429 ModelNotReadyException
//	timeout              408 ModelTimeoutException
//	latency=DURATION     delay before the first byte (Go duration, e.g. 200ms), added to
//	                     Options.Latency
//	token-delay=DURATION delay between streamed deltas, added to Options.TokenDelay
//	stream-error-after=N N deltas, then an in-stream exception
//	stream-exception=NAME which exception stream-error-after raises: modelStreamErrorException
//	                     (default), throttlingException, internalServerException,
//	                     serviceUnavailableException or validationException
//	corrupt-frame[=N]    after N deltas (default 1) a frame with a bad CRC, then the end
//	drop                 close the connection without any response
//	guardrail[=REASON]   the guardrail's refusal with stopReason guardrail_intervened
//	                     (or REASON, e.g. content_filtered)
//
// Every delay ends early when the request's context is cancelled.
//
// # Clients
//
// Point the real client at the simulator with BaseEndpoint and static
// credentials. One caution: smithy-go (v1.28.9) closes its request body
// wrapper as soon as the response headers arrive, and the wrapper's WriteTo
// then returns io.EOF; if net/http's write loop has not yet made its last
// read of the body (its check for bytes beyond Content-Length), it takes that
// for a write error and closes the connection, which cuts a ConverseStream
// response short with "use of closed network connection". Real Bedrock is
// too slow to answer for this to show, but an instant loopback answer
// exposes it (a few percent of streams under -race). Give the SDK an
// http.Client whose RoundTripper hands net/http a plain copy of the body
// (io.NopCloser(bytes.NewReader(b))), as this package's tests do.
package bedrocksim
