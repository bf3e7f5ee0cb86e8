// Example 5: a cost-aware agent. Before each task it reads the gateway's
// spend with get_stats — called here as a LangChain tool, loaded from the
// gateway by @langchain/mcp-adapters — and once its budget is spent it moves
// from its preferred model to a cheaper one. The gateway may hold a budget
// of its own (POLICY_FILE): when it refuses the preferred model with
// budget_exceeded, or model_not_allowed, the agent takes the cheaper model
// at once and keeps to it.

import { StateGraph, START, END, Annotation } from "@langchain/langgraph";
import { GatewayState, createLLMNode } from "../src/llm-node.js";
import { runIfMain } from "../src/cli.js";
import { GatewayError, REFUSALS } from "../src/gateway.js";

export const PREFERRED = "nova-pro";
export const CHEAP = "nova-micro";

const CostState = Annotation.Root({
  ...GatewayState.spec,
  tasks: Annotation(), // what is left to do
  budget_usd: Annotation(), // what this agent may spend
  baseline_usd: Annotation(), // the gateway's spend when the agent started
  spent_usd: Annotation(),
  refused: Annotation(), // the gateway's limit that refused the preferred model, if one did
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

/**
 * Wraps the LLM node: when the gateway's policy refuses the preferred model
 * (its budget cannot take the call, or the model is not allowed to this
 * agent), the same turn goes to the cheaper model, and `refused` records
 * which limit said no, with its figures in the error's `limit`.
 */
function withCheaperOnRefusal(llm) {
  return async (state, config) => {
    try {
      return await llm(state, config);
    } catch (err) {
      const refused = err instanceof GatewayError && (err.kind === REFUSALS.BUDGET_EXCEEDED || err.kind === REFUSALS.MODEL_NOT_ALLOWED);
      if (!refused || state.model === CHEAP) throw err;
      return { ...(await llm({ ...state, model: CHEAP }, config)), model: CHEAP, refused: err.limit?.limit ?? err.kind };
    }
  };
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
        model: spent >= state.budget_usd || state.refused ? CHEAP : PREFERRED,
        messages: [{ role: "user", content: state.tasks[0] }],
      };
    })
    .addNode("llm", withCheaperOnRefusal(createLLMNode(gateway, { max_tokens: 300 })))
    .addNode("record", (state) => ({
      tasks: state.tasks.slice(1),
      log: [{ task: state.tasks[0], model: state.model, cost: state.cost, spent_before: state.spent_usd, refused: state.refused ?? null }],
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
