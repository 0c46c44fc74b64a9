/* gridgis dispatcher console: plain JavaScript on the service's JSON endpoints. */
"use strict";

// the names of the field's things come from the catalogue (i18n.js): name("status", key)
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
// who reads patrols (gridgis.people.access patrol_scope): everyone but units' staff
const PATROL_READERS = new Set(["grid_worker", "community", "township", "command_centre",
  "analyst", "planner", "admin"]);
const OPEN = "reported,accepted,dispatched,in_progress,resolved,reopened,verified,shelved";

const state = {
  categories: {}, names: {}, units: {}, unitInfo: {}, townships: [], lightFilter: "", selected: null,
  pendingView: null, offset: 0, markers: {}, seenUrgent: new Set(), urgent: [], clockOffset: 0,
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
  const detail = body.detail || (Array.isArray(body) && body[0] && body[0].description) || "";
  return localReason(detail, response.status, body.field);
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
  let response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch {
    throw new Error(t("error.network"));  // the browser's words ("Failed to fetch") are English
  }
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

/** A category's name in the console's language (its code when it is unknown). */
function categoryName(cat, code) {
  if (!cat) return code || "";
  return LANG === "en" && cat.name ? cat.name : cat.name_zh;
}

/** A unit's name (never its id, unless the district does not know it). */
function unitName(id) {
  return state.units[id] || id || "";
}

function shortfall(list) {
  return list.map((x) => t("plans.short.item", { kind: name("kind", x.kind), n: x.count })).join("、");
}

function eventName(action) {
  return MESSAGES[LANG].event[action] || name("action", action);
}

/** The unit(s) an event names: the unit dispatched to, the departments called in. */
function eventUnits(e) {
  const data = e.data || {};
  const ids = [data.unit_id, ...(data.unit_ids || [])].filter(Boolean);
  if (!ids.length) return "";
  return ` <span class="to-unit">${esc(t("panel.event.unit", { unit: ids.map(unitName).join("、") }))}</span>`;
}

function when(iso) {
  if (!iso) return "";
  return iso.slice(5, 16).replace("T", " ");
}

const map = L.map("map", { zoomControl: false, attributionControl: false });
L.control.zoom({ zoomInTitle: t("map.zoomin"), zoomOutTitle: t("map.zoomout") }).addTo(map);
L.control.attribution({ prefix: esc(t("map.prefix")) }).addTo(map);
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
      `${esc(f.properties.name)}<br>${esc(f.properties.code)} · ${esc(t("layer.households", { n: f.properties.households }))}`,
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
      `${esc(f.properties.name)}（${esc(name("kind", f.properties.kind))}）`),
  }),
  incidents: L.layerGroup(),
  sensors: L.layerGroup(),
};
layers.grids.addTo(map);
layers.townships.addTo(map);
layers.units.addTo(map);
layers.incidents.addTo(map);
const layerControl = L.control.layers(null, {
  [t("layer.grids")]: layers.grids, [t("layer.townships")]: layers.townships,
  [t("layer.patrol")]: layers.patrol, [t("layer.units")]: layers.units,
  [t("layer.incidents")]: layers.incidents, [t("layer.sensors")]: layers.sensors,
}, { collapsed: window.matchMedia("(max-width: 720px)").matches }).addTo(map);
layerControl.getContainer().querySelector(".leaflet-control-layers-toggle").title = t("map.layers");
gridBasemap.attach(map, layerControl, t);  // the offline basemap (basemap.js), under the layers

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
/** Bring a township into view (the township filter moves the map), or the district. */
function fitTownship(code) {
  const shapes = layers.townships.getLayers().filter((l) => !code || l.feature.properties.code === code);
  if (shapes.length) fitTo(L.featureGroup(shapes).getBounds(), { animate: false });
}

async function loadDistrict() {
  const cats = await api("/categories");
  for (const c of cats) state.categories[c.code] = c;
  const catSelect = $("#f-category");
  for (const c of cats) catSelect.add(new Option(`${c.code} ${categoryName(c)}`, c.code));
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
    button.textContent = t("signin.wait", { label, n: left });
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
  return code.length === 6 ? t("who.district", { code }) : (state.names[code] || code);
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
  $("#who-area").textContent = t("who.area", { area: areaName(me) });
  $("#who").hidden = false;
  document.body.dataset.role = me.role;
  $("#supervise").hidden = !SUPERVISORS.has(me.role);
  $("#statistics").hidden = !STATISTICS.has(me.role);
  $("#supervision-view").hidden = !SUPERVISING.has(me.role);
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
  await Promise.all([refresh(), loadSensors(), loadPatrols(), loadBaseinfo(me), loadMediation(me)]);
  if (state.selected) {
    // back where the person was, if the incident is still theirs to see
    await openIncident(state.selected).catch((err) => {
      if (err instanceof SignInNeeded) throw err;
      closePanel();
    });
  }
  if (!state.timer) state.timer = setInterval(guarded(refresh), 30000);
  startLive(LIVE_HOOKS);
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
  for (const light of ["red", "yellow", "green", "none"]) $(`#n-${light}`).textContent = "0";
  $("#states").replaceChildren();
  $("#urgent").hidden = true;
  $("#pager").hidden = true;
  $("#f-search").value = "";
  state.offset = 0;
  state.seenUrgent = new Set();
  highlight.clearLayers();
  $("#matched").textContent = "";
  $("#board-message").textContent = "";
  $("#notices").hidden = true;
  $("#notice-list").replaceChildren();
  $("#plans").hidden = true;
  $("#plan-list").replaceChildren();
  $("#panel").hidden = true;
  $("#panel-body").replaceChildren();
  clearBaseinfo();
  clearMediation();
  closeReport();
}

function signOut() {
  // the token is only in this tab's session: forgetting it signs out
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(PLACE_KEY);
  stopLive();
  clearBoard();
  askToSignIn(t("signin.out"));
}

// -- the board -----------------------------------------------------------------------------
// the board's page: a hundred rows at a time, the pager reaches every other one
const PAGE = 100;
// every state the board counts (shelved included), in the loop's order
const STATES = ["reported", "accepted", "dispatched", "in_progress", "resolved", "reopened",
  "verified", "shelved", "closed", "rejected"];
// who accepts new reports (待受理): the dispatchers, alerted to the urgent ones
const ACCEPTORS = new Set(["community", "township", "command_centre"]);

/** The service's time now (its clock may be a demonstration's), from the offset read at start. */
function serviceNow() {
  return Date.now() + state.clockOffset;
}

