// Example 1: an agent on one model. The model is hard-coded in the agent,
// as every agent of the gateway does; the graph is one LLM node, retried
// when the gateway says a retry may help (throttling, a timeout).

import { StateGraph, START, END } from "@langchain/langgraph";
import { GatewayState, createLLMNode } from "../src/llm-node.js";
import { runIfMain } from "../src/cli.js";

const MODEL = "nova-pro"; // this agent's model

export function buildAgent(gateway) {
  return new StateGraph(GatewayState)
    .addNode("llm", createLLMNode(gateway, { temperature: 0.7, max_tokens: 500 }), {
      retryPolicy: { maxAttempts: 3, retryOn: (error) => error.retryable === true },
    })
    .addEdge(START, "llm")
    .addEdge("llm", END)
    .compile();
}

export async function run(gateway, question = "What is the Model Context Protocol?") {
  const state = await buildAgent(gateway).invoke({
    model: MODEL,
    messages: [{ role: "user", content: question }],
  });
  return { model: MODEL, response: state.response, usage: state.usage, cost: state.cost };
}

await runIfMain(import.meta.url, run);
