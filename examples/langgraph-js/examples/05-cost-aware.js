// Example 5: a cost-aware agent. Before each task it reads the gateway's
// spend with get_stats — called here as a LangChain tool, loaded from the
// gateway by @langchain/mcp-adapters — and once its budget is spent it moves
// from its preferred model to a cheaper one.

import { StateGraph, START, END, Annotation } from "@langchain/langgraph";
import { GatewayState, createLLMNode } from "../src/llm-node.js";
import { runIfMain } from "../src/cli.js";

export const PREFERRED = "nova-pro";
export const CHEAP = "nova-micro";

const CostState = Annotation.Root({
  ...GatewayState.spec,
  tasks: Annotation(), // what is left to do
  budget_usd: Annotation(), // what this agent may spend
  baseline_usd: Annotation(), // the gateway's spend when the agent started
  spent_usd: Annotation(),
  log: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** The gateway's total spend, read through the get_stats LangChain tool. */
async function spendOf(getStats) {
  const out = await getStats.invoke({});
  // The adapter returns the text block with the structured result attached.
  const block = Array.isArray(out) ? out[0] : out;
  const stats = block.structuredContent ?? JSON.parse(typeof block === "string" ? block : block.text);
  return stats.metrics.total_cost_usd;
}

export async function buildAgent(gateway) {
  const getStats = (await gateway.tools()).find((t) => t.name === "get_stats");
  return new StateGraph(CostState)
    .addNode("budget", async (state) => {
      const total = await spendOf(getStats);
      const baseline = state.baseline_usd ?? total;
      const spent = total - baseline;
      return {
        baseline_usd: baseline,
        spent_usd: spent,
        model: spent >= state.budget_usd ? CHEAP : PREFERRED,
        messages: [{ role: "user", content: state.tasks[0] }],
      };
    })
    .addNode("llm", createLLMNode(gateway, { max_tokens: 300 }))
    .addNode("record", (state) => ({
      tasks: state.tasks.slice(1),
      log: [{ task: state.tasks[0], model: state.model, cost: state.cost, spent_before: state.spent_usd }],
    }))
    .addEdge(START, "budget")
    .addEdge("budget", "llm")
    .addEdge("llm", "record")
    .addConditionalEdges("record", (state) => (state.tasks.length > 0 ? "budget" : END))
    .compile();
}

export async function run(
  gateway,
  { budget_usd = 0.00001, tasks = ["Draft a product name.", "Draft a tagline.", "Draft a tweet."] } = {},
) {
  const agent = await buildAgent(gateway);
  const state = await agent.invoke({ tasks, budget_usd, messages: [] });
  return { budget_usd, log: state.log };
}

await runIfMain(import.meta.url, run);