/** "超时 N 小时/天" for work past its limit, else "限 …". */
function dueText(inc) {
  if (!inc.due_at) return "";
  const late = serviceNow() - Date.parse(inc.due_at);
  if (late <= 0) return t("list.due", { at: when(inc.due_at) });
  const hours = late / 3600000;
  return hours < 24 ? t("list.overdue.h", { n: Math.max(1, Math.floor(hours)) })
    : t("list.overdue.d", { n: Math.floor(hours / 24) });
}

/** The filters of the board as the listing's query (no paging). */
function boardQuery() {
  const params = new URLSearchParams();
  const status = $("#f-status").value;
  if (status) params.set("status", status === "open" ? OPEN : status);
  if ($("#f-township").value) params.set("township", $("#f-township").value);
  if ($("#f-category").value) params.set("category", $("#f-category").value);
  // 搜索 on the service (GET /incidents?q=): an id, a grid code, an address or words, an
  // area's name, in one's jurisdiction, paged as the board
  const text = $("#f-search").value.trim();
  if (text) params.set("q", text);
  return params;
}

/** The count of every state under the board's place and category filters (挂账 included). */
async function refreshStates() {
  const base = boardQuery();
  base.delete("status");
  base.set("limit", "1");
  const counts = await Promise.all(STATES.map((st) => {
    const q = new URLSearchParams(base);
    q.set("status", st);
    return api(`/incidents?${q}`).then((p) => p.matched);
  }));
  const box = $("#states");
  box.replaceChildren();
  STATES.forEach((st, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "state";
    b.dataset.status = st;
    b.classList.toggle("active", $("#f-status").value === st);
    b.innerHTML = `${esc(name("status", st))} <b>${counts[i]}</b>`;
    b.addEventListener("click", guarded(async () => {
      $("#f-status").value = $("#f-status").value === st ? "open" : st;
      state.offset = 0;
      await refresh();
    }));
    box.appendChild(b);
  });
}

async function refresh() {
  if (!state.me) return;
  const params = boardQuery();
  if (state.lightFilter) params.set("light", state.lightFilter);
  params.set("limit", String(PAGE));
  params.set("offset", String(state.offset));
  savePlace();
  const page = await api(`/incidents?${params}`);
  if (page.matched && state.offset >= page.matched) {
    state.offset = Math.max(0, Math.floor((page.matched - 1) / PAGE) * PAGE);
    return refresh();
  }
  for (const light of ["red", "yellow", "green", "none"]) {
    $(`#n-${light}`).textContent = page.lights[light] || 0;
  }
  const items = page.items;
  const matched = page.matched;
  const from = state.offset;
  $("#matched").textContent = matched ? t("list.matched", { from: from + 1,
    to: from + items.length, matched }) : t("list.none");
  const pages = Math.max(1, Math.ceil(matched / PAGE));
  $("#pager").hidden = pages <= 1;
  $("#page-at").textContent = t("list.page", { page: Math.floor(from / PAGE) + 1, pages });
  $("#page-prev").disabled = from === 0;
  $("#page-next").disabled = from + PAGE >= matched;
  const list = $("#list");
  list.replaceChildren();
  layers.incidents.clearLayers();
  state.markers = {};
  for (const inc of items) {
    const cat = state.categories[inc.category];
    const li = document.createElement("li");
    li.dataset.id = inc.incident_id;
    li.dataset.light = inc.light;
    li.dataset.grid = inc.grid_code;
    li.dataset.township = inc.township_code;
    li.dataset.status = inc.status;
    li.dataset.priority = inc.priority;
    li.tabIndex = 0;
    li.setAttribute("role", "button");
    if (inc.light === "red") li.classList.add("pinned");
    if (inc.incident_id === state.selected) li.classList.add("selected");
    const due = dueText(inc);
    li.innerHTML = `<span class="dot ${inc.light}"></span>
      <div><b>${esc(categoryName(cat, inc.category))}</b> ${esc(inc.incident_id)}
      ${inc.priority === "urgent" ? `<span class="urgent-tag">${esc(name("priority", "urgent"))}</span>` : ""}
      <div class="meta">${esc(inc.grid_name || "")} · ${esc(name("status", inc.status))}
      ${inc.unit_id ? ` · ${esc(unitName(inc.unit_id))}` : ""}
      ${inc.escalation_level ? ` · ${esc(t("list.escalated", { level: name("level", inc.escalated_to) }))}` : ""}</div></div>
      <span class="due${serviceNow() > Date.parse(inc.due_at || "") ? " overdue" : ""}">${esc(due)}</span>`;
    li.addEventListener("click", guarded(() => openIncident(inc.incident_id)));
    li.addEventListener("mouseenter", () => hoverMarker(inc.incident_id, true));
    li.addEventListener("mouseleave", () => hoverMarker(inc.incident_id, false));
    list.appendChild(li);
    // a marker's click opens its incident only: it never reaches the map (no report form)
    state.markers[inc.incident_id] = L.circleMarker([inc.lat, inc.lon], { radius: 6, color: "#222",
      weight: 1, fillColor: LIGHT_COLOUR[inc.light], fillOpacity: 0.95, bubblingMouseEvents: false,
      incidentId: inc.incident_id })
      .bindTooltip(`${esc(inc.incident_id)} ${esc(categoryName(cat, inc.category))}`)
      .on("click", guarded(() => openIncident(inc.incident_id)))
      .addTo(layers.incidents);
  }
  await Promise.all([refreshStates(), refreshUrgent(), refreshNotices(), refreshPlans(),
    refreshSpread()]);  // maplayers.js
}

// -- live updates (live.js): another dispatcher's step shows here within a second ----------
const LIVE_HOOKS = {
  ticket: () => api("/events/ticket", { method: "POST" }),
  onChange: liveChanged,
  onReset: () => guarded(refresh)(),
  onStatus: (text, up) => {
    const el = $("#live");
    el.hidden = false;
    el.textContent = text;
    el.classList.toggle("down", !up);
  },
};

/** A change pushed by the stream: the board (rows, markers, counters) and an open panel. */
function liveChanged(message) {
  const id = message.incident.incident_id;
  state.liveChanged = (state.liveChanged || new Set()).add(id);
  clearTimeout(state.liveTimer);  // a burst of steps is one refresh
  state.liveTimer = setTimeout(guarded(async () => {
    const changed = state.liveChanged;
    state.liveChanged = new Set();
    await refresh();
    for (const c of changed) $(`#list li[data-id="${CSS.escape(c)}"]`)?.classList.add("live-changed");
  }), 250);
  const typing = $("#panel").contains(document.activeElement)
    && ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (state.selected === id && !typing) guarded(() => openIncident(id))();
}

