// The Backtest page: a form for POST /api/backtest (or a sweep), progress over the WebSocket, then the
// notebook report's figure (GET /api/backtest/{id}/figure) and the report's tables.
"use strict";

const KEY = "research-env-token";
const FIELDS = ["strategy", "git_repo", "git_branch", "git_commit", "strategy_path", "symbols", "start", "end",
  "timeframe", "initial_cash"];
const SWEEP_COLUMNS = ["total_return", "sharpe_ratio", "max_drawdown", "win_rate", "total_trades"];
const $ = (id) => document.getElementById(id);
let strategies = {};
let mode = "backtest";

// --- the token: from ?token= once, then sessionStorage; never left in the address bar ----------------------
const query = new URLSearchParams(location.search);
if (query.has("token")) {
  sessionStorage.setItem(KEY, query.get("token"));
  query.delete("token");
  history.replaceState(null, "", location.pathname + (query.toString() ? `?${query}` : "") + location.hash);
}
// No token: the page came through JupyterLab's proxy, which adds the service's token to every request.
const token = sessionStorage.getItem(KEY);

// Every address is relative to the page: behind the proxy the page lives at <jupyter>/research-env/.
function address(path) {
  return new URL(path.replace(/^\//, ""), location.href);
}

async function api(path, options = {}) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  if (options.body) headers["Content-Type"] = "application/json";
  const answer = await fetch(address(path), { ...options, headers });
  const body = await answer.json().catch(() => null);
  if (!answer.ok) {
    const error = new Error(body?.detail || `${answer.status} ${answer.statusText}`);
    error.field = body?.field;
    throw error;
  }
  return body;
}

// --- small helpers ----------------------------------------------------------------------------------------
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
  node.append(...children);
  return node;
}

function show(value) {
  if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(4);
  return value === null || value === undefined ? "" : String(value);
}

function table(rows, columns, caption) {
  if (!rows.length) return el("p", {}, "None.");
  const head = el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, c)));
  const body = rows.map((row) => el("tr", {}, ...columns.map((c) => el("td", {}, show(row[c])))));
  return el("table", {}, el("caption", { class: "hint" }, caption), el("thead", {}, head), el("tbody", {}, ...body));
}

function parse(text) {
  const value = text.trim();
  if (value === "true" || value === "false") return value === "true";
  return value !== "" && !Number.isNaN(Number(value)) ? Number(value) : value;
}

// --- the form ---------------------------------------------------------------------------------------------
function parameterFields() {
  const chosen = strategies[$("strategy").value];
  const params = $("param-fields");
  const grid = $("grid-fields");
  params.replaceChildren();
  grid.replaceChildren();
  $("strategy-about").textContent = chosen?.error || chosen?.description || "";
  if (!chosen) return;
  if (chosen.timeframe) $("timeframe").value = chosen.timeframe;
  $("mode-vectorized").disabled = !chosen.vectorized;
  $(chosen.vectorized ? "mode-vectorized" : "mode-bar").checked = true;
  for (const { name, default: value, range } of chosen.parameters) {
    const input = el("input", { id: `param-${name}`, name, "data-param": name, "aria-describedby": "params-error" });
    input.dataset.default = String(value ?? "");
    if (typeof value === "boolean") {
      input.type = "checkbox";
      input.checked = value;
    } else {
      input.type = typeof value === "number" ? "number" : "text";
      if (typeof value === "number") input.step = "any";
      input.value = value ?? "";
    }
    const hint = range ? ` (${range.join(" to ")})` : "";
    params.append(el("div", { class: "field" }, el("label", { for: input.id }, name + hint), input));
    const values = el("input", { id: `grid-${name}`, type: "text", "data-param": name, placeholder: `e.g. ${value}`,
      "aria-describedby": "grid-help param_grid-error" });
    grid.append(el("div", { class: "field" }, el("label", { for: values.id }, `${name} values`), values));
  }
}

function request() {
  const body = {};
  for (const name of FIELDS) {
    const value = $(name).value.trim();
    if (value !== "") body[name] = name === "initial_cash" ? Number(value) : value;
  }
  if (body.git_repo) delete body.strategy;
  if (mode === "backtest") {  // only the parameters changed from the strategy's defaults
    body.params = {};
    for (const input of $("param-fields").querySelectorAll("input")) {
      const value = input.type === "checkbox" ? String(input.checked) : input.value.trim();
      if (value !== input.dataset.default && value !== "") body.params[input.dataset.param] = parse(value);
    }
  } else {
    body.param_grid = {};
    for (const input of $("grid-fields").querySelectorAll("input")) {
      const values = input.value.split(",").filter((v) => v.trim() !== "").map(parse);
      if (values.length) body.param_grid[input.dataset.param] = values;
    }
  }
  return body;
}

