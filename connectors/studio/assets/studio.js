// The studio: plain JavaScript over the management API (/integrations/api/v1) and Airflow's REST API
// (/api/v2, for connections). Same origin as Airflow's UI, so the UI's login cookie authenticates every call.
"use strict";

const API = "/integrations/api/v1";
const AIRFLOW = "/api/v2";
const main = document.getElementById("main");
const OPERATORS = ["equals", "not_equals", "in", "not_in", "contains", "not_contains", "exists", "not_exists",
  "gt", "gte", "lt", "lte", "matches"];
const STATUSES = ["received", "running", "done", "failed", "filtered", "skipped"];

// -- small helpers ---------------------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "value") el.value = value;
    else if (key === "checked") el.checked = true;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.detail ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail))
      : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function call(method, url, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
const api = (method, path, body) => call(method, API + path, body);
const airflow = (method, path, body) => call(method, AIRFLOW + path, body);

function message(kind, text) { return h("div", { class: `message ${kind}`, role: kind === "bad" ? "alert" : "status" }, text); }
function badge(text, kind) { return h("span", { class: `badge ${kind || text}` }, text); }
function pretty(value) { return h("pre", {}, typeof value === "string" ? value : JSON.stringify(value, null, 2)); }
function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }
function fill(el, ...nodes) { el.replaceChildren(...nodes.flat(Infinity).filter((node) => node !== null && node !== undefined && node !== false)); }
function show(...nodes) { fill(main, ...nodes); }
function failure(error) {
  const problems = (error.body && error.body.problems) || [];
  return h("div", {}, message("bad", error.message), problemList(problems));
}
function problemList(problems) {
  if (!problems.length) return null;
  return h("ul", { class: "problems" }, problems.map((p) =>
    h("li", { class: "problem" }, `${p.path || "(definition)"}${p.line ? ` (line ${p.line})` : ""}: ${p.message}`)));
}

const cache = {};
async function apps() { return cache.apps || (cache.apps = await api("GET", "/apps")); }
async function appVersion(ref) {
  cache.versions = cache.versions || {};
  if (!cache.versions[ref]) {
    const [key, version] = ref.split("@");
    cache.versions[ref] = await api("GET", `/apps/${key}/${version}`);
  }
  return cache.versions[ref];
}
async function connections() {
  // every page (Airflow caps a page at its maximum_page_limit); none when this user may not read connections
  const found = [];
  try {
    for (let offset = 0; ; offset += 100) {
      const page = await airflow("GET", `/connections?limit=100&offset=${offset}&order_by=connection_id`);
      found.push(...page.connections);
      if (!page.connections.length || found.length >= page.total_entries) return found;
    }
  } catch (error) {
    if (error.status === 403) return found;
    throw error;
  }
}

// -- router ----------------------------------------------------------------------------------------------------