function hoverMarker(id, on) {
  const m = state.markers[id];
  if (m) m.setStyle(on ? { radius: 10, weight: 3, color: "#12355b" } : { radius: 6, weight: 1, color: "#222" });
}

/** The incident on the map: zoomed to, and ringed until another is opened. */
const highlight = L.layerGroup().addTo(map);
function showOnMap(inc) {
  highlight.clearLayers();
  L.circleMarker([inc.lat, inc.lon], { radius: 15, color: "#12355b", weight: 3, fill: false,
    interactive: false, className: "highlight" }).addTo(highlight);
  viewAt([inc.lat, inc.lon], 16);
}

/** The board's list, under its filters, as a spreadsheet the browser saves (GET /export/incidents). */
async function exportList(format) {
  const params = boardQuery();
  if (state.lightFilter) params.set("light", state.lightFilter);
  params.set("format", format);
  const response = await fetch(`/export/incidents?${params}`, {
    headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(localReason(body.detail, response.status, body.field));
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${t("export.file")}.${format}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

/** A short tone (no file to fetch: the console works offline). */
function beep() {
  try {
    const audio = new (window.AudioContext || window.webkitAudioContext)();
    const tone = audio.createOscillator();
    tone.frequency.value = 880;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.4);
  } catch { /* a browser without sound */ }
}

/**
 * The queue of new reports awaiting acceptance (待受理): urgent ones (a 15-minute response)
 * raise an alert on the board, a tone and a desktop notification when they are new.
 */
async function refreshUrgent() {
  const box = $("#urgent");
  if (!ACCEPTORS.has(state.me.role)) { box.hidden = true; return; }
  const page = await api("/incidents?status=reported&limit=1000");
  const urgent = page.items.filter((i) => i.priority === "urgent");
  const fresh = urgent.filter((i) => !state.seenUrgent.has(i.incident_id));
  state.urgent = urgent;
  box.dataset.count = String(urgent.length);
  if (!urgent.length) { box.hidden = true; return; }
  $("#urgent-text").textContent = t("alert.urgent", { n: urgent.length });
  if (fresh.length) {
    box.hidden = false;
    for (const i of fresh) state.seenUrgent.add(i.incident_id);
    beep();
    if (window.Notification && Notification.permission === "granted") {
      try { new Notification(t("app.title"), { body: t("alert.urgent", { n: urgent.length }) }); } catch { /* none */ }
    }
  }
}

// -- the plan board (应急预案看板): open plans, each unit's status and countdown ------------------
const PLANS_HIDDEN = new Set(["analyst", "planner"]);

/** Minutes to a force's arrival limit now, from what the service said when it was read. */
function countdownText(el) {
  const left = Number(el.dataset.left) - (Date.now() - Number(el.dataset.read)) / 60000;
  const m = Math.floor(Math.abs(left));
  const s = Math.floor((Math.abs(left) - m) * 60);
  const clock = `${m}:${String(s).padStart(2, "0")}`;
  return t(left >= 0 ? "countdown.left" : "countdown.over", { clock });
}

function tickCountdowns() {
  for (const el of document.querySelectorAll(".countdown[data-left]")) el.textContent = countdownText(el);
}

/** The force of a plan: one row per unit with its status and, while it is awaited, the countdown. */
function forcesTable(forces, read) {
  const rows = forces.map((f) => `<tr data-unit="${esc(f.unit_id)}" data-status="${esc(f.status)}">
    <td>${esc(name("kind", f.kind))}</td>
    <td>${esc(f.name || unitName(f.unit_id))}${f.reinforced ? esc(t("panel.reinforced")) : ""}</td>
    <td class="status">${esc(f.status_name)}${f.late ? esc(t("panel.late")) : ""}${f.supervised ? esc(t("panel.supervised.once")) : ""}</td>
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
  if (!plans.length) list.innerHTML = `<li class="meta">${esc(t("plans.none"))}</li>`;
  for (const p of plans) {
    const li = document.createElement("li");
    li.dataset.id = p.incident_id;
    li.dataset.light = p.light;
    const short = shortfall(p.plan_shortfall);
    li.innerHTML = `<div><span class="dot ${esc(p.light)}"></span> <b>${esc(p.plan_name)}</b>
      ${esc(p.incident_id)} · ${esc(p.grid_name || "")} · ${esc(t("plans.started", { at: when(p.plan_started_at) }))}</div>
      ${forcesTable(p.emergency_forces, read)}
      ${short ? `<div class="warn">${esc(t("plans.short", { list: short }))}</div>` : ""}`;
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
      const note = t(`sensor.${how}`, { id: d.alarm_incident_id });
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
    <td>${esc(name("patrol", lv.level))}</td><td>${esc(t("patrols.zones", { n: lv.zones }))}</td>
    <td>${esc(t("patrols.rate"))} <b>${lv.compliance === null ? "—" : Math.round(lv.compliance * 100) + "%"}</b></td>
    <td class="missed">${esc(t("patrols.missed", { n: lv.missed }))}</td><td>${esc(t("patrols.behind", { n: lv.behind }))}</td></tr>`);
  $("#patrol-levels").innerHTML = rows.join("");
  const list = $("#patrol-list");
  list.replaceChildren();
  for (const z of c.zones.filter((z) => z.status === "missed")) {
    const li = document.createElement("li");
    li.className = "zone-missed";
    li.dataset.zone = z.zone_id;
    li.textContent = `${name("compliance", "missed")} ${name("patrol", z.level)} ${z.zone_id}` +
      t("patrols.visits", { n: z.visits_last_7d }) +
      (z.last_visit_at ? t("patrols.last", { at: when(z.last_visit_at) }) : t("patrols.never"));
    list.appendChild(li);
  }
  $("#patrol-toggle").hidden = state.me.role !== "grid_worker";
  if (state.me.role === "grid_worker") {
    const page = await api("/patrols?limit=20");
    for (const p of page.items) {
      const li = document.createElement("li");
      li.className = "own-patrol";
      li.dataset.id = p.patrol_id;
      li.textContent = t("patrols.own", { at: when(p.started_at),
        kind: t(p.kind === "checkin" ? "patrols.checkin" : "patrols.track"),
        km: (p.length_m / 1000).toFixed(2), zones: p.zones_visited }) +
        (p.jumps ? t("patrols.jumps", { n: p.jumps }) : "");
      list.appendChild(li);
    }
  }
}

function stopWatching() {
  if (state.patrol && state.patrol.watch !== null) {
    navigator.geolocation.clearWatch(state.patrol.watch);
  }
  state.patrol = null;
  $("#patrol-toggle").textContent = t("patrols.start");
  document.body.dataset.patrolling = "false";
}

/** 开始巡查: record the phone's positions; 结束巡查: post them as one patrol (or a check-in). */
async function togglePatrol() {
  const status = $("#patrol-status");
  if (!state.patrol) {
    if (!navigator.geolocation) {
      status.textContent = t("patrols.nogeo");
      return;
    }
    state.patrol = { points: [], watch: null };
    state.patrol.watch = navigator.geolocation.watchPosition((pos) => {
      if (!state.patrol) return;
      state.patrol.points.push({ lon: pos.coords.longitude, lat: pos.coords.latitude,
        at: new Date(pos.timestamp).toISOString() });
      status.textContent = t("patrols.recording", { n: state.patrol.points.length });
      document.body.dataset.points = String(state.patrol.points.length);
    }, (err) => { status.textContent = t("patrols.nofix", { reason: err.message }); },
    { enableHighAccuracy: true, maximumAge: 0 });
    $("#patrol-toggle").textContent = t("patrols.end");
    document.body.dataset.patrolling = "true";
    status.textContent = t("patrols.waiting");
    return;
  }
  const points = state.patrol.points;
  stopWatching();
  if (!points.length) {
    status.textContent = t("patrols.nothing");
    return;
  }
  const saved = await api("/patrols", { method: "POST",
    body: JSON.stringify({ points, crs: "wgs84" }) });
  status.textContent = t("patrols.sent", { id: saved.patrol_id,
    kind: t(saved.kind === "checkin" ? "patrols.kind.checkin" : "patrols.kind.track"),
    km: (saved.length_m / 1000).toFixed(2), zones: saved.zones_visited });
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
    if (n.late_units.length) late.push(t("notices.late.report", { units: n.late_units.map(unitName).join("、") }));
    if ((n.late_forces || []).length) late.push(t("notices.late.arrive", { units: n.late_forces.map(unitName).join("、") }));
    const what = late.join("；") || t("notices.overdue", { at: when(n.due_at) });
    li.innerHTML = `<time>${when(n.at)}</time> ${esc(n.incident_id)} ${esc(categoryName(cat, n.category))} · ${esc(what)}`;
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
    $("#board-message").textContent = t("supervise.done", { n: supervised.length });
    await refresh();
  } finally {
    button.disabled = false;
  }
}

// -- supervision (督办): overdue and soon-due matters per township and unit, bulk supervise ------
// who supervises a matter (gridgis.dispatch.rules SUPERVISORS)
const SUPERVISING = new Set(["township", "command_centre"]);

/** Every open matter of one light in one's jurisdiction (the service's largest page). */
async function lit(light) {
  const page = await api(`/incidents?status=${OPEN}&light=${light}&limit=1000`);
  return page.items;
}

function countBy(items, key) {
  const out = new Map();
  for (const i of items) {
    const k = key(i);
    out.set(k, (out.get(k) || 0) + 1);
  }
  return out;
}

/** The supervision view: counts per township and unit, the overdue list, bulk 督办. */
async function showSupervision() {
  const [red, yellow] = await Promise.all([lit("red"), lit("yellow")]);
  const table = (title, key) => {
    const reds = countBy(red, key);
    const yellows = countBy(yellow, key);
    const names = [...new Set([...reds.keys(), ...yellows.keys()])]
      .sort((a, b) => (reds.get(b) || 0) - (reds.get(a) || 0) || String(a).localeCompare(String(b)));
    const rows = names.map((n) => `<tr data-name="${esc(n)}"><td>${esc(n)}</td>
      <td class="red-n">${reds.get(n) || 0}</td><td>${yellows.get(n) || 0}</td></tr>`).join("");
    return `<table class="sup-counts"><tr><th>${esc(title)}</th><th>${esc(t("supview.red"))}</th>
      <th>${esc(t("supview.yellow"))}</th></tr>${rows}</table>`;
  };
  const open = red.filter((i) => i.allowed_actions.includes("supervise"));
  const items = red.map((i) => {
    const can = i.allowed_actions.includes("supervise") && i.supervised_due_at !== i.due_at;
    return `<li data-id="${esc(i.incident_id)}"><label><input type="checkbox" value="${esc(i.incident_id)}"
      data-version="${i.version}" ${can ? "checked" : "disabled"}>
      <a href="#" data-open="${esc(i.incident_id)}">${esc(i.incident_id)}</a>
      ${esc(categoryName(state.categories[i.category], i.category))} · ${esc(i.township_name || "")}
      · ${esc(i.unit_id ? unitName(i.unit_id) : t("supview.unheld"))} · <b class="warn">${esc(dueText(i))}</b>
      ${can ? "" : `<span class="meta">${esc(t("supview.supervised"))}</span>`}</label></li>`;
  }).join("");
  state.selected = null;
  const body = $("#panel-body");
  body.dataset.id = "";
  body.dataset.view = "supervision";
  body.innerHTML = `<h3>${esc(t("supview.title"))}</h3>
    ${table(t("supview.area"), (i) => i.township_name || "—")}
    ${table(t("supview.unit"), (i) => (i.unit_id ? unitName(i.unit_id) : t("supview.unheld")))}
    <div class="actions"><button type="button" id="sup-bulk"></button></div>
    <div class="error" role="alert"></div><div class="notice" role="status"></div>
    <ol id="sup-list">${items || `<li class="meta">${esc(t("supview.none"))}</li>`}</ol>`;
  const bulk = body.querySelector("#sup-bulk");
  const count = () => {
    const n = body.querySelectorAll("#sup-list input:checked").length;
    bulk.textContent = t("supview.bulk", { n });
    bulk.disabled = n === 0;
  };
  body.querySelector("#sup-list").addEventListener("change", count);
  count();
  for (const link of body.querySelectorAll("a[data-open]")) {
    link.addEventListener("click", guarded(async (e) => { e.preventDefault(); await openIncident(link.dataset.open); }));
  }
  bulk.addEventListener("click", guarded(async () => {
    bulk.disabled = true;
    const failed = [];
    let done = 0;
    for (const box of body.querySelectorAll("#sup-list input:checked")) {
      try {
        await api(`/incidents/${box.value}/transitions`, { method: "POST",
          body: JSON.stringify({ action: "supervise", version: Number(box.dataset.version) }) });
        done += 1;
      } catch (err) {
        if (err instanceof SignInNeeded) throw err;
        failed.push(t("supview.failed", { id: box.value, reason: err.message }));
      }
    }
    await refresh();
    await showSupervision();
    body.querySelector(".notice").textContent = t("supview.done", { n: done });
    body.querySelector(".error").textContent = failed.join("；");
  }));
  $("#panel").hidden = false;
  return open.length;
}

// the headline figures of GET /statistics the board shows (gridgis.analysis.seed_figures)
const FIGURES = ["closure_rate", "township_or_below_rate", "satisfied_rate", "satisfaction",
  "deploy_on_time_rate", "progress_on_time_rate", "resolve_on_time_rate", "report_in_rate",
  "overdue", "supervisions"];

function figure(value, key) {
  if (value === null || value === undefined) return "—";
  if (key.endsWith("_rate")) return `${(value * 100).toFixed(1)}%`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

async function showStatistics() {
  const stats = await api("/statistics");
  const f = stats.figures;
  const rows = FIGURES.map((k) =>
    `<tr data-figure="${k}"><td>${esc(name("figure", k))}</td><td>${figure(f[k], k)}</td></tr>`).join("");
  const called = stats.units.filter((u) => u.calls).sort((a, b) =>
    (a.report_in_rate ?? 2) - (b.report_in_rate ?? 2));
  const units = called.map((u) => `<tr data-unit="${esc(u.unit_id)}"><td>${esc(u.name)}</td>
    <td>${u.calls}</td><td>${figure(u.report_in_rate, "report_in_rate")}</td>
    <td>${u.report_in_hours == null ? "—" : esc(t("stats.hours.n", { n: u.report_in_hours.toFixed(1) }))}</td></tr>`).join("");
  const areas = stats.townships.length > 1 ? stats.townships : stats.communities;
  const ranked = [...areas].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9)).map((a) =>
    `<tr><td>${a.rank ?? "—"}</td><td>${esc(a.name)}</td><td>${figure(a.score, "score")}</td>
    <td>${figure(a.closure_rate, "closure_rate")}</td></tr>`).join("");
  state.selected = null;
  const body = $("#panel-body");
  body.dataset.id = "";
  body.dataset.view = "statistics";
  body.innerHTML = `<h3>${esc(t("stats.title"))} <small>${esc(stats.label)}</small></h3>
    <table id="s-figures">${rows}</table>
    <h4>${esc(t("stats.units"))}</h4>
    <table id="s-units"><tr><th>${esc(t("stats.unit"))}</th><th>${esc(t("stats.calls"))}</th><th>${esc(t("stats.rate"))}</th><th>${esc(t("stats.hours"))}</th></tr>${
      units || `<tr><td colspan="4">${esc(t("stats.nocalls"))}</td></tr>`}</table>
    <h4>${esc(t("stats.ranking"))}</h4>
    <table id="s-areas"><tr><th>${esc(t("stats.rank"))}</th><th>${esc(t("stats.area"))}</th><th>${esc(t("stats.score"))}</th><th>${esc(t("stats.closure"))}</th></tr>${ranked}</table>`;
  $("#panel").hidden = false;
}

