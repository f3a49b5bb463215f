// ca-sim dashboard: plain JS, no framework, no build step. It reads the same admin API
// scripts use (/admin/orders, /admin/faults, /admin/requests, /admin/roots, /admin/clock)
// and follows the live feed /admin/events (server-sent events). Nothing leaves this origin.
"use strict";

const DIALECTS = ["digicert", "globalsign", "wosign", "acme"];
const OPEN = new Set(["pending", "needs_approval"]);
const ACTION_FIELDS = {
  vendor_error: ["code", "message", "status"],
  rate_limit: ["retry_after"],
  server_error: ["status"],
  delay: ["ms"],
  reject: ["reason"],
  cancel: ["reason"],
};
const AFTER_KINDS = new Set(["server_error", "drop", "malformed", "delay"]);
const MAX_ROWS = 500;

const state = {
  orders: new Map(),
  selectedOrder: null,
  faults: { seed: null, rules: [] },
  editing: null,
  requests: [],
  selectedRequest: null,
  clock: null,
  clockAt: 0,
  source: null,
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

let noticeTimer = null;
function notice(text) {
  const n = $("#notice");
  n.textContent = text;
  n.hidden = !text;
  clearTimeout(noticeTimer);
  // Outcomes stay readable for a while, then get out of the way.
  if (text) noticeTimer = setTimeout(() => { n.hidden = true; }, 8000);
}

// JSON from the admin API; errors come back as {"error": "..."}.
async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!r.ok) {
    const msg = data && data.error ? data.error : `${method} ${path}: HTTP ${r.status}`;
    throw new Error(msg);
  }
  return data;
}

function fmtTime(iso) {
  if (!iso) return "";
  return String(iso).replace("T", " ").replace(/\.\d+/, "").replace("+00:00", "Z");
}

