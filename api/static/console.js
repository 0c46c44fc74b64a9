/* gridgis dispatcher console: plain JavaScript on the service's JSON endpoints. */
"use strict";

const STATUS_ZH = {
  reported: "待受理", accepted: "已受理", rejected: "不受理", dispatched: "已派遣",
  in_progress: "处置中", resolved: "待核查", reopened: "重新办理", verified: "待回访",
  closed: "已办结", shelved: "挂账",
};
// the names the library gives (gridgis.dispatch.rules and gridgis.people.roles)
const ACTION_ZH = {
  accept: "受理", reject: "不予受理", dispatch: "派遣", return: "退回", start: "开始处置",
  progress: "进展反馈", request_extension: "申请延期", grant_extension: "批准延期",
  deny_extension: "驳回延期", shelve: "挂账", unshelve: "解除挂账", review: "挂账复核",
  resolve: "处置完毕",
  reopen: "重新办理", verify: "核查", callback: "回访", close: "结案", escalate: "上报升级",
  whistle: "吹哨", report_in: "报到", supervise: "督办", depart: "出发", arrive: "到场",
  release: "收队", reinforce: "增派",
};
// unit kinds (gridgis.categories UNIT_KIND_NAMES)
const KIND_ZH = {
  police_station: "派出所", judicial_office: "司法所", mediation_committee: "人民调解委员会",
  labour_inspection: "劳动保障监察大队", health: "卫生院", power_supply: "供电所",
  municipal_works: "市政管理所", fire_station: "消防救援站", sanitation: "环卫所",
  enforcement_squad: "综合行政执法中队", market_regulation: "市场监管所",
  community_service: "便民服务中心", emergency: "应急管理局", special_police: "特警大队",
  volunteer_team: "志愿者服务队", ambulance: "120急救站",
};
// the limit the light watches (gridgis.incidents.names.Stage): 1-3-0 and after
const STAGE_ZH = { deploy: "部署（1日内派遣）", progress: "进展反馈（3日内）", resolve: "办结（跟踪至销号）",
  verify: "核查", callback: "回访", review: "挂账复核", done: "已结束" };
const OUTCOME_ZH = { reached: "已回访", unreachable: "回访未接通" };
// the stages a photo documents (gridgis.attachments.stages STAGE_NAMES)
const PHOTO_STAGE_ZH = { report: "上报", before: "处置前", progress: "处置进展", after: "处置后",
  verify: "核查" };
const EVENT_ZH = { ...ACTION_ZH, report: "上报", attach: "上传照片" };
// the four platforms, priorities and holding levels (gridgis.categories, gridgis.incidents.names)
const PLATFORM_ZH = { comprehensive_governance: "综治工作", market_regulation: "市场监管",
  law_enforcement: "综合执法", public_service: "便民服务" };
const PRIORITY_ZH = { urgent: "紧急", high: "较急", normal: "一般" };
const LEVEL_ZH = { community: "社区(村)", township: "乡镇(街道)", county: "县(区)" };
const ROLE_ZH = {
  grid_worker: "网格员", community: "社区(村)综治中心", township: "乡镇(街道)综治中心",
  command_centre: "县(区)综治中心", unit: "承办单位", analyst: "分析员", planner: "网格规划员",
  admin: "系统管理员",
};
// who may report and who may run the supervision sweep (gridgis.people.access REPORTERS, SUPERVISION)
const REPORTERS = new Set(["grid_worker", "community", "township", "command_centre"]);
const SUPERVISORS = new Set(["command_centre", "admin"]);
// the levels that read the statistics of their jurisdiction on the board
const STATISTICS = new Set(["community", "township", "command_centre", "analyst", "admin"]);
// the browser session keeps the token (never localStorage: closing the browser signs out)
const TOKEN_KEY = "gridgis.token";
const PLACE_KEY = "gridgis.place";
const NEEDS_NOTE = new Set(["reject", "return", "request_extension", "deny_extension", "shelve",
  "reopen", "escalate", "progress", "whistle", "review"]);
const LIGHT_COLOUR = { red: "#d7301f", yellow: "#e6a700", green: "#2c9f45", none: "#999999" };
const PATROL_COLOUR = { high: "#d7301f", medium: "#fc8d59", low: "#91cf60" };
// a zone's patrol compliance (gridgis.analysis.patrol_compliance): missed, behind, on track
const COMPLIANCE_COLOUR = { missed: "#d7301f", behind: "#e6a700", on_track: "#2c9f45" };
const COMPLIANCE_ZH = { missed: "漏巡", behind: "滞后", on_track: "达标" };
const PATROL_LEVEL_ZH = { high: "高频", medium: "中频", low: "低频" };
// who reads patrols (gridgis.people.access patrol_scope): everyone but units' staff
const PATROL_READERS = new Set(["grid_worker", "community", "township", "command_centre",
  "analyst", "planner", "admin"]);
const OPEN = "reported,accepted,dispatched,in_progress,resolved,reopened,verified,shelved";

const state = {
  categories: {}, names: {}, units: {}, unitInfo: {}, townships: [], lightFilter: "", selected: null,
  pendingView: null,
  me: null, timer: null, place: null, compliance: {}, zoneData: null, patrol: null,
};
const $ = (sel) => document.querySelector(sel);

/** A request refused with 401: the console has gone back to the sign-in form. */
class SignInNeeded extends Error {}

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function problemText(body, response) {
  return body.detail || (Array.isArray(body) && body[0] && body[0].description)
    || `${response.status} ${response.statusText}`;
}

/**
 * Call the service as the signed-in person. A 401 (expired, unknown or missing token)
 * brings back the sign-in form, keeping the board as it is, and throws SignInNeeded;
 * any other refusal throws an Error carrying the server's reason, status and Retry-After.
 */
async function api(path, options = {}) {
  const { signIn, ...init } = options;
  const headers = { ...(init.headers || {}) };
  if (typeof init.body === "string") headers["content-type"] = "application/json";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token && !signIn) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...init, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = problemText(body, response);
    if (response.status === 401 && !signIn) {
      // an answer to an older session's request never signs out the person here now
      if (token && token === sessionStorage.getItem(TOKEN_KEY)) askToSignIn(detail);
      throw new SignInNeeded(detail);
    }
    const error = new Error(detail);
    error.status = response.status;
    error.retryAfter = Number(response.headers.get("retry-after")) || 0;
    throw error;
  }
  return body;
}

/** An event handler that shows a failure on the board instead of losing it. */
function guarded(fn) {
  return (...args) => fn(...args).catch((err) => {
    if (!(err instanceof SignInNeeded)) $("#board-message").textContent = err.message;
  });
}