/** How far a unit is: minutes by road when the district has roads, and the straight line. */
function unitReach(u) {
  const line = t("reach.line", { m: Math.round(u.distance_m) });
  return u.travel_min == null ? line : t("reach.road", { min: u.travel_min.toFixed(1), line });
}

function nearestUnits(loc, kinds) {
  const rows = loc.units.slice(0, 5).map((u) => `<tr data-unit="${esc(u.unit_id)}" data-kind="${esc(u.kind)}">
    <td>${esc(u.name)}</td><td>${esc(name("kind", u.kind))}</td><td>${esc(unitReach(u))}</td></tr>`).join("");
  const title = kinds && kinds.length
    ? t("report.units.kinds", { kinds: kinds.map((k) => name("kind", k)).join("、") }) : t("report.units");
  return `<div class="units-near"><div class="meta">${esc(title)}</div><table>${rows}</table></div>`;
}

function locateTable(loc, withUnits = true) {
  const warn = loc.near_edge
    ? `<div class="warn">${esc(t("locate.edge", { m: loc.edge_distance_m }))}</div>` : "";
  return `<div class="locate-result"><table>
    <tr><td>${esc(t("locate.grid"))}</td><td><b>${esc(loc.grid_name)}</b> ${esc(loc.grid_code)}</td></tr>
    <tr><td>${esc(t("locate.community"))}</td><td>${esc(loc.community_name)}</td></tr>
    <tr><td>${esc(t("locate.township"))}</td><td>${esc(loc.township_name)}</td></tr>
    <tr><td>${esc(t("locate.patrol"))}</td><td>${esc(name("patrol", loc.patrol_level))}</td></tr>
    <tr><td>${esc(t("locate.workers"))}</td><td>${esc(loc.worker_names || "")}（${loc.workers ?? 0}）</td></tr>
    </table>${warn}${withUnits ? nearestUnits(loc) : ""}</div>`;
}

