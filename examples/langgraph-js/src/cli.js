// Lets each example run on its own: `node examples/01-single-agent.js`
// connects as optionsFromEnv says, runs the example and prints its result.

import { pathToFileURL } from "node:url";
import { connectGateway, optionsFromEnv } from "./gateway.js";

export async function runIfMain(moduleURL, run) {
  if (!process.argv[1] || moduleURL !== pathToFileURL(process.argv[1]).href) return;
  const gateway = await connectGateway(optionsFromEnv());
  try {
    const result = await run(gateway);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await gateway.close();
  }
}
