"""Example 5: a cost-aware agent. Before each task it reads the gateway's
spend with get_stats, called as a LangChain tool loaded by
langchain-mcp-adapters, and once its budget is spent it moves from its
preferred model to a cheaper one. The gateway may hold a budget of its own
(POLICY_FILE): when it refuses the preferred model with budget_exceeded, or
model_not_allowed, the agent takes the cheaper model at once and keeps to
it."""

import asyncio
import json
import operator
from typing import Annotated, Optional

from langgraph.graph import END, START, StateGraph

from gateway import BUDGET_EXCEEDED, MODEL_NOT_ALLOWED, GatewayError, connect
from llm_node import GatewayState, make_llm_node

PREFERRED = "nova-pro"
CHEAP = "nova-micro"


class CostState(GatewayState, total=False):
    tasks: list[str]
    budget_usd: float
    baseline_usd: Optional[float]
    spent_usd: float
    refused: Optional[str]  # the gateway's limit that refused the preferred model, if one did
    log: Annotated[list[dict], operator.add]


def stats_from(out):
    """get_stats' result as the adapter returns it: the JSON text, alone or
    as the text of a content block."""
    if isinstance(out, tuple):  # (content, artifact)
        out = out[0]
    if isinstance(out, list):
        out = out[0]
    if isinstance(out, dict):
        out = out.get("text", out)
    return json.loads(out) if isinstance(out, str) else out


def with_cheaper_on_refusal(llm):
    """Wraps the LLM node: when the gateway's policy refuses the preferred
    model (its budget cannot take the call, or the model is not allowed to
    this agent), the same turn goes to the cheaper model, and refused
    records which limit said no (its figures are in the error's limit)."""

    async def node(state):
        try:
            return await llm(state)
        except GatewayError as err:
            if err.kind not in (BUDGET_EXCEEDED, MODEL_NOT_ALLOWED) or state["model"] == CHEAP:
                raise
            out = await llm({**state, "model": CHEAP})
            return {**out, "model": CHEAP, "refused": (err.limit or {}).get("limit", err.kind)}

    return node


async def build_agent(gateway):
    get_stats = next(t for t in await gateway.tools() if t.name == "get_stats")

    async def budget(state):
        total = stats_from(await get_stats.ainvoke({}))["metrics"]["total_cost_usd"]
        baseline = state.get("baseline_usd")
        baseline = total if baseline is None else baseline
        spent = total - baseline
        return {
            "baseline_usd": baseline,
            "spent_usd": spent,
            "model": CHEAP if spent >= state["budget_usd"] or state.get("refused") else PREFERRED,
            "messages": [{"role": "user", "content": state["tasks"][0]}],
        }

    def record(state):
        entry = {
            "task": state["tasks"][0],
            "model": state["model"],
            "cost": state["cost"],
            "spent_before": state["spent_usd"],
            "refused": state.get("refused"),
        }
        return {"tasks": state["tasks"][1:], "log": [entry]}

    g = StateGraph(CostState)
    g.add_node("budget", budget)
    g.add_node("llm", with_cheaper_on_refusal(make_llm_node(gateway, max_tokens=300)))
    g.add_node("record", record)
    g.add_edge(START, "budget")
    g.add_edge("budget", "llm")
    g.add_edge("llm", "record")
    g.add_conditional_edges("record", lambda state: "budget" if state["tasks"] else END)
    return g.compile()


async def run(gateway, budget_usd=0.00001, tasks=("Draft a product name.", "Draft a tagline.", "Draft a tweet.")):
    agent = await build_agent(gateway)
    state = await agent.ainvoke({"tasks": list(tasks), "budget_usd": budget_usd, "messages": [], "log": []})
    return {"budget_usd": budget_usd, "log": state["log"]}


async def main():
    async with connect() as gateway:
        print(json.dumps(await run(gateway), indent=2))


if __name__ == "__main__":
    asyncio.run(main())