/**
 * The report form at a point: no category chosen at first; choosing one shows the nearest
 * units of that category's kinds (GET /locate?category=), the ones a dispatch would offer.
 */
function reportForm(loc, lng, lat) {
  const form = $("#report-form").content.firstElementChild.cloneNode(true);
  applyLanguage(form);
  form.querySelector(".loc").innerHTML = locateTable(loc, false);
  const select = form.querySelector("select[name=category]");
  for (const c of Object.values(state.categories)) select.add(new Option(`${c.code} ${categoryName(c)}`, c.code));
  select.value = "";
  const sources = form.querySelector("select[name=source]");
  for (const key of ["grid_worker", "hotline", "app", "wechat", "web"]) {
    sources.add(new Option(name("source", key), key));
  }
  const near = form.querySelector(".near");
  select.addEventListener("change", async () => {
    const code = select.value;
    near.replaceChildren();
    if (!code) return;
    try {
      const here = await api(`/locate?lon=${lng}&lat=${lat}&category=${encodeURIComponent(code)}`);
      if (select.value === code) near.innerHTML = nearestUnits(here, state.categories[code].unit_kinds);
    } catch (err) {
      if (!(err instanceof SignInNeeded)) near.innerHTML = `<div class="error">${esc(err.message)}</div>`;
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const body = { lon: lng, lat, crs: "wgs84", category: data.get("category"),
      description: data.get("description"), source: data.get("source") };
    const who = data.get("reporter_name").trim();
    const phone = data.get("reporter_phone").trim();
    if (who || phone) body.reporter = { name: who || null, phone: phone || null };
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

// Leaflet's popup names its close button in English: in the console's language instead
map.on("popupopen", (e) => {
  const close = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
  if (close) { close.setAttribute("aria-label", t("panel.close")); close.title = t("panel.close"); }
});

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
  surface.set(esc(t("report.locating")));
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
    surface.set(`${locateTable(loc)}<div class="meta">${esc(t("report.role", { title: state.me ? state.me.title : "" }))}</div>`);
  }
});

function actionControls(inc) {
  const wrap = document.createElement("div");
  wrap.className = "actions";
  // the server lists the actions this person may take on this incident now: no more, no less
  if (!inc.allowed_actions.length) {
    const none = document.createElement("p");
    none.className = "meta no-actions";
    none.textContent = t("actions.none");
    wrap.appendChild(none);
    return wrap;
  }
  const note = document.createElement("input");
  note.id = "a-note";
  note.placeholder = t("actions.note");
  note.setAttribute("aria-label", t("actions.note"));
  wrap.appendChild(note);
  const error = document.createElement("div");
  error.className = "error";
  error.setAttribute("role", "alert");
  for (const action of inc.allowed_actions) {
    const button = document.createElement("button");
    button.textContent = name("action", action);
    button.dataset.action = action;
    button.addEventListener("click", async () => {
      const body = { action, version: inc.version };
      const text = note.value.trim();
      if (text) body.note = text;
      if (NEEDS_NOTE.has(action) && !text) { error.textContent = t("actions.note.needed"); return; }
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
        if (!body.unit_ids.length) { error.textContent = t("actions.whistle.none"); return; }
      }
      if (action === "report_in") {
        body.place = $("#a-place").value.trim();
        body.staff = $("#a-staff").value.trim();
        if (!body.place || !body.staff) { error.textContent = t("actions.place.needed"); return; }
      }
      if (action === "arrive") {
        // 到场: the phone's position, when the browser gives it, is checked near the site
        try {
          const here = await position();
          body.lon = here.coords.longitude;
          body.lat = here.coords.latitude;
        } catch (err) {
          error.textContent = t("actions.arrive.nofix", { reason: err.message });
        }
      }
      if (action === "reinforce") body.kind = $("#a-kind").value;
      if (action === "reroute" && !rerouteInputs(body, error)) return;  // reroute.js
      if (action === "release" && $("#a-release").value) body.unit_id = $("#a-release").value;
      if (action === "verify") {
        // on site: the phone's position (WGS84) is checked against the incident's grid
        try {
          const here = await position();
          body.lon = here.coords.longitude;
          body.lat = here.coords.latitude;
        } catch (err) {
          error.textContent = t("actions.verify.nofix", { reason: err.message });
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
    s.setAttribute("aria-label", t("actions.unit"));
    for (const u of inc.candidate_units) {
      s.add(new Option(`${u.name}（${name("kind", u.kind)}）· ${unitReach(u)}`, u.unit_id));
    }
    wrap.appendChild(s);
  }
  if (inc.allowed_actions.includes("close") || inc.allowed_actions.includes("callback")) {
    wrap.insertAdjacentHTML("beforeend", `<label>${esc(t("actions.satisfaction"))} <select id="a-sat">
      <option>5</option><option>4</option><option>3</option><option>2</option><option>1</option></select></label>`);
  }
  if (inc.allowed_actions.includes("callback")) {
    wrap.insertAdjacentHTML("beforeend", `<label><input id="a-unreached" type="checkbox"> ${esc(t("actions.unreached"))}</label>`);
  }
  if (inc.allowed_actions.includes("whistle")) {
    const s = document.createElement("select");
    s.id = "a-whistle";
    s.multiple = true;
    s.size = 4;
    s.setAttribute("aria-label", t("actions.whistle.units"));
    const mine = Object.values(state.unitInfo).filter((u) => u.township_code === inc.township_code);
    for (const u of mine) s.add(new Option(u.name, u.unit_id));
    wrap.appendChild(s);
    wrap.insertAdjacentHTML("beforeend", `<label>${esc(t("actions.whistle.hours"))} <input id="a-report-hours" type="number" value="24" min="1" size="4"></label>`);
  }
  if (inc.allowed_actions.includes("report_in")) {
    wrap.insertAdjacentHTML("beforeend", `<label>${esc(t("actions.place"))} <input id="a-place" maxlength="200" value="${esc(t("actions.place.default"))}"></label>
      <label>${esc(t("actions.staff"))} <input id="a-staff" maxlength="500"></label>`);
  }
  if (inc.allowed_actions.includes("reinforce")) {
    const s = document.createElement("select");
    s.id = "a-kind";
    s.setAttribute("aria-label", t("actions.reinforce"));
    const needed = inc.plan_shortfall.map((x) => x.kind);
    for (const kind of [...new Set([...needed, ...inc.emergency_forces.map((f) => f.kind),
      ...Object.keys(KIND_ZH)])]) s.add(new Option(t("actions.reinforce.kind", { kind: name("kind", kind) }), kind));
    wrap.appendChild(s);
  }
  if (inc.allowed_actions.includes("release")) {
    const s = document.createElement("select");
    s.id = "a-release";
    s.setAttribute("aria-label", t("actions.release"));
    s.add(new Option(t("actions.release.all"), ""));
    for (const f of inc.emergency_forces.filter((x) => !x.released_at)) {
      s.add(new Option(`${name("kind", f.kind)} ${f.name || unitName(f.unit_id)}`, f.unit_id));
    }
    wrap.appendChild(s);
  }
  if (inc.allowed_actions.includes("reroute")) wrap.appendChild(rerouteForm(inc));  // reroute.js
  if (inc.allowed_actions.includes("request_extension")) {
    wrap.insertAdjacentHTML("beforeend", `<label>${esc(t("actions.hours"))} <input id="a-hours" type="number" value="48" min="1" size="4"></label>`);
  }
  wrap.appendChild(error);
  return wrap;
}

/** The device's position (the grid worker's phone), as the browser gives it (WGS84). */
function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error(t("geo.none"))); return; }
    navigator.geolocation.getCurrentPosition(resolve, reject,
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });
}

