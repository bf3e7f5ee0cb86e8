// Drives the dashboard in Debian's headless Chromium: the page loads with
// no console errors and no request to another origin, its figures equal
// get_stats after calls made through MCP, a new call shows up live, and it
// fits a phone's width. Screenshots go to $OUT (docs/).
//
// Env: GW (the gateway binary), BASE (http://127.0.0.1:PORT), ADMIN and
// AGENT (keys), OUT (directory for the screenshots).
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";

const { GW, BASE, ADMIN, AGENT, OUT } = process.env;
const MCP = BASE + "/mcp";
const failures = [];
const fail = (msg) => { failures.push(msg); console.log("FAIL " + msg); };
const ok = (msg) => console.log("ok   " + msg);

function tool(name, ...args) {
  return JSON.parse(execFileSync(GW, ["call", name, "--url", MCP, "--key", AGENT, ...args], { encoding: "utf8" }));
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  const page = await context.newPage();
  const consoleErrors = [];
  const external = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  context.on("request", (r) => { if (!r.url().startsWith(BASE + "/") && !r.url().startsWith("data:")) external.push(r.url()); });

  // The admin key, typed once into the form; agent keys do not open it.
  await page.goto(BASE + "/ui/");
  await page.fill("#key", AGENT);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  if ((await page.locator("#rps").count()) !== 0) fail("an agent key opened the dashboard");
  else ok("an agent key does not open the dashboard");
  await page.goto(BASE + "/ui/");
  await page.fill("#key", ADMIN);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  await page.waitForSelector("#status.live", { timeout: 30000 });
  const cookies = await context.cookies();
  const c = cookies.find((x) => x.name === "llm_gateway_admin");
  if (!c || !c.httpOnly || c.sameSite !== "Strict") fail("session cookie not HttpOnly, SameSite=Strict: " + JSON.stringify(c));
  else ok("session cookie is HttpOnly and SameSite=Strict");
  // The console error of the refused login (401) is expected; count from here.
  consoleErrors.length = 0;

  // Figures equal get_stats.
  const stats = tool("get_stats");
  const m = stats.metrics;
  await page.waitForFunction((n) => document.querySelectorAll("#recent tr").length === n, Math.min(m.total_requests, 50), { timeout: 10000 });
  const shown = await page.evaluate(() => ({
    requests: last.all.requests, cost: last.all.cost_usd, hits: last.all.cache_hits,
    costText: document.getElementById("spend-today").textContent,
    rows: document.querySelectorAll("#recent tr").length,
    want: (v) => v,
  }));
  const wantCostText = await page.evaluate((v) => usd(v), m.total_cost_usd);
  if (shown.requests !== m.total_requests) fail(`dashboard requests ${shown.requests}, get_stats ${m.total_requests}`);
  else ok(`requests ${shown.requests} = get_stats total_requests`);
  if (Math.abs(shown.cost - m.total_cost_usd) > 1e-12) fail(`dashboard spend ${shown.cost}, get_stats ${m.total_cost_usd}`);
  else ok(`spend ${shown.cost} = get_stats total_cost_usd`);
  if (shown.costText !== wantCostText) fail(`"Spend today" shows ${shown.costText}, want ${wantCostText}`);
  else ok(`"Spend today" shows ${shown.costText}`);
  const hitRate = await page.textContent("#hit-rate");
  if (hitRate !== m.cache_hit_rate_percent.toFixed(1) + "%") fail(`hit rate ${hitRate}, get_stats ${m.cache_hit_rate_percent}`);
  else ok(`cache hit rate ${hitRate} = get_stats`);

  // A new call shows up live.
  const before = shown.rows;
  tool("generate", "--arg", "model=nova-lite", "--prompt", "a live call " + Date.now());
  const t0 = Date.now();
  await page.waitForFunction((n) => document.querySelectorAll("#recent tr").length === n, before + 1, { timeout: 10000 })
    .then(() => ok(`a new call showed up after ${Date.now() - t0} ms (polling every 1 s)`))
    .catch(() => fail("a new call did not show up within 10 s"));
  const text = await page.textContent("body");
  if (text.includes("a live call")) fail("the page shows prompt text");
  else ok("no prompt text on the page");

  await page.screenshot({ path: OUT + "/dashboard-desktop.png", fullPage: true });
  ok("screenshot " + OUT + "/dashboard-desktop.png");

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "dark", deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await phone.addCookies(cookies);
  const pp = await phone.newPage();
  pp.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  phone.on("request", (r) => { if (!r.url().startsWith(BASE + "/") && !r.url().startsWith("data:")) external.push(r.url()); });
  await pp.goto(BASE + "/ui/");
  await pp.waitForSelector("#status.live", { timeout: 30000 });
  const overflow = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) fail(`the page is ${overflow}px wider than a phone`);
  else ok("fits a phone's width");
  await pp.screenshot({ path: OUT + "/dashboard-phone.png", fullPage: false });
  ok("screenshot " + OUT + "/dashboard-phone.png");

  if (consoleErrors.length) fail("console errors: " + consoleErrors.join(" | "));
  else ok("no console errors");
  if (external.length) fail("requests to other origins: " + external.join(" "));
  else ok("no request left the gateway's origin");
} finally {
  await browser.close();
}
if (failures.length) {
  console.log(`dashboard: ${failures.length} checks failed`);
  process.exit(1);
}
console.log("dashboard: browser checks passed");
