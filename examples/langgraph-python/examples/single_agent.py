"""Example 1: an agent on one model, hard-coded in the agent; the node is
retried when the gateway says a retry may help (throttling, a timeout)."""

import asyncio
import json

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy

from gateway import connect
from llm_node import GatewayState, make_llm_node

MODEL = "nova-pro"  # this agent's model


def build_agent(gateway):
    g = StateGraph(GatewayState)
    g.add_node(
        "llm",
        make_llm_node(gateway, temperature=0.7, max_tokens=500),
        retry_policy=RetryPolicy(max_attempts=3, retry_on=lambda e: getattr(e, "retryable", False)),
    )
    g.add_edge(START, "llm")
    g.add_edge("llm", END)
    return g.compile()


async def run(gateway, question="What is the Model Context Protocol?"):
    state = await build_agent(gateway).ainvoke({"model": MODEL, "messages": [{"role": "user", "content": question}]})
    return {"model": MODEL, "response": state["response"], "usage": state["usage"], "cost": state["cost"]}


async def main():
    async with connect() as gateway:
        print(json.dumps(await run(gateway), indent=2))


if __name__ == "__main__":
    asyncio.run(main())