function whistleTable(calls) {
  if (!calls.length) return "";
  const rows = calls.map((c) => `<tr data-unit="${esc(c.unit_id)}" data-light="${esc(c.light)}">
    <td><span class="dot ${esc(c.light)}"></span> ${esc(unitName(c.unit_id))}</td>
    <td>${c.reported_in_at ? esc(t("panel.reported.in", { at: when(c.reported_in_at), place: c.place || "", staff: c.staff || "" })) + (c.late ? esc(t("panel.late")) : "")
      : esc(t("panel.await.report", { at: when(c.due_at) })) + (c.supervised ? esc(t("panel.supervised.once")) : "")}</td></tr>`).join("");
  return `<tr><td>${esc(t("panel.whistle"))}</td><td><table class="calls">${rows}</table></td></tr>`;
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
  img.alt = `${name("photo", a.stage)} ${when(a.uploaded_at)}`;
  img.title = `${name("photo", a.stage)} · ${when(a.uploaded_at)} · ${a.uploaded_by}${a.far ? t("photos.far") : ""}`;
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
    else strip.insertAdjacentHTML("beforeend", `<span class="video" data-stage="${esc(a.stage)}">${esc(t("photos.video", { stage: name("photo", a.stage) }))}</span>`);
  }
  wrap.appendChild(strip);
  if (inc.status === "closed" || inc.status === "rejected") return wrap;
  const form = document.createElement("form");
  form.className = "upload";
  const stages = Object.keys(PHOTO_STAGE_ZH).map((k) => `<option value="${k}">${esc(name("photo", k))}</option>`).join("");
  form.innerHTML = `<label>${esc(t("photos.photo"))} <input id="a-photo" name="file" type="file"
      accept="image/jpeg,image/png,image/heic,image/heif,video/mp4" capture="environment"></label>
    <select id="a-photo-stage" name="stage" aria-label="${esc(t("photos.stage"))}">${stages}</select>
    <button type="submit" id="a-upload">${esc(t("photos.upload"))}</button><div class="error" role="alert"></div>`;
  form.querySelector("#a-photo-stage").value = photoStage(inc);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = form.querySelector(".error");
    if (!form.querySelector("#a-photo").files.length) { error.textContent = t("photos.choose"); return; }
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
  return r.masked ? `${parts}${t("panel.masked")}` : parts;
}