const routes = [
  [/^#\/workflows\/new$/, () => workflowBuilder(null)],
  [/^#\/workflows\/(.+)$/, (m) => workflowBuilder(decodeURIComponent(m[1]))],
  [/^#\/workflows$/, workflowList],
  [/^#\/events\/(\d+)$/, (m) => eventDetail(Number(m[1]))],
  [/^#\/events(\?.*)?$/, (m) => eventList(new URLSearchParams((m[1] || "").slice(1)))],
  [/^#\/apps\/([^/]+)\/([^/]+)$/, (m) => appDetail(`${m[1]}@${m[2]}`)],
  [/^#\/apps$/, appList],
  [/^#\/connect\/([^/]+)\/([^/]+)$/, (m) => connectForm(`${m[1]}@${m[2]}`)],
  [/^#\/builder$/, appBuilder],
];

async function route() {
  const hash = location.hash || "#/workflows";
  const tab = (hash.split("/")[1] || "").split("?")[0];
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.dataset.tab === (tab === "connect" ? "apps" : tab));
  }
  for (const [pattern, page] of routes) {
    const match = hash.match(pattern);
    if (match) {
      main.dataset.route = "";
      try { await page(match); } catch (error) { show(failure(error)); }
      main.dataset.route = hash;  // shown: what the browser tests wait for
      return;
    }
  }
  location.hash = "#/workflows";
}
window.addEventListener("hashchange", route);

// -- workflows -------------------------------------------------------------------------------------------------

async function workflowList() {
  const workflows = await api("GET", "/workflows");
  const rows = workflows.map((w) => h("tr", { class: "link", "data-dag-id": w.dag_id, onclick: () => { location.hash = `#/workflows/${w.dag_id}`; } },
    h("td", {}, w.name || w.key, h("div", { class: "muted small" }, w.dag_id)),
    h("td", {}, w.client),
    h("td", {}, `${w.trigger_app}@${w.trigger_version}`, h("div", { class: "muted small" }, `${w.trigger_key} · ${w.trigger_connection}`)),
    h("td", {}, w.schedule || "webhook"),
    h("td", {}, badge(w.enabled ? "enabled" : "disabled", w.enabled ? "on" : "")),
    h("td", {}, `r${w.revision}`),
    h("td", {}, h("a", { href: `#/events?workflow=${encodeURIComponent(w.dag_id)}`, onclick: (e) => e.stopPropagation() }, "events"))));
  show(
    h("div", { class: "toolbar" }, h("h2", {}, `Workflows (${workflows.length})`),
      h("button", { class: "primary", onclick: () => { location.hash = "#/workflows/new"; } }, "New workflow")),
    h("table", {}, h("thead", {}, h("tr", {}, ["Workflow", "Client", "Trigger", "Schedule", "State", "Revision", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows)));
}

function blankWorkflow() {
  return { client: "", key: "", name: "", trigger: { app: "", connection: "", key: "" }, conditions: { all: [], any: [] }, steps: [] };
}

async function workflowBuilder(reference) {
  const stored = reference ? await api("GET", `/workflows/${encodeURIComponent(reference)}`) : null;
  const original = stored ? stored.definition : null;
  const wf = JSON.parse(JSON.stringify(original || blankWorkflow()));
  wf.conditions = wf.conditions || { all: [], any: [] };
  wf.conditions.all = wf.conditions.all || [];
  wf.conditions.any = wf.conditions.any || [];
  wf.steps = wf.steps || [];
  const [catalog, allConnections] = await Promise.all([apps(), connections()]);
  const refs = catalog.filter((a) => a.status !== "retired").map((a) => a.ref);
  let sample = null;
  if (stored) {
    const events = await api("GET", `/events?workflow=${stored.id}&limit=1`);
    if (events.length) sample = (await api("GET", `/events/${events[0].id}`)).payload;
  }
  const state = { problems: [], result: null };
  let renders = 0;
  const dagState = h("span", { id: "dag-state" });
  const showDag = async () => {
    let dag = null;
    try { dag = await airflow("GET", `/dags/${encodeURIComponent(stored.dag_id)}`); } catch (error) { if (error.status !== 404) throw error; }
    if (!dag) {
      fill(dagState, h("span", { class: "muted" }, stored.enabled ? "Airflow: parsing…" : ""));
      if (stored.enabled) setTimeout(() => { if (document.body.contains(dagState)) showDag(); }, 3000);
      return;
    }
    const flip = async () => { await airflow("PATCH", `/dags/${encodeURIComponent(stored.dag_id)}`, { is_paused: !dag.is_paused }); await showDag(); };
    fill(dagState, "Airflow: ", badge(dag.is_paused ? "paused" : "running", dag.is_paused ? "warn" : "ok"), " ",
      h("button", { name: "pause", onclick: flip }, dag.is_paused ? "Unpause DAG" : "Pause DAG"), " ",
      h("a", { href: `/dags/${encodeURIComponent(stored.dag_id)}`, target: "_top" }, "open in Airflow"));
  };
  if (stored) showDag();
  const output = h("div", { id: "builder-output" });
  const form = h("div", { id: "workflow-form" });
  const changesSlot = h("div", {});
  const refreshChanges = () => {
    const changes = stored ? describeChanges(original, definition()) : [];
    fill(changesSlot, changes.length ? h("div", { class: "card", id: "changes" }, h("h3", {}, "What will change"), h("ul", {}, changes.map((c) => h("li", {}, c)))) : null);
  };
  form.addEventListener("input", refreshChanges);
  form.addEventListener("change", refreshChanges);

  const connectionSelect = (appRef, value, onchange, name) => {
    const type = `integrations_${(appRef || "").split("@")[0]}`;
    const options = allConnections.filter((c) => c.conn_type === type).map((c) => c.connection_id);
    if (value && !options.includes(value)) options.unshift(value);
    return h("select", { name, onchange: (e) => onchange(e.target.value) }, h("option", { value: "" }, "— connection —"),
      options.map((id) => h("option", { value: id, selected: id === value }, id)));
  };
  const refSelect = (value, onchange, name) => h("select", { name, onchange: (e) => onchange(e.target.value) },
    h("option", { value: "" }, "— app version —"), refs.map((r) => h("option", { value: r, selected: r === value }, r)));

  function fieldPaths(spec) {
    const trigger = spec && spec.definition.triggers ? spec.definition.triggers[wf.trigger.key] : null;
    const paths = new Set(Object.keys((trigger && trigger.output) || {}));
    const walk = (value, prefix, depth) => {
      if (depth > 3 || value === null || typeof value !== "object" || Array.isArray(value)) return;
      for (const [k, v] of Object.entries(value)) { paths.add(prefix + k); walk(v, `${prefix}${k}.`, depth + 1); }
    };
    walk(sample, "", 0);
    return [...paths].sort();
  }

  async function sampleFromTrigger() {
    // the newest event of any workflow on the same trigger: what this one will receive
    if (sample || !wf.trigger.app || !wf.trigger.key) return;
    const [app, version] = wf.trigger.app.split("@");
    const same = (await api("GET", "/workflows")).filter((w) => w.trigger_app === app && w.trigger_version === version && w.trigger_key === wf.trigger.key);
    for (const w of same) {
      const events = await api("GET", `/events?workflow=${w.id}&limit=1`);
      if (events.length) { sample = (await api("GET", `/events/${events[0].id}`)).payload; return; }
    }
    const trigger = ((await appVersion(wf.trigger.app)).definition.triggers || {})[wf.trigger.key];
    if (trigger && trigger.sample) sample = trigger.sample;  // none received yet: the one the app declares
  }

  // Everything fetched first, then the form built and swapped in at once: what is typed meanwhile is never lost,
  // and a render overtaken by a newer one is dropped.
  async function render() {
    const turn = ++renders;
    await sampleFromTrigger();
    const needed = [wf.trigger.app, ...wf.steps.map((step) => step.app)].filter(Boolean);
    await Promise.all(needed.map((ref) => appVersion(ref).catch(() => null)));
    if (turn !== renders) return;
    const known = (ref) => (ref && cache.versions[ref]) || null;
    const triggerSpec = known(wf.trigger.app);
    const triggers = triggerSpec ? Object.entries(triggerSpec.definition.triggers || {}) : [];
    const trigger = triggerSpec && triggerSpec.definition.triggers ? triggerSpec.definition.triggers[wf.trigger.key] : null;
    const paths = fieldPaths(triggerSpec);
    const arrays = paths.filter((p) => {
      const declared = trigger && trigger.output && trigger.output[p];
      return (declared && declared.type === "array") || Array.isArray(sample && p.split(".").reduce((o, k) => (o || {})[k], sample));
    });
    const problemsAt = (path) => state.problems.filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
    const fieldRow = (label, path, control, help, required) => {
      const found = problemsAt(path);
      return h("label", { class: `field${found.length ? " has-problem" : ""}`, "data-path": path },
        h("span", { class: required ? "required" : "" }, label),
        h("span", {}, control, help ? h("div", { class: "help" }, help) : null, found.map((p) => h("div", { class: "problem" }, p.message))));
    };
    const text = (value, oninput, attrs) => h("input", { type: "text", value: value ?? "", oninput: (e) => oninput(e.target.value), ...(attrs || {}) });

    const basics = h("div", { class: "card" }, h("h3", {}, "Workflow"),
      fieldRow("Client", "client", text(wf.client, (v) => { wf.client = v; }, { name: "client", readonly: stored ? true : null }), "The client this workflow serves (part of its DAG id).", true),
      fieldRow("Key", "key", text(wf.key, (v) => { wf.key = v; }, { name: "key", readonly: stored ? true : null }), "Lowercase letters, digits and _: wf.<client>.<key>.", true),
      fieldRow("Name", "name", text(wf.name, (v) => { wf.name = v; }, { name: "name", size: 60 }), null, true));

    const triggerCard = h("div", { class: "card" }, h("h3", {}, "Trigger"),
      fieldRow("App version", "trigger.app", refSelect(wf.trigger.app, (v) => { wf.trigger.app = v; wf.trigger.key = ""; render(); }, "trigger.app"), null, true),
      fieldRow("Connection", "trigger.connection", connectionSelect(wf.trigger.app, wf.trigger.connection, (v) => { wf.trigger.connection = v; }, "trigger.connection"),
        h("span", {}, "The client's account. ", wf.trigger.app ? h("a", { href: `#/connect/${wf.trigger.app.replace("@", "/")}` }, "Connect a new one") : null), true),
      fieldRow("Event", "trigger.key", h("select", { name: "trigger.key", onchange: (e) => { wf.trigger.key = e.target.value; render(); } },
        h("option", { value: "" }, "— trigger —"), triggers.map(([k, t]) => h("option", { value: k, selected: k === wf.trigger.key }, `${t.name || k} (${t.type})`))), trigger ? trigger.description : null, true),
      trigger && trigger.type === "polling"
        ? fieldRow("Schedule", "schedule", text(wf.schedule, (v) => { wf.schedule = v || undefined; }, { name: "schedule", placeholder: "*/15 * * * * or @hourly" }), "How often Airflow polls (cron or preset).", true)
        : null);

    const datalist = h("datalist", { id: "trigger-fields" }, paths.map((p) => h("option", { value: p })));
    const conditionRows = (group) => wf.conditions[group].map((c, i) => {
      const path = `conditions.${group}[${i}]`;
      const found = problemsAt(path);
      return h("div", { class: `row condition${found.length ? " has-problem" : ""}`, "data-path": path },
        h("input", { type: "text", list: "trigger-fields", name: `${path}.field`, value: c.field, placeholder: "field", oninput: (e) => { c.field = e.target.value; } }),
        h("select", { name: `${path}.operator`, onchange: (e) => { c.operator = e.target.value; render(); } }, OPERATORS.map((o) => h("option", { value: o, selected: o === c.operator }, o))),
        ["exists", "not_exists"].includes(c.operator) ? null : h("input", {
          type: "text", name: `${path}.value`, placeholder: ["in", "not_in"].includes(c.operator) ? "a, b, c" : "value",
          value: Array.isArray(c.value) ? c.value.join(", ") : c.value ?? "",
          oninput: (e) => { c.value = ["in", "not_in"].includes(c.operator) ? e.target.value.split(",").map((s) => s.trim()).filter(Boolean) : e.target.value; },
        }),
        h("button", { onclick: () => { wf.conditions[group].splice(i, 1); render(); } }, "Remove"),
        found.map((p) => h("span", { class: "problem" }, p.message)));
    });
    const conditionsCard = h("div", { class: "card" }, h("h3", {}, "Conditions"), datalist,
      h("p", { class: "muted small" }, "Only events that pass go on to the steps; the others are kept as filtered."),
      h("div", {}, h("strong", {}, "All of"), conditionRows("all"),
        h("button", { name: "add-condition-all", onclick: () => { wf.conditions.all.push({ field: "", operator: "equals", value: "" }); render(); } }, "+ condition")),
      h("div", {}, h("strong", {}, "At least one of"), conditionRows("any"),
        h("button", { name: "add-condition-any", onclick: () => { wf.conditions.any.push({ field: "", operator: "equals", value: "" }); render(); } }, "+ condition")));

    const stepCards = [];
    for (const [i, step] of wf.steps.entries()) stepCards.push(stepCard(step, known(step.app), i, paths, arrays, fieldRow, text, connectionSelect, refSelect));
    const stepsCard = h("div", { class: "card" }, h("h3", {}, "Steps"), stepCards,
      h("div", { class: "row" },
        h("button", { name: "add-action", onclick: () => { wf.steps.push({ key: `step_${wf.steps.length + 1}`, app: "", connection: "", action: "", inputs: {} }); render(); } }, "+ action"),
        h("button", { name: "add-search", onclick: () => { wf.steps.push({ key: `find_${wf.steps.length + 1}`, app: "", connection: "", search: "", inputs: {} }); render(); } }, "+ search")));

    if (state.sampleText === undefined && sample) state.sampleText = JSON.stringify(sample, null, 2);
    const sampleArea = h("textarea", { name: "sample", rows: 6, placeholder: "A sample event (JSON). Empty: the last event received for this workflow.",
      oninput: (e) => { state.sampleText = e.target.value; } }, state.sampleText || "");
    const toolbar = h("div", { class: "toolbar" },
      h("button", { name: "dry-run", onclick: () => dryRun(sampleArea.value) }, "Dry run"),
      h("button", { name: "save", class: "primary", onclick: save }, stored ? "Save changes" : "Save"),
      stored ? h("button", { name: "toggle", onclick: toggle }, stored.enabled ? "Disable" : "Enable") : null,
      stored ? h("button", { name: "upgrade", onclick: upgradeForm }, "Upgrade…") : null,
      stored && stored.can_roll_back ? h("button", { name: "rollback", onclick: rollback }, "Roll back") : null,
      stored ? h("button", { name: "delete", onclick: remove }, "Delete") : null,
      stored ? h("a", { class: "button", href: `#/events?workflow=${encodeURIComponent(stored.dag_id)}` }, "Events") : null,
      stored ? h("span", {}, badge(stored.enabled ? "enabled" : "disabled", stored.enabled ? "on" : ""), " ", h("span", { class: "muted" }, `${stored.dag_id} · revision ${stored.revision}`)) : null,
      stored ? dagState : null);
    fill(form, 
      h("h2", {}, stored ? `Edit ${stored.name || stored.key}` : "New workflow"),
      problemList(state.problems.filter((p) => !p.path || !document.querySelector(`[data-path="${CSS.escape(p.path)}"]`))),
      basics, triggerCard, conditionsCard, stepsCard,
      h("div", { class: "card" }, h("h3", {}, "Sample event"), sampleArea),
      changesSlot,
      toolbar, output);
    refreshChanges();
  }

  function stepCard(step, spec, i, paths, arrays, fieldRow, text, connectionSelect, refSelect) {
    const kind = step.search != null && step.action == null ? "search" : "action";
    const operations = spec ? Object.entries(spec.definition[kind === "search" ? "searches" : "actions"] || {}) : [];
    const operation = operations.find(([k]) => k === step[kind]);
    const declared = operation ? operation[1].inputs || {} : {};
    const path = `steps[${i}]`;
    const earlier = wf.steps.slice(0, i).map((s) => s.key);
    const suggestions = [...paths.map((p) => `{{ trigger.${p} }}`), ...earlier.map((k) => `{{ steps.${k}.… }}`)];
    const inputs = Object.entries(declared).map(([name, input]) => {
      const inputPath = `${path}.inputs.${name}`;
      const value = step.inputs[name];
      const set = (v) => { if (v === "" || v === undefined) delete step.inputs[name]; else step.inputs[name] = v; };
      let control;
      if (input.type === "array" && (value === undefined || (value && typeof value === "object" && !Array.isArray(value)))) {
        control = lineItems(step, name, value, arrays, inputPath);
      } else if (input.type === "object") {
        control = objectInput(step, name, value, inputPath, paths, text, `fields-${i}`);
      } else if (input.choices && input.choices.length) {
        control = h("select", { name: inputPath, onchange: (e) => set(e.target.value) }, h("option", { value: "" }, "—"),
          input.choices.map((c) => h("option", { value: c, selected: String(c) === String(value) }, c)));
      } else {
        control = text(typeof value === "object" ? JSON.stringify(value) : value, (v) => set(v), { name: inputPath, list: `fields-${i}`, size: 60, placeholder: input.default !== undefined ? `default: ${input.default}` : "a constant or {{ trigger.field }}" });
      }
      return fieldRow(input.label || name, inputPath, control, `${input.type || "string"}${input.help ? ` · ${input.help}` : ""}`, input.required);
    });
    return h("div", { class: "card step", "data-step": step.key, "data-path": path },
      h("div", { class: "row" }, h("strong", {}, `${i + 1}. ${kind}`),
        text(step.key, (v) => { step.key = v; }, { name: `${path}.key`, size: 16 }),
        h("button", { onclick: () => { wf.steps.splice(i, 1); render(); } }, "Remove step")),
      h("datalist", { id: `fields-${i}` }, suggestions.map((s) => h("option", { value: s }))),
      fieldRow("App version", `${path}.app`, refSelect(step.app, (v) => { step.app = v; step[kind] = ""; step.inputs = {}; render(); }, `${path}.app`), null, true),
      fieldRow("Connection", `${path}.connection`, connectionSelect(step.app, step.connection, (v) => { step.connection = v; }, `${path}.connection`), null, true),
      fieldRow(kind === "search" ? "Search" : "Action", `${path}.${kind}`, h("select", { name: `${path}.${kind}`, onchange: (e) => { step[kind] = e.target.value; render(); } },
        h("option", { value: "" }, "—"), operations.map(([k, op]) => h("option", { value: k, selected: k === step[kind] }, op.name || k))), operation ? operation[1].description : null, true),
      inputs);
  }

  // key ← template rows of an object (`map`): what one line item, or one object input, is made of
  function fieldRows(map, save, inputPath, suggestions) {
    const rows = Object.entries(map);
    const rename = (from, to) => { const next = {}; for (const [k, v] of Object.entries(map)) next[k === from ? to : k] = v; save(next); render(); };
    return h("div", { class: "field-rows" },
      h("datalist", { id: `${inputPath}-fields` }, suggestions.map((f) => h("option", { value: f }))),
      rows.map(([key, template]) => h("div", { class: "row" },
        h("input", { type: "text", value: key, name: `${inputPath}.key`, size: 22, onchange: (e) => rename(key, e.target.value) }),
        "←",
        h("input", { type: "text", value: template, name: `${inputPath}.${key}`, list: `${inputPath}-fields`, size: 40, oninput: (e) => { map[key] = e.target.value; save(map); } }),
        h("button", { onclick: () => { delete map[key]; save(map); render(); } }, "×"))),
      h("button", { name: `${inputPath}.add-field`, onclick: () => { save({ ...map, [`field_${rows.length + 1}`]: "" }); render(); } }, "+ field"));
  }

  function objectInput(step, name, value, inputPath, paths, text, listId) {
    if (value && typeof value === "object") {
      return h("div", {}, fieldRows(value, (next) => { step.inputs[name] = next; }, `${inputPath}.map`, paths.map((p) => `{{ trigger.${p} }}`)),
        h("button", { onclick: () => { delete step.inputs[name]; render(); } }, "Use one template instead"));
    }
    return h("div", {}, text(value, (v) => { if (v) step.inputs[name] = v; else delete step.inputs[name]; }, { name: inputPath, list: listId, size: 60, placeholder: "{{ trigger.field }}" }),
      " ", h("button", { name: `${inputPath}.map-fields`, onclick: () => { step.inputs[name] = {}; render(); } }, "Map its fields"));
  }

  function lineItems(step, name, value, arrays, inputPath) {
    const mapping = value || {};
    const source = (mapping.for_each || "").replace(/^\{\{\s*trigger\.|\s*\}\}$/g, "");
    const as = mapping.as || "line";
    const update = (next) => { step.inputs[name] = next; };
    const setSource = (v) => {
      if (!v) { delete step.inputs[name]; render(); return; }
      update({ for_each: `{{ trigger.${v} }}`, as, map: mapping.map || {} }); render();
    };
    const itemFields = (() => {
      const items = sample && source ? source.split(".").reduce((o, k) => (o || {})[k], sample) : null;
      return Array.isArray(items) && items.length && typeof items[0] === "object" ? Object.keys(items[0]) : [];
    })();
    return h("div", { class: "line-items" },
      h("div", { class: "row" }, "One entry per item of",
        h("select", { name: `${inputPath}.for_each`, onchange: (e) => setSource(e.target.value) }, h("option", { value: "" }, "— a list —"),
          arrays.map((p) => h("option", { value: p, selected: p === source }, `trigger.${p}`))), "as", h("code", {}, as)),
      source ? fieldRows(mapping.map || {}, (map) => update({ ...mapping, map }), `${inputPath}.map`,
        [...itemFields.map((f) => `{{ ${as}.${f} }}`), "{{ index }}"]) : null);
  }

  function definition() {
    const copy = JSON.parse(JSON.stringify(wf));
    if (stored) copy.enabled = stored.enabled;  // Enable/Disable switch it; a save keeps it
    for (const step of copy.steps) for (const name of ["action", "search"]) if (step[name] == null) delete step[name];
    if (!copy.conditions.all.length) delete copy.conditions.all;
    if (!copy.conditions.any.length) delete copy.conditions.any;
    if (!Object.keys(copy.conditions).length) delete copy.conditions;
    return copy;
  }

  async function dryRun(sampleText) {
    let payload;
    try { payload = sampleText.trim() ? JSON.parse(sampleText) : undefined; } catch (e) { fill(output, message("bad", `The sample is not JSON: ${e.message}`)); return; }
    fill(output, message("info", "Dry run…"));
    try {
      const result = await api("POST", "/workflows/dry-run", { definition: definition(), sample: payload, allow_missing_connections: true });
      state.problems = [];
      fill(output, dryRunReport(result));
    } catch (error) {
      state.problems = (error.body && error.body.problems) || [];
      await render();
      fill(output, failure(error));
    }
  }

  async function save() {
    fill(output, message("info", "Saving…"));
    try {
      const answer = await api("POST", "/workflows", { definition: definition() });
      state.problems = [];
      cache.workflows = null;
      const note = answer.change === "unchanged" ? "Nothing changed." : `Saved (${answer.change}): ${answer.dag_id}. Its DAG appears in Airflow at the next parse.`;
      if (!stored) { location.hash = `#/workflows/${answer.dag_id}`; return; }
      await workflowBuilder(answer.dag_id);
      fill(document.getElementById("builder-output"), message("ok", note), answer.warnings.length ? message("info", answer.warnings.join("\n")) : null);
    } catch (error) {
      state.problems = (error.body && error.body.problems) || [];
      await render();
      fill(output, failure(error));
    }
  }

  async function upgradeForm() {
    const used = new Set([wf.trigger.app, ...wf.steps.map((st) => st.app)]);
    const keys = new Set([...used].map((r) => r.split("@")[0]));
    const targets = refs.filter((r) => keys.has(r.split("@")[0]) && !used.has(r));
    const target = h("select", { name: "upgrade-to" }, targets.map((r) => h("option", { value: r }, r)));
    const report = h("div", { id: "upgrade-report" });
    const run = async (dryRun) => {
      try {
        const answer = await api("POST", `/workflows/${stored.id}/upgrade`, { to: target.value, dry_run: dryRun });
        const lines = answer.outcomes.flatMap((o) => [...o.changes, ...o.problems.map((p) => `problem: ${p}`)]);
        fill(report, message(answer.ok ? (dryRun ? "info" : "ok") : "bad",
          `${dryRun ? "Would change" : answer.applied ? "Upgraded" : "Refused"}:\n${lines.join("\n") || "nothing"}`));
        if (answer.applied) await workflowBuilder(stored.dag_id);
      } catch (error) {
        const refused = (error.body.outcomes || []).flatMap((o) => o.problems);
        fill(report, refused.length ? message("bad", `Refused, nothing changed:\n${refused.join("\n")}`) : failure(error));
      }
    };
    fill(output, h("div", { class: "card" }, h("h3", {}, "Upgrade to another app version"),
      targets.length ? h("div", { class: "row" }, target, h("button", { name: "upgrade-dry-run", onclick: () => run(true) }, "What would change"),
        h("button", { name: "upgrade-apply", class: "primary", onclick: () => run(false) }, "Upgrade")) : h("p", { class: "muted" }, "No other version of its apps."),
      report));
  }

  async function rollback() {
    try {
      const answer = await api("POST", `/workflows/${stored.id}/rollback`);
      await workflowBuilder(stored.dag_id);
      fill(document.getElementById("builder-output"), message("ok", `Rolled back: it uses ${answer.pins.join(", ")} again.`));
    } catch (error) { fill(output, failure(error)); }
  }

  async function remove() {
    if (!window.confirm(`Delete ${stored.dag_id} with its events and action log?`)) return;
    try {
      await api("DELETE", `/workflows/${stored.id}`);
      location.hash = "#/workflows";
    } catch (error) { fill(output, failure(error)); }
  }

  async function toggle() {
    const done = await api("POST", `/workflows/${stored.id}/${stored.enabled ? "disable" : "enable"}`);
    await workflowBuilder(done.dag_id);
    fill(document.getElementById("builder-output"), message("ok", done.enabled ? "Enabled: its DAG appears in Airflow at the next parse." : "Disabled: its DAG leaves Airflow; stored events stay."));
  }

  show(form);
  await render();
}

function describeChanges(before, after) {
  const changes = [];
  const walk = (a, b, path) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const objects = a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b);
    if (!objects) {
      if (a === undefined) changes.push(`${path}: added ${JSON.stringify(b)}`);
      else if (b === undefined) changes.push(`${path}: removed (was ${JSON.stringify(a)})`);
      else changes.push(`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
      return;
    }
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      walk(a[key], b[key], Array.isArray(a) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    }
  };
  const clean = (d) => JSON.parse(JSON.stringify(d, (k, v) => (Array.isArray(v) && !v.length) || (v && typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length) ? undefined : v));
  walk(clean(before), clean(after), "");
  return changes;
}

function dryRunReport(result) {
  const conditionRows = (list) => (list || []).map((c) => h("li", { class: `outcome ${c.holds ? "holds" : "fails"}` },
    `${c.field} ${c.operator}${c.value !== undefined && c.value !== null ? ` ${JSON.stringify(c.value)}` : ""} — was ${c.missing ? "missing" : JSON.stringify(c.actual)}`));
  const conditions = result.conditions || {};
  return h("div", { class: "card", id: "dry-run" }, h("h3", {}, "Dry run"),
    h("p", {}, result.would_run ? badge("would run", "ok") : badge("filtered out", "bad"), " ",
      h("span", { class: "muted" }, `sample: ${result.sample ? result.sample.source : ""} · nothing was sent`)),
    (conditions.all || []).length || (conditions.any || []).length
      ? h("div", {}, h("strong", {}, "Conditions"), h("ul", {}, conditionRows(conditions.all), conditionRows(conditions.any)))
      : h("p", { class: "muted" }, "No conditions: every event goes on."),
    (result.steps || []).map((s) => h("div", { class: "dry-step", "data-step": s.key },
      h("strong", {}, `${s.key}: ${s.kind} ${s.operation} on ${s.app} (${s.connection})`),
      s.pending ? message("info", s.pending) : null,
      s.error ? message("bad", s.error) : null,
      s.request ? h("div", {}, h("div", { class: "muted small" }, `${s.request.method} ${s.request.url}`), pretty(s.request)) : null,
      s.inputs ? h("details", {}, h("summary", {}, "inputs"), pretty(s.inputs)) : null)));
}

// -- events ----------------------------------------------------------------------------------------------------

async function eventList(params) {
  const workflows = await api("GET", "/workflows");
  const query = new URLSearchParams();
  for (const key of ["workflow", "status", "since"]) if (params.get(key)) query.set(key, params.get(key));
  query.set("limit", params.get("limit") || "100");
  const events = await api("GET", `/events?${query}`);
  const byId = Object.fromEntries(workflows.map((w) => [w.id, w]));
  const client = params.get("client") || "";
  const shown = client ? events.filter((e) => (byId[e.workflow_id] || {}).client === client) : events;
  const selected = new Set();
  const filter = (key, value) => { const next = new URLSearchParams(params); if (value) next.set(key, value); else next.delete(key); location.hash = `#/events?${next}`; };
  const result = h("div", { id: "events-output" });
  const replaySelected = async () => {
    const unsure = shown.filter((e) => selected.has(e.id) && e.unknown_outcome).map((e) => e.id);
    if (unsure.length && !window.confirm(`The writes of ${unsure.join(", ")} may have been applied already: check the app first. Replay anyway?`)) return;
    const outcomes = [];
    for (const id of selected) {
      try { const r = await api("POST", `/events/${id}/replay`); outcomes.push(`event ${id}: back in the queue (${r.wake ? r.wake.run_id : "next run"})${r.warnings.length ? ` — ${r.warnings.join("; ")}` : ""}`); }
      catch (error) { outcomes.push(`event ${id}: ${error.message}`); }
    }
    fill(result, message("info", outcomes.join("\n")));
  };
  const replayFailed = async () => {
    try {
      const answer = await api("POST", "/events/replay", { workflow: params.get("workflow"), since: params.get("since") || "1d" });
      fill(result, message("info", `${answer.replayed.length} failed event(s) back in the queue${answer.left_out.length ? `; left failed, their write may have been applied (check the app): ${answer.left_out.join(", ")}` : ""}.`));
    } catch (error) { fill(result, failure(error)); }
  };
  const clients = [...new Set(workflows.map((w) => w.client))].sort();
  show(
    h("h2", {}, "Events"),
    h("div", { class: "toolbar" },
      h("select", { name: "client", onchange: (e) => filter("client", e.target.value) }, h("option", { value: "" }, "every client"), clients.map((c) => h("option", { value: c, selected: c === client }, c))),
      h("select", { name: "workflow", onchange: (e) => filter("workflow", e.target.value) }, h("option", { value: "" }, "every workflow"),
        workflows.map((w) => h("option", { value: w.dag_id, selected: w.dag_id === params.get("workflow") || String(w.id) === params.get("workflow") }, w.dag_id))),
      h("select", { name: "status", onchange: (e) => filter("status", e.target.value) }, h("option", { value: "" }, "every status"), STATUSES.map((s) => h("option", { value: s, selected: s === params.get("status") }, s))),
      h("input", { type: "text", name: "since", placeholder: "since: 2h, 1d, 2026-11-30T10:00", value: params.get("since") || "", onchange: (e) => filter("since", e.target.value) }),
      h("button", { onclick: route }, "Refresh"),
      h("button", { name: "replay-selected", onclick: replaySelected }, "Replay selected"),
      params.get("workflow") ? h("button", { name: "replay-failed", onclick: replayFailed }, `Replay failed since ${params.get("since") || "1d"}`) : null),
    result,
    h("table", { id: "events" }, h("thead", {}, h("tr", {}, ["", "Event", "Workflow", "Status", "Received", "Attempts", "Error"].map((t) => h("th", {}, t)))),
      h("tbody", {}, shown.map((e) => h("tr", { class: "link", "data-event-id": e.id, onclick: () => { location.hash = `#/events/${e.id}`; } },
        h("td", { onclick: (ev) => ev.stopPropagation() }, h("input", { type: "checkbox", name: `select-${e.id}`, onchange: (ev) => { if (ev.target.checked) selected.add(e.id); else selected.delete(e.id); } })),
        h("td", {}, `#${e.id}`, h("div", { class: "muted small" }, e.dedupe_key)),
        h("td", {}, e.dag_id), h("td", {}, badge(e.status), e.unknown_outcome ? badge("check the app", "warn") : null),
        h("td", {}, when(e.received_at)), h("td", {}, e.attempts), h("td", { class: "small" }, e.error || ""))))),
    shown.length ? null : h("p", { class: "muted" }, "No events match."));
}

async function eventDetail(id) {
  const e = await api("GET", `/events/${id}`);
  const result = h("div", { id: "event-output" });
  const replay = async () => {
    if (e.unknown_outcome && !window.confirm("Its write may have been applied already: check the app first. Replay anyway?")) return;
    try {
      const r = await api("POST", `/events/${id}/replay`);
      fill(result, message("ok", `Back in the queue; ${r.wake && r.wake.woken ? `run ${r.wake.run_id} asked of Airflow` : "the next run takes it"}.`),
        r.warnings.length ? message("info", r.warnings.join("\n")) : null);
    } catch (error) { fill(result, failure(error)); }
  };
  show(
    h("div", { class: "toolbar" }, h("h2", {}, `Event #${e.id}`), badge(e.status),
      h("button", { name: "replay", onclick: replay, disabled: e.status === "running" }, "Replay"),
      h("button", { onclick: route }, "Refresh"), h("a", { href: `#/events?workflow=${encodeURIComponent(e.dag_id)}` }, `all events of ${e.dag_id}`)),
    result,
    h("table", {}, h("tbody", {},
      [["Workflow", h("a", { href: `#/workflows/${e.dag_id}` }, e.dag_id)], ["Dedupe key", e.dedupe_key], ["Received", when(e.received_at)],
        ["Attempts", e.attempts], ["Run", e.dag_run_id ? h("a", { href: `/dags/${e.dag_id}/runs/${encodeURIComponent(e.dag_run_id)}`, target: "_top" }, e.dag_run_id) : "—"],
        ["Error", e.error || "—"], ["Next try", e.not_before ? when(e.not_before) : "—"]].map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v))))),
    h("h3", {}, "Steps"),
    e.steps.length ? e.steps.map((s) => h("div", { class: "card step-entry", "data-step": s.step_key },
      h("div", { class: "row" }, h("strong", {}, s.step_key), badge(s.outcome, s.outcome === "failed" ? "failed" : "done"),
        s.status_code ? h("span", { class: "muted" }, `HTTP ${s.status_code}`) : null, h("span", { class: "muted small" }, `${s.attempts} attempt(s) · ${when(s.updated_at)}`)),
      s.error ? message("bad", s.error) : null,
      s.request ? h("details", {}, h("summary", {}, "request"), pretty(s.request)) : null,
      s.result !== null && s.result !== undefined ? h("details", {}, h("summary", {}, "response"), pretty(s.result)) : null))
      : h("p", { class: "muted" }, "No step has run for this event."),
    h("div", { class: "grid2" },
      h("div", {}, h("h3", {}, "Payload"), pretty(e.payload)),
      h("div", {}, h("h3", {}, "Headers"), pretty(e.headers))));
}

// -- apps ------------------------------------------------------------------------------------------------------

async function appList() {
  const all = await apps();
  show(h("h2", {}, "Apps"),
    h("table", { id: "apps" }, h("thead", {}, h("tr", {}, ["App", "Version", "Category", "Status", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, all.map((a) => h("tr", { class: "link", "data-ref": a.ref, onclick: () => { location.hash = `#/apps/${a.key}/${a.version}`; } },
        h("td", {}, a.name, h("div", { class: "muted small" }, a.key)), h("td", {}, a.version), h("td", {}, a.category),
        h("td", {}, badge(a.status), a.deprecation ? h("div", { class: "small muted" }, a.deprecation.notice) : null),
        h("td", {}, h("a", { href: `#/connect/${a.key}/${a.version}`, onclick: (e) => e.stopPropagation() }, "Connect")))))));
}

async function appDetail(ref) {
  const app = await appVersion(ref);
  const definition = app.definition;
  const usage = ((await api("GET", `/apps/usage?app=${app.key}`)).find((u) => u.ref === ref) || { dag_ids: [] }).dag_ids;
  const section = (title, items, describe) => items && Object.keys(items).length
    ? h("div", { class: "card" }, h("h3", {}, title), h("table", {}, h("tbody", {}, Object.entries(items).map(([k, v]) => h("tr", {}, h("td", {}, h("code", {}, k)), h("td", {}, describe(v)))))))
    : null;
  const inputs = (op) => Object.entries(op.inputs || {}).map(([k, i]) => `${k}${i.required ? "*" : ""}: ${i.type}`).join(", ");
  show(
    h("div", { class: "toolbar" }, h("h2", {}, `${app.name} ${app.version}`), badge(app.status),
      h("a", { class: "button", href: `#/connect/${app.key}/${app.version}` }, "Connect")),
    app.deprecation ? message("bad", app.deprecation.notice) : null,
    h("p", {}, app.description || ""),
    h("p", { class: "muted" }, `Auth: ${app.auth_type} · connection type ${app.connection_type} · ${definition.base_url || ""}`),
    section("Connection fields", Object.fromEntries(app.connection_form.map((f) => [f.name, f])), (f) => `${f.label} (${f.kind}, ${f.type}${f.required ? ", required" : ""})${f.help ? ` — ${f.help}` : ""}`),
    Object.keys(definition.environment || {}).length ? await environmentCard(app) : null,
    section("Triggers", definition.triggers, (t) => `${t.name || ""} (${t.type}) — outputs: ${Object.keys(t.output || {}).join(", ")}`),
    section("Searches", definition.searches, (s) => `${s.name || ""} — inputs: ${inputs(s)}`),
    section("Actions", definition.actions, (a) => `${a.name || ""} (${a.kind || ""}) — inputs: ${inputs(a)}`),
    usage.length ? h("div", { class: "card" }, h("h3", {}, "Used by"), h("ul", {}, usage.map((dagId) => h("li", {}, h("a", { href: `#/workflows/${dagId}` }, dagId))))) : h("p", { class: "muted" }, "No workflow uses this version."),
    h("details", {}, h("summary", {}, "Definition"), pretty(definition)));
}

// Per-version settings kept in an Airflow Variable (`integrations env`): secrets are write-only.
async function environmentCard(app) {
  const base = `/apps/${app.key}/${app.version}/environment`;
  const card = h("div", { class: "card", id: "environment" });
  const draw = (values, note) => {
    const edits = {};
    const status = h("div", { class: "env-status" }, note);
    const save = async () => {
      const sent = {};
      for (const [name, value] of Object.entries(edits)) {
        const declared = values.find((v) => v.name === name);
        if (declared.secret && value === "") continue;  // left empty: the stored secret stays
        sent[name] = value === "" ? null : value;  // emptied: back to its default
      }
      try { draw(await api("PUT", base, { values: sent }), message("ok", "Saved.")); } catch (error) { fill(status, failure(error)); }
    };
    fill(card, h("h3", {}, "Environment"), h("p", { class: "muted small" }, "Settings of this version for every client (an Airflow Variable); secrets are never shown."),
      values.map((v) => h("label", { class: "field", "data-env": v.name }, h("span", { class: v.required ? "required" : "" }, v.name),
        h("span", {}, h("input", {
          name: `env.${v.name}`, type: v.secret ? "password" : "text", size: 50, autocomplete: "off",
          value: v.secret ? "" : v.value ?? "", placeholder: v.secret ? (v.is_set ? "set (unchanged unless typed)" : "unset") : v.default !== null && v.default !== undefined ? `default: ${v.default}` : "",
          oninput: (e) => { edits[v.name] = e.target.value; },
        }), h("div", { class: "help" }, [v.type, v.secret ? "secret" : null, v.description].filter(Boolean).join(" · "))))),
      h("div", { class: "toolbar" }, h("button", { name: "save-environment", onclick: save }, "Save environment"),
        others.length ? h("span", {}, "or copy from ", h("select", { name: "copy-from" }, others.map((v) => h("option", { value: v }, v))), " ",
          h("button", { name: "copy-environment", onclick: copy }, "Copy")) : null), status);
  };
  const others = (await apps()).filter((a) => a.key === app.key && a.version !== app.version).map((a) => a.version);
  const copy = async () => {
    const from = card.querySelector("select[name=copy-from]").value;
    try {
      const answer = await api("POST", `${base}/copy`, { from_version: from });
      draw(await api("GET", base), message("ok", `Copied ${answer.copied.join(", ") || "nothing"} from ${from}${answer.skipped.length ? `; skipped ${answer.skipped.join(", ")} (not declared here)` : ""}.`));
    } catch (error) { fill(card, failure(error)); }
  };
  try { draw(await api("GET", base)); } catch (error) { fill(card, h("h3", {}, "Environment"), failure(error)); }
  return card;
}

async function connectForm(ref) {
  const app = await appVersion(ref);
  const values = {};
  const result = h("div", { id: "connect-output" });
  const body = () => ({
    connection_id: values.connection_id || "", conn_type: app.connection_type, description: values.description || null,
    extra: JSON.stringify(Object.fromEntries(app.connection_form.filter((f) => values[f.name] !== undefined && values[f.name] !== "")
      .map((f) => [f.name, f.type === "integer" ? Number(values[f.name]) : f.type === "boolean" ? values[f.name] === "true" : values[f.name]]))),
  });
  const control = (f) => {
    const set = (e) => { values[f.name] = e.target.value; };
    if (f.choices) return h("select", { name: f.name, onchange: set }, h("option", { value: "" }, "—"), f.choices.map((c) => h("option", { value: c }, c)));
    if (f.type === "boolean") return h("select", { name: f.name, onchange: set }, h("option", { value: "" }, "—"), h("option", { value: "true" }, "yes"), h("option", { value: "false" }, "no"));
    return h("input", { name: f.name, type: f.secret ? "password" : f.type === "integer" ? "number" : "text", autocomplete: "off", pattern: f.pattern || null, placeholder: f.default ?? "", oninput: set, size: 50 });
  };
  const test = async () => {
    fill(result, message("info", "Testing…"));
    try {
      const answer = await airflow("POST", "/connections/test", body());
      fill(result, message(answer.status ? "ok" : "bad", answer.message));
    } catch (error) { fill(result, failure(error)); }
  };
  const save = async () => {
    const connection = body();
    try {
      try { await airflow("POST", "/connections", connection); }
      catch (error) {
        if (error.status !== 409) throw error;
        if (!window.confirm(`Connection ${connection.connection_id} exists: replace it with these values?`)) return;
        await airflow("PATCH", `/connections/${encodeURIComponent(connection.connection_id)}`, connection);
      }
      fill(result, message("ok", `Saved connection ${connection.connection_id}. Workflows can use it now.`));
    } catch (error) { fill(result, failure(error)); }
  };
  show(
    h("h2", {}, `Connect ${app.name} ${app.version}`),
    h("p", { class: "muted" }, "Credentials are kept in an Airflow connection (encrypted) and never shown again."),
    h("div", { class: "card", id: "connect-form" },
      h("label", { class: "field" }, h("span", { class: "required" }, "Connection id"), h("span", {}, h("input", { name: "connection_id", type: "text", oninput: (e) => { values.connection_id = e.target.value; } }), h("div", { class: "help" }, "How workflows name this account, e.g. acme_shopify."))),
      h("label", { class: "field" }, h("span", {}, "Description"), h("span", {}, h("input", { name: "description", type: "text", size: 50, oninput: (e) => { values.description = e.target.value; } }))),
      app.connection_form.map((f) => h("label", { class: "field", "data-field": f.name }, h("span", { class: f.required ? "required" : "" }, f.label),
        h("span", {}, control(f), h("div", { class: "help" }, [f.kind === "property" ? "custom property" : "credential", f.help].filter(Boolean).join(" · ")))))),
    h("div", { class: "toolbar" }, h("button", { name: "test", onclick: test }, "Test"), h("button", { name: "save", class: "primary", onclick: save }, "Save connection")),
    result);
}

// -- app builder -----------------------------------------------------------------------------------------------

const STARTER = `app:
  key: my_app
  name: My app
  category: generic
version: 1.0.0
base_url: https://api.example.com
auth:
  type: api_key
  fields:
    api_key: {label: API key}
  headers:
    Authorization: "Bearer {{ auth.api_key }}"
actions: {}
`;

async function appBuilder() {
  const schema = await call("GET", "app-version.schema.json").catch(() => null);
  const allConnections = await connections();
  const editor = h("textarea", { name: "yaml", spellcheck: "false", value: sessionStorage.getItem("studio.app-draft") || STARTER });
  const gutter = h("div", { class: "gutter" });
  const problems = h("div", { id: "app-problems" });
  const keys = h("div", { class: "chips", id: "schema-keys" });
  const here = h("div", { class: "muted small" });
  const result = h("div", { id: "builder-result" });
  let badLines = new Set();
  let timer = null;

  const drawGutter = () => {
    const count = editor.value.split("\n").length;
    fill(gutter, ...Array.from({ length: count }, (_, i) => h("div", { class: badLines.has(i + 1) ? "bad" : "" }, i + 1)));
    gutter.scrollTop = editor.scrollTop;
  };
  const goTo = (line) => {
    const lines = editor.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    editor.focus();
    editor.setSelectionRange(start, start + (lines[line - 1] || "").length);
  };
  const validate = async () => {
    sessionStorage.setItem("studio.app-draft", editor.value);
    try {
      const answer = await api("POST", "/apps/validate", { yaml: editor.value });
      badLines = new Set(answer.problems.map((p) => p.line).filter(Boolean));
      fill(problems, answer.valid ? message("ok", "Valid.") : h("ul", {}, answer.problems.map((p) =>
        h("li", { class: "problem" }, p.line ? h("a", { href: "#/builder", onclick: (e) => { e.preventDefault(); goTo(p.line); } }, `line ${p.line}`) : "", ` ${p.path || ""}: ${p.message}`))));
    } catch (error) { fill(problems, failure(error)); }
    drawGutter();
  };
  const suggest = () => {
    if (!schema) return;
    const { path, indent } = yamlPath(editor.value, editor.selectionStart);
    const properties = schemaProperties(schema, path);
    here.textContent = path.length ? `Keys allowed at ${path.join(".")}:` : "Top-level keys:";
    fill(keys, ...Object.entries(properties).map(([name, prop]) => h("button", {
      title: (prop && prop.description) || "", onclick: () => {
        const at = editor.selectionStart;
        const lineStart = editor.value.lastIndexOf("\n", at - 1) + 1;
        const prefix = editor.value.slice(lineStart, at).trim() ? `\n${" ".repeat(indent)}` : "";
        editor.setRangeText(`${prefix}${name}: `, at, at, "end");
        editor.focus(); schedule();
      },
    }, name)));
  };
  const schedule = () => { clearTimeout(timer); drawGutter(); timer = setTimeout(validate, 400); };
  editor.addEventListener("input", () => { schedule(); suggest(); });
  editor.addEventListener("click", suggest);
  editor.addEventListener("keyup", (e) => { if (/^(Arrow|Home|End|Page)/.test(e.key)) suggest(); });
  editor.addEventListener("scroll", () => { gutter.scrollTop = editor.scrollTop; });
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Tab") { e.preventDefault(); editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end"); schedule(); }
  });

  const tryKind = h("select", { name: "try-kind" }, ["action", "search", "trigger"].map((k) => h("option", { value: k }, k)));
  const tryKey = h("input", { type: "text", name: "try-key", placeholder: "key, e.g. create_order" });
  const tryConnection = h("select", { name: "try-connection" }, h("option", { value: "" }, "— connection —"),
    allConnections.filter((c) => c.conn_type.startsWith("integrations_")).map((c) => h("option", { value: c.connection_id }, `${c.connection_id} (${c.conn_type.slice(13)})`)));
  const tryInputs = h("textarea", { name: "try-inputs", rows: 4, placeholder: '{"customer_order_number": "1001"}' });
  const tryRequest = async () => {
    let inputs = {};
    try { inputs = tryInputs.value.trim() ? JSON.parse(tryInputs.value) : {}; } catch (e) { fill(result, message("bad", `Inputs are not JSON: ${e.message}`)); return; }
    fill(result, message("info", "Sending…"));
    try {
      const answer = await api("POST", "/apps/try", { yaml: editor.value, kind: tryKind.value, key: tryKey.value, inputs, connection_id: tryConnection.value });
      fill(result, message(answer.error ? "bad" : "ok", answer.error ? `${answer.error.type}: ${answer.error.message}` : `HTTP ${answer.status} in ${answer.duration_ms} ms`),
        h("div", { class: "grid2" }, h("div", {}, h("strong", {}, "Request"), pretty(answer.request)), h("div", {}, h("strong", {}, "Response"), pretty(answer.response))));
    } catch (error) { fill(result, failure(error)); }
  };
  const save = async () => {
    try {
      const answer = await api("POST", "/apps", { yaml: editor.value });
      cache.apps = null;
      fill(result, message("ok", answer.created ? `Saved ${answer.ref} as ${answer.path}. Workflows can use it now.` : `${answer.ref} is saved already, unchanged.`));
    } catch (error) { fill(result, failure(error)); }
  };

  show(
    h("h2", {}, "App builder"),
    h("p", { class: "muted" }, "Write an app version in the definition language (docs/apps.md). It is checked as you type; saving adds it to your apps folder as a new, immutable version. ",
      h("a", { href: "app-version.schema.json", download: "app-version.schema.json" }, "The JSON Schema"), " serves editors too."),
    h("div", { class: "grid2" },
      h("div", {}, h("div", { class: "editor" }, gutter, editor)),
      h("div", {}, h("h3", {}, "Problems"), problems, h("h3", {}, "Completion"), here, keys,
        h("h3", {}, "Try a request"),
        h("div", { class: "row" }, tryKind, tryKey), h("div", { class: "row" }, tryConnection), tryInputs,
        h("div", { class: "toolbar" }, h("button", { name: "try", onclick: tryRequest }, "Send"), h("button", { name: "save-app", class: "primary", onclick: save }, "Save version")),
        result)));
  drawGutter();
  suggest();
  await validate();
}

// The mapping keys enclosing the cursor, from indentation: enough for key completion in a definition.
function yamlPath(text, position) {
  const lines = text.slice(0, position).split("\n");
  const current = lines.pop();
  let indent = current.length - current.trimStart().length;
  if (!current.trim()) indent = current.length;
  const path = [];
  let limit = indent;
  for (let i = lines.length - 1; i >= 0 && limit > 0; i--) {
    const line = lines[i];
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const lineIndent = line.length - line.trimStart().length;
    const key = line.trim().replace(/^- /, "").match(/^([A-Za-z0-9_.-]+):/);
    if (lineIndent < limit && key) { path.unshift(key[1]); limit = lineIndent; }
  }
  return { path, indent };
}

function schemaProperties(schema, path) {
  const resolve = (node) => {
    let guard = 0;
    while (node && node.$ref && guard++ < 20) node = node.$ref.split("/").slice(1).reduce((o, k) => o[k], schema);
    return node;
  };
  const merged = (node) => {
    node = resolve(node);
    if (!node) return [];
    const options = [node, ...(node.anyOf || []), ...(node.oneOf || []), ...(node.allOf || [])].map(resolve);
    return options.filter(Boolean);
  };
  let nodes = [schema];
  for (const key of path) {
    const next = [];
    for (const node of nodes.flatMap(merged)) {
      if (node.properties && node.properties[key]) next.push(node.properties[key]);
      else if (node.additionalProperties && typeof node.additionalProperties === "object") next.push(node.additionalProperties);
      else if (node.items) next.push(...merged(node.items).flatMap((n) => n.properties && n.properties[key] ? [n.properties[key]] : []));
    }
    nodes = next;
  }
  const found = {};
  for (const node of nodes.flatMap(merged)) {
    for (const [k, v] of Object.entries(node.properties || {})) found[k] = resolve(v);
    if (node.items) for (const item of merged(node.items)) for (const [k, v] of Object.entries(item.properties || {})) found[k] = resolve(v);
  }
  return found;
}

async function platformStatus() {
  const el = document.getElementById("status");
  try {
    const status = await api("GET", "/status");
    const failed = status.inbox ? status.inbox.failed : 0;
    fill(el, badge(status.status === "ok" ? "platform ok" : "degraded", status.status === "ok" ? "ok" : "bad"), " ",
      failed ? h("a", { href: "#/events?status=failed" }, `${failed} failed event(s)`) : "",
      (status.problems || []).length ? h("span", { class: "small" }, ` ${status.problems.join("; ")}`) : "");
  } catch { el.textContent = ""; }
}

route();
platformStatus();
setInterval(platformStatus, 30000);
