// A small client for llm-gateway over MCP: it starts the gateway over stdio
// or reaches a running one over Streamable HTTP with an API key, and calls
// its three tools (generate, list_models, get_stats) with plain objects in
// and out. It uses the official MCP SDK client, and @langchain/mcp-adapters
// to offer the same tools as LangChain tools.
//
// The wire format is the gateway's (see the repository's README, "Tools"):
// arguments and results use the gateway's snake_case field names as they
// are, so that nothing is renamed between this code and the gateway's docs.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { loadMcpTools } from "@langchain/mcp-adapters";

/** The _meta key under which the gateway reports a failed call's kind. */
const ERROR_META = "llm-gateway/error";

/**
 * A tool call the gateway refused or could not complete.
 * `kind` is the gateway's error kind ("invalid_request", "throttled", …,
 * and the policy's refusals: "model_not_allowed", "rate_limited",
 * "budget_exceeded"); `retryable` is true when the same call may succeed
 * later. A policy refusal also has `limit`: { limit, scope, unit, max, used,
 * reserved, resets_at, retry_after_seconds } (see the README, Governance).
 */
export class GatewayError extends Error {
  constructor(kind, message, retryable, limit = null) {
    super(`[${kind}] ${message}`);
    this.name = "GatewayError";
    this.kind = kind;
    this.retryable = retryable;
    this.detail = message;
    this.limit = limit;
  }
}

/** The kinds of refusal by the gateway's policy: the call never reached Bedrock. */
export const REFUSALS = Object.freeze({
  MODEL_NOT_ALLOWED: "model_not_allowed", // not on this agent's allow-list
  RATE_LIMITED: "rate_limited", // wait limit.retry_after_seconds, then retry
  BUDGET_EXCEEDED: "budget_exceeded", // a cheaper model, fewer max_tokens, or wait for limit.resets_at
});

/** Turns a tool result with isError into a GatewayError. */
export function toolError(result) {
  const text = (result.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");
  let kind = "unknown";
  let message = text;
  const m = /^\[([a-z_-]+)\] ?([\s\S]*)$/.exec(text);
  if (m) [, kind, message] = m;
  const meta = result._meta?.[ERROR_META];
  if (meta?.kind) kind = meta.kind;
  let limit = null;
  if (meta?.limit) {
    const { kind: _k, retryable: _r, ...figures } = meta;
    limit = figures;
  }
  return new GatewayError(kind, message, Boolean(meta?.retryable), limit);
}

/**
 * Connects to a gateway. Give either
 *   { command, args, env, cwd, stderr }  to start the binary over stdio
 *     (env is added to this process's environment; stderr is "inherit" by
 *     default: the gateway's log goes to this process's stderr), or
 *   { url, apiKey }  to reach a running gateway's /mcp endpoint.
 * `name` is the client name the gateway sees; over stdio its metrics count
 * this connection's calls under it (over HTTP, under the API key's name).
 */
export async function connectGateway(options) {
  const { name = "llm-gateway-langgraph", version = "0.1.0" } = options;
  let transport;
  if (options.url) {
    const headers = options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {};
    transport = new StreamableHTTPClientTransport(new URL(options.url), { requestInit: { headers } });
  } else if (options.command) {
    transport = new StdioClientTransport({
      command: options.command,
      args: options.args ?? [],
      env: { ...process.env, ...(options.env ?? {}) },
      cwd: options.cwd,
      stderr: options.stderr ?? "inherit",
    });
  } else {
    throw new Error("connectGateway: give command (the llm-gateway binary) or url (a gateway's /mcp endpoint)");
  }
  const client = new Client({ name, version });
  await client.connect(transport);
  return new Gateway(client);
}

/**
 * Connection options from the environment, for the examples' command lines:
 * LLM_GATEWAY_URL and LLM_GATEWAY_KEY for HTTP, else LLM_GATEWAY_BIN (default
 * "llm-gateway" on PATH) with LLM_GATEWAY_ARGS (space-separated, e.g.
 * "--simulate") over stdio.
 */
export function optionsFromEnv(env = process.env) {
  if (env.LLM_GATEWAY_URL) return { url: env.LLM_GATEWAY_URL, apiKey: env.LLM_GATEWAY_KEY };
  const args = (env.LLM_GATEWAY_ARGS ?? "").split(/\s+/).filter(Boolean);
  return { command: env.LLM_GATEWAY_BIN || "llm-gateway", args, env: { LOG_LEVEL: env.LOG_LEVEL ?? "WARN" } };
}

/** A connected gateway. Calls may run concurrently on one Gateway. */
export class Gateway {
  constructor(client) {
    /** The MCP SDK client, for anything this class does not cover. */
    this.client = client;
  }

  /**
   * Calls generate with the gateway's arguments ({ model, messages,
   * temperature, max_tokens, … }) and returns its result ({ content, model,
   * usage, estimated_cost_usd, cached, … }).
   *
   * With onDelta, the answer is streamed: onDelta(text) gets each piece as
   * the gateway sends it (MCP progress notifications), and the pieces add up
   * to the result's content — an answer sent whole (from the cache, say)
   * arrives as one piece. Every call asks for progress, so the gateway's
   * keep-alive beats keep a long call from timing out.
   */
  async generate(args, { onDelta, signal, timeout } = {}) {
    const stream = onDelta ? makeStream(onDelta) : null;
    const result = await this.#call("generate", stream ? { ...args, stream: true } : args, {
      signal,
      timeout,
      onprogress: (p) => stream?.delta(p.message),
    });
    stream?.finish(result.content);
    return result;
  }

  /** Lists the model catalog; filters: { provider, capability, status }. */
  async listModels(filters = {}) {
    return (await this.#call("list_models", filters)).models;
  }

  /** Usage, spend, cache and latency figures since the gateway started. */
  async getStats() {
    return this.#call("get_stats", {});
  }

  /** The gateway's tools as LangChain tools, for agents that pick tools themselves. */
  async tools() {
    return loadMcpTools("llm-gateway", this.client);
  }

  async close() {
    await this.client.close();
  }

  async #call(name, args, { signal, timeout, onprogress } = {}) {
    const result = await this.client.callTool({ name, arguments: args }, undefined, {
      signal,
      timeout,
      onprogress: onprogress ?? (() => {}),
      resetTimeoutOnProgress: true,
    });
    if (result.isError) throw toolError(result);
    if (result.structuredContent) return result.structuredContent;
    const text = result.content?.find((c) => c.type === "text")?.text;
    return JSON.parse(text);
  }
}

// makeStream passes streamed text on. Keep-alive beats carry no text and are
// skipped; the text not yet passed when the result arrives is passed then.
function makeStream(onDelta) {
  let got = "";
  return {
    delta(text) {
      if (!text) return;
      got += text;
      onDelta(text);
    },
    finish(content) {
      if (typeof content === "string" && content.startsWith(got) && content.length > got.length) {
        onDelta(content.slice(got.length));
      }
    },
  };
}
