"""Example 2: three agents, each with its own model hard-coded, sharing one
gateway (one session, one cache, one set of metrics), run at the same time."""

import asyncio
import json

from langgraph.graph import END, START, StateGraph

from gateway import connect
from llm_node import GatewayState, make_llm_node

AGENTS = [
    {"name": "researcher", "model": "nova-pro", "system": "You gather facts."},
    {"name": "analyst", "model": "claude-sonnet-4-6", "system": "You analyse facts in depth."},
    {"name": "writer", "model": "llama-3-3-70b", "system": "You write plainly for a general audience."},
]


def build_agent(gateway, agent):
    g = StateGraph(GatewayState)
    g.add_node("llm", make_llm_node(gateway, model=agent["model"], system=agent["system"], max_tokens=400))
    g.add_edge(START, "llm")
    g.add_edge("llm", END)
    return g.compile()


async def run(gateway, topic="solar power in cities"):
    async def one(agent):
        state = await build_agent(gateway, agent).ainvoke(
            {"messages": [{"role": "user", "content": f"As the {agent['name']}: {topic}"}]}
        )
        return {"agent": agent["name"], "model": agent["model"], "response": state["response"], "cost": state["cost"]}

    answers = await asyncio.gather(*(one(a) for a in AGENTS))
    stats = await gateway.get_stats()
    return {"answers": answers, "requests_by_model": stats["metrics"]["requests_by_model"]}


async def main():
    async with connect() as gateway:
        print(json.dumps(await run(gateway), indent=2))


if __name__ == "__main__":
    asyncio.run(main())
