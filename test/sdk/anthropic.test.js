// The official Anthropic SDK against the gateway's Anthropic-compatible
// API, with only baseURL and apiKey changed.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";

import { startGateway, PNG_1X1 } from "./gateway.js";

describe("@anthropic-ai/sdk", () => {
  let gw;
  let client;
  before(async () => {
    gw = await startGateway();
    client = new Anthropic({ baseURL: gw.url, apiKey: gw.key, maxRetries: 0 });
  });
  after(async () => {
    await gw?.stop();
  });

  it("creates a message, with usage and the gateway's cost in headers", async () => {
    const { data, response } = await client.messages
      .create({
        model: "claude-sonnet-4-6",
        max_tokens: 100,
        system: "Be brief.",
        messages: [{ role: "user", content: "Say hello [sim:reply=Hello from Bedrock]" }],
      })
      .withResponse();
    assert.equal(data.type, "message");
    assert.equal(data.role, "assistant");
    assert.deepEqual(data.content, [{ type: "text", text: "Hello from Bedrock" }]);
    assert.equal(data.stop_reason, "end_turn");
    assert.equal(data.model, "claude-sonnet-4-6");
    assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
    assert.equal(response.headers.get("x-llm-gateway-cache"), "miss");
    assert.ok(Number(response.headers.get("x-llm-gateway-cost-usd")) > 0);
    assert.equal(data.llm_gateway.model, "claude-sonnet-4-6");
  });

  it("takes service_tier auto and standard_only (Bedrock's default tier), and refuses other values", async () => {
    for (const tier of ["auto", "standard_only"]) {
      const res = await client.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 20,
        service_tier: tier,
        messages: [{ role: "user", content: `Hi ${tier} [sim:reply=Standard]` }],
      });
      assert.deepEqual(res.content, [{ type: "text", text: "Standard" }]);
    }
    await assert.rejects(
      client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 20, service_tier: "priority", messages: [{ role: "user", content: "Hi" }] }),
      (err) => err instanceof Anthropic.BadRequestError && /service_tier/.test(err.message),
    );
  });

  it("maps Anthropic's dated model names to catalog models", async () => {
    const res = await client.messages.create({
      model: "claude-haiku-4-5-20251001",
      max_tokens: 50,
      messages: [{ role: "user", content: "Hi" }],
    });
    assert.equal(res.model, "claude-haiku-4-5-20251001");
    assert.equal(res.llm_gateway.model, "claude-haiku-4-5");
  });

  it("streams, and finalMessage() accumulates the whole message", async () => {
    const stream = client.messages.stream({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      messages: [{ role: "user", content: "Stream this [sim:reply=one two three four]" }],
    });
    let text = "";
    stream.on("text", (t) => {
      text += t;
    });
    const final = await stream.finalMessage();
    assert.equal(text, "one two three four");
    assert.deepEqual(final.content, [{ type: "text", text: "one two three four" }]);
    assert.equal(final.stop_reason, "end_turn");
    assert.ok(final.usage.input_tokens > 0, JSON.stringify(final.usage));
    assert.ok(final.usage.output_tokens > 0, JSON.stringify(final.usage));
  });

  it("runs a tool-use round trip, streamed and not", async () => {
    const tools = [
      {
        name: "get_weather",
        description: "The weather in a city",
        input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    ];
    const messages = [{ role: "user", content: 'Weather in Paris? [sim:tool=get_weather:{"city":"Paris"}]' }];
    const first = await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 200, messages, tools });
    assert.equal(first.stop_reason, "tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    assert.equal(use.name, "get_weather");
    assert.deepEqual(use.input, { city: "Paris" });

    // The same call streamed: the helper parses the input JSON.
    const streamed = await client.messages.stream({ model: "claude-sonnet-4-6", max_tokens: 200, messages, tools }).finalMessage();
    const streamedUse = streamed.content.find((b) => b.type === "tool_use");
    assert.deepEqual(streamedUse.input, { city: "Paris" });
    assert.equal(streamed.stop_reason, "tool_use");

    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "18C and sunny" }] },
    );
    const second = await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 200, messages, tools });
    assert.equal(second.stop_reason, "end_turn");
    assert.ok(second.content[0].text.length > 0);
  });

  it("reports prompt-cache writes and reads for cache_control", async () => {
    const system = [{ type: "text", text: "You are a careful assistant. ".repeat(40), cache_control: { type: "ephemeral" } }];
    const first = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 50,
      system,
      messages: [{ role: "user", content: "First question" }],
    });
    assert.ok(first.usage.cache_creation_input_tokens > 0, JSON.stringify(first.usage));
    assert.equal(first.usage.cache_read_input_tokens, 0);
    const second = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 50,
      system,
      messages: [{ role: "user", content: "Second question" }],
    });
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens, JSON.stringify(second.usage));
  });

  it("takes a base64 image", async () => {
    const res = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } },
            { type: "text", text: "What is in it? [sim:describe]" },
          ],
        },
      ],
    });
    const sum = createHash("sha256").update(Buffer.from(PNG_1X1, "base64")).digest("hex");
    assert.match(res.content[0].text, new RegExp(`image png \\d+ bytes sha256=${sum}`));
  });

  it("counts tokens", async () => {
    const res = await client.messages.countTokens({
      model: "claude-sonnet-4-6",
      messages: [{ role: "user", content: "How many tokens is this?" }],
    });
    assert.ok(res.input_tokens > 0);
  });

  it("raises NotFoundError for an unknown model, and AuthenticationError for a wrong key", async () => {
    await assert.rejects(
      client.messages.create({ model: "claude-opus-1-0", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] }),
      (err) => err instanceof Anthropic.NotFoundError && err.status === 404 && /unknown_model/.test(err.message),
    );
    const bad = new Anthropic({ baseURL: gw.url, apiKey: "not-a-key", maxRetries: 0 });
    await assert.rejects(
      bad.messages.create({ model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] }),
      Anthropic.AuthenticationError,
    );
    // Claude Code's ANTHROPIC_AUTH_TOKEN arrives as Authorization: Bearer.
    const bearer = new Anthropic({ baseURL: gw.url, authToken: gw.key, apiKey: null, maxRetries: 0 });
    const ok = await bearer.messages.create({ model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] });
    assert.equal(ok.type, "message");
  });

  it("retries a 429 after Retry-After", async () => {
    const statuses = [];
    const counting = new Anthropic({
      baseURL: gw.url,
      apiKey: gw.key,
      maxRetries: 2,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        statuses.push([res.status, res.headers.get("retry-after")]);
        return res;
      },
    });
    const res = await counting.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 50,
      messages: [{ role: "user", content: "Throttle me once [sim:throttle=1]" }],
    });
    assert.equal(res.type, "message");
    assert.deepEqual(statuses, [
      [429, "1"],
      [200, null],
    ]);
  });

  it("lists the catalog as models", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes("claude-sonnet-4-6"), ids.join(","));
  });
});