function when(iso) {
  if (!iso) return "";
  return iso.slice(5, 16).replace("T", " ");
}

const map = L.map("map", { zoomControl: true });
// a phone (≤ 440 px) shows the map and the board as two tabs
const PHONE = window.matchMedia("(max-width: 440px)");

/**
 * Fit the map to ``bounds`` when it can be: a hidden map (the board's tab on a phone) has no
 * size, and Leaflet would compute a NaN view from it; the fit waits until the map is shown.
 */
function mapShown() {
  // the container's own size: Leaflet's getSize() would cache the hidden map's 0 × 0
  const box = map.getContainer();
  return box.clientWidth > 0 && box.clientHeight > 0;
}

function fitTo(bounds, options = {}) {
  if (!bounds || !bounds.isValid()) return;
  if (!mapShown()) { state.pendingView = { bounds, options }; return; }
  state.pendingView = null;
  map.fitBounds(bounds, { padding: [8, 8], ...options });
}

/** Centre the map on a point at ``zoom`` (at least), now or once the map is shown. */
function viewAt(latlng, zoom) {
  if (!mapShown()) { state.pendingView = { latlng, zoom }; return; }
  state.pendingView = null;
  map.setView(latlng, Math.max(map.getZoom() || 0, zoom), { animate: false });
}

/** Show the map's or the board's tab (a phone); the map learns its size when it is shown. */
function showTab(tab) {
  document.body.dataset.tab = tab;
  for (const b of document.querySelectorAll("#tabs button")) {
    b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  }
  if (tab !== "map") return;
  map.invalidateSize({ animate: false });
  const pending = state.pendingView;
  if (pending && pending.bounds) fitTo(pending.bounds, pending.options);
  else if (pending) viewAt(pending.latlng, pending.zoom);
}
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
    style: (f) => {
      const how = state.compliance[f.properties.zone_id];
      if (how) {
        return { color: COMPLIANCE_COLOUR[how], weight: 1, fillColor: COMPLIANCE_COLOUR[how],
          fillOpacity: how === "on_track" ? 0.15 : 0.4, className: `zone ${how}` };
      }
      return { color: PATROL_COLOUR[f.properties.level], weight: 0.4,
        fillColor: PATROL_COLOUR[f.properties.level], fillOpacity: 0.18 };
    },
    interactive: false,
  }),
  units: L.geoJSON(null, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 5, color: "#12355b",
      weight: 2, fillColor: "#fff", fillOpacity: 1 }),
    onEachFeature: (f, layer) => layer.bindTooltip(
      `${esc(f.properties.name)} (${esc(KIND_ZH[f.properties.kind] || f.properties.kind)})`),
  }),
  incidents: L.layerGroup(),
  sensors: L.layerGroup(),
};
layers.grids.addTo(map);
layers.townships.addTo(map);
layers.units.addTo(map);
layers.incidents.addTo(map);
L.control.layers(null, {
  "网格 grids": layers.grids, "乡镇 townships": layers.townships,
  "巡查区域 patrol zones": layers.patrol, "责任单位 units": layers.units,
  "事件 incidents": layers.incidents, "物联感知设备 sensors": layers.sensors,
}, { collapsed: window.matchMedia("(max-width: 720px)").matches }).addTo(map);

async function loadCollection(name, layer) {
  const data = await api(`/collections/${name}/items?limit=10000`);
  if (layer) layer.addData(data);
  for (const f of data.features) {
    if (f.properties.code) state.names[f.properties.code] = f.properties.name;
    if (f.properties.unit_id) {
      state.units[f.properties.unit_id] = f.properties.name;
      state.unitInfo[f.properties.unit_id] = f.properties;
    }
  }
  return data;
}

/** The district's public layers and categories: drawn before anyone signs in. */
async function loadDistrict() {
  const cats = await api("/categories");
  for (const c of cats) state.categories[c.code] = c;
  const catSelect = $("#f-category");
  for (const c of cats) catSelect.add(new Option(`${c.code} ${c.name_zh}`, c.code));
  const towns = await loadCollection("townships", layers.townships);
  state.townships = towns.features.map((f) => f.properties);
  await loadCollection("grids", layers.grids);
  fitTo(layers.grids.getBounds());
  await Promise.all([loadCollection("units", layers.units),
    loadCollection("patrol_zones", layers.patrol).then((d) => { state.zoneData = d; }),
    loadCollection("communities", null)]);
}

// -- the place on the board: kept for the browser session, through a sign-in again ------
function savePlace() {
  sessionStorage.setItem(PLACE_KEY, JSON.stringify({
    selected: state.selected, light: state.lightFilter, township: $("#f-township").value,
    category: $("#f-category").value, status: $("#f-status").value }));
}

function restorePlace() {
  let place;
  try { place = JSON.parse(sessionStorage.getItem(PLACE_KEY) || "null"); } catch { place = null; }
  if (!place) return;
  state.selected = place.selected || null;
  state.lightFilter = place.light || "";
  state.place = place;  // the filters are set once their options are there (see enter)
  markLight();
}

function markLight() {
  document.querySelectorAll(".light").forEach((x) =>
    x.classList.toggle("active", x.dataset.light === state.lightFilter));
}

// -- signing in and out --------------------------------------------------------------------
function askToSignIn(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  delete document.body.dataset.ready;
  delete document.body.dataset.role;
  $("#who").hidden = true;
  $("#signin-notice").textContent = message || "";
  $("#signin-error").textContent = "";
  $("#signin").hidden = false;
  $("#signin-form").elements.username.focus();
}

function holdSignIn(button, seconds) {
  // the server's Retry-After: the button waits as long, counting down
  let left = seconds;
  button.disabled = true;
  const label = button.dataset.label || (button.dataset.label = button.textContent);
  const tick = () => {
    if (left <= 0) { clearInterval(timer); button.disabled = false; button.textContent = label; return; }
    button.textContent = `${label}（${left} 秒 / s）`;
    left -= 1;
  };
  const timer = setInterval(tick, 1000);
  tick();
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button[type=submit]");
  const error = $("#signin-error");
  error.textContent = "";
  button.disabled = true;
  let answer;
  try {
    answer = await api("/auth/token", { method: "POST", signIn: true, body: new URLSearchParams({
      grant_type: "password", username: form.elements.username.value.trim(),
      password: form.elements.password.value }) });
  } catch (err) {
    error.textContent = err.message;
    if (err.status === 429) holdSignIn(button, err.retryAfter || 60);
    else button.disabled = false;
    form.elements.password.select();
    return;
  }
  button.disabled = false;
  form.elements.password.value = "";
  sessionStorage.setItem(TOKEN_KEY, answer.access_token);
  $("#signin-notice").textContent = "";
  $("#signin").hidden = true;
  await guarded(enter)(answer.me);
}

