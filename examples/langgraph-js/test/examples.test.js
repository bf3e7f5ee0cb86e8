// Runs the five examples, and the node's error handling, against a real
// gateway with its built-in Bedrock simulator: once over stdio, once over
// Streamable HTTP with an API key.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { GatewayError } from "../src/gateway.js";
import { gatewayBinary, stdioGateway, httpGateway } from "./gateways.js";
import * as single from "../examples/01-single-agent.js";
import * as three from "../examples/02-three-agents.js";
import * as router from "../examples/03-router.js";
import * as streaming from "../examples/04-streaming.js";
import * as costAware from "../examples/05-cost-aware.js";
import * as openaiCompatible from "../examples/06-openai-compatible.js";

const bin = gatewayBinary();

for (const [transport, start] of [
  ["stdio", stdioGateway],
  ["http", httpGateway],
]) {
  describe(`examples over ${transport}`, () => {
    let gw;
    before(async () => {
      gw = await start(bin);
    });
    after(async () => {
      await gw?.stop();
    });

    it("1: an agent on one model", async () => {
      const out = await single.run(gw.gateway, "What is MCP? [sim:reply=A protocol for agents.]");
      assert.equal(out.response, "A protocol for agents.");
      assert.equal(out.model, "nova-pro");
      assert.equal(out.usage.total_tokens, out.usage.input_tokens + out.usage.output_tokens);
      assert.ok(out.cost > 0, `cost ${out.cost}`);
    });

    it("1: the node's retry policy rides out a throttled call", async () => {
      // The simulator throttles the first call with this text; the gateway
      // makes one attempt (BEDROCK_MAX_ATTEMPTS=1), says "throttled,
      // retryable", and LangGraph runs the node again.
      const out = await single.run(gw.gateway, `Retry me ${transport} [sim:throttle=1]`);
      assert.ok(out.response.length > 0);
      const stats = await gw.gateway.getStats();
      assert.ok(stats.metrics.errors_by_kind.throttled >= 1, JSON.stringify(stats.metrics.errors_by_kind));
    });

    it("2: three agents on three models share one gateway", async () => {
      const out = await three.run(gw.gateway);
      assert.deepEqual(
        out.answers.map((a) => [a.agent, a.model]),
        three.AGENTS.map((a) => [a.name, a.model]),
      );
      for (const a of three.AGENTS) {
        assert.ok(out.requests_by_model[a.model] >= 1, `${a.model} in ${JSON.stringify(out.requests_by_model)}`);
      }
      assert.ok(out.answers.every((a) => a.response.length > 0 && a.cost > 0));
    });

    it("3: a router picks the model by task", async () => {
      const out = await router.run(gw.gateway);
      assert.deepEqual(
        out.map((r) => [r.task, r.model, r.answered_by]),
        [
          ["code", "claude-sonnet-4-6", "claude-sonnet-4-6"],
          ["summary", "nova-micro", "nova-micro"],
          ["analysis", "nova-pro", "nova-pro"],
          ["general", "llama-3-3-70b", "llama-3-3-70b"],
        ],
      );
    });

    it("4: a streamed answer arrives in pieces that add up to the response", async () => {
      const seen = [];
      const out = await streaming.run(gw.gateway, `Stream over ${transport} [sim:token-delay=1ms]`, (t) => seen.push(t));
      assert.ok(out.pieces > 1, `only ${out.pieces} piece(s)`);
      assert.equal(seen.join(""), out.response);
      assert.equal(out.streamed, out.response);
      assert.ok(out.usage.output_tokens > 0);
    });

    it("5: a cost-aware agent moves to a cheaper model once its budget is spent", async () => {
      const out = await costAware.run(gw.gateway, { budget_usd: 0.00001, tasks: [`Name it (${transport}).`, "Tag it.", "Tweet it."] });
      assert.deepEqual(
        out.log.map((l) => l.model),
        [costAware.PREFERRED, costAware.CHEAP, costAware.CHEAP],
      );
      assert.equal(out.log[0].spent_before, 0);
      // spent_before is a difference of two dollar totals in floating point.
      assert.ok(Math.abs(out.log[1].spent_before - out.log[0].cost) < 1e-12, JSON.stringify(out.log));
    });

    it("a refused call surfaces the gateway's error kind", async () => {
      await assert.rejects(
        gw.gateway.generate({ model: "nova-lite", messages: [{ role: "user", content: "hi" }], temperature: 5 }),
        (err) => err instanceof GatewayError && err.kind === "invalid_request" && !err.retryable && /temperature/.test(err.message),
      );
      await assert.rejects(
        gw.gateway.generate({ model: "claude-3-5-sonnet", messages: [{ role: "user", content: "hi" }] }),
        (err) => err instanceof GatewayError && err.kind === "model_end_of_life" && /claude-sonnet-4-6/.test(err.message),
      );
    });

    it("the gateway's tools load as LangChain tools", async () => {
      const tools = await gw.gateway.tools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ["generate", "get_stats", "list_models"]);
      const models = await gw.gateway.listModels({ provider: "anthropic" });
      assert.ok(models.length > 0 && models.every((m) => m.provider === "anthropic"));
    });
  });
}

