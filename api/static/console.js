/* gridgis dispatcher console: plain JavaScript on the service's JSON endpoints. */
"use strict";

const STATUS_ZH = {
  reported: "待受理", accepted: "已受理", rejected: "不受理", dispatched: "已派遣",
  in_progress: "处置中", resolved: "待核查", reopened: "重新办理", verified: "待回访",
  closed: "已办结", shelved: "挂账",
};
const ACTION_ZH = {
  accept: "受理", reject: "不予受理", dispatch: "派遣", return: "退回", start: "开始处置",
  request_extension: "申请延期", grant_extension: "同意延期", deny_extension: "驳回延期",
  shelve: "挂账", unshelve: "恢复办理", resolve: "办结", reopen: "重新办理",
  verify: "核查通过", close: "回访办结", escalate: "上报升级",
};
const DEFAULT_ROLE = {
  accept: "community", reject: "community", dispatch: "community", return: "unit",
  start: "unit", request_extension: "unit", grant_extension: "township",
  deny_extension: "township", shelve: "township", unshelve: "township", resolve: "unit",
  reopen: "grid_worker", verify: "grid_worker", close: "grid_worker", escalate: "community",
};
const ROLES = ["grid_worker", "unit", "community", "township", "command_centre"];
const NEEDS_NOTE = new Set(["reject", "return", "request_extension", "deny_extension", "shelve",
  "reopen", "escalate"]);
const LIGHT_COLOUR = { red: "#d7301f", yellow: "#e6a700", green: "#2c9f45", none: "#999999" };
const PATROL_COLOUR = { high: "#d7301f", medium: "#fc8d59", low: "#91cf60" };
const OPEN = "reported,accepted,dispatched,in_progress,resolved,reopened,verified,shelved";

const state = { categories: {}, names: {}, lightFilter: "", selected: null };
const $ = (sel) => document.querySelector(sel);

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function api(path, options = {}) {
  const opts = { ...options, headers: { "content-type": "application/json",
    ...(options.headers || {}) } };
  const response = await fetch(path, opts);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = body.detail || (Array.isArray(body) && body[0] && body[0].description)
      || response.statusText;
    throw new Error(detail);
  }
  return body;
}

function when(iso) {
  if (!iso) return "";
  return iso.slice(5, 16).replace("T", " ");
}

const map = L.map("map", { zoomControl: true });
L.control.scale({ imperial: false }).addTo(map);
const layers = {
  grids: L.geoJSON(null, {
    style: { color: "#4a5a70", weight: 0.8, fillColor: "#9ecae1", fillOpacity: 0.12 },
    onEachFeature: (f, layer) => layer.bindTooltip(
      `${esc(f.properties.name)}<br>${esc(f.properties.code)} · ${f.properties.households} 户`,
      { sticky: true }),
  }),
  townships: L.geoJSON(null, {
    style: { color: "#12355b", weight: 2.2, fill: false }, interactive: false,
  }),
  patrol: L.geoJSON(null, {
    style: (f) => ({ color: PATROL_COLOUR[f.properties.level], weight: 0.4,
      fillColor: PATROL_COLOUR[f.properties.level], fillOpacity: 0.18 }),
    interactive: false,
  }),
  units: L.geoJSON(null, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 5, color: "#12355b",
      weight: 2, fillColor: "#fff", fillOpacity: 1 }),
    onEachFeature: (f, layer) => layer.bindTooltip(
      `${esc(f.properties.name)} (${esc(f.properties.kind)})`),
  }),
  incidents: L.layerGroup(),
};
layers.grids.addTo(map);
layers.townships.addTo(map);
layers.units.addTo(map);
layers.incidents.addTo(map);
L.control.layers(null, {
  "网格 grids": layers.grids, "乡镇 townships": layers.townships,
  "巡查区域 patrol zones": layers.patrol, "责任单位 units": layers.units,
  "事件 incidents": layers.incidents,
}, { collapsed: false }).addTo(map);

async function loadCollection(name, layer) {
  const data = await api(`/collections/${name}/items?limit=10000`);
  layer.addData(data);
  for (const f of data.features) {
    if (f.properties.code) state.names[f.properties.code] = f.properties.name;
  }
  return data;
}

async function init() {
  const cats = await api("/categories");
  for (const c of cats) state.categories[c.code] = c;
  const catSelect = $("#f-category");
  for (const c of cats) catSelect.add(new Option(`${c.code} ${c.name_zh}`, c.code));
  const towns = await loadCollection("townships", layers.townships);
  for (const f of towns.features) {
    $("#f-township").add(new Option(f.properties.name, f.properties.code));
  }
  await loadCollection("grids", layers.grids);
  map.fitBounds(layers.grids.getBounds(), { padding: [8, 8] });
  loadCollection("units", layers.units);
  loadCollection("patrol_zones", layers.patrol);
  for (const id of ["#f-township", "#f-category", "#f-status"]) {
    $(id).addEventListener("change", refresh);
  }
  for (const el of document.querySelectorAll(".light")) {
    el.addEventListener("click", () => {
      state.lightFilter = state.lightFilter === el.dataset.light ? "" : el.dataset.light;
      document.querySelectorAll(".light").forEach((x) =>
        x.classList.toggle("active", x.dataset.light === state.lightFilter));
      refresh();
    });
  }
  $("#panel-close").addEventListener("click", () => { $("#panel").hidden = true; });
  await refresh();
  setInterval(refresh, 30000);
  document.body.dataset.ready = "true";
}