function areaName(me) {
  if (me.role === "grid_worker") return me.grids.map((g) => state.names[g] || g).join("、");
  if (me.role === "unit") return state.units[me.unit_id] || me.unit_id || "";
  const code = me.area_code || "";
  return code.length === 6 ? `全区 / whole district ${code}` : (state.names[code] || code);
}

/** Bring the person's grids into view (the whole district for a county or a unit). */
function fitJurisdiction(me) {
  const area = me.role === "unit" ? "" : (me.area_code || "");
  const mine = layers.grids.getLayers().filter((l) => {
    const code = l.feature.properties.code;
    return me.role === "grid_worker" ? me.grids.includes(code) : code.startsWith(area);
  });
  if (mine.length) fitTo(L.featureGroup(mine).getBounds(), { animate: false });
}

/** Show the board for ``me``: who they are, their townships, what they may do. */
async function enter(me) {
  state.me = me;
  await district;
  $("#who-name").textContent = me.name;
  $("#who-title").textContent = me.title;
  $("#who-area").textContent = `辖区 / Area: ${areaName(me)}`;
  $("#who").hidden = false;
  document.body.dataset.role = me.role;
  $("#supervise").hidden = !SUPERVISORS.has(me.role);
  $("#statistics").hidden = !STATISTICS.has(me.role);
  // only the townships of the person's jurisdiction are offered
  const place = state.place || {};
  state.place = null;
  for (const [key, id] of [["category", "#f-category"], ["status", "#f-status"]]) {
    if (place[key] !== undefined) $(id).value = place[key];
  }
  const select = $("#f-township");
  const chosen = place.township !== undefined ? place.township : select.value;
  const area = me.area_code && me.area_code.length > 6 ? me.area_code : "";
  while (select.options.length > 1) select.remove(1);
  for (const t of state.townships) {
    if (!area || area.startsWith(t.code)) select.add(new Option(t.name, t.code));
  }
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
  fitJurisdiction(me);
  await Promise.all([refresh(), loadSensors(), loadPatrols()]);
  if (state.selected) {
    // back where the person was, if the incident is still theirs to see
    await openIncident(state.selected).catch((err) => {
      if (err instanceof SignInNeeded) throw err;
      closePanel();
    });
  }
  if (!state.timer) state.timer = setInterval(guarded(refresh), 30000);
  document.body.dataset.ready = "true";
}

function clearBoard() {
  state.selected = null;
  state.lightFilter = "";
  markLight();
  for (const id of ["#f-township", "#f-category"]) $(id).value = "";
  $("#f-status").value = "open";
  $("#list").replaceChildren();
  layers.incidents.clearLayers();
  layers.sensors.clearLayers();
  stopWatching();
  state.compliance = {};
  if (state.zoneData) { layers.patrol.clearLayers(); layers.patrol.addData(state.zoneData); }
  $("#patrols").hidden = true;
  for (const id of ["#patrol-levels", "#patrol-list"]) $(id).replaceChildren();
  $("#patrol-status").textContent = "";
  for (const light of ["red", "yellow", "green"]) $(`#n-${light}`).textContent = "0";
  $("#matched").textContent = "";
  $("#board-message").textContent = "";
  $("#notices").hidden = true;
  $("#notice-list").replaceChildren();
  $("#plans").hidden = true;
  $("#plan-list").replaceChildren();
  $("#panel").hidden = true;
  $("#panel-body").replaceChildren();
  closeReport();
}

function signOut() {
  // the token is only in this tab's session: forgetting it signs out
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(PLACE_KEY);
  clearBoard();
  askToSignIn("已退出登录 / signed out");
}

// -- the board -----------------------------------------------------------------------------
async function refresh() {
  if (!state.me) return;
  const params = new URLSearchParams({ limit: "200" });
  const status = $("#f-status").value;
  params.set("status", status === "open" ? OPEN : status);
  if (!status) params.delete("status");
  if ($("#f-township").value) params.set("township", $("#f-township").value);
  if ($("#f-category").value) params.set("category", $("#f-category").value);
  if (state.lightFilter) params.set("light", state.lightFilter);
  savePlace();
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
    li.dataset.grid = inc.grid_code;
    li.dataset.township = inc.township_code;
    if (inc.light === "red") li.classList.add("pinned");
    if (inc.incident_id === state.selected) li.classList.add("selected");
    li.innerHTML = `<span class="dot ${inc.light}"></span>
      <div><b>${esc(cat ? cat.name_zh : inc.category)}</b> ${esc(inc.incident_id)}
      <div class="meta">${esc(inc.grid_name || "")} · ${esc(STATUS_ZH[inc.status] || inc.status)}
      ${inc.escalation_level ? ` · 已升级至${LEVEL_ZH[inc.escalated_to] || inc.escalated_to}` : ""}</div></div>
      <span class="due">${inc.due_at ? "限 " + when(inc.due_at) : ""}</span>`;
    li.addEventListener("click", guarded(() => openIncident(inc.incident_id)));
    list.appendChild(li);
    // a marker's click opens its incident only: it never reaches the map (no report form)
    L.circleMarker([inc.lat, inc.lon], { radius: 6, color: "#222", weight: 1,
      fillColor: LIGHT_COLOUR[inc.light], fillOpacity: 0.95, bubblingMouseEvents: false,
      incidentId: inc.incident_id })
      .bindTooltip(`${esc(inc.incident_id)} ${esc(cat ? cat.name_zh : inc.category)}`)
      .on("click", guarded(() => openIncident(inc.incident_id)))
      .addTo(layers.incidents);
  }
  await refreshNotices();
  await refreshPlans();
}

// -- the plan board (应急预案看板): open plans, each unit's status and countdown ------------------
const PLANS_HIDDEN = new Set(["analyst", "planner"]);

/** Minutes to a force's arrival limit now, from what the service said when it was read. */
function countdownText(el) {
  const left = Number(el.dataset.left) - (Date.now() - Number(el.dataset.read)) / 60000;
  const m = Math.floor(Math.abs(left));
  const s = Math.floor((Math.abs(left) - m) * 60);
  const clock = `${m}:${String(s).padStart(2, "0")}`;
  return left >= 0 ? `剩 ${clock}` : `超时 ${clock}`;
}

function tickCountdowns() {
  for (const el of document.querySelectorAll(".countdown[data-left]")) el.textContent = countdownText(el);
}