function similarCases(inc) {
  // 类案参考: earlier mediation cases like this dispute, filled in when the service answers
  const box = document.createElement("section");
  box.id = "p-similar";
  box.className = "similar";
  box.innerHTML = `<h4>${esc(t("similar.title"))}</h4><p>${esc(t("similar.searching"))}</p>`;
  api(`/mediation/similar?incident=${encodeURIComponent(inc.incident_id)}&limit=5`).then((page) => {
    if ($("#panel-body").dataset.id !== inc.incident_id) return;  // another matter opened since
    box.dataset.count = page.items.length;
    box.innerHTML = `<h4>${esc(t("similar.searched", { n: page.indexed }))}</h4>` + (
      page.items.length ? `<ol>${page.items.map((c) => `<li data-case="${esc(c.case_id)}">
        ${c.model_case ? `<span class="model">${esc(t("similar.model"))}</span> ` : ""}<b>${esc(c.title)}</b>
        <small>${esc(c.case_id)} · ${esc(c.type_name)} · ${when(c.received_at)} · ${
          esc(c.outcome_name || t("similar.pending"))}</small>
        <div>${esc(c.facts)}</div>${c.terms ? `<div class="terms">${esc(t("similar.terms", { terms: c.terms }))}</div>` : ""}
        </li>`).join("")}</ol>` : `<p>${esc(t("similar.none"))}</p>`);
  }).catch((err) => {
    box.dataset.count = "0";
    box.innerHTML = `<h4>${esc(t("similar.title"))}</h4><p class="warn">${esc(err.message)}</p>`;
  });
  return box;
}

