"""A small client for llm-gateway over MCP.

It starts the gateway over stdio, or reaches a running one over Streamable
HTTP with an API key, through langchain-mcp-adapters' MultiServerMCPClient,
and calls the gateway's three tools (generate, list_models, get_stats) with
plain dicts in and out, using the gateway's own snake_case field names.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable

from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools

SERVER = "llm-gateway"
ERROR_META = "llm-gateway/error"  # where the gateway puts a failed call's kind


# The kinds of refusal by the gateway's policy: the call never reached Bedrock.
MODEL_NOT_ALLOWED = "model_not_allowed"  # not on this agent's allow-list
RATE_LIMITED = "rate_limited"  # wait limit["retry_after_seconds"], then retry
BUDGET_EXCEEDED = "budget_exceeded"  # a cheaper model, fewer max_tokens, or wait for limit["resets_at"]


class GatewayError(Exception):
    """A tool call the gateway refused or could not complete.

    kind is the gateway's error kind ("invalid_request", "throttled", ...,
    and the policy's refusals MODEL_NOT_ALLOWED, RATE_LIMITED,
    BUDGET_EXCEEDED); retryable is True when the same call may succeed
    later. A policy refusal also has limit: {limit, scope, unit, max, used,
    reserved, resets_at, retry_after_seconds} (README, Governance); None
    otherwise.
    """

    def __init__(self, kind: str, message: str, retryable: bool, limit: dict | None = None):
        super().__init__(f"[{kind}] {message}")
        self.kind = kind
        self.detail = message
        self.retryable = retryable
        self.limit = limit


def tool_error(result: Any) -> GatewayError:
    text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
    kind, message = "unknown", text
    m = re.match(r"^\[([a-z_-]+)\] ?(.*)$", text, re.S)
    if m:
        kind, message = m.group(1), m.group(2)
    meta = (result.meta or {}).get(ERROR_META) or {}
    limit = {k: v for k, v in meta.items() if k not in ("kind", "retryable")} if meta.get("limit") else None
    return GatewayError(meta.get("kind", kind), message, bool(meta.get("retryable", False)), limit)


def stdio_connection(command: str, args: list[str] | None = None, env: dict[str, str] | None = None) -> dict:
    """Start the gateway binary; env is added to this process's environment."""
    return {"transport": "stdio", "command": command, "args": args or [], "env": {**os.environ, **(env or {})}}


def http_connection(url: str, api_key: str | None = None) -> dict:
    """Reach a running gateway's /mcp endpoint with an API key."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return {"transport": "streamable_http", "url": url, "headers": headers}


def connection_from_env(env=os.environ) -> dict:
    """LLM_GATEWAY_URL and LLM_GATEWAY_KEY for HTTP, else LLM_GATEWAY_BIN
    (default "llm-gateway") with LLM_GATEWAY_ARGS (e.g. "--simulate")."""
    if env.get("LLM_GATEWAY_URL"):
        return http_connection(env["LLM_GATEWAY_URL"], env.get("LLM_GATEWAY_KEY"))
    return stdio_connection(env.get("LLM_GATEWAY_BIN", "llm-gateway"), env.get("LLM_GATEWAY_ARGS", "").split(), {"LOG_LEVEL": "WARN"})


class Gateway:
    """A connected gateway: one MCP session, shared by every call."""

    def __init__(self, session):
        self.session = session

    async def generate(self, args: dict, on_delta: Callable[[str], None] | None = None) -> dict:
        """Call generate; with on_delta, stream the answer piece by piece.

        The pieces add up to the result's content: an answer sent whole (from
        the cache, say) arrives as one piece. Every call asks for progress,
        so the gateway's keep-alive beats reach the client during long calls.
        """
        got: list[str] = []

        async def progress(_progress: float, _total: float | None, message: str | None) -> None:
            if on_delta and message:  # keep-alive beats carry no text
                got.append(message)
                on_delta(message)

        if on_delta:
            args = {**args, "stream": True}
        result = await self._call("generate", args, progress)
        if on_delta:
            sent = "".join(got)
            content = result.get("content", "")
            if content.startswith(sent) and len(content) > len(sent):
                on_delta(content[len(sent):])
        return result

    async def list_models(self, **filters: str) -> list[dict]:
        return (await self._call("list_models", filters))["models"]

    async def get_stats(self) -> dict:
        return await self._call("get_stats", {})

    async def tools(self):
        """The gateway's tools as LangChain tools."""
        return await load_mcp_tools(self.session)

    async def _call(self, name: str, args: dict, progress=None) -> dict:
        result = await self.session.call_tool(name, args, progress_callback=progress)
        if result.isError:
            raise tool_error(result)
        if result.structuredContent is not None:
            return result.structuredContent
        return json.loads(next(c.text for c in result.content if c.type == "text"))


@asynccontextmanager
async def connect(connection: dict | None = None) -> AsyncIterator[Gateway]:
    """Open one session with a gateway for the length of the block."""
    client = MultiServerMCPClient({SERVER: connection or connection_from_env()})
    async with client.session(SERVER) as session:
        yield Gateway(session)