/** The force of a plan: one row per unit with its status and, while it is awaited, the countdown. */
function forcesTable(forces, read) {
  const rows = forces.map((f) => `<tr data-unit="${esc(f.unit_id)}" data-status="${esc(f.status)}">
    <td>${esc(f.kind_name || KIND_ZH[f.kind] || f.kind)}</td>
    <td>${esc(f.name || state.units[f.unit_id] || f.unit_id)}${f.reinforced ? "（增派）" : ""}</td>
    <td class="status">${esc(f.status_name)}${f.late ? "（迟到）" : ""}${f.supervised ? "（已督办）" : ""}</td>
    <td>${f.minutes_left == null
      ? (f.arrived_at ? when(f.arrived_at) : "")
      : `<span class="countdown" data-left="${f.minutes_left}" data-read="${read}"></span>`}</td></tr>`).join("");
  return `<table class="forces">${rows}</table>`;
}

async function refreshPlans() {
  const box = $("#plans");
  box.hidden = PLANS_HIDDEN.has(state.me.role);
  if (box.hidden) return;
  const plans = await api("/emergencies?limit=100");
  const read = Date.now();
  $("#n-plans").textContent = plans.length;
  const list = $("#plan-list");
  list.replaceChildren();
  if (!plans.length) list.innerHTML = `<li class="meta">暂无启动的应急预案 / no plan running</li>`;
  for (const p of plans) {
    const li = document.createElement("li");
    li.dataset.id = p.incident_id;
    li.dataset.light = p.light;
    const short = p.plan_shortfall.map((s) => `${s.kind_name}缺 ${s.count}`).join("、");
    li.innerHTML = `<div><span class="dot ${esc(p.light)}"></span> <b>${esc(p.plan_name)}</b>
      ${esc(p.incident_id)} · ${esc(p.grid_name || "")} · 启动 ${when(p.plan_started_at)}</div>
      ${forcesTable(p.emergency_forces, read)}
      ${short ? `<div class="warn">力量不足：${esc(short)}</div>` : ""}`;
    li.tabIndex = 0;
    li.addEventListener("click", guarded(() => openIncident(p.incident_id)));
    list.appendChild(li);
  }
  tickCountdowns();
}

// a device's state on the map: in alarm (an open matter), silent, or quiet
const SENSOR_COLOUR = { alarm: "#d7301f", silent: "#7f7f7f", quiet: "#2b8cbe" };

/** The devices of the person's jurisdiction (GET /sensors), drawn once per sign-in. */
async function loadSensors() {
  layers.sensors.clearLayers();
  let offset = 0;
  for (;;) {
    const page = await api(`/sensors?limit=1000&offset=${offset}`);
    for (const d of page.items) {
      const how = d.alarm_incident_id ? "alarm" : d.silent ? "silent" : "quiet";
      const note = how === "alarm" ? `报警中 ${d.alarm_incident_id}` : how === "silent" ? "离线" : "正常";
      L.circleMarker([d.lat, d.lon], { radius: 3, color: SENSOR_COLOUR[how], weight: 1,
        fillColor: SENSOR_COLOUR[how], fillOpacity: 0.9, className: `sensor ${how}` })
        .bindTooltip(`${esc(d.kind_name)} ${esc(d.name)} · ${note}`)
        .addTo(layers.sensors);
    }
    offset += page.returned;
    if (!page.returned || offset >= page.matched) break;
  }
}

// -- patrols (巡查) --------------------------------------------------------------------------
/**
 * The patrol compliance of one's zones over the last seven days (GET /patrols/compliance):
 * the zones drawn red (missed), yellow (behind) or green (on track), a line per level;
 * a grid worker also sees their own latest patrols and the start / end patrol control.
 */
async function loadPatrols() {
  const box = $("#patrols");
  box.hidden = !PATROL_READERS.has(state.me.role);
  if (box.hidden) return;
  const c = await api("/patrols/compliance");
  state.compliance = Object.fromEntries(c.zones.map((z) => [z.zone_id, z.status]));
  if (state.zoneData) {
    layers.patrol.clearLayers();
    layers.patrol.addData(state.zoneData);
  }
  layers.patrol.addTo(map);
  $("#patrol-period").textContent = `${when(c.start)} — ${when(c.end)}`;
  const rows = c.levels.map((lv) => `<tr data-level="${esc(lv.level)}">
    <td>${esc(lv.level_name)}</td><td>${lv.zones} 个区域</td>
    <td>达标率 <b>${lv.compliance === null ? "—" : Math.round(lv.compliance * 100) + "%"}</b></td>
    <td class="missed">漏巡 ${lv.missed}</td><td>滞后 ${lv.behind}</td></tr>`);
  $("#patrol-levels").innerHTML = rows.join("");
  const list = $("#patrol-list");
  list.replaceChildren();
  for (const z of c.zones.filter((z) => z.status === "missed")) {
    const li = document.createElement("li");
    li.className = "zone-missed";
    li.dataset.zone = z.zone_id;
    li.textContent = `${COMPLIANCE_ZH.missed} ${PATROL_LEVEL_ZH[z.level] || z.level} ${z.zone_id}` +
      ` · 近7日 ${z.visits_last_7d} 次` + (z.last_visit_at ? ` · 最近 ${when(z.last_visit_at)}` : " · 未巡查");
    list.appendChild(li);
  }
  $("#patrol-toggle").hidden = state.me.role !== "grid_worker";
  if (state.me.role === "grid_worker") {
    const page = await api("/patrols?limit=20");
    for (const p of page.items) {
      const li = document.createElement("li");
      li.className = "own-patrol";
      li.dataset.id = p.patrol_id;
      li.textContent = `${when(p.started_at)} ${p.kind === "checkin" ? "签到" : "轨迹"}` +
        ` ${(p.length_m / 1000).toFixed(2)} 公里 · 巡查区域 ${p.zones_visited} 个` +
        (p.jumps ? ` · 跳点 ${p.jumps}` : "");
      list.appendChild(li);
    }
  }
}

function stopWatching() {
  if (state.patrol && state.patrol.watch !== null) {
    navigator.geolocation.clearWatch(state.patrol.watch);
  }
  state.patrol = null;
  $("#patrol-toggle").textContent = "开始巡查 / Start patrol";
  document.body.dataset.patrolling = "false";
}