// The gateway's own budget: a daily cap on nova-pro smaller than one call's
// worst case (300 output tokens at nova-pro's price), so the gateway
// refuses it with budget_exceeded before Bedrock, whoever asks.
const policyFile = join(mkdtempSync(join(tmpdir(), "llm-gateway-policy-")), "policy.yaml");
writeFileSync(policyFile, "models:\n  nova-pro: { budget: { daily_usd: 0.0005 } }\n");

for (const [transport, start] of [
  ["stdio", stdioGateway],
  ["http", httpGateway],
]) {
  describe(`example 5 under the gateway's policy over ${transport}`, () => {
    let gw;
    before(async () => {
      gw = await start(bin, { POLICY_FILE: policyFile });
    });
    after(async () => {
      await gw?.stop();
    });

    it("5: refused by the gateway's budget, the agent moves to the cheaper model", async () => {
      const out = await costAware.run(gw.gateway, { budget_usd: 1, tasks: [`Name it (${transport}, policy).`, "Tag it.", "Tweet it."] });
      assert.deepEqual(
        out.log.map((l) => [l.model, l.refused]),
        [
          [costAware.CHEAP, "budget.daily_usd"],
          [costAware.CHEAP, "budget.daily_usd"],
          [costAware.CHEAP, "budget.daily_usd"],
        ],
      );
      await assert.rejects(
        gw.gateway.generate({ model: "nova-pro", messages: [{ role: "user", content: "hi" }], max_tokens: 300 }),
        (err) =>
          err instanceof GatewayError &&
          err.kind === "budget_exceeded" &&
          err.limit?.scope === "model:nova-pro" &&
          err.limit?.max === 0.0005 &&
          typeof err.limit?.resets_at === "string",
      );
    });
  });
}

describe("example 6 over the OpenAI-compatible API", () => {
  let gw;
  before(async () => {
    gw = await httpGateway(bin);
  });
  after(async () => {
    await gw?.stop();
  });

  it("6: a LangGraph tool loop on ChatOpenAI with the gateway as its baseURL", async () => {
    const baseURL = gw.url.replace(/\/mcp$/, "/v1");
    const out = await openaiCompatible.run(
      { baseURL, apiKey: gw.key },
      'Weather in Paris? [sim:tool=get_weather:{"city":"Paris"}]',
    );
    assert.deepEqual(out.tools_called, ["get_weather"]);
    assert.equal(out.model, openaiCompatible.MODEL);
    assert.ok(out.response.length > 0);
    assert.ok(out.usage.output_tokens > 0, JSON.stringify(out.usage));
    // The calls were the key's agent's, on the same gateway as MCP's.
    const stats = await gw.gateway.getStats();
    assert.ok(stats.metrics.requests_by_agent["langgraph-test"].requests >= 2, JSON.stringify(stats.metrics.requests_by_agent));
  });

  it("6: a wrong key is ChatOpenAI's authentication error", async () => {
    const baseURL = gw.url.replace(/\/mcp$/, "/v1");
    await assert.rejects(openaiCompatible.run({ baseURL, apiKey: "not-a-key" }, "Hi"), (err) => err.status === 401 || /401/.test(String(err)));
  });
});
