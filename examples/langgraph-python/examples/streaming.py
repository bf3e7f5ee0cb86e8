"""Example 4: a streamed answer. The LLM node streams: the gateway sends each
piece of text as an MCP progress notification and the node writes it to
LangGraph's "custom" stream, read here with stream_mode=["custom", "values"]."""

import asyncio
import json
import sys

from langgraph.graph import END, START, StateGraph

from gateway import connect
from llm_node import GatewayState, make_llm_node

MODEL = "nova-lite"


def build_agent(gateway):
    g = StateGraph(GatewayState)
    g.add_node("llm", make_llm_node(gateway, model=MODEL, stream=True, max_tokens=800))
    g.add_edge(START, "llm")
    g.add_edge("llm", END)
    return g.compile()


async def run(gateway, question="Explain streaming in one paragraph.", on_text=lambda text: None):
    pieces, final = [], None
    async for mode, chunk in build_agent(gateway).astream(
        {"messages": [{"role": "user", "content": question}]}, stream_mode=["custom", "values"]
    ):
        if mode == "custom" and chunk.get("type") == "delta":
            pieces.append(chunk["text"])
            on_text(chunk["text"])
        elif mode == "values":
            final = chunk
    return {"model": MODEL, "pieces": len(pieces), "streamed": "".join(pieces), "response": final["response"]}


async def main():
    async with connect() as gateway:
        result = await run(gateway, on_text=lambda text: print(text, end="", file=sys.stderr, flush=True))
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