async function refresh() {
  const params = new URLSearchParams({ limit: "200" });
  const status = $("#f-status").value;
  params.set("status", status === "open" ? OPEN : status);
  if (!status) params.delete("status");
  if ($("#f-township").value) params.set("township", $("#f-township").value);
  if ($("#f-category").value) params.set("category", $("#f-category").value);
  if (state.lightFilter) params.set("light", state.lightFilter);
  const page = await api(`/incidents?${params}`);
  for (const light of ["red", "yellow", "green"]) {
    $(`#n-${light}`).textContent = page.lights[light] || 0;
  }
  $("#matched").textContent = `${page.returned} / ${page.matched}`;
  const list = $("#list");
  list.innerHTML = "";
  layers.incidents.clearLayers();
  for (const inc of page.items) {
    const cat = state.categories[inc.category];
    const li = document.createElement("li");
    li.dataset.id = inc.incident_id;
    li.dataset.light = inc.light;
    if (inc.light === "red") li.classList.add("pinned");
    if (inc.incident_id === state.selected) li.classList.add("selected");
    li.innerHTML = `<span class="dot ${inc.light}"></span>
      <div><b>${esc(cat ? cat.name_zh : inc.category)}</b> ${esc(inc.incident_id)}
      <div class="meta">${esc(inc.grid_name || "")} · ${esc(STATUS_ZH[inc.status] || inc.status)}
      ${inc.escalation_level ? ` · 已升级至${inc.escalated_to === "county" ? "区县" : "乡镇"}` : ""}</div></div>
      <span class="due">${inc.due_at ? "限 " + when(inc.due_at) : ""}</span>`;
    li.addEventListener("click", () => openIncident(inc.incident_id));
    list.appendChild(li);
    L.circleMarker([inc.lat, inc.lon], { radius: 6, color: "#222", weight: 1,
      fillColor: LIGHT_COLOUR[inc.light], fillOpacity: 0.95 })
      .bindTooltip(`${esc(inc.incident_id)} ${esc(cat ? cat.name_zh : inc.category)}`)
      .on("click", () => openIncident(inc.incident_id))
      .addTo(layers.incidents);
  }
}

function locateTable(loc) {
  const units = loc.units.slice(0, 5).map((u) =>
    `<tr><td>${esc(u.name)}</td><td>${Math.round(u.distance_m)} m</td></tr>`).join("");
  const warn = loc.near_edge ? `<div class="warn">距网格边界仅 ${loc.edge_distance_m} m，请核实归属</div>` : "";
  return `<div class="locate-result"><table>
    <tr><td>网格</td><td><b>${esc(loc.grid_name)}</b> ${esc(loc.grid_code)}</td></tr>
    <tr><td>社区/村</td><td>${esc(loc.community_name)}</td></tr>
    <tr><td>乡镇/街道</td><td>${esc(loc.township_name)}</td></tr>
    <tr><td>巡查等级</td><td>${esc(loc.patrol_level || "")}</td></tr>
    <tr><td>网格员</td><td>${esc(loc.worker_names || "")} (${loc.workers})</td></tr>
    </table>${warn}<table>${units}</table></div>`;
}

map.on("click", async (event) => {
  const { lat, lng } = event.latlng;
  const popup = L.popup({ maxWidth: 360 }).setLatLng(event.latlng).setContent("定位中…").openOn(map);
  let loc;
  try {
    loc = await api(`/locate?lon=${lng}&lat=${lat}`);
  } catch (err) {
    popup.setContent(`<div class="error">${esc(err.message)}</div>`);
    return;
  }
  const form = $("#report-form").content.firstElementChild.cloneNode(true);
  form.querySelector(".loc").innerHTML = locateTable(loc);
  const select = form.querySelector("select[name=category]");
  for (const c of Object.values(state.categories)) select.add(new Option(`${c.code} ${c.name_zh}`, c.code));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    try {
      const inc = await api("/incidents", { method: "POST", body: JSON.stringify({
        lon: lng, lat, crs: "wgs84", category: data.get("category"),
        description: data.get("description"), source: data.get("source"),
        actor: "console" }) });
      map.closePopup();
      await refresh();
      openIncident(inc.incident_id);
    } catch (err) {
      form.querySelector(".error").textContent = err.message;
    }
  });
  popup.setContent(form);
});

