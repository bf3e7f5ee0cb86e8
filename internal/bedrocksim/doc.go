// Package bedrocksim simulates the AWS Bedrock Runtime wire protocol for the
// Converse and ConverseStream operations, faithfully enough that the real
// aws-sdk-go-v2 bedrockruntime client talks to it unchanged. Tests, demos and
// benchmarks of the gateway run against it on 127.0.0.1; nothing reaches AWS.
//
// # Protocol
//
// The simulator answers POST /model/{modelId}/converse with Bedrock's JSON
// and POST /model/{modelId}/converse-stream with an
// application/vnd.amazon.eventstream body. A stream is messageStart; then
// per content block, in order: for text, contentBlockDelta events
// {"contentBlockIndex":i,"delta":{"text":…}} (no contentBlockStart, as
// Bedrock sends none for text), for a tool use, contentBlockStart
// {"start":{"toolUse":{"toolUseId":…,"name":…}},"contentBlockIndex":i} and at
// least two contentBlockDelta {"delta":{"toolUse":{"input":"<piece of the
// JSON text>"}}}; each block ends with contentBlockStop; then messageStop
// {"stopReason":…} and metadata {"usage":…,"metrics":{"latencyMs":…}} (with
// "trace" after a traced guardrail intervention). Exceptions are exception
// frames. Errors carry an X-Amzn-ErrorType header and a {"message": …} body
// with the status codes Bedrock uses, so the SDK surfaces them as its typed
// errors (types.ValidationException, types.ThrottlingException, …).
//
// Requests must carry a valid SigV4 signature (service "bedrock", the
// configured region) made with the configured credentials; a missing,
// stale (more than 15 minutes off) or wrong signature is refused with 403,
// as AWS does. When no credentials are configured, signatures are not checked.
//
// # Replies
//
// Replies are deterministic: they depend only on the model ID as sent and
// on the request. The answer is chosen in this order:
//
//  1. a guardrail marker: the refusal "Sorry, the model cannot answer this
//     question." (see Guardrails);
//  2. the echo marker, then the describe marker;
//  3. tool uses, when a tool marker asks for them or toolChoice forces one
//     (see Tools), after the reply marker's text if there is one;
//  4. the reply marker's text;
//  5. when the last message is a user turn carrying toolResult blocks (a
//     tool loop's next step): "Simulated answer using tool result: <result>"
//     ("tool results: <first>; <second>" for several; a result's content
//     blocks are joined by spaces, text as is, json as compact JSON with
//     sorted keys, media as [image png] or [document pdf "name"]; an error
//     result is prefixed "error: "), stopReason end_turn;
//  6. otherwise "Simulated <modelId> answer to: <start of the last user
//     text>" followed by 20 to 80 filler words chosen by a hash.
//
// Tokens are counted as one per four characters, rounded up: text by its
// characters; an image as max(85, ceil(bytes/750)) tokens; a document as
// its bytes plus its name's characters; a tool result by its parts; any
// other block (tool uses, tool specs, guard content) by its canonical JSON.
// Output tokens count the answer's text plus each tool use's name and input
// JSON. inferenceConfig.maxTokens truncates a text answer (stopReason
// max_tokens) and a stop sequence cuts it (stop_sequence); tool uses are
// never cut, but a reply text cut before them drops them.
//
// When additionalModelRequestFields ask the model to reason (Claude's
// thinking adaptive or enabled, gpt-oss's reasoning_effort, Nova 2's
// reasoningConfig enabled), the answer starts with a reasoningContent block
// {"reasoningText":{"text":"Simulated reasoning at effort E about: …",
// "signature":…}}, longer the higher the effort; streamed, it is its own
// content block of reasoningContent text deltas and then a signature delta.
// Its characters count in outputTokens, as Bedrock bills reasoning as output.
//
// # Tools
//
// toolConfig is validated as Bedrock does: tools is a non-empty list of
// toolSpec (name matching [a-zA-Z0-9_-]+, at most 64 characters, unique;
// description not empty; inputSchema.json an object schema with "type":
// "object"), cachePoint or systemTool entries; toolChoice is one of auto,
// any or tool{name} naming a toolSpec. Across turns, toolUse blocks may come
// only from the assistant and toolResult blocks only from the user, and the
// user turn after an assistant's tool uses must answer each of their IDs
// with a toolResult, no more (an error result needs content). Requests that
// hold toolUse or toolResult blocks need a toolConfig.
//
// The answer calls tools (stopReason tool_use, one toolUse block
// {"toolUseId":"tooluse_<22 characters>","name":…,"input":{…}} per call) when
// the last user text holds [sim:tool=…] markers (one call each, in order),
// or, without markers and unless the last turn carries tool results,
// when toolChoice is any (the first tool) or tool (that tool); markers win
// over toolChoice, and tool results win over a forcing toolChoice, so that
// a loop that keeps sending toolChoice any still ends. A call's input is the
// marker's JSON object, or else arguments built from the tool's schema:
// every property, strings "sim", integers and numbers 1, booleans true, the
// first value of an enum, one item for arrays, nested objects alike. Tool
// use IDs are a hash of the conversation and the call's position, so the
// same request gets the same IDs and the next step of a loop gets new ones.
//
// # Images and documents
//
// image blocks {"format":png|jpeg|gif|webp,"source":{"bytes":"<base64>"}}
// and document blocks {"format":pdf|csv|doc|docx|xls|xlsx|html|txt|md,
// "name":…,"source":{"bytes":…} or {"text":…}} are accepted in user turns
// and inside tool results. Refused, as Bedrock refuses them: an unknown
// format; empty bytes; an image over 3.75 MB (3,932,160 bytes) or a document
// over 4.5 MB (4,718,592 bytes); more than 20 images or 5 documents in the
// request; a document name that is empty, longer than 200 characters, or
// holds anything but ASCII letters and digits, single whitespace, hyphens,
// parentheses and square brackets; a user turn with a document but no text
// block; images or documents in an assistant turn; an S3 source (the
// simulator cannot read S3).
//
// # Prompt caching
//
// cachePoint blocks are taken in toolConfig.tools, system and messages,
// read in Bedrock's order (tools, system, messages). The tokens before the
// last cache point are reported as cacheWriteInputTokens the first time
// that prefix (for that base model) is seen and as cacheReadInputTokens
// afterwards (the simulator never forgets a prefix; a failed call writes
// nothing); only the rest counts as inputTokens. totalTokens is inputTokens
// + outputTokens + cacheReadInputTokens + cacheWriteInputTokens, as Bedrock
// reports it. The cache members appear, in Converse's usage and in the
// stream's metadata usage, only when the request holds a cache point. The
// simulator has no minimum cacheable size and no limit on cache points.
//
// # Guardrails
//
// guardrailConfig {guardrailIdentifier, guardrailVersion, trace} (and
// streamProcessingMode for ConverseStream) is validated against Bedrock's
// patterns (identifier [a-z0-9]+ or a guardrail ARN, so no hyphens; version
// a number from 1 or DRAFT; both optional; trace enabled, disabled or
// enabled_full); any well-formed guardrail is taken to exist, and it
// intervenes only on the guardrail marker.
// [sim:guardrail] answers the refusal with stopReason guardrail_intervened
// when the request has a guardrailConfig, and content_filtered without one
// (no guardrail can intervene then; the model's own filter does). When the
// guardrail's trace is enabled, the answer carries
// trace.guardrail.inputAssessment.<identifier>.contentPolicy.filters with one
// VIOLENCE filter, HIGH confidence, BLOCKED (in Converse's "trace" and in
// the stream's metadata event).
//
// # Other members
//
// additionalModelRequestFields must be a JSON object and is passed over (the
// echo marker shows it); requestMetadata, performanceConfig and the like are
// accepted and ignored. serviceTier.type must be priority, default, flex or
// reserved, and a tier other than default one the model serves (Model's
// ServiceTiers); the answer then reports the tier in serviceTier (in
// Converse's answer and in the stream's metadata event), as Bedrock reports
// the tier it billed.
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
//	                     received system, messages, inferenceConfig, toolConfig,
//	                     guardrailConfig and additionalModelRequestFields (those present),
//	                     where the base64 bytes of every image and document source are
//	                     replaced by "<N bytes sha256=HEX>"; never truncated
//	describe             answer with one line per image or document of the request, in
//	                     order: `image png N bytes sha256=HEX` or
//	                     `document pdf "name" N bytes sha256=HEX` (N and HEX of the decoded
//	                     bytes), or "No images or documents received."
//	tool=NAME            call tool NAME (of toolConfig) with arguments built from its schema
//	tool=NAME:{JSON}     call tool NAME with this JSON object as input (may contain ']');
//	                     several tool markers make parallel calls
//	reply=TEXT           answer exactly TEXT (which cannot contain ']'); with tool
//	                     markers, the text block before the tool uses
//	throttle             429 ThrottlingException
//	throttle=N           ThrottlingException for the first N calls carrying this exact
//	                     request body (whatever the model), then answer normally
//	error=CODE           400, 403, 404, 408, 424, 429, 500 or 503 as Bedrock's exception
//	not-ready            429 ModelNotReadyException
//	timeout              408 ModelTimeoutException
//	latency=DURATION     delay before the first byte (Go duration, e.g. 200ms), added to
//	                     Options.Latency
//	token-delay=DURATION delay between streamed deltas (text and tool input alike), added
//	                     to Options.TokenDelay
//	stream-error-after=N N deltas (of any block), then an in-stream exception
//	stream-exception=NAME which exception stream-error-after raises: modelStreamErrorException
//	                     (default), throttlingException, internalServerException,
//	                     serviceUnavailableException or validationException
//	corrupt-frame[=N]    after N deltas (default 1) a frame with a bad CRC, then the end
//	drop                 close the connection without any response
//	hang                 accept the request and never answer, until the client gives up
//	truncate             200, then half the JSON body (ConverseStream: one delta) and the
//	                     connection is cut
//	not-json             200 with an HTML body, as a proxy in the way may answer
//	huge=N               answer with a text of N bytes (1 to 1 GiB)
//	guardrail            the guardrail's refusal: stopReason guardrail_intervened with a
//	                     guardrailConfig, content_filtered without one
//	guardrail=REASON     the refusal with stopReason REASON (e.g. content_filtered)
//	served-tier=TIER     report TIER as the service tier that served the call, whatever
//	                     was asked (Bedrock may serve a call on another tier)
//
// Every delay ends early when the request's context is cancelled.
//
// # Models
//
// Options.Catalog describes the models served (the gateway passes its
// catalog, also when the simulator runs alone as `llm-gateway bedrock-sim`);
// without it any well-formed model ID is served. With it, the simulator
// answers as Bedrock does: an unknown model or an inference profile the
// model is not offered through is ValidationException "The provided model
// identifier is invalid."; the bare ID (or its foundation-model ARN) of a
// model served only through inference profiles is ValidationException
// "Invocation of model ID … with on-demand throughput isn’t supported…"; an
// end-of-life model is ResourceNotFoundException "This model version has
// reached the end of its life…"; a model served only on another endpoint
// (bedrock-mantle) is ValidationException "This action doesn't support the
// model that you provided…"; with Options.MissingOptIns, a model that needs
// a one-time agreement (Model.OptIn) is AccessDeniedException naming the
// data retention terms. Each rule in Model.Rejects refuses, with
// ValidationException, what the model refuses: "The model returned the
// following errors: `temperature` is deprecated for this model." for a
// temperature other than 1 (likewise `top_p` below 0.99 and any `top_k` in
// additionalModelRequestFields), "…thinking.type.enabled is not supported
// for this model…" (thinking_enabled), "…thinking.type.disabled is not
// supported…" (reasoning_off), "…does not support assistant message
// prefill…" (prefill), "…tool_choice: type "tool" and "any" are not
// supported for this model." (forced_tool_choice) and, on ConverseStream
// with a toolConfig, "This model doesn't support tool use in streaming
// mode." (tools_streaming). The wording of the temperature, tool_choice and
// streaming refusals is Bedrock's as client projects report it; the others
// follow its style.
//
// # Validation messages
//
// Where Bedrock's wording is known it is kept verbatim (schema violations
// "Value '…' at '…' failed to satisfy constraint: …", blank text, roles,
// maxTokens, the toolConfig requirement, "User messages cannot contain tool
// uses…", "The number of toolResult blocks at messages.N.content exceeds the
// number of toolUse blocks of previous turn.", "Expected toolResult blocks
// at messages.N.content for the following Ids: …", the document name rule).
// The rest (media sizes and counts, media roles, document without text,
// duplicate tools, toolChoice naming an unknown tool, tool results from the
// assistant) follow Bedrock's style, as its wording is not documented:
// match them by their ValidationException type, not their text.
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
