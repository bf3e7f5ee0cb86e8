// A reusable LangGraph node that asks a Bedrock model for the next turn
// through llm-gateway. The graph's state carries the conversation
// (`messages`) and the model to use (`model`); the node appends the answer
// to `messages` and writes `response` (its text), `usage` (tokens) and
// `cost` (USD, null when the gateway knows no price for the model).

import { Annotation, MessagesAnnotation } from "@langchain/langgraph";
import { AIMessage } from "@langchain/core/messages";

/** The state the LLM node reads and writes. */
export const GatewayState = Annotation.Root({
  ...MessagesAnnotation.spec,
  /** The model for the next call: a catalog name such as "nova-pro". */
  model: Annotation(),
  /** The last answer's text. */
  response: Annotation(),
  /** The last answer's tokens: { input_tokens, output_tokens, total_tokens }. */
  usage: Annotation(),
  /** The last answer's cost in USD; 0 when cached, null when unpriced. */
  cost: Annotation(),
});

const ROLES = { human: "user", ai: "assistant", system: "system", tool: "tool" };

/** Converts a LangChain message to the gateway's { role, content }. */
export function toGatewayMessage(message) {
  const role = ROLES[message.getType()];
  if (!role) throw new Error(`the gateway takes user, assistant, system and tool messages, not ${message.getType()}`);
  const content =
    typeof message.content === "string"
      ? message.content
      : message.content.filter((part) => part.type === "text").map((part) => ({ type: "text", text: part.text }));
  const out = { role, content };
  if (role === "tool") out.tool_call_id = message.tool_call_id;
  return out;
}

/**
 * Returns a node that calls `generate` on the gateway with the state's
 * model and messages. Options (all optional):
 *   model        used when the state names none
 *   system       a system prompt
 *   temperature, max_tokens, top_p, stop_sequences, cache, fallback_models
 *                passed to generate as they are
 *   stream       stream the answer: each piece of text is written to the
 *                graph's "custom" stream as { type: "delta", text, model }
 * A call the gateway refuses throws a GatewayError with its `kind`; give the
 * node a retryPolicy that retries when `error.retryable` to ride out
 * throttling.
 */
export function createLLMNode(gateway, options = {}) {
  const { model: defaultModel, stream = false, ...params } = options;
  return async function llm(state, config) {
    const model = state.model ?? defaultModel;
    if (!model) throw new Error("llm node: no model in the state or the node's options");
    const args = { model, messages: state.messages.map(toGatewayMessage), ...params };
    const onDelta = stream ? (text) => config?.writer?.({ type: "delta", text, model }) : undefined;
    const res = await gateway.generate(args, { onDelta, signal: config?.signal });
    return {
      messages: [
        new AIMessage({
          content: res.content,
          response_metadata: {
            model: res.model,
            model_id: res.model_id,
            finish_reason: res.finish_reason,
            cached: res.cached,
            latency_ms: res.latency_ms,
          },
          usage_metadata: {
            input_tokens: res.usage.input_tokens,
            output_tokens: res.usage.output_tokens,
            total_tokens: res.usage.total_tokens,
          },
        }),
      ],
      response: res.content,
      usage: res.usage,
      cost: res.estimated_cost_usd,
    };
  };
}