function clearErrors() {
  for (const node of document.querySelectorAll(".error")) node.textContent = "";
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function showError(error) {
  const beside = $(`${error.field}-error`);
  (beside || $("form-error")).textContent = error.message;
  const field = $(error.field);
  if (field && !(field instanceof HTMLFieldSetElement)) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
  if (error.field === "git_repo" || error.field === "strategy_path") $("git").open = true;
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const path = mode === "backtest" ? "/api/backtest"
    : document.querySelector("input[name=mode]:checked").value === "vectorized" ? "/api/backtest/sweep"
      : "/api/backtest/sweep/parallel";
  try {
    const { task_id: taskId } = await api(path, { method: "POST", body: JSON.stringify(request()) });
    follow(taskId);
  } catch (error) {
    showError(error);
  }
  refreshTasks();
}

function selectTab(name) {
  mode = name;
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  $("run-form").setAttribute("aria-labelledby", `tab-${name}`);
  $("params").hidden = name !== "backtest";
  $("grid").hidden = name === "backtest";
  $("run").textContent = name === "backtest" ? "Run Backtest" : "Run Sweep";
}

// --- a task: progress, then its results ----------------------------------------------------------------
function follow(taskId) {
  const url = address(`/ws/backtest/${taskId}`);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (token) url.searchParams.set("token", token);
  const socket = new WebSocket(url);
  $("task-error").hidden = true;
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    $("progress").value = message.progress;
    $("progress").textContent = `${message.progress}%`;
    $("status").textContent = `Task ${taskId}: ${message.status}, ${message.progress}%`;
    if (message.status === "done") showTask({ task_id: taskId, ...message });
    if (message.status === "failed") {
      $("task-error").textContent = [message.error.message, ...message.error.traceback].join("\n");
      $("task-error").hidden = false;
    }
    if (["done", "failed", "cancelled"].includes(message.status)) refreshTasks();
  };
  socket.onerror = () => { $("status").textContent = `Task ${taskId}: the progress stream was lost; see Tasks`; };
}

async function showTask(task) {
  const report = task.report;
  const sweep = "results" in report;
  $("results").hidden = false;
  $("backtest-tables").hidden = sweep;
  $("sweep-tables").hidden = !sweep;
  if (sweep) {
    const worst = report.maximize ? -Infinity : Infinity;
    const value = (row) => row[report.metric] ?? worst;
    const ranked = [...report.results].sort((a, b) => (report.maximize ? value(b) - value(a) : value(a) - value(b))
      || 0);
    const rows = ranked.map((row) => ({ ...row.params, ...row }));
    const columns = [...Object.keys(report.grid), ...SWEEP_COLUMNS];
    $("combinations").replaceChildren(table(rows, columns, `${rows.length} combinations by ${report.metric}`));
  } else {
    const metrics = Object.entries(report.metrics).map(([name, value]) => ({ metric: name, value }));
    $("metrics").replaceChildren(...table(metrics, ["metric", "value"], "Performance metrics").childNodes);
    const tradeColumns = report.trades.length ? Object.keys(report.trades[0]) : [];
    $("trades-heading").textContent = `Trades (${report.trades.length})`;
    $("trades").replaceChildren(table(report.trades, tradeColumns, "Closed and open trades"));
    $("denials-heading").textContent = `Denied signals (${report.denials.length})`;
    $("denials").replaceChildren(report.denials.length
      ? table(report.denials, ["timestamp", "symbol", "side", "rule", "reason"], "Signals the risk engine denied")
      : el("p", {}, "None: the risk engine accepted every signal."));
  }
  const figure = await api(`/api/backtest/${task.task_id}/figure`);
  $("chart").setAttribute("aria-label", figure.layout.title?.text || "Result chart");
  await Plotly.newPlot($("chart"), figure.data, figure.layout, { responsive: true });
}

async function refreshTasks() {
  const { tasks } = await api("/api/backtest?per_page=20");
  const rows = tasks.map((task) => {
    const open = el("button", { type: "button" }, "Show");
    open.disabled = task.status !== "done";
    open.addEventListener("click", async () => showTask(await api(`/api/backtest/${task.task_id}`)));
    return el("tr", {}, el("td", {}, task.task_id), el("td", {}, task.kind),
      el("td", {}, task.request.strategy || task.request.git_repo || ""), el("td", {}, task.status),
      el("td", {}, `${task.progress}%`), el("td", {}, task.created_at.slice(0, 19).replace("T", " ")),
      el("td", {}, open));
  });
  const head = el("tr", {}, ...["task", "kind", "strategy", "status", "progress", "created (UTC)", ""]
    .map((c) => el("th", { scope: "col" }, c)));
  $("tasks").replaceChildren(rows.length ? el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows))
    : el("p", {}, "No tasks yet."));
}

// --- start ---------------------------------------------------------------------------------------------
async function start() {
  $("run-form").addEventListener("submit", submit);
  $("strategy").addEventListener("change", parameterFields);
  $("refresh").addEventListener("click", refreshTasks);
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => selectTab(tab.id.slice(4)));
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const other = tab.id === "tab-backtest" ? "sweep" : "backtest";
      selectTab(other);
      $(`tab-${other}`).focus();
    });
  }
  try {
    const list = (await api("/api/strategies")).strategies;
    strategies = Object.fromEntries(list.map((s) => [s.name, s]));
    $("strategy").replaceChildren(...list.map((s) => el("option", { value: s.name }, s.name)));
    parameterFields();
    await refreshTasks();
  } catch (error) {
    $("form-error").textContent = error.message;
  }
}

start();
