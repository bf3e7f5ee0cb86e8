// Gateways for the tests: the llm-gateway binary against its built-in
// Bedrock simulator, reached over stdio and over Streamable HTTP with a key.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { connectGateway } from "../src/gateway.js";

const REPO = resolve(import.meta.dirname, "../../..");

// Settings shared by both transports: the simulator, one Bedrock attempt
// per call (so that a throttled call reaches the agent), a quiet log.
// Each gateway keeps its ledger and shared answer cache in memory: with the
// default SQLite file in the data directory, one test's answers would be
// cache hits in the next (and in the next run).
const GATEWAY_ENV = { BEDROCK_MAX_ATTEMPTS: "1", LOG_LEVEL: "WARN", STORE_URL: "memory:" };

/** The gateway binary: LLM_GATEWAY_BIN, or one built from this repository. */
export function gatewayBinary() {
  if (process.env.LLM_GATEWAY_BIN) return process.env.LLM_GATEWAY_BIN;
  const bin = join(mkdtempSync(join(tmpdir(), "llm-gateway-js-")), "llm-gateway");
  execFileSync("go", ["build", "-o", bin, "./cmd/llm-gateway"], { cwd: REPO, stdio: "inherit" });
  process.env.LLM_GATEWAY_BIN = bin;
  return bin;
}

/** Starts a gateway over stdio (the client starts it) and connects; env adds settings. */
export async function stdioGateway(bin, env = {}) {
  const cwd = mkdtempSync(join(tmpdir(), "llm-gateway-cwd-")); // no stray .env
  const gateway = await connectGateway({
    command: bin,
    args: ["--simulate"],
    env: { ...GATEWAY_ENV, ...env },
    cwd,
    stderr: "ignore",
    name: "langgraph-test",
  });
  return { gateway, stop: () => gateway.close() };
}

/**
 * Starts a gateway over HTTP on a free loopback port with one API key and
 * connects to it with that key. The port is read from the gateway's JSON
 * log, which names the address it listens on.
 */
export async function httpGateway(bin, env = {}) {
  const key = randomBytes(24).toString("hex");
  const cwd = mkdtempSync(join(tmpdir(), "llm-gateway-cwd-"));
  const child = spawn(bin, ["--simulate", "--transport", "http", "--addr", "127.0.0.1:0"], {
    cwd,
    env: { ...process.env, ...GATEWAY_ENV, LOG_LEVEL: "INFO", LOG_FORMAT: "json", API_KEYS: `langgraph-test:${key}`, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("gateway did not report its address within 30s")), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening`));
    });
    createInterface({ input: child.stderr }).on("line", (line) => {
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      // The gateway logs its URL once it listens ("gateway listening");
      // the HTTP server logs its address ("serving MCP over HTTP").
      const addr =
        rec.msg === "gateway listening" && rec.url ? new URL(rec.url).host : rec.msg === "serving MCP over HTTP" ? rec.addr : undefined;
      if (addr) {
        clearTimeout(timer);
        resolve(addr);
      }
    });
  });
  const url = `http://${addr}/mcp`;
  const gateway = await connectGateway({ url, apiKey: key, name: "langgraph-test" });
  return {
    gateway,
    url,
    key,
    stop: async () => {
      await gateway.close();
      child.kill("SIGTERM");
      await exited;
    },
  };
}
