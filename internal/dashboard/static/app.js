// The dashboard: follows /ui/api/events (server-sent events carrying the
// summary each time it changes) and draws it. No library, no request to
// any other origin.
"use strict";

const $ = (id) => document.getElementById(id);
let range = "hour";
let last = null;

const usd = (v) => v == null ? "unpriced" : "$" + (v < 0.01 && v > 0 ? v.toPrecision(3) : v.toFixed(v < 100 ? 4 : 2));
const num = (v) => Intl.NumberFormat().format(v);
const ms = (v) => v >= 1000 ? (v / 1000).toFixed(2) + " s" : v.toFixed(v < 10 ? 2 : 0) + " ms";

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function fillTable(id, rows, cols) {
  const body = $(id);
  const frag = document.createDocumentFragment();
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const c of cols) {
      const [text, cls] = [].concat(c(r));
      tr.appendChild(cell(text, cls));
    }
    frag.appendChild(tr);
  }
  body.replaceChildren(frag);
}

// budgetNote is "of $X budgeted" under a spend card: the global budget of
// that period if the policy sets one, else the sum of the agents'.
function budgetNote(limit, s) {
  const b = (s.budgets || []).filter((x) => x.limit === limit);
  const global = b.filter((x) => x.scope === "global");
  const agents = b.filter((x) => x.scope === "agent");
  const of = global.length ? global : agents;
  if (!of.length) return "";
  const max = of.reduce((a, x) => a + x.max_usd, 0);
  return "of " + usd(max) + (global.length ? " budget" : " budgeted to agents");
}

function drawBars(svg, pts, value, errValue) {
  const W = 600, H = 160, pad = 14;
  const max = Math.max(1e-12, ...pts.map(value));
  const w = W / Math.max(pts.length, 1);
  const ns = "http://www.w3.org/2000/svg";
  const frag = document.createDocumentFragment();
  pts.forEach((p, i) => {
    const v = value(p);
    if (v > 0) {
      const h = (v / max) * (H - pad);
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("class", "bar");
      r.setAttribute("x", i * w + w * 0.1); r.setAttribute("width", Math.max(w * 0.8, 0.5));
      r.setAttribute("y", H - h); r.setAttribute("height", h);
      frag.appendChild(r);
      const e = errValue ? errValue(p) : 0;
      if (e > 0) {
        const eh = (e / max) * (H - pad);
        const er = document.createElementNS(ns, "rect");
        er.setAttribute("class", "err");
        er.setAttribute("x", i * w + w * 0.1); er.setAttribute("width", Math.max(w * 0.8, 0.5));
        er.setAttribute("y", H - eh); er.setAttribute("height", eh);
        frag.appendChild(er);
      }
    }
  });
  const t = document.createElementNS(ns, "text");
  t.setAttribute("class", "axis"); t.setAttribute("x", 4); t.setAttribute("y", 11);
  t.textContent = "max " + (value === costOf ? usd(max) : num(max));
  frag.appendChild(t);
  svg.replaceChildren(frag);
}
const costOf = (p) => p.cost_usd;

function render(s) {
  last = s;
  $("rps").textContent = s.rps.toFixed(2);
  $("spend-today").textContent = usd(s.today.cost_usd);
  $("spend-today-sub").textContent = budgetNote("budget.daily_usd", s) || num(s.today.requests) + " requests";
  $("spend-month").textContent = usd(s.month.cost_usd);
  $("spend-month-sub").textContent = budgetNote("budget.monthly_usd", s) || num(s.month.requests) + " requests";
  $("hit-rate").textContent = s.all.cache_hit_rate_percent.toFixed(1) + "%";
  $("saved").textContent = "saved " + usd(s.all.saved_usd) + " · " + num(s.all.coalesced) + " shared";
  $("latency").textContent = ms(s.latency_ms.p50);
  $("latency-sub").textContent = "p95 " + ms(s.latency_ms.p95) + " · p99 " + ms(s.latency_ms.p99);
  $("errors").textContent = num(s.today.errors);
  const kinds = Object.entries(s.today.errors_by_kind).sort((a, b) => b[1] - a[1]);
  $("errors-sub").textContent = kinds.length ? kinds.map(([k, n]) => k + " " + n).join(" · ") : "none";

  const lc = s.lifecycle || [];
  $("lifecycle-section").hidden = lc.length === 0;
  const list = $("lifecycle");
  list.replaceChildren(...lc.map((w) => {
    const li = document.createElement("li");
    li.textContent = w.name + ": " + w.message + " (" + num(w.requests_30d) + " calls in 30 days)";
    return li;
  }));
  const budgets = s.budgets || [];
  $("budgets-section").hidden = budgets.length === 0;
  fillTable("budgets", budgets, [(b) => b.scope === "global" ? "global" : b.scope + " " + b.name,
    (b) => b.limit.replace(/^budget\./, "").replace(/_usd$/, ""), (b) => usd(b.used_usd), (b) => usd(b.reserved_usd),
    (b) => usd(b.max_usd), (b) => [usd(b.remaining_usd), b.remaining_usd <= 0 ? "bad" : ""]]);

  fillTable("by-agent", s.by_agent, [(r) => r.name, (r) => num(r.requests), (r) => [num(r.errors), r.errors ? "bad" : ""],
    (r) => num(r.tokens), (r) => usd(r.cost_usd), (r) => usd(r.saved_usd)]);
  fillTable("by-model", s.by_model, [(r) => r.name, (r) => num(r.requests), (r) => [num(r.errors), r.errors ? "bad" : ""],
    (r) => num(r.tokens), (r) => usd(r.cost_usd), (r) => ms(r.avg_latency_ms)]);
  fillTable("recent", s.recent || [], [(c) => new Date(c.time).toLocaleTimeString(), (c) => c.agent, (c) => c.model,
    (c) => num(c.tokens), (c) => usd(c.cost_usd), (c) => ms(c.latency_ms), (c) => c.cached ? "yes" : "",
    (c) => [c.outcome, c.outcome === "ok" ? "" : "bad"]]);
  drawCharts();
}

function drawCharts() {
  if (!last) return;
  const pts = last[range] || [];
  drawBars($("chart-requests"), pts, (p) => p.requests, (p) => p.errors);
  drawBars($("chart-cost"), pts, costOf);
}

function status(text, live) {
  $("status").textContent = text;
  $("status").className = "status " + (live ? "live" : "down");
}

// follow opens the event stream. The browser reconnects a dropped stream
// by itself; one it refused (401 after the key was revoked, or a server
// that went away) is looked at with a plain request, and opened again.
function follow() {
  const es = new EventSource("/ui/api/events");
  es.addEventListener("summary", (e) => {
    render(JSON.parse(e.data));
    status("live · " + new Date().toLocaleTimeString(), true);
  });
  es.addEventListener("down", (e) => status(e.data, false));
  es.onerror = async () => {
    if (es.readyState !== EventSource.CLOSED) { status("reconnecting…", false); return; }
    try {
      const r = await fetch("/ui/api/summary", { cache: "no-store", credentials: "same-origin" });
      if (r.status === 401) { location.reload(); return; }
      status(r.ok ? "reconnecting…" : "cannot reach the gateway: " + (await r.text()), false);
    } catch (err) {
      status("cannot reach the gateway: " + err.message, false);
    }
    setTimeout(follow, 2000);
  };
}

document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => {
  document.querySelectorAll(".tabs button").forEach((x) => x.classList.toggle("on", x === b));
  range = b.dataset.range;
  drawCharts();
}));
follow();
