"""A reusable LangGraph node that asks a Bedrock model for the next turn
through llm-gateway. The state carries the conversation (messages) and the
model (model); the node appends the answer to messages and writes response
(its text), usage (tokens) and cost (USD; None when the gateway knows no
price for the model)."""

from __future__ import annotations

from typing import Annotated, Any, Optional, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.config import get_stream_writer
from langgraph.graph.message import add_messages

from gateway import Gateway


class GatewayState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    model: str  # a catalog name such as "nova-pro"
    response: str
    usage: dict
    cost: Optional[float]


ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def to_gateway_message(message: AnyMessage) -> dict:
    role = ROLES[message.type]
    content = message.content
    if not isinstance(content, str):
        content = [{"type": "text", "text": p["text"]} for p in content if isinstance(p, dict) and p.get("type") == "text"]
    out: dict[str, Any] = {"role": role, "content": content}
    if role == "tool":
        out["tool_call_id"] = message.tool_call_id
    return out


def make_llm_node(gateway: Gateway, model: str | None = None, stream: bool = False, **params):
    """A node calling generate with the state's model (else model) and
    messages; params (system, temperature, max_tokens, ...) are passed as
    they are. With stream=True each piece of text is written to the graph's
    "custom" stream as {"type": "delta", "text": ..., "model": ...}. A refused
    call raises GatewayError; retry it when error.retryable."""

    async def llm(state: GatewayState) -> dict:
        use = state.get("model") or model
        if not use:
            raise ValueError("llm node: no model in the state or the node's arguments")
        args = {"model": use, "messages": [to_gateway_message(m) for m in state["messages"]], **params}
        on_delta = None
        if stream:
            writer = get_stream_writer()

            def on_delta(text: str) -> None:
                writer({"type": "delta", "text": text, "model": use})

        res = await gateway.generate(args, on_delta=on_delta)
        usage = res["usage"]
        message = AIMessage(
            content=res["content"],
            response_metadata={k: res.get(k) for k in ("model", "model_id", "finish_reason", "cached", "latency_ms")},
            usage_metadata={k: usage[k] for k in ("input_tokens", "output_tokens", "total_tokens")},
        )
        return {"messages": [message], "response": res["content"], "usage": usage, "cost": res.get("estimated_cost_usd")}

    return llm