/** 开始巡查: record the phone's positions; 结束巡查: post them as one patrol (or a check-in). */
async function togglePatrol() {
  const status = $("#patrol-status");
  if (!state.patrol) {
    if (!navigator.geolocation) {
      status.textContent = "本设备不能定位 / this device has no geolocation";
      return;
    }
    state.patrol = { points: [], watch: null };
    state.patrol.watch = navigator.geolocation.watchPosition((pos) => {
      if (!state.patrol) return;
      state.patrol.points.push({ lon: pos.coords.longitude, lat: pos.coords.latitude,
        at: new Date(pos.timestamp).toISOString() });
      status.textContent = `巡查中：已记录 ${state.patrol.points.length} 个轨迹点 / recording`;
      document.body.dataset.points = String(state.patrol.points.length);
    }, (err) => { status.textContent = `定位失败 / no position: ${err.message}`; },
    { enableHighAccuracy: true, maximumAge: 0 });
    $("#patrol-toggle").textContent = "结束巡查 / End patrol";
    document.body.dataset.patrolling = "true";
    status.textContent = "巡查中：等待定位 / waiting for a position";
    return;
  }
  const points = state.patrol.points;
  stopWatching();
  if (!points.length) {
    status.textContent = "没有记录到定位点，未上报 / no position recorded: nothing sent";
    return;
  }
  const saved = await api("/patrols", { method: "POST",
    body: JSON.stringify({ points, crs: "wgs84" }) });
  status.textContent = `已上报${saved.kind === "checkin" ? "签到" : "巡查"} ${saved.patrol_id}：` +
    `${(saved.length_m / 1000).toFixed(2)} 公里，巡查区域 ${saved.zones_visited} 个`;
  await loadPatrols();
}

// the levels that receive supervision notices (gridgis.people.roles DISPATCHER_LEVEL above 0)
const NOTICED = new Set(["township", "command_centre"]);

async function refreshNotices() {
  const box = $("#notices");
  box.hidden = !NOTICED.has(state.me.role);
  if (box.hidden) return;
  const notices = await api("/supervision/notices?limit=50");
  $("#n-notices").textContent = notices.length;
  const list = $("#notice-list");
  list.replaceChildren();
  for (const n of notices) {
    const li = document.createElement("li");
    li.dataset.id = n.incident_id;
    const cat = state.categories[n.category];
    const late = [];
    if (n.late_units.length) late.push(`${n.late_units.map((u) => state.units[u] || u).join("、")} 未按时报到`);
    if ((n.late_forces || []).length) late.push(`${n.late_forces.map((u) => state.units[u] || u).join("、")} 未按时到场`);
    const what = late.join("；") || `超期（限 ${when(n.due_at)}）`;
    li.innerHTML = `<time>${when(n.at)}</time> ${esc(n.incident_id)} ${esc(cat ? cat.name_zh : n.category)} · ${esc(what)}`;
    li.tabIndex = 0;
    li.addEventListener("click", guarded(() => openIncident(n.incident_id)));
    list.appendChild(li);
  }
}

async function supervise() {
  const button = $("#supervise");
  button.disabled = true;
  try {
    const supervised = await api("/supervision", { method: "POST" });
    $("#board-message").textContent =
      `督办扫描完成，督办 ${supervised.length} 件 / sweep done: ${supervised.length} supervised`;
    await refresh();
  } finally {
    button.disabled = false;
  }
}

// the headline figures of GET /statistics the board shows (gridgis.analysis.seed_figures)
const FIGURE_ZH = [["closure_rate", "办结率"], ["township_or_below_rate", "乡镇及以下解决率"],
  ["satisfied_rate", "群众满意率"], ["satisfaction", "平均满意度"],
  ["deploy_on_time_rate", "按时派遣率（1日）"], ["progress_on_time_rate", "按时反馈进展率（3日）"],
  ["resolve_on_time_rate", "按时办结率"], ["report_in_rate", "吹哨按时报到率"],
  ["overdue", "超期未结"], ["supervisions", "督办次数"]];

function figure(value, key) {
  if (value === null || value === undefined) return "—";
  if (key.endsWith("_rate")) return `${(value * 100).toFixed(1)}%`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

async function showStatistics() {
  const stats = await api("/statistics");
  const f = stats.figures;
  const rows = FIGURE_ZH.map(([k, zh]) =>
    `<tr data-figure="${k}"><td>${zh}</td><td>${figure(f[k], k)}</td></tr>`).join("");
  const called = stats.units.filter((u) => u.calls).sort((a, b) =>
    (a.report_in_rate ?? 2) - (b.report_in_rate ?? 2));
  const units = called.map((u) => `<tr data-unit="${esc(u.unit_id)}"><td>${esc(u.name)}</td>
    <td>${u.calls}</td><td>${figure(u.report_in_rate, "report_in_rate")}</td>
    <td>${u.report_in_hours == null ? "—" : u.report_in_hours.toFixed(1) + " 小时"}</td></tr>`).join("");
  const areas = stats.townships.length > 1 ? stats.townships : stats.communities;
  const ranked = [...areas].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9)).map((a) =>
    `<tr><td>${a.rank ?? "—"}</td><td>${esc(a.name)}</td><td>${figure(a.score, "score")}</td>
    <td>${figure(a.closure_rate, "closure_rate")}</td></tr>`).join("");
  state.selected = null;
  const body = $("#panel-body");
  body.dataset.id = "";
  body.dataset.view = "statistics";
  body.innerHTML = `<h3>统计考核 <small>${esc(stats.label)}</small></h3>
    <table id="s-figures">${rows}</table>
    <h4>部门吹哨报到 / Report-in by department</h4>
    <table id="s-units"><tr><th>部门</th><th>吹哨</th><th>按时报到率</th><th>平均报到用时</th></tr>${
      units || `<tr><td colspan="4">本期无吹哨</td></tr>`}</table>
    <h4>考核排名 / Ranking</h4>
    <table id="s-areas"><tr><th>名次</th><th>区域</th><th>得分</th><th>办结率</th></tr>${ranked}</table>`;
  $("#panel").hidden = false;
}

/** How far a unit is: minutes by road when the district has roads, and the straight line. */
function unitReach(u) {
  const metres = `直线 ${Math.round(u.distance_m)} m`;
  return u.travel_min == null ? metres : `车程约 ${u.travel_min.toFixed(1)} 分钟 · ${metres}`;
}

function locateTable(loc) {
  const units = loc.units.slice(0, 5).map((u) =>
    `<tr><td>${esc(u.name)}</td><td>${esc(unitReach(u))}</td></tr>`).join("");
  const warn = loc.near_edge ? `<div class="warn">距网格边界仅 ${loc.edge_distance_m} m，请核实归属</div>` : "";
  return `<div class="locate-result"><table>
    <tr><td>网格</td><td><b>${esc(loc.grid_name)}</b> ${esc(loc.grid_code)}</td></tr>
    <tr><td>社区/村</td><td>${esc(loc.community_name)}</td></tr>
    <tr><td>乡镇/街道</td><td>${esc(loc.township_name)}</td></tr>
    <tr><td>巡查等级</td><td>${esc(loc.patrol_level || "")}</td></tr>
    <tr><td>网格员</td><td>${esc(loc.worker_names || "")} (${loc.workers})</td></tr>
    </table>${warn}<table>${units}</table></div>`;
}

