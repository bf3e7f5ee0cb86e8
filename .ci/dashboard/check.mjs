// Drives the dashboard in Debian's headless Chromium: the page loads with
// no console errors and no request to another origin, its figures equal
// get_stats after calls made through MCP (its budgets equal get_stats'
// limits), a new call shows up live (server-sent events), and it fits a
// phone's width. Screenshots go to $OUT (docs/).
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

function toolAs(key, name, ...args) {
  return JSON.parse(execFileSync(GW, ["call", name, "--url", MCP, "--key", key, ...args], { encoding: "utf8" }));
}
const tool = (name, ...args) => toolAs(AGENT, name, ...args);

// budgetsOf is get_stats' limits section as the page's budget rows: the
// dollar limits of every agent, model and the whole gateway.
function budgetsOf(limits) {
  const out = [];
  const add = (scope, name, figs) => {
    for (const f of figs || []) {
      if (f.unit === "usd") out.push({ scope, name, limit: f.limit, max_usd: f.max, used_usd: f.used, reserved_usd: f.reserved, remaining_usd: f.remaining });
    }
  };
  for (const name of Object.keys(limits.agents || {}).sort()) add("agent", name, limits.agents[name]);
  for (const name of Object.keys(limits.models || {}).sort()) add("model", name, limits.models[name]);
  add("global", "", limits.global);
  return out;
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
  // Spend against budgets: the page's rows equal get_stats' limits (an
  // admin's get_stats sees every agent's).
  const wantBudgets = budgetsOf(toolAs(ADMIN, "get_stats").limits);
  if (wantBudgets.length < 4) fail(`get_stats gives ${wantBudgets.length} dollar limits, want the policy's agent, model and global budgets`);
  const pageBudgets = () => page.evaluate(() => (last.budgets || []).map((b) =>
    ({ scope: b.scope, name: b.name, limit: b.limit, max_usd: b.max_usd, used_usd: b.used_usd, reserved_usd: b.reserved_usd, remaining_usd: b.remaining_usd })));
  await page.waitForFunction((want) => JSON.stringify((last.budgets || []).map((b) =>
    ({ scope: b.scope, name: b.name, limit: b.limit, max_usd: b.max_usd, used_usd: b.used_usd, reserved_usd: b.reserved_usd, remaining_usd: b.remaining_usd }))) === want,
  JSON.stringify(wantBudgets), { timeout: 10000 })
    .then(() => ok(`budgets (${wantBudgets.length}) = get_stats limits: ` + wantBudgets.map((b) => `${b.scope} ${b.name} ${b.limit} ${b.used_usd}/${b.max_usd}`).join(", ")))
    .catch(async () => fail(`budgets ${JSON.stringify(await pageBudgets())}, get_stats ${JSON.stringify(wantBudgets)}`));
  const rowCells = await page.evaluate(() => [...document.querySelectorAll("#budgets tr")].map((tr) => [...tr.children].map((td) => td.textContent)));
  const wantCells = await page.evaluate((bs) => bs.map((b) => [usd(b.used_usd), usd(b.max_usd), usd(b.remaining_usd)]), wantBudgets);
  const cellsOk = rowCells.length === wantCells.length && rowCells.every((r, i) => r[2] === wantCells[i][0] && r[4] === wantCells[i][1] && r[5] === wantCells[i][2]);
  if (!cellsOk) fail(`budget table ${JSON.stringify(rowCells)}, want spent/budget/left ${JSON.stringify(wantCells)}`);
  else ok("the budget table shows spent, budget and left as get_stats");
  const globalDaily = wantBudgets.find((b) => b.scope === "global" && b.limit === "budget.daily_usd");
  const todaySub = await page.textContent("#spend-today-sub");
  const wantSub = await page.evaluate((v) => "of " + usd(v) + " budget", globalDaily ? globalDaily.max_usd : NaN);
  if (!globalDaily || todaySub !== wantSub) fail(`"Spend today" says "${todaySub}", want "${wantSub}"`);
  else ok(`"Spend today" says "${todaySub}"`);

  const hitRate = await page.textContent("#hit-rate");
  if (hitRate !== m.cache_hit_rate_percent.toFixed(1) + "%") fail(`hit rate ${hitRate}, get_stats ${m.cache_hit_rate_percent}`);
  else ok(`cache hit rate ${hitRate} = get_stats`);

  // A new call shows up live.
  const before = shown.rows;
  tool("generate", "--arg", "model=nova-lite", "--prompt", "a live call " + Date.now());
  const t0 = Date.now();
  await page.waitForFunction((n) => document.querySelectorAll("#recent tr").length === n, before + 1, { timeout: 10000 })
    .then(() => ok(`a new call showed up after ${Date.now() - t0} ms (server-sent events)`))
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