function actionControls(inc) {
  const wrap = document.createElement("div");
  wrap.className = "actions";
  const who = document.createElement("div");
  who.className = "who";
  who.innerHTML = `<input id="a-actor" value="值班员" aria-label="actor" size="8">
    <select id="a-role" aria-label="role"><option value="">角色自动 role: auto</option>
      ${ROLES.map((r) => `<option>${r}</option>`).join("")}</select>
    <input id="a-note" placeholder="意见/原因 note" aria-label="note">`;
  wrap.appendChild(who);
  const error = document.createElement("div");
  error.className = "error";
  for (const action of inc.allowed_actions) {
    const button = document.createElement("button");
    button.textContent = ACTION_ZH[action] || action;
    button.dataset.action = action;
    button.addEventListener("click", async () => {
      const body = { action, actor: $("#a-actor").value || "值班员", version: inc.version };
      const role = $("#a-role").value;
      body.role = role || (action === "escalate"
        ? (inc.escalation_level === 0 ? "community" : "township") : DEFAULT_ROLE[action]);
      const note = $("#a-note").value.trim();
      if (note) body.note = note;
      if (NEEDS_NOTE.has(action) && !note) { error.textContent = "请填写意见/原因 (note)"; return; }
      if (action === "dispatch") body.unit_id = $("#a-unit") ? $("#a-unit").value : null;
      if (action === "close") body.satisfaction = Number($("#a-sat").value);
      if (action === "request_extension") body.hours = Number($("#a-hours").value);
      try {
        await api(`/incidents/${inc.incident_id}/transitions`, { method: "POST", body: JSON.stringify(body) });
        await refresh();
        await openIncident(inc.incident_id);
      } catch (err) {
        error.textContent = err.message;
      }
    });
    wrap.appendChild(button);
  }
  if (inc.allowed_actions.includes("dispatch")) {
    const s = document.createElement("select");
    s.id = "a-unit";
    for (const u of inc.candidate_units) s.add(new Option(`${u.name} · ${Math.round(u.distance_m)} m`, u.unit_id));
    wrap.appendChild(s);
  }
  if (inc.allowed_actions.includes("close")) {
    wrap.insertAdjacentHTML("beforeend", `<label>满意度 <select id="a-sat">
      <option>5</option><option>4</option><option>3</option><option>2</option><option>1</option></select></label>`);
  }
  if (inc.allowed_actions.includes("request_extension")) {
    wrap.insertAdjacentHTML("beforeend", `<label>延期小时 <input id="a-hours" type="number" value="48" min="1" size="4"></label>`);
  }
  wrap.appendChild(error);
  return wrap;
}

async function openIncident(id) {
  state.selected = id;
  const inc = await api(`/incidents/${id}`);
  const cat = state.categories[inc.category];
  const panel = $("#panel");
  const body = $("#panel-body");
  body.innerHTML = `<h3><span class="dot ${inc.light}"></span> ${esc(cat ? cat.name_zh : inc.category)}
    <small>${esc(inc.incident_id)}</small></h3>
    <table>
      <tr><td>状态</td><td id="p-status" data-status="${esc(inc.status)}">${esc(STATUS_ZH[inc.status] || inc.status)}</td></tr>
      <tr><td>描述</td><td>${esc(inc.description)}</td></tr>
      <tr><td>网格</td><td>${esc(inc.grid_name)} (${esc(inc.grid_code)})</td></tr>
      <tr><td>社区 / 乡镇</td><td>${esc(inc.community_name)} / ${esc(inc.township_name)}</td></tr>
      <tr><td>平台</td><td>${esc(inc.platform)} · ${esc(inc.priority)}</td></tr>
      <tr><td>责任单位</td><td>${esc(inc.unit_id || "—")}</td></tr>
      <tr><td>期限</td><td>响应 ${when(inc.respond_by)} · 办结 ${when(inc.resolve_by)}</td></tr>
      <tr><td>当前时限</td><td>${inc.due_at ? when(inc.due_at) : "—"}</td></tr>
      <tr><td>升级</td><td>${esc(inc.escalated_to)}</td></tr>
      ${inc.duplicate_of.length ? `<tr><td class="warn">疑似重复</td><td>${inc.duplicate_of.map(esc).join(", ")}</td></tr>` : ""}
    </table>`;
  body.appendChild(actionControls(inc));
  const timeline = document.createElement("ol");
  timeline.className = "timeline";
  timeline.innerHTML = inc.events.map((e) => `<li><time>${when(e.at)}</time>
    <b>${esc(ACTION_ZH[e.action] || e.action)}</b> ${esc(e.actor)} (${esc(e.role)})
    ${e.note ? "— " + esc(e.note) : ""}</li>`).join("");
  body.appendChild(timeline);
  panel.hidden = false;
  map.panTo([inc.lat, inc.lon]);
}

function tick() {
  // China Standard Time, as every time the service gives, whatever the browser's zone
  $("#clock").textContent = new Date().toLocaleString("zh-CN",
    { hour12: false, timeZone: "Asia/Shanghai" });
}
tick();
setInterval(tick, 1000);
init().catch((err) => { document.body.dataset.error = err.message; console.error(err); });
