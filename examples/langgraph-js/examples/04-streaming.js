// Example 4: a streamed answer. The LLM node streams (stream: true): the
// gateway sends each piece of text as an MCP progress notification, and the
// node writes it to LangGraph's "custom" stream, which the caller reads with
// graph.stream(..., { streamMode: ["custom", "values"] }).

import { StateGraph, START, END } from "@langchain/langgraph";
import { GatewayState, createLLMNode } from "../src/llm-node.js";
import { runIfMain } from "../src/cli.js";

const MODEL = "nova-lite";

export function buildAgent(gateway) {
  return new StateGraph(GatewayState)
    .addNode("llm", createLLMNode(gateway, { model: MODEL, stream: true, max_tokens: 800 }))
    .addEdge(START, "llm")
    .addEdge("llm", END)
    .compile();
}

/** Streams the answer; onText gets each piece (the command line prints it). */
export async function run(gateway, question = "Explain streaming in one paragraph.", onText = () => {}) {
  const pieces = [];
  let final;
  const stream = await buildAgent(gateway).stream(
    { messages: [{ role: "user", content: question }] },
    { streamMode: ["custom", "values"] },
  );
  for await (const [mode, chunk] of stream) {
    if (mode === "custom" && chunk.type === "delta") {
      pieces.push(chunk.text);
      onText(chunk.text);
    } else if (mode === "values") {
      final = chunk;
    }
  }
  return { model: MODEL, pieces: pieces.length, streamed: pieces.join(""), response: final.response, usage: final.usage, cost: final.cost };
}

await runIfMain(import.meta.url, (gateway) => run(gateway, undefined, (text) => process.stderr.write(text)));