function closePanel() {
  state.selected = null;
  highlight.clearLayers();
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
  const late = inc.plan_late.length ? ` · <span class="warn">${esc(t("panel.plan.late", {
    kinds: inc.plan_late.map((k) => name("kind", k)).join("、") }))}</span>` : "";
  const short = inc.plan_shortfall.length
    ? `<div class="warn">${esc(t("plans.short", { list: shortfall(inc.plan_shortfall) }))}</div>` : "";
  const duplicates = inc.duplicate_of.map((d) =>
    `<a href="#" class="dup" data-open="${esc(d)}">${esc(d)}</a>`).join("、");
  body.innerHTML = `<h2 class="print-only">${esc(t("print.title"))}</h2>
    <p class="print-only print-at"></p>
    <button type="button" id="print-sheet" class="print-button">${esc(t("print.button"))}</button>
    <h3><span class="dot ${inc.light}"></span> ${esc(categoryName(cat, inc.category))}
    <small>${esc(inc.incident_id)}</small></h3>
    <table>
      <tr><td>${esc(t("panel.status"))}</td><td id="p-status" data-status="${esc(inc.status)}">${esc(name("status", inc.status))}</td></tr>
      <tr><td>${esc(t("panel.description"))}</td><td>${esc(inc.description)}</td></tr>
      <tr><td>${esc(t("panel.grid"))}</td><td>${esc(inc.grid_name)}（${esc(inc.grid_code)}）</td></tr>
      <tr><td>${esc(t("panel.area"))}</td><td>${esc(inc.community_name)} / ${esc(inc.township_name)}</td></tr>
      <tr><td>${esc(t("panel.platform"))}</td><td>${esc(name("platform", inc.platform))} · ${esc(name("priority", inc.priority))}</td></tr>
      <tr><td>${esc(t("panel.unit"))}</td><td id="p-unit" data-unit="${esc(inc.unit_id || "")}">${esc(inc.unit_id ? unitName(inc.unit_id) : "—")}</td></tr>
      <tr><td>${esc(t("panel.limits"))}</td><td>${esc(t("panel.limits.text", { respond: when(inc.respond_by),
        progress: when(inc.progress_by), resolve: when(inc.resolve_by) }))}</td></tr>
      <tr><td>${esc(t("panel.stage"))}</td><td id="p-stage" data-stage="${esc(inc.stage)}">${esc(name("stage", inc.stage))}${
        inc.due_at ? esc(t("panel.stage.due", { at: when(inc.due_at) })) : ""}${
        inc.supervisions ? esc(t("panel.supervised", { n: inc.supervisions })) : ""}</td></tr>
      <tr><td>${esc(t("panel.level"))}</td><td>${esc(name("level", inc.escalated_to))}</td></tr>
      ${whistleTable(inc.whistle_calls)}
      ${inc.plan_code ? `<tr><td>${esc(t("panel.plan"))}</td><td id="p-plan" data-plan="${esc(inc.plan_code)}">${esc(inc.plan_name)}
        · ${esc(t("plans.started", { at: when(inc.plan_started_at) }))}${late}${short}</td></tr>
        <tr><td colspan="2" id="p-forces">${forcesTable(inc.emergency_forces, Date.now())}</td></tr>` : ""}
      ${inc.callback_outcome ? `<tr><td>${esc(t("panel.callback"))}</td><td id="p-callback">${esc(name("outcome", inc.callback_outcome))} ${when(inc.callback_at)}${
        inc.satisfaction ? esc(t("panel.satisfaction", { n: inc.satisfaction })) : ""}</td></tr>` : ""}
      ${inc.reporter ? `<tr><td>${esc(t("panel.reporter"))}</td><td id="p-reporter">${esc(reporterText(inc.reporter))}</td></tr>` : ""}
      ${inc.duplicate_of.length ? `<tr><td class="warn">${esc(t("panel.duplicates"))}</td><td id="p-duplicates">${duplicates}</td></tr>` : ""}
    </table>`;
  body.querySelector("#print-sheet").addEventListener("click", () => {
    // the case sheet (案件处置单): the panel alone, on paper (see the print style)
    body.querySelector(".print-at").textContent = t("print.at", { at: new Date(serviceNow())
      .toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }) });
    window.print();
  });
  for (const link of body.querySelectorAll("a[data-open]")) {
    link.addEventListener("click", guarded(async (e) => {
      e.preventDefault();
      await openIncident(link.dataset.open);
    }));
  }
  body.appendChild(strip);
  body.appendChild(actionControls(inc));
  if (inc.category.startsWith("D")) {  // disputes: 纠纷, and a case of mediation from one
    body.appendChild(similarCases(inc));
    body.appendChild(mediationOpener(inc));
  }
  const timeline = document.createElement("ol");
  timeline.className = "timeline";
  timeline.innerHTML = inc.events.map((e) => `<li data-action="${esc(e.action)}"><time>${when(e.at)}</time>
    <b>${esc(eventName(e.action))}</b>${eventUnits(e)}${rerouteEvent(e)} ${esc(e.actor)}（${esc(name("role", e.role))}）
    ${e.note ? "— " + esc(e.note) : ""}</li>`).join("");
  body.appendChild(timeline);
  panel.hidden = false;
  tickCountdowns();
  document.querySelectorAll("#list li").forEach((li) =>
    li.classList.toggle("selected", li.dataset.id === id));
  showOnMap(inc);
}

/** The service's clock (GET /clock): the header shows it, and overdue times count from it. */
async function readClock() {
  try {
    const sent = Date.now();
    const c = await api("/clock");
    state.clockOffset = Date.parse(c.now) - (sent + Date.now()) / 2;
    tick();
  } catch { /* an older service without /clock: the browser's time */ }
}

function tick() {
  // China Standard Time, as every time the service gives, whatever the browser's zone
  $("#clock").textContent = new Date(serviceNow()).toLocaleString("zh-CN",
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
$("#supervision-view").addEventListener("click", guarded(showSupervision));
$("#patrol-toggle").addEventListener("click", () => togglePatrol().catch((err) => {
  if (!(err instanceof SignInNeeded)) $("#patrol-status").textContent = err.message;
}));
$("#panel-close").addEventListener("click", closePanel);
$("#sheet-close").addEventListener("click", closeSheet);
for (const b of document.querySelectorAll("#tabs button")) {
  b.addEventListener("click", () => showTab(b.dataset.tab));
}
showTab("board");
for (const id of ["#f-category", "#f-status"]) {
  $(id).addEventListener("change", guarded(async () => { state.offset = 0; await refresh(); }));
}
$("#f-township").addEventListener("change", guarded(async () => {
  state.offset = 0;
  fitTownship($("#f-township").value);
  await refresh();
}));
let searchTimer = null;
$("#f-search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(guarded(async () => { state.offset = 0; await refresh(); }), 300);
});
$("#f-search").addEventListener("keydown", guarded(async (e) => {
  // an incident's id opens it at once, wherever it stands on the board
  const text = $("#f-search").value.trim();
  if (e.key === "Enter" && /^[A-Z]\d{8}-\d+$/i.test(text)) await openIncident(text.toUpperCase());
}));
$("#page-prev").addEventListener("click", guarded(async () => {
  state.offset = Math.max(0, state.offset - PAGE);
  await refresh();
}));
$("#page-next").addEventListener("click", guarded(async () => {
  state.offset += PAGE;
  await refresh();
}));
// the list by keyboard: arrows move between rows, Enter or Space opens one
$("#list").addEventListener("keydown", (e) => {
  const li = e.target.closest("#list li");
  if (!li) return;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    const next = e.key === "ArrowDown" ? li.nextElementSibling : li.previousElementSibling;
    if (next) next.focus();
  } else if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    guarded(() => openIncident(li.dataset.id))();
  }
});
for (const el of document.querySelectorAll(".light")) {
  const choose = guarded(async () => {
    state.lightFilter = state.lightFilter === el.dataset.light ? "" : el.dataset.light;
    state.offset = 0;
    markLight();
    await refresh();
  });
  el.addEventListener("click", choose);
  el.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } });
}
$("#export-xlsx").addEventListener("click", guarded(() => exportList("xlsx")));
$("#export-csv").addEventListener("click", guarded(() => exportList("csv")));
$("#urgent-dismiss").addEventListener("click", () => { $("#urgent").hidden = true; });
$("#urgent-open").addEventListener("click", guarded(async () => {
  $("#urgent").hidden = true;
  $("#f-status").value = "reported";
  state.offset = 0;
  await refresh();
  if (state.urgent.length) await openIncident(state.urgent[0].incident_id);
}));
$("#lang").addEventListener("click", () => {
  // the language is kept for the tab's session; the page is drawn again in it
  sessionStorage.setItem(LANG_KEY, LANG === "zh" ? "en" : "zh");
  window.location.reload();
});
applyLanguage();
$("#lang").lang = LANG === "zh" ? "en" : "zh-CN";  // the switch names the other language
for (const st of STATES) $("#f-status").add(new Option(name("status", st), st));
tick();
setInterval(tick, 1000);
restorePlace();
readClock();
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
