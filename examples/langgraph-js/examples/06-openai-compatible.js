// Example 6: a LangGraph agent on LangChain's ChatOpenAI, reaching Bedrock
// through the gateway's OpenAI-compatible API. Nothing in it knows about
// MCP or Bedrock: ChatOpenAI gets the gateway's /v1 as its baseURL and an
// agent key as its apiKey, and the model is a catalog name. The graph is
// the usual tool loop: the model asks for a tool, the ToolNode runs it, the
// model answers with its result. The calls go through the same cache,
// limits and ledger as MCP calls, under the key's agent name.
//
// Run it against a gateway serving --transport http:
//   LLM_GATEWAY_OPENAI_URL=http://127.0.0.1:8080/v1 LLM_GATEWAY_KEY=… node examples/06-openai-compatible.js

import { pathToFileURL } from "node:url";
import { ChatOpenAI } from "@langchain/openai";
import { tool } from "@langchain/core/tools";
import { StateGraph, MessagesAnnotation, START } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

export const MODEL = "nova-pro"; // this agent's model, a catalog name

/** The agent's one tool; a real one would call a weather service. */
export const getWeather = tool(async ({ city }) => `18°C and sunny in ${city}`, {
  name: "get_weather",
  description: "The current weather in a city",
  schema: z.object({ city: z.string().describe("the city's name") }),
});

/** The gateway as an OpenAI chat model: only the base URL and key change. */
export function gatewayModel({ baseURL, apiKey, model = MODEL }) {
  return new ChatOpenAI({
    model,
    apiKey,
    temperature: 0.2,
    maxRetries: 2, // the SDK's retries wait for the gateway's Retry-After
    configuration: { baseURL },
  });
}

export function buildAgent(options) {
  const llm = gatewayModel(options).bindTools([getWeather]);
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await llm.invoke(state.messages)] }))
    .addNode("tools", new ToolNode([getWeather]))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition)
    .addEdge("tools", "agent")
    .compile();
}

export async function run(options, question = "What's the weather in Paris?") {
  const state = await buildAgent(options).invoke({ messages: [{ role: "user", content: question }] });
  const last = state.messages.at(-1);
  return {
    model: last.response_metadata?.model_name,
    response: last.content,
    tools_called: state.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.name)),
    usage: last.usage_metadata,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run({
    baseURL: process.env.LLM_GATEWAY_OPENAI_URL ?? "http://127.0.0.1:8080/v1",
    apiKey: process.env.LLM_GATEWAY_KEY,
  });
  console.log(JSON.stringify(result, null, 2));
}
