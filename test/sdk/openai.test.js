// The official OpenAI SDK against the gateway's OpenAI-compatible API, with
// only baseURL and apiKey changed.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import OpenAI from "openai";

import { startGateway, PNG_1X1 } from "./gateway.js";

describe("openai SDK", () => {
  let gw;
  let client;
  before(async () => {
    gw = await startGateway();
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.key, maxRetries: 0 });
  });
  after(async () => {
    await gw?.stop();
  });

  it("answers a chat completion, with usage and the gateway's cost in headers", async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: "nova-lite",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Say hello [sim:reply=Hello from Bedrock]" },
        ],
        max_tokens: 50,
      })
      .withResponse();
    assert.equal(data.object, "chat.completion");
    assert.equal(data.choices[0].message.role, "assistant");
    assert.equal(data.choices[0].message.content, "Hello from Bedrock");
    assert.equal(data.choices[0].finish_reason, "stop");
    assert.ok(data.usage.prompt_tokens > 0 && data.usage.completion_tokens > 0);
    assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
    assert.equal(response.headers.get("x-llm-gateway-cache"), "miss");
    assert.ok(Number(response.headers.get("x-llm-gateway-cost-usd")) > 0, response.headers.get("x-llm-gateway-cost-usd"));
    assert.equal(data.llm_gateway.model, "nova-lite");

    // The same request again is the gateway's cache hit, at no cost.
    const again = await client.chat.completions
      .create({
        model: "nova-lite",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Say hello [sim:reply=Hello from Bedrock]" },
        ],
        max_tokens: 50,
      })
      .withResponse();
    assert.equal(again.response.headers.get("x-llm-gateway-cache"), "hit");
    assert.equal(again.response.headers.get("x-llm-gateway-cost-usd"), "0");
    assert.equal(again.data.choices[0].message.content, "Hello from Bedrock");
  });

  it("streams a chat completion with the usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "nova-lite",
      messages: [{ role: "user", content: "Stream this [sim:reply=one two three four]" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let chunks = 0;
    let finish;
    let usage;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? "";
        finish = c.finish_reason ?? finish;
      }
    }
    assert.equal(text, "one two three four");
    assert.ok(chunks >= 4, `only ${chunks} chunks`);
    assert.equal(finish, "stop");
    assert.ok(usage.completion_tokens > 0);
  });

  it("runs a tool-calling round trip", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "The weather in a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const messages = [{ role: "user", content: 'Weather in Paris? [sim:tool=get_weather:{"city":"Paris"}]' }];
    const first = await client.chat.completions.create({ model: "nova-pro", messages, tools, tool_choice: "auto" });
    const msg = first.choices[0].message;
    assert.equal(first.choices[0].finish_reason, "tool_calls");
    assert.equal(msg.tool_calls.length, 1);
    assert.equal(msg.tool_calls[0].function.name, "get_weather");
    assert.deepEqual(JSON.parse(msg.tool_calls[0].function.arguments), { city: "Paris" });

    messages.push(msg, { role: "tool", tool_call_id: msg.tool_calls[0].id, content: "18C and sunny" });
    const second = await client.chat.completions.create({ model: "nova-pro", messages, tools });
    assert.equal(second.choices[0].finish_reason, "stop");
    assert.ok(second.choices[0].message.content.length > 0);
  });

  it("streams tool calls", async () => {
    const stream = await client.chat.completions.create({
      model: "nova-pro",
      messages: [{ role: "user", content: 'Look it up [sim:tool=lookup:{"q":"x"}]' }],
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } } }],
      stream: true,
    });
    const calls = [];
    let finish;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        for (const tc of c.delta.tool_calls ?? []) calls[tc.index] = tc;
        finish = c.finish_reason ?? finish;
      }
    }
    assert.equal(finish, "tool_calls");
    assert.equal(calls[0].function.name, "lookup");
    assert.deepEqual(JSON.parse(calls[0].function.arguments), { q: "x" });
  });

  it("takes an image as a data URL", async () => {
    const res = await client.chat.completions.create({
      model: "nova-lite",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in it? [sim:describe]" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
          ],
        },
      ],
    });
    const sum = createHash("sha256").update(Buffer.from(PNG_1X1, "base64")).digest("hex");
    // The simulator describes the bytes Bedrock received: the same image.
    assert.match(res.choices[0].message.content, new RegExp(`image png \\d+ bytes sha256=${sum}`));
  });

  it("raises NotFoundError for an unknown model", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] }),
      (err) => {
        assert.ok(err instanceof OpenAI.NotFoundError, `${err.constructor.name}: ${err.message}`);
        assert.equal(err.status, 404);
        assert.equal(err.code, "model_not_found");
        assert.equal(err.param, "model");
        return true;
      },
    );
  });

  it("raises BadRequestError with the field at fault", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: "nova-lite", n: 2, messages: [{ role: "user", content: "Hi" }] }),
      (err) => err instanceof OpenAI.BadRequestError && err.param === "n",
    );
  });

  it("maps service_tier to Bedrock's service tier, and refuses what Bedrock cannot serve", async () => {
    const flex = await client.chat.completions.create({
      model: "gpt-oss-120b",
      service_tier: "flex",
      messages: [{ role: "user", content: "Hi [sim:reply=Flexible]" }],
      max_tokens: 20,
    });
    assert.equal(flex.choices[0].message.content, "Flexible");
    assert.equal(flex.llm_gateway.model, "gpt-oss-120b");
    // nova-lite offers no flex tier: refused before Bedrock, naming the field.
    await assert.rejects(
      client.chat.completions.create({ model: "nova-lite", service_tier: "flex", messages: [{ role: "user", content: "Hi" }] }),
      (err) => err instanceof OpenAI.BadRequestError && err.param === "service_tier" && /offers/.test(err.message),
    );
    await assert.rejects(
      client.chat.completions.create({ model: "nova-lite", service_tier: "turbo", messages: [{ role: "user", content: "Hi" }] }),
      (err) => err instanceof OpenAI.BadRequestError && err.param === "service_tier",
    );
  });

  it("lists the catalog as models", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes("nova-lite") && ids.includes("claude-sonnet-4-6"), ids.join(","));
    const one = await client.models.retrieve("nova-pro");
    assert.equal(one.owned_by, "amazon");
  });

  it("refuses a wrong key with AuthenticationError", async () => {
    const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "not-a-key", maxRetries: 0 });
    await assert.rejects(bad.models.list(), OpenAI.AuthenticationError);
  });

  it("honours Retry-After on a 429 with its retry logic", async () => {
    const seen = [];
    const counting = new OpenAI({
      baseURL: `${gw.url}/v1`,
      apiKey: gw.key,
      maxRetries: 2,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        seen.push({ at: performance.now(), status: res.status, retryAfter: res.headers.get("retry-after") });
        return res;
      },
    });
    // The simulator throttles the first call with this body; the gateway
    // makes one Bedrock attempt and answers 429 with Retry-After.
    const res = await counting.chat.completions.create({
      model: "nova-lite",
      messages: [{ role: "user", content: "Throttle me once [sim:throttle=1]" }],
    });
    assert.ok(res.choices[0].message.content.length > 0);
    assert.deepEqual(
      seen.map((s) => [s.status, s.retryAfter]),
      [
        [429, "1"],
        [200, null],
      ],
    );
    // The SDK waited as long as Retry-After said before trying again.
    assert.ok(seen[1].at - seen[0].at >= 950, `retried after ${seen[1].at - seen[0].at}ms`);

    // Without retries the 429 reaches the caller as RateLimitError.
    const once = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.key, maxRetries: 0 });
    await assert.rejects(
      once.chat.completions.create({ model: "nova-lite", messages: [{ role: "user", content: "Again [sim:throttle=1]" }] }),
      OpenAI.RateLimitError,
    );
  });
});