function reportForm(loc, lng, lat) {
  const form = $("#report-form").content.firstElementChild.cloneNode(true);
  form.querySelector(".loc").innerHTML = locateTable(loc);
  const select = form.querySelector("select[name=category]");
  for (const c of Object.values(state.categories)) select.add(new Option(`${c.code} ${c.name_zh}`, c.code));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const body = { lon: lng, lat, crs: "wgs84", category: data.get("category"),
      description: data.get("description"), source: data.get("source") };
    const name = data.get("reporter_name").trim();
    const phone = data.get("reporter_phone").trim();
    if (name || phone) body.reporter = { name: name || null, phone: phone || null };
    try {
      const inc = await api("/incidents", { method: "POST", body: JSON.stringify(body) });
      closeReport();
      await refresh();
      await openIncident(inc.incident_id);
    } catch (err) {
      if (!(err instanceof SignInNeeded)) form.querySelector(".error").textContent = err.message;
    }
  });
  return form;
}

/**
 * Where a point's report form shows: a popup at the point on a desktop, the whole screen
 * on a phone (a popup would not fit beside a finger).
 */
function reportSurface(latlng) {
  if (PHONE.matches) {
    const body = $("#sheet-body");
    $("#sheet").hidden = false;
    const set = (content) => {
      if (typeof content === "string") body.innerHTML = content;
      else body.replaceChildren(content);
    };
    return { set };
  }
  const popup = L.popup({ maxWidth: 360 }).setLatLng(latlng).openOn(map);
  return { set: (content) => popup.setContent(content) };
}

function closeSheet() {
  $("#sheet").hidden = true;
  $("#sheet-body").replaceChildren();
}

function closeReport() {
  map.closePopup();
  closeSheet();
}

map.on("click", async (event) => {
  if (!state.me) return;
  const { lat, lng } = event.latlng;
  const surface = reportSurface(event.latlng);
  surface.set("定位中…");
  let loc;
  try {
    loc = await api(`/locate?lon=${lng}&lat=${lat}`);
  } catch (err) {
    if (err instanceof SignInNeeded) closeReport();
    else surface.set(`<div class="error">${esc(err.message)}</div>`);
    return;
  }
  if (state.me && REPORTERS.has(state.me.role)) {
    surface.set(reportForm(loc, lng, lat));
  } else {
    surface.set(`${locateTable(loc)}<div class="meta">${esc(state.me ? state.me.title : "")}不上报事件 / your role does not report incidents</div>`);
  }
});

function actionControls(inc) {
  const wrap = document.createElement("div");
  wrap.className = "actions";
  // the server lists the actions this person may take on this incident now: no more, no less
  if (!inc.allowed_actions.length) {
    const none = document.createElement("p");
    none.className = "meta no-actions";
    none.textContent = "您对此事项暂无可办理的操作 / nothing for you to do on this matter now";
    wrap.appendChild(none);
    return wrap;
  }
  const note = document.createElement("input");
  note.id = "a-note";
  note.placeholder = "意见/原因 / note";
  note.setAttribute("aria-label", "note");
  wrap.appendChild(note);
  const error = document.createElement("div");
  error.className = "error";
  error.setAttribute("role", "alert");
  for (const action of inc.allowed_actions) {
    const button = document.createElement("button");
    button.textContent = `${ACTION_ZH[action] || action} / ${action.replace(/_/g, " ")}`;
    button.dataset.action = action;
    button.addEventListener("click", async () => {
      const body = { action, version: inc.version };
      const text = note.value.trim();
      if (text) body.note = text;
      if (NEEDS_NOTE.has(action) && !text) { error.textContent = "请填写意见/原因 / a note is needed"; return; }
      if (action === "dispatch") body.unit_id = $("#a-unit") ? $("#a-unit").value : null;
      if (action === "close" || action === "callback") body.satisfaction = Number($("#a-sat").value);
      if (action === "callback" && $("#a-unreached").checked) {
        delete body.satisfaction;
        body.outcome = "unreachable";
      }
      if (action === "request_extension") body.hours = Number($("#a-hours").value);
      if (action === "whistle") {
        body.unit_ids = [...$("#a-whistle").selectedOptions].map((o) => o.value);
        body.hours = Number($("#a-report-hours").value);
        if (!body.unit_ids.length) { error.textContent = "请选择被吹哨的部门 / choose the departments"; return; }
      }
      if (action === "report_in") {
        body.place = $("#a-place").value.trim();
        body.staff = $("#a-staff").value.trim();
        if (!body.place || !body.staff) { error.textContent = "请填写报到地点和人员 / place and staff are needed"; return; }
      }
      if (action === "arrive") {
        // 到场: the phone's position, when the browser gives it, is checked near the site
        try {
          const here = await position();
          body.lon = here.coords.longitude;
          body.lat = here.coords.latitude;
        } catch (err) {
          error.textContent = `未取得定位，按无位置到场记录 / arriving without a position: ${err.message}`;
        }
      }
      if (action === "reinforce") body.kind = $("#a-kind").value;
      if (action === "release" && $("#a-release").value) body.unit_id = $("#a-release").value;
      if (action === "verify") {
        // on site: the phone's position (WGS84) is checked against the incident's grid
        try {
          const here = await position();
          body.lon = here.coords.longitude;
          body.lat = here.coords.latitude;
        } catch (err) {
          error.textContent = `无法获取当前位置，核查须在现场开启定位 / position unavailable: ${err.message}`;
          return;
        }
      }
      try {
        await api(`/incidents/${inc.incident_id}/transitions`, { method: "POST", body: JSON.stringify(body) });
        await refresh();
        await openIncident(inc.incident_id);
      } catch (err) {
        // a 403 says why this person may not; a 409 that the matter moved meanwhile
        if (!(err instanceof SignInNeeded)) error.textContent = err.message;
      }
    });
    wrap.appendChild(button);
  }
  if (inc.allowed_actions.includes("dispatch")) {
    const s = document.createElement("select");
    s.id = "a-unit";
    s.setAttribute("aria-label", "承办单位 / unit");
    for (const u of inc.candidate_units) s.add(new Option(`${u.name} · ${unitReach(u)}`, u.unit_id));
    wrap.appendChild(s);
  }
  if (inc.allowed_actions.includes("close") || inc.allowed_actions.includes("callback")) {
    wrap.insertAdjacentHTML("beforeend", `<label>满意度 / satisfaction <select id="a-sat">
      <option>5</option><option>4</option><option>3</option><option>2</option><option>1</option></select></label>`);
  }
  if (inc.allowed_actions.includes("callback")) {
    wrap.insertAdjacentHTML("beforeend", `<label><input id="a-unreached" type="checkbox"> 回访未接通 / not reached</label>`);
  }
  if (inc.allowed_actions.includes("whistle")) {
    const s = document.createElement("select");
    s.id = "a-whistle";
    s.multiple = true;
    s.size = 4;
    s.setAttribute("aria-label", "被吹哨的部门 / departments to call in");
    const mine = Object.values(state.unitInfo).filter((u) => u.township_code === inc.township_code);
    for (const u of mine) s.add(new Option(u.name, u.unit_id));
    wrap.appendChild(s);
    wrap.insertAdjacentHTML("beforeend", `<label>报到时限(小时) / report in within <input id="a-report-hours" type="number" value="24" min="1" size="4"></label>`);
  }
  if (inc.allowed_actions.includes("report_in")) {
    wrap.insertAdjacentHTML("beforeend", `<label>报到地点 / place <input id="a-place" maxlength="200" value="社区综治中心"></label>
      <label>报到人员 / staff <input id="a-staff" maxlength="500"></label>`);
  }
  if (inc.allowed_actions.includes("reinforce")) {
    const s = document.createElement("select");
    s.id = "a-kind";
    s.setAttribute("aria-label", "增派单位类型 / kind of unit to add");
    const needed = inc.plan_shortfall.map((x) => x.kind);
    for (const kind of [...new Set([...needed, ...inc.emergency_forces.map((f) => f.kind),
      ...Object.keys(KIND_ZH)])]) s.add(new Option(`增派 ${KIND_ZH[kind] || kind}`, kind));
    wrap.appendChild(s);
  }
  if (inc.allowed_actions.includes("release")) {
    const s = document.createElement("select");
    s.id = "a-release";
    s.setAttribute("aria-label", "收队单位 / unit to release");
    s.add(new Option("全部收队 / whole force", ""));
    for (const f of inc.emergency_forces.filter((x) => !x.released_at)) {
      s.add(new Option(`${KIND_ZH[f.kind] || f.kind} ${f.name || f.unit_id}`, f.unit_id));
    }
    wrap.appendChild(s);
  }
  if (inc.allowed_actions.includes("request_extension")) {
    wrap.insertAdjacentHTML("beforeend", `<label>延期小时 / hours <input id="a-hours" type="number" value="48" min="1" size="4"></label>`);
  }
  wrap.appendChild(error);
  return wrap;
}

