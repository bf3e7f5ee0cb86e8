// Example 2: three agents, each with its own model hard-coded, sharing one
// gateway: one connection, one response cache, one set of metrics. They run
// at the same time; get_stats then shows the calls by model.

import { StateGraph, START, END } from "@langchain/langgraph";
import { GatewayState, createLLMNode } from "../src/llm-node.js";
import { runIfMain } from "../src/cli.js";

/** Each agent's role and the model it always uses. */
export const AGENTS = [
  { name: "researcher", model: "nova-pro", system: "You gather facts." },
  { name: "analyst", model: "claude-sonnet-4-6", system: "You analyse facts in depth." },
  { name: "writer", model: "llama-3-3-70b", system: "You write plainly for a general audience." },
];

function buildAgent(gateway, { model, system }) {
  return new StateGraph(GatewayState)
    .addNode("llm", createLLMNode(gateway, { model, system, max_tokens: 400 }))
    .addEdge(START, "llm")
    .addEdge("llm", END)
    .compile();
}

export async function run(gateway, topic = "solar power in cities") {
  const answers = await Promise.all(
    AGENTS.map(async (agent) => {
      const state = await buildAgent(gateway, agent).invoke({
        messages: [{ role: "user", content: `As the ${agent.name}: ${topic}` }],
      });
      const last = state.messages.at(-1);
      return { agent: agent.name, model: last.response_metadata.model, response: state.response, cost: state.cost };
    }),
  );
  const stats = await gateway.getStats();
  return { answers, requests_by_model: stats.metrics.requests_by_model };
}

await runIfMain(import.meta.url, run);
