// A gateway for the SDK tests: the llm-gateway binary with its built-in
// Bedrock simulator, over HTTP on a free loopback port, with one API key.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

const REPO = resolve(import.meta.dirname, "../..");

/** The gateway binary: LLM_GATEWAY_BIN, or one built from this repository. */
export function gatewayBinary() {
  if (process.env.LLM_GATEWAY_BIN) return process.env.LLM_GATEWAY_BIN;
  const bin = join(mkdtempSync(join(tmpdir(), "llm-gateway-sdk-")), "llm-gateway");
  execFileSync("go", ["build", "-o", bin, "./cmd/llm-gateway"], { cwd: REPO, stdio: "inherit" });
  process.env.LLM_GATEWAY_BIN = bin;
  return bin;
}

/**
 * Starts a gateway over HTTP with the simulator and one API key, and
 * returns { url, key, stop }. One Bedrock attempt per call, so that a
 * throttled call reaches the client as a 429. The port is read from the
 * gateway's JSON log.
 */
export async function startGateway(env = {}) {
  const bin = gatewayBinary();
  const key = randomBytes(24).toString("hex");
  const cwd = mkdtempSync(join(tmpdir(), "llm-gateway-cwd-")); // no stray .env
  const child = spawn(bin, ["--simulate", "--transport", "http", "--addr", "127.0.0.1:0"], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      BEDROCK_MAX_ATTEMPTS: "1",
      LOG_LEVEL: "INFO",
      LOG_FORMAT: "json",
      API_KEYS: `sdk-test:${key}`,
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const log = [];
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not report its address within 60s:\n${log.join("\n")}`)), 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${log.join("\n")}`));
    });
    createInterface({ input: child.stderr }).on("line", (line) => {
      log.push(line);
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (rec.msg === "gateway listening" && rec.url) {
        clearTimeout(timer);
        resolve(new URL(rec.url).host);
      }
    });
  });
  return {
    url: `http://${addr}`,
    key,
    log,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A 1×1 PNG, for image input. */
export const PNG_1X1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
