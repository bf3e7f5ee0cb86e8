// Example 3: a router that picks the model by task. A first node classifies
// the request (by plain rules here; it could be a cheap model) and writes
// the model into the state; the LLM node then uses it.

import { StateGraph, START, END } from "@langchain/langgraph";
import { GatewayState, createLLMNode } from "../src/llm-node.js";
import { runIfMain } from "../src/cli.js";

/** Which model serves which kind of task, cheapest that does the job. */
export const ROUTES = [
  { task: "code", model: "claude-sonnet-4-6", when: /\b(code|function|bug|refactor|typescript|python)\b/i },
  { task: "summary", model: "nova-micro", when: /\b(summari[sz]e|tl;?dr|shorten)\b/i },
  { task: "analysis", model: "nova-pro", when: /\b(analy[sz]e|compare|why|plan)\b/i },
  { task: "general", model: "llama-3-3-70b", when: /./ },
];

export function route(text) {
  return ROUTES.find((r) => r.when.test(text));
}

export function buildRouter(gateway) {
  return new StateGraph(GatewayState)
    .addNode("route", (state) => ({ model: route(String(state.messages.at(-1).content)).model }))
    .addNode("llm", createLLMNode(gateway, { max_tokens: 300 }))
    .addEdge(START, "route")
    .addEdge("route", "llm")
    .addEdge("llm", END)
    .compile();
}

export async function run(
  gateway,
  requests = [
    "Fix the bug in this Python function: def add(a, b): return a - b",
    "Summarize: the meeting moved to Tuesday and the budget was approved.",
    "Compare nuclear and wind power for a small island.",
    "Tell me a fun fact about otters.",
  ],
) {
  const router = buildRouter(gateway);
  const out = [];
  for (const text of requests) {
    const state = await router.invoke({ messages: [{ role: "user", content: text }] });
    out.push({ request: text, task: route(text).task, model: state.model, answered_by: state.messages.at(-1).response_metadata.model, response: state.response });
  }
  return out;
}

await runIfMain(import.meta.url, run);