/** The device's position (the grid worker's phone), as the browser gives it (WGS84). */
function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error("no geolocation")); return; }
    navigator.geolocation.getCurrentPosition(resolve, reject,
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });
}

function whistleTable(calls) {
  if (!calls.length) return "";
  const rows = calls.map((c) => `<tr data-unit="${esc(c.unit_id)}" data-light="${esc(c.light)}">
    <td><span class="dot ${esc(c.light)}"></span> ${esc(state.units[c.unit_id] || c.unit_id)}</td>
    <td>${c.reported_in_at ? `已报到 ${when(c.reported_in_at)} ${esc(c.place || "")} ${esc(c.staff || "")}${c.late ? "（迟到）" : ""}`
      : `待报到，限 ${when(c.due_at)}${c.supervised ? "（已督办）" : ""}`}</td></tr>`).join("");
  return `<tr><td>吹哨报到</td><td><table class="calls">${rows}</table></td></tr>`;
}

/** The stage a new photo most likely documents, from the matter's state and the person's role. */
function photoStage(inc) {
  const role = state.me.role;
  if (role === "grid_worker" && inc.status === "resolved") return "verify";
  if (role === "unit") return inc.progress_at || inc.status === "in_progress" ? "after" : "before";
  return inc.status === "reported" ? "report" : "before";
}

