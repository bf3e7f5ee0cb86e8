"""Example 3: a router that picks the model by task. A first node classifies
the request (by plain rules here; it could be a cheap model) and writes the
model into the state; the LLM node then uses it."""

import asyncio
import json
import re

from langgraph.graph import END, START, StateGraph

from gateway import connect
from llm_node import GatewayState, make_llm_node

ROUTES = [
    ("code", "claude-sonnet-4-6", re.compile(r"\b(code|function|bug|refactor|typescript|python)\b", re.I)),
    ("summary", "nova-micro", re.compile(r"\b(summari[sz]e|tl;?dr|shorten)\b", re.I)),
    ("analysis", "nova-pro", re.compile(r"\b(analy[sz]e|compare|why|plan)\b", re.I)),
    ("general", "llama-3-3-70b", re.compile(r".")),
]


def route(text):
    return next((task, model) for task, model, when in ROUTES if when.search(text))


def build_router(gateway):
    g = StateGraph(GatewayState)
    g.add_node("route", lambda state: {"model": route(str(state["messages"][-1].content))[1]})
    g.add_node("llm", make_llm_node(gateway, max_tokens=300))
    g.add_edge(START, "route")
    g.add_edge("route", "llm")
    g.add_edge("llm", END)
    return g.compile()


async def run(gateway, requests=None):
    requests = requests or [
        "Fix the bug in this Python function: def add(a, b): return a - b",
        "Summarize: the meeting moved to Tuesday and the budget was approved.",
        "Compare nuclear and wind power for a small island.",
        "Tell me a fun fact about otters.",
    ]
    router = build_router(gateway)
    out = []
    for text in requests:
        state = await router.ainvoke({"messages": [{"role": "user", "content": text}]})
        out.append({"request": text, "task": route(text)[0], "model": state["model"], "response": state["response"]})
    return out


async def main():
    async with connect() as gateway:
        print(json.dumps(await run(gateway), indent=2))


if __name__ == "__main__":
    asyncio.run(main())
