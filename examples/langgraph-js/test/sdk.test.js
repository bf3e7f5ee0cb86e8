// The official TypeScript SDK's own client, with no adapter in between,
// against the gateway over stdio, Streamable HTTP (sessions, the default)
// and SSE: the tools list, their results validate against the advertised
// output schemas (the SDK checks structuredContent), log notifications
// arrive at the level asked for, and the resources read.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

import { gatewayBinary, httpGateway } from "./gateways.js";

const bin = gatewayBinary();
const ENV = { BEDROCK_MAX_ATTEMPTS: "1", LOG_LEVEL: "WARN", STORE_URL: "memory:" };

describe("TypeScript SDK client", () => {
  let http;
  before(async () => {
    http = await httpGateway(bin);
  });
  after(async () => {
    await http?.stop();
  });

  const transports = {
    stdio: () =>
      new StdioClientTransport({
        command: bin,
        args: ["--simulate"],
        env: { ...process.env, ...ENV },
        cwd: mkdtempSync(join(tmpdir(), "llm-gateway-cwd-")),
        stderr: "ignore",
      }),
    "streamable http": () =>
      new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { Authorization: `Bearer ${http.key}` } } }),
    sse: () => {
      const headers = { Authorization: `Bearer ${http.key}` };
      return new SSEClientTransport(new URL(http.url.replace(/\/mcp$/, "/sse")), {
        requestInit: { headers },
        eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...headers } }) },
      });
    },
  };

  for (const [name, transport] of Object.entries(transports)) {
    it(`works over ${name}`, async () => {
      const client = new Client({ name: `ts-sdk-${name}`, version: "1" });
      const logs = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params.data));
      await client.connect(transport());
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), ["generate", "get_stats", "list_models"]);

        // The SDK validates structuredContent against each outputSchema.
        const models = await client.callTool({ name: "list_models", arguments: {} });
        assert.ok(!models.isError, JSON.stringify(models.content));
        assert.ok(models.structuredContent.count > 0);
        const full = await client.callTool({ name: "list_models", arguments: { detail: true } });
        assert.ok(full.structuredContent.count > models.structuredContent.count);
        const picked = await client.callTool({ name: "list_models", arguments: { fields: ["context_window", "input_cost_per_1k"] } });
        assert.ok(!picked.isError, JSON.stringify(picked.content));
        assert.deepEqual(Object.keys(picked.structuredContent.models[0]).sort(), ["context_window", "input_cost_per_1k", "name"]);

        await client.setLoggingLevel("warning");
        const res = await client.callTool({
          name: "generate",
          arguments: { model: "claude-sonnet-4-5", messages: [{ role: "user", content: `hi over ${name}` }] },
          _meta: { "io.modelcontextprotocol/logLevel": "warning" },
        });
        assert.ok(!res.isError, JSON.stringify(res.content));
        assert.match(res.structuredContent.content, new RegExp(`hi over ${name}`));
        // The notification is sent before the result, on the same stream.
        for (let i = 0; i < 100 && !logs.some((d) => d.kind === "lifecycle"); i++) await new Promise((r) => setImmediate(r));
        assert.ok(
          logs.some((d) => d.kind === "lifecycle" && d.message.includes("claude-sonnet-4-5")),
          `log notifications: ${JSON.stringify(logs)}`,
        );

        const { resources } = await client.listResources();
        assert.deepEqual(resources.map((r) => r.uri).sort(), ["llm-gateway://models", "llm-gateway://usage"]);
        const usage = await client.readResource({ uri: "llm-gateway://usage" });
        assert.ok(JSON.parse(usage.contents[0].text).metrics.total_requests >= 1);
      } finally {
        await client.close();
      }
    });
  }
});