/** A thumbnail fetched with the token (an <img src> could not send it) shown from a blob. */
async function thumbnail(a) {
  const img = document.createElement("img");
  img.alt = `${PHOTO_STAGE_ZH[a.stage] || a.stage} ${when(a.uploaded_at)}`;
  img.title = `${a.stage_name} · ${when(a.uploaded_at)} · ${a.uploaded_by}${a.far ? " · 拍摄地点偏离" : ""}`;
  img.dataset.stage = a.stage;
  const response = await fetch(a.thumbnail_href, {
    headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` } });
  if (response.ok) img.src = URL.createObjectURL(await response.blob());
  return img;
}

async function photoStrip(inc) {
  const wrap = document.createElement("div");
  wrap.className = "photos";
  const shown = (await api(`/incidents/${inc.incident_id}/attachments`));
  const strip = document.createElement("div");
  strip.className = "strip";
  for (const a of shown) {
    if (a.thumbnail_href) strip.appendChild(await thumbnail(a));
    else strip.insertAdjacentHTML("beforeend", `<span class="video" data-stage="${esc(a.stage)}">${esc(a.stage_name)} 视频</span>`);
  }
  wrap.appendChild(strip);
  if (inc.status === "closed" || inc.status === "rejected") return wrap;
  const form = document.createElement("form");
  form.className = "upload";
  const stages = Object.entries(PHOTO_STAGE_ZH).map(([k, zh]) => `<option value="${k}">${zh}</option>`).join("");
  form.innerHTML = `<label>照片/视频 / Photo <input id="a-photo" name="file" type="file"
      accept="image/jpeg,image/png,image/heic,image/heif,video/mp4" capture="environment"></label>
    <select id="a-photo-stage" name="stage" aria-label="阶段 / stage">${stages}</select>
    <button type="submit" id="a-upload">上传 / Upload</button><div class="error" role="alert"></div>`;
  form.querySelector("#a-photo-stage").value = photoStage(inc);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = form.querySelector(".error");
    if (!form.querySelector("#a-photo").files.length) { error.textContent = "请选择照片 / choose a photo"; return; }
    try {
      await api(`/incidents/${inc.incident_id}/attachments`, { method: "POST", body: new FormData(form) });
      await openIncident(inc.incident_id);
    } catch (err) {
      if (!(err instanceof SignInNeeded)) error.textContent = err.message;
    }
  });
  wrap.appendChild(form);
  return wrap;
}

function reporterText(r) {
  // whole for the roles that call back, masked by the service for everyone else
  const parts = [r.name, r.phone, r.email].filter(Boolean).join(" · ");
  return r.masked ? `${parts}（已遮蔽 / masked）` : parts;
}

function closePanel() {
  state.selected = null;
  $("#panel").hidden = true;
  document.querySelectorAll("#list li.selected").forEach((li) => li.classList.remove("selected"));
  savePlace();
}

async function openIncident(id) {
  state.selected = id;
  savePlace();
  const inc = await api(`/incidents/${id}`);
  const strip = await photoStrip(inc);  // the panel changes at once, whole
  const cat = state.categories[inc.category];
  const panel = $("#panel");
  const body = $("#panel-body");
  body.dataset.id = inc.incident_id;
  body.dataset.view = "incident";
  body.innerHTML = `<h3><span class="dot ${inc.light}"></span> ${esc(cat ? cat.name_zh : inc.category)}
    <small>${esc(inc.incident_id)}</small></h3>
    <table>
      <tr><td>状态</td><td id="p-status" data-status="${esc(inc.status)}">${esc(STATUS_ZH[inc.status] || inc.status)}</td></tr>
      <tr><td>描述</td><td>${esc(inc.description)}</td></tr>
      <tr><td>网格</td><td>${esc(inc.grid_name)} (${esc(inc.grid_code)})</td></tr>
      <tr><td>社区 / 乡镇</td><td>${esc(inc.community_name)} / ${esc(inc.township_name)}</td></tr>
      <tr><td>平台</td><td>${esc(PLATFORM_ZH[inc.platform] || inc.platform)} · ${esc(
        PRIORITY_ZH[inc.priority] || inc.priority)}</td></tr>
      <tr><td>责任单位</td><td>${esc(state.units[inc.unit_id] || inc.unit_id || "—")}</td></tr>
      <tr><td>期限</td><td>派遣 ${when(inc.respond_by)} · 进展 ${when(inc.progress_by)} · 办结 ${when(inc.resolve_by)}</td></tr>
      <tr><td>当前环节</td><td id="p-stage" data-stage="${esc(inc.stage)}">${esc(STAGE_ZH[inc.stage] || inc.stage)}${
        inc.due_at ? "，限 " + when(inc.due_at) : ""}${inc.supervisions ? `（已督办 ${inc.supervisions} 次）` : ""}</td></tr>
      <tr><td>持有层级</td><td>${esc(LEVEL_ZH[inc.escalated_to] || inc.escalated_to)}</td></tr>
      ${whistleTable(inc.whistle_calls)}
      ${inc.plan_code ? `<tr><td>应急预案</td><td id="p-plan" data-plan="${esc(inc.plan_code)}">${esc(inc.plan_name)}
        · 启动 ${when(inc.plan_started_at)}${inc.plan_late.length ? ` · <span class="warn">${
          inc.plan_late.map((k) => esc(KIND_ZH[k] || k)).join("、")}超时未到</span>` : ""}${inc.plan_shortfall.length
          ? `<div class="warn">力量不足：${inc.plan_shortfall.map((x) => `${esc(x.kind_name)}缺 ${x.count}`).join("、")}</div>` : ""}</td></tr>
        <tr><td colspan="2" id="p-forces">${forcesTable(inc.emergency_forces, Date.now())}</td></tr>` : ""}
      ${inc.callback_outcome ? `<tr><td>回访</td><td id="p-callback">${esc(OUTCOME_ZH[inc.callback_outcome] || inc.callback_outcome)} ${when(inc.callback_at)}${
        inc.satisfaction ? ` · 满意度 ${inc.satisfaction}` : ""}</td></tr>` : ""}
      ${inc.reporter ? `<tr><td>报事人</td><td id="p-reporter">${esc(reporterText(inc.reporter))}</td></tr>` : ""}
      ${inc.duplicate_of.length ? `<tr><td class="warn">疑似重复</td><td>${inc.duplicate_of.map(esc).join(", ")}</td></tr>` : ""}
    </table>`;
  body.appendChild(strip);
  body.appendChild(actionControls(inc));
  const timeline = document.createElement("ol");
  timeline.className = "timeline";
  timeline.innerHTML = inc.events.map((e) => `<li><time>${when(e.at)}</time>
    <b>${esc(EVENT_ZH[e.action] || e.action)}</b> ${esc(e.actor)} (${esc(ROLE_ZH[e.role] || e.role)})
    ${e.note ? "— " + esc(e.note) : ""}</li>`).join("");
  body.appendChild(timeline);
  panel.hidden = false;
  tickCountdowns();
  document.querySelectorAll("#list li").forEach((li) =>
    li.classList.toggle("selected", li.dataset.id === id));
  viewAt([inc.lat, inc.lon], 15);
}

function tick() {
  // China Standard Time, as every time the service gives, whatever the browser's zone
  $("#clock").textContent = new Date().toLocaleString("zh-CN",
    { hour12: false, timeZone: "Asia/Shanghai" });
  tickCountdowns();
}

// -- wiring --------------------------------------------------------------------------------
$("#signin-form").addEventListener("submit", (e) => signIn(e).catch((err) => {
  if (!(err instanceof SignInNeeded)) $("#signin-error").textContent = err.message;
}));
$("#sign-out").addEventListener("click", signOut);
$("#supervise").addEventListener("click", guarded(supervise));
$("#statistics").addEventListener("click", guarded(showStatistics));
$("#patrol-toggle").addEventListener("click", () => togglePatrol().catch((err) => {
  if (!(err instanceof SignInNeeded)) $("#patrol-status").textContent = err.message;
}));
$("#panel-close").addEventListener("click", closePanel);
$("#sheet-close").addEventListener("click", closeSheet);
for (const b of document.querySelectorAll("#tabs button")) {
  b.addEventListener("click", () => showTab(b.dataset.tab));
}
showTab("board");
for (const id of ["#f-township", "#f-category", "#f-status"]) {
  $(id).addEventListener("change", guarded(refresh));
}
for (const el of document.querySelectorAll(".light")) {
  el.addEventListener("click", guarded(async () => {
    state.lightFilter = state.lightFilter === el.dataset.light ? "" : el.dataset.light;
    markLight();
    await refresh();
  }));
}
tick();
setInterval(tick, 1000);
restorePlace();
const district = loadDistrict();

async function start() {
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    askToSignIn("");
    return;
  }
  await enter(await api("/auth/me"));
}
start().catch((err) => {
  if (err instanceof SignInNeeded) return;
  document.body.dataset.error = err.message;
  console.error(err);
});
district.catch((err) => { document.body.dataset.error = err.message; console.error(err); });