function isoFromMs(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// ---------- routing ----------
const PAGES = ["orders", "faults", "requests", "roots", "clock"];

function route() {
  const m = location.hash.match(/^#\/([a-z]+)/);
  const page = m && PAGES.includes(m[1]) ? m[1] : "orders";
  for (const p of PAGES) $(`#page-${p}`).hidden = p !== page;
  for (const a of document.querySelectorAll("nav a[data-route]")) {
    if (a.dataset.route === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${page[0].toUpperCase()}${page.slice(1)} · ca-sim dashboard`;
  load(page);
}

function currentPage() {
  const m = location.hash.match(/^#\/([a-z]+)/);
  return m && PAGES.includes(m[1]) ? m[1] : "orders";
}

function load(page) {
  const run = { orders: loadOrders, faults: loadFaults, requests: loadRequests, roots: loadRoots, clock: loadClock }[page];
  run().catch((e) => notice(`Could not load ${page}: ${e.message}`));
}

// ---------- orders ----------
function ordersDialect() {
  return $("#orders-dialect").value;
}

async function loadOrders() {
  const d = ordersDialect();
  const q = d === "all" ? "" : `&dialect=${encodeURIComponent(d)}`;
  const data = await api("GET", `/admin/orders?limit=${MAX_ROWS}${q}`);
  const before = state.orders;
  state.orders = new Map();
  for (const o of data.orders || []) {
    const old = before.get(o.id);
    // A live event may have overtaken this answer: keep whichever is newer.
    state.orders.set(o.id, old && newer(old, o) ? old : o);
  }
  renderOrders();
  if (d === "acme" || d === "all") await loadAcmeOrders();
  else $("#acme-orders").hidden = true;
}

async function loadAcmeOrders() {
  const data = await api("GET", "/admin/acme/orders");
  const list = (data.orders || []).slice().reverse().slice(0, MAX_ROWS);
  const body = $("#acme-orders-body");
  body.replaceChildren(...list.map((o) => el("tr", { "data-testid": "acme-order-row", "data-id": o.id },
    el("td", {}, el("code", { text: o.id })),
    el("td", { text: o.account }),
    el("td", { text: (o.identifiers || []).map((i) => (i && i.value) || JSON.stringify(i)).join(", ") }),
    el("td", { class: `state state-${o.status}`, text: o.status }),
    el("td", { text: o.error ? (o.error.detail || o.error.type || JSON.stringify(o.error)) : "" }),
    el("td", { text: fmtTime(o.created) }),
  )));
  $("#acme-orders").hidden = list.length === 0;
}

// Whether order `a` is a later state than `b` of the same order (timelines only grow).
function newer(a, b) {
  const la = (a.timeline || []).length, lb = (b.timeline || []).length;
  return la !== lb ? la > lb : (a.updated_ms || 0) > (b.updated_ms || 0);
}

// Keeps the newest state of an order, whichever arrives last (an action's answer or the
// live feed's event).
function upsertOrder(o) {
  const old = state.orders.get(o.id);
  if (old && newer(old, o)) return false;
  state.orders.set(o.id, o);
  return true;
}

// Redraws one order's row in place (other rows stay the same elements, so a click on them
// is never lost to a redraw); a new order goes in by its sequence, newest first.
function patchOrder(o) {
  const body = $("#orders-body");
  const row = orderRow(o);
  const existing = [...body.children].find((tr) => tr.dataset.id === o.id);
  if (existing) existing.replaceWith(row);
  else {
    const before = [...body.children].find((tr) => Number(tr.dataset.seq) < o.seq);
    body.insertBefore(row, before || null);
    while (body.children.length > MAX_ROWS) body.lastElementChild.remove();
  }
  $("#orders-empty").hidden = true;
  $("#orders-count").textContent = `${body.children.length} shown`;
  if (state.selectedOrder === o.id) renderOrderDetail();
}

function orderRow(o) {
  const open = OPEN.has(o.status);
  const btn = (action, label) => el("button", {
    type: "button", "data-action": action, "data-id": o.id, disabled: !open,
    "aria-label": `${label} order ${o.id}`,
  }, label);
  return el("tr", {
    "data-testid": "order-row", "data-id": o.id, "data-dialect": o.dialect, "data-seq": o.seq,
    class: state.selectedOrder === o.id ? "selected" : null,
  },
    el("td", {}, el("button", { type: "button", class: "linklike", "data-action": "details", "data-id": o.id, "aria-label": `Details of order ${o.id}` }, o.id)),
    el("td", { text: o.dialect }),
    el("td", { text: o.account }),
    el("td", { text: o.common_name }),
    el("td", { "data-testid": "order-state", class: `state state-${o.status}`, text: o.status }),
    el("td", { text: fmtTime(o.timeline && o.timeline.length ? o.timeline[o.timeline.length - 1].at : "") }),
    el("td", {}, btn("approve", "Approve"), btn("reject", "Reject"), btn("issue-now", "Issue now")),
  );
}

function renderOrders() {
  const list = [...state.orders.values()].sort((a, b) => b.seq - a.seq).slice(0, MAX_ROWS);
  $("#orders-body").replaceChildren(...list.map(orderRow));
  $("#orders-empty").hidden = list.length > 0;
  $("#orders-count").textContent = `${list.length} shown`;
  renderOrderDetail();
}

function renderOrderDetail() {
  const o = state.selectedOrder && state.orders.get(state.selectedOrder);
  const box = $("#order-detail");
  if (!o) { box.hidden = true; return; }
  box.hidden = false;
  $("#order-detail-title").textContent = `Order ${o.id} (${o.dialect})`;
  const facts = [
    ["State", o.status + (o.status_reason ? ` — ${o.status_reason}` : "")],
    ["Common name", o.common_name],
    ["DNS names", (o.dns_names || []).join(", ")],
    ["Account", o.account],
    ["Product", `${o.product} (${o.validation})`],
    ["Timing profile", o.profile],
    ["Fault outcome", o.outcome_rule ? `${o.outcome_rule}: ${o.outcome && o.outcome.kind}` : "none"],
    ["Certificate", o.cert ? `serial ${o.cert.serial_hex}, CA ${o.cert.ca_id}` : "not issued"],
  ];
  $("#order-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v || "" })]));
  $("#order-timeline").replaceChildren(...(o.timeline || []).map((ev) => el("li", { "data-testid": "order-event", "data-kind": ev.event },
    el("time", { datetime: ev.at, text: fmtTime(ev.at) }), el("strong", { text: ev.event }), ev.detail ? ` — ${ev.detail}` : "")));
}

function onOrderEvent(o) {
  const d = ordersDialect();
  if (d !== "all" && o.dialect !== d) return;
  if (upsertOrder(o) && currentPage() === "orders") patchOrder(o);
}

async function orderAction(action, id) {
  try {
    const o = await api("POST", `/admin/orders/${encodeURIComponent(id)}/${action}`, {});
    if (upsertOrder(o)) patchOrder(o);
    notice(`Order ${id}: ${action} done.`);
  } catch (e) {
    notice(`Order ${id}: ${action} failed: ${e.message}`);
  }
}

// ---------- faults ----------
async function loadFaults() {
  state.faults = await api("GET", "/admin/faults");
  renderFaults();
}

function ruleName(r, i) {
  return r.name || `rule-${i}`;
}

function describeMatch(r) {
  const parts = [];
  parts.push(r.dialect || "any dialect");
  parts.push(r.operation || "any operation");
  if (r.account) parts.push(`account ${r.account}`);
  if (r.common_name) parts.push(`CN ${r.common_name}`);
  return parts.join(" · ");
}

function describeFire(r) {
  const parts = [];
  if (r.nth) parts.push(`only #${r.nth}`);
  if (r.every) parts.push(`every ${r.every}`);
  if (r.probability !== null && r.probability !== undefined) parts.push(`p=${r.probability}`);
  if (r.times) parts.push(`at most ${r.times}×`);
  return parts.length ? parts.join(", ") : "every match";
}

function describeAction(a) {
  const extra = Object.entries(a).filter(([k, v]) => k !== "kind" && v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return extra.length ? `${a.kind} (${extra.join(", ")})` : a.kind;
}

// The rules without their counters: when only counters moved, the rows stay and only the
// two numbers change (a click on a row's button is never lost to a redraw).
function rulesShape(rules) {
  return JSON.stringify(rules.map(({ matched, fired, ...r }) => r));
}

let renderedShape = null;
function renderFaults() {
  $("#fault-seed").textContent = String(state.faults.seed);
  const rules = state.faults.rules || [];
  const shape = rulesShape(rules);
  const rows = document.querySelectorAll("#faults-body tr[data-testid='fault-row']");
  if (shape === renderedShape && rows.length === rules.length) {
    rules.forEach((r, i) => {
      rows[i].querySelector("[data-testid='fault-matched']").textContent = r.matched;
      rows[i].querySelector("[data-testid='fault-fired']").textContent = r.fired;
    });
    return;
  }
  renderedShape = shape;
  $("#faults-body").replaceChildren(...rules.map((r, i) => {
    const name = ruleName(r, i);
    return el("tr", { "data-testid": "fault-row", "data-name": name },
      el("th", { scope: "row", text: name }),
      el("td", { text: describeMatch(r) }),
      el("td", { text: describeFire(r) }),
      el("td", { text: r.phase || "before" }),
      el("td", { text: describeAction(r.action || {}) }),
      el("td", { class: "num", "data-testid": "fault-matched", text: r.matched }),
      el("td", { class: "num", "data-testid": "fault-fired", text: r.fired }),
      el("td", {},
        el("button", { type: "button", "data-action": "edit", "data-name": name, "aria-label": `Edit rule ${name}` }, "Edit"),
        el("button", { type: "button", "data-action": "remove", "data-name": name, "aria-label": `Remove rule ${name}` }, "Remove")),
    );
  }));
  $("#faults-empty").hidden = rules.length > 0;
}

function showActionFields() {
  const kind = $("#f-action").value;
  const wanted = new Set(ACTION_FIELDS[kind] || []);
  for (const p of document.querySelectorAll("#fault-add [data-for]")) {
    const kinds = p.dataset.for.split(" ");
    const on = kinds.includes(kind);
    p.hidden = !on;
    for (const input of p.querySelectorAll("input")) input.disabled = !on || !wanted.has(input.name);
  }
}

function formError(text) {
  const e = $("#fault-error");
  e.textContent = text;
  e.hidden = !text;
}

// The rule JSON from the form; throws with a message the user can act on.
function ruleFromForm() {
  const f = $("#fault-add");
  const val = (n) => f.elements[n].value.trim();
  const rule = {};
  const name = val("name");
  if (!name) throw new Error("Give the rule a name.");
  rule.name = name;
  for (const k of ["dialect", "operation", "account", "common_name"]) if (val(k)) rule[k] = val(k);
  const int = (k, min) => {
    const v = val(k);
    if (!v) return;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${k} must be a whole number of at least ${min}.`);
    return Number(v);
  };
  for (const k of ["nth", "every", "times"]) { const v = int(k, 1); if (v !== undefined) rule[k] = v; }
  if (val("probability")) {
    const p = Number(val("probability"));
    if (!(p >= 0 && p <= 1)) throw new Error("probability must be between 0 and 1.");
    rule.probability = p;
  }
  rule.phase = val("phase") || "before";
  const kind = val("action");
  if (rule.phase === "after" && !AFTER_KINDS.has(kind)) {
    throw new Error("Phase \"after\" takes server_error, drop, malformed or delay only.");
  }
  const action = { kind };
  for (const k of ACTION_FIELDS[kind] || []) {
    const v = val(k);
    if (!v) continue;
    if (["status", "retry_after", "ms"].includes(k)) {
      const n = int(k, k === "status" ? 100 : 0);
      if (k === "status" && (n < 100 || n > 599)) throw new Error("status must be an HTTP status (100–599).");
      action[k] = n;
    } else action[k] = v;
  }
  if (kind === "delay" && action.ms === undefined) throw new Error("A delay needs its milliseconds.");
  rule.action = action;
  const clash = (state.faults.rules || []).some((r, i) => ruleName(r, i) === name && name !== state.editing);
  if (clash) throw new Error(`A rule named ${name} exists already.`);
  return rule;
}

function resetFaultForm() {
  const f = $("#fault-add");
  f.reset();
  state.editing = null;
  $("#fault-form-title").textContent = "Add a rule";
  $("#fault-add-btn").textContent = "Add rule";
  $("#fault-cancel-edit").hidden = true;
  formError("");
  showActionFields();
}

function editRule(name) {
  const rules = state.faults.rules || [];
  const i = rules.findIndex((r, j) => ruleName(r, j) === name);
  if (i < 0) return;
  const r = rules[i];
  const f = $("#fault-add");
  f.reset();
  const set = (k, v) => { f.elements[k].value = v === null || v === undefined ? "" : String(v); };
  set("name", name);
  for (const k of ["dialect", "operation", "account", "common_name", "nth", "every", "probability", "times"]) set(k, r[k]);
  set("phase", r.phase || "before");
  set("action", (r.action && r.action.kind) || "vendor_error");
  for (const k of ["code", "message", "status", "retry_after", "ms", "reason"]) set(k, r.action ? r.action[k] : "");
  state.editing = name;
  $("#fault-form-title").textContent = `Edit rule ${name}`;
  $("#fault-add-btn").textContent = "Save rule";
  $("#fault-cancel-edit").hidden = false;
  formError("");
  showActionFields();
  f.elements.name.focus();
}

async function submitRule(ev) {
  ev.preventDefault();
  let rule;
  try { rule = ruleFromForm(); } catch (e) { formError(e.message); return; }
  try {
    state.faults = state.editing
      ? await api("PUT", `/admin/faults/${encodeURIComponent(state.editing)}`, rule)
      : await api("POST", "/admin/faults", rule);
    notice(state.editing ? `Rule ${rule.name} saved.` : `Rule ${rule.name} added.`);
    resetFaultForm();
    renderFaults();
  } catch (e) {
    formError(e.message);
  }
}

async function removeRule(name) {
  try {
    state.faults = await api("DELETE", `/admin/faults/${encodeURIComponent(name)}`);
    if (state.editing === name) resetFaultForm();
    renderFaults();
    notice(`Rule ${name} removed.`);
  } catch (e) {
    notice(`Could not remove ${name}: ${e.message}`);
  }
}

// ---------- requests ----------
function reqDialect() {
  return $("#req-dialect").value;
}

async function loadRequests() {
  const d = reqDialect();
  const q = d === "all" ? "" : `&dialect=${encodeURIComponent(d)}`;
  const data = await api("GET", `/admin/requests?limit=${MAX_ROWS}${q}`);
  const fetched = (data.requests || []).slice().reverse();
  const top = fetched.length ? fetched[0].seq : 0;
  // Live events newer than this answer stay on top.
  const live = state.requests.filter((r) => r.seq > top && (d === "all" || r.dialect === d));
  state.requests = live.concat(fetched).slice(0, MAX_ROWS);
  renderRequests();
}

function requestRow(r) {
  const bad = r.status === 0 || r.status >= 400 || r.fault;
  const codeFault = [r.code, r.fault ? `fault ${r.fault}${r.fault_phase ? ` (${r.fault_phase})` : ""}` : null].filter(Boolean).join(" · ");
  return el("tr", { "data-testid": "request-row", "data-seq": r.seq, "data-dialect": r.dialect, class: state.selectedRequest === r.seq ? "selected" : null },
    el("td", {}, el("button", { type: "button", class: "linklike", "data-action": "request", "data-seq": r.seq, "aria-label": `Show request ${r.seq}` }, r.seq)),
    el("td", { text: fmtTime(r.at) }),
    el("td", { text: r.dialect }),
    el("td", { text: r.operation }),
    el("td", {}, el("code", { text: `${r.method || "?"} ${r.path || ""}` })),
    el("td", { class: bad ? "status-err" : null, text: r.status === 0 ? "dropped" : r.status }),
    el("td", { text: codeFault }),
    el("td", { text: r.order_id || "" }),
    el("td", { class: "num", text: Number(r.latency_ms || 0).toFixed(1) }),
  );
}

function renderRequests() {
  $("#requests-body").replaceChildren(...state.requests.map(requestRow));
  $("#requests-empty").hidden = state.requests.length > 0;
}

function onRequestEvent(r) {
  if (r.dialect === "acme" && currentPage() === "orders" && ["acme", "all"].includes(ordersDialect())) {
    throttle("acme-orders", () => loadAcmeOrders().catch(() => {}));
  }
  const d = reqDialect();
  if (d !== "all" && r.dialect !== d) return;
  if (state.requests.length && state.requests[0].seq >= r.seq) return;
  state.requests.unshift(r);
  if (state.requests.length > MAX_ROWS) state.requests.length = MAX_ROWS;
  if (currentPage() === "requests") $("#requests-body").prepend(requestRow(r));
  $("#requests-empty").hidden = true;
}

function headerText(list) {
  return (list || []).map(([k, v]) => `${k}: ${v}`).join("\n");
}

async function showRequest(seq) {
  try {
    const r = await api("GET", `/admin/requests/${encodeURIComponent(seq)}`);
    state.selectedRequest = r.seq;
    for (const tr of document.querySelectorAll("tr[data-testid='request-row']")) {
      tr.classList.toggle("selected", Number(tr.dataset.seq) === r.seq);
    }
    $("#request-detail-title").textContent = `Request ${r.seq}: ${r.method} ${r.path} → ${r.status === 0 ? "dropped" : r.status}`;
    const x = r.exchange;
    const none = r.status === 0
      ? "(the connection was dropped by a fault before an answer: no bodies were recorded)"
      : "(not kept: only the newest 1,000 requests keep their bodies)";
    $("#rd-req-headers").textContent = x ? headerText(x.request_headers) : none;
    $("#rd-req-body").textContent = x ? (x.request_body || "(empty)") : none;
    $("#rd-resp-headers").textContent = x ? headerText(x.response_headers) : none;
    $("#rd-resp-body").textContent = x ? (x.response_body || "(empty)") : none;
    $("#request-detail").hidden = false;
    $("#request-detail-title").scrollIntoView({ block: "nearest" });
  } catch (e) {
    notice(`Request ${seq}: ${e.message}`);
  }
}

// ---------- roots ----------
function samePath(url) {
  try { const u = new URL(url, location.href); return u.pathname + u.search; } catch (_) { return url; }
}

async function loadRoots() {
  const data = await api("GET", "/admin/roots");
  const boxes = DIALECTS.filter((d) => data[d]).map((d) => {
    const h = data[d];
    const ca = (c, role) => el("li", { "data-testid": "ca", "data-id": c.id },
      el("strong", { text: `${role}: ${c.commonName}` }), " ",
      el("span", { class: "muted", text: `(${c.id})` }), el("br"),
      el("a", { href: `/ca/${d}/${encodeURIComponent(c.id)}.crt`, download: `${d}-${c.id}.crt` }, "Certificate (DER)"), " · ",
      c.crl ? el("a", { href: samePath(c.crl), download: `${d}-${c.id}.crl`, "data-testid": "crl-link" }, "CRL") : "",
      el("details", {}, el("summary", {}, "PEM"), el("pre", { text: c.pem })),
    );
    return el("section", { class: "ca", "aria-labelledby": `ca-${d}` },
      el("h2", { id: `ca-${d}`, text: d }),
      el("ul", {}, ca(h.root, "Root"), ...(h.intermediates || []).map((c) => ca(c, "Intermediate"))),
      el("p", {}, "OCSP responder: ", el("code", { text: h.ocsp || "" })),
      h.distrusted ? el("p", { class: "muted", text: `Distrusted: ${h.distrusted.reason}` }) : null,
    );
  });
  $("#roots-body").replaceChildren(...boxes);
}

// ---------- clock ----------
async function loadClock() {
  setClock(await api("GET", "/admin/clock"));
}

function setClock(c) {
  state.clock = c;
  state.clockAt = Date.now();
  $("#clock-scale").textContent = `${c.timeScale}× real time`;
  const secs = Math.round((c.offsetMs || 0) / 1000);
  $("#clock-offset").textContent = secs ? `${secs} s (${(secs / 86400).toFixed(2)} days)` : "not advanced";
  tick();
}

// The simulated clock runs at timeScale; show it ticking between updates.
function tick() {
  if (!state.clock) return;
  const ms = state.clock.nowMs + (Date.now() - state.clockAt) * (state.clock.timeScale || 1);
  const iso = isoFromMs(ms);
  for (const id of ["#header-clock", "#clock-now"]) {
    const t = $(id);
    t.textContent = iso;
    t.setAttribute("datetime", iso);
  }
}

async function advanceClock(ev) {
  ev.preventDefault();
  const err = $("#clock-error");
  const v = $("#clock-advance").value.trim();
  if (!/^\d+(\.\d+)?(ms|s|m|h|d)?$/.test(v)) {
    err.textContent = "Enter a duration such as 2d, 12h, 30m, 45s or a number of seconds.";
    err.hidden = false;
    return;
  }
  err.hidden = true;
  try {
    setClock(await api("POST", "/admin/clock", { advance: v }));
    notice(`Clock advanced by ${v}.`);
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
  }
}

// ---------- live feed ----------
const timers = {};
function throttle(key, fn) {
  if (timers[key]) return;
  timers[key] = setTimeout(() => { timers[key] = null; fn(); }, 200);
}

function setLive(s, text) {
  const l = $("[data-testid='live']");
  l.dataset.state = s;
  l.textContent = text;
}

function connect() {
  const src = new EventSource("/admin/events");
  state.source = src;
  src.addEventListener("open", () => {
    setLive("open", "Live");
    // Whatever happened while disconnected: reload what is on screen.
    load(currentPage());
    loadClock().catch(() => {});
  });
  src.addEventListener("error", () => setLive(src.readyState === EventSource.CLOSED ? "closed" : "connecting", "Reconnecting…"));
  const on = (kind, fn) => src.addEventListener(kind, (e) => {
    let data;
    try { data = JSON.parse(e.data); } catch (_) { return; }
    fn(data);
  });
  on("order", onOrderEvent);
  on("request", onRequestEvent);
  on("faults", (f) => {
    state.faults = f;
    if (currentPage() === "faults") renderFaults();
  });
  on("clock", setClock);
}

// ---------- wiring ----------
function init() {
  window.addEventListener("hashchange", route);
  $("#orders-dialect").addEventListener("change", () => { state.selectedOrder = null; load("orders"); });
  $("#req-dialect").addEventListener("change", () => load("requests"));
  $("#req-clear").addEventListener("click", async () => {
    try { await api("DELETE", "/admin/requests"); state.requests = []; renderRequests(); $("#request-detail").hidden = true; }
    catch (e) { notice(e.message); }
  });
  $("#orders-body").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (!b || b.disabled) return;
    if (b.dataset.action === "details") {
      state.selectedOrder = b.dataset.id;
      for (const tr of $("#orders-body").children) tr.classList.toggle("selected", tr.dataset.id === b.dataset.id);
      renderOrderDetail();
      $("#order-detail-title").scrollIntoView({ block: "nearest" });
    } else orderAction(b.dataset.action, b.dataset.id);
  });
  $("#faults-body").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (!b) return;
    if (b.dataset.action === "edit") editRule(b.dataset.name);
    if (b.dataset.action === "remove") removeRule(b.dataset.name);
  });
  $("#requests-body").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action='request']");
    if (b) showRequest(b.dataset.seq);
  });
  $("#fault-add").addEventListener("submit", submitRule);
  $("#f-action").addEventListener("change", showActionFields);
  $("#fault-cancel-edit").addEventListener("click", resetFaultForm);
  $("#clock-form").addEventListener("submit", advanceClock);
  showActionFields();
  if (!location.hash) history.replaceState(null, "", "#/orders");
  route();
  loadClock().catch(() => {});
  setInterval(tick, 1000);
  connect();
}

document.addEventListener("DOMContentLoaded", init);
