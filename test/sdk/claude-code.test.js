// Claude Code's CLI from npm, pointed at the gateway with
// ANTHROPIC_BASE_URL and an agent key, answers a one-shot prompt
// (claude -p) non-interactively, on Bedrock's (simulated) Claude.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

import { startGateway } from "./gateway.js";

const CLAUDE = resolve(import.meta.dirname, "node_modules/.bin/claude");
const run = promisify(execFile);

/** Runs `claude -p PROMPT ARGS…` against the gateway in a fresh home. */
async function claude(gw, prompt, args = [], auth = { ANTHROPIC_AUTH_TOKEN: gw.key }) {
  const home = mkdtempSync(join(tmpdir(), "claude-home-"));
  return run(CLAUDE, ["-p", prompt, ...args], {
    cwd: home,
    timeout: 120_000,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      ANTHROPIC_BASE_URL: gw.url,
      // Claude Code's background calls (titles, summaries) use the small
      // model: named the way Anthropic's API names it, dated.
      ANTHROPIC_SMALL_FAST_MODEL: "claude-haiku-4-5-20251001",
      // Nothing leaves the machine: no telemetry, error reports or update checks.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      ...auth,
    },
  });
}

describe("Claude Code (claude -p)", () => {
  let gw;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw?.stop();
  });

  it("answers a one-shot prompt through the gateway with ANTHROPIC_AUTH_TOKEN", async () => {
    const { stdout } = await claude(gw, "Say hello [sim:reply=Hello from Bedrock via the gateway]", ["--model", "claude-sonnet-4-6"]);
    assert.equal(stdout.trim(), "Hello from Bedrock via the gateway");
  });

  it("answers on its own default model, which the catalog resolves", async () => {
    const { stdout } = await claude(gw, "Say hello [sim:reply=Default model answers]");
    assert.equal(stdout.trim(), "Default model answers");
  });

  it("answers with ANTHROPIC_API_KEY and a dated model name, reporting usage in JSON output", async () => {
    const { stdout } = await claude(
      gw,
      "Say hi [sim:reply=Hi there]",
      ["--model", "claude-sonnet-4-5-20250929", "--output-format", "json"],
      { ANTHROPIC_API_KEY: gw.key },
    );
    const out = JSON.parse(stdout);
    assert.equal(out.is_error, false, stdout);
    assert.equal(out.result, "Hi there");
    // Claude Code marks its system prompt and last message with
    // cache_control: Bedrock's cache points put the prompt in the cache.
    assert.ok(out.usage.cache_creation_input_tokens > 0, JSON.stringify(out.usage));
  });
});
