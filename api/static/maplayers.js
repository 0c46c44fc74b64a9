/*
 * The whole board on the map, for thousands of incidents: 事件聚合 (Leaflet.markercluster,
 * served from the xstatic-leaflet-markercluster package) and 事件热力图 (a small canvas heat
 * layer of this file: no PyPI package packs one). Both show every incident the board's
 * filters match (not just the listed page), read page by page from GET /incidents, and are
 * toggled in the layer control. Loaded after console.js, whose api(), t(), boardQuery(),
 * state, map, layerControl, openIncident() and guarded() it uses.
 */
"use strict";

// how many incidents the two layers read at most, and how long a reading stays fresh
const SPREAD_MAX = 20000;
const SPREAD_PAGE = 1000;
const SPREAD_FRESH_MS = 60000;
const LIGHT_RANK = { red: 3, yellow: 2, green: 1, none: 0 };

/** A heat layer drawn on one canvas: counts per cell, blurred, coloured blue → red. */
const HeatLayer = L.Layer.extend({
  options: { radius: 16, blur: 14, minOpacity: 0.08,
    gradient: { 0.3: "#2c7bb6", 0.5: "#00a6ca", 0.65: "#90eb9d", 0.8: "#f9d057", 1.0: "#d7191c" } },

  initialize(points, options) {
    this._points = points || [];
    L.setOptions(this, options);
  },

  /** Replace the points ([lat, lon] pairs) and redraw. */
  setPoints(points) {
    this._points = points;
    if (this._map) this._draw();
    return this;
  },

  onAdd(map) {
    this._canvas = L.DomUtil.create("canvas", "heat-layer leaflet-zoom-hide");
    this._canvas.style.pointerEvents = "none";
    map.getPanes().overlayPane.appendChild(this._canvas);
    map.on("moveend resize", this._reset, this);
    this._reset();
  },

  onRemove(map) {
    L.DomUtil.remove(this._canvas);
    map.off("moveend resize", this._reset, this);
  },

  _reset() {
    const size = this._map.getSize();
    L.DomUtil.setPosition(this._canvas, this._map.containerPointToLayerPoint([0, 0]));
    this._canvas.width = size.x;
    this._canvas.height = size.y;
    this._draw();
  },

  /** The blurred disc one point stamps (drawn once per radius). */
  _stamp() {
    const { radius: r, blur } = this.options;
    if (this._stampFor === r + blur) return this._stampCanvas;
    const c = document.createElement("canvas");
    const full = r + blur;
    c.width = c.height = full * 2;
    const ctx = c.getContext("2d");
    // the disc is drawn off the canvas and only its blurred shadow lands on it
    ctx.shadowOffsetX = ctx.shadowOffsetY = full * 2;
    ctx.shadowBlur = blur;
    ctx.shadowColor = "black";
    ctx.beginPath();
    ctx.arc(-full, -full, r, 0, Math.PI * 2, true);
    ctx.closePath();
    ctx.fill();
    this._stampFor = r + blur;
    this._stampCanvas = c;
    return c;
  },

  _palette() {
    if (this._colours) return this._colours;
    const c = document.createElement("canvas");
    c.width = 256;
    c.height = 1;
    const ctx = c.getContext("2d");
    const grad = ctx.createLinearGradient(0, 0, 256, 0);
    for (const [at, colour] of Object.entries(this.options.gradient)) grad.addColorStop(Number(at), colour);
    ctx.fillStyle = grad;
    ctx.fillRect(0, 0, 256, 1);
    this._colours = ctx.getImageData(0, 0, 256, 1).data;
    return this._colours;
  },

  _draw() {
    const ctx = this._canvas.getContext("2d", { willReadFrequently: true });
    const { width, height } = this._canvas;
    ctx.clearRect(0, 0, width, height);
    if (!width || !height || !this._points.length) return;
    const { radius, blur, minOpacity } = this.options;
    const full = radius + blur;
    const cell = Math.max(2, Math.round(radius / 2));
    const cells = new Map();
    let most = 0;
    for (const [lat, lon] of this._points) {  // points close on screen add up in one cell
      const p = this._map.latLngToContainerPoint([lat, lon]);
      if (p.x < -full || p.y < -full || p.x > width + full || p.y > height + full) continue;
      const key = `${Math.floor(p.x / cell)}:${Math.floor(p.y / cell)}`;
      const c = cells.get(key) || { x: 0, y: 0, n: 0 };
      c.x += p.x;
      c.y += p.y;
      c.n += 1;
      cells.set(key, c);
      most = Math.max(most, c.n);
    }
    const stamp = this._stamp();
    for (const c of cells.values()) {
      ctx.globalAlpha = Math.min(1, Math.max(minOpacity, c.n / most));
      ctx.drawImage(stamp, c.x / c.n - full, c.y / c.n - full);
    }
    ctx.globalAlpha = 1;
    const image = ctx.getImageData(0, 0, width, height);
    const px = image.data;
    const colours = this._palette();
    for (let i = 3; i < px.length; i += 4) {  // the shadow's alpha picks the colour
      const a = px[i];
      if (!a) continue;
      const j = a * 4;
      px[i - 3] = colours[j];
      px[i - 2] = colours[j + 1];
      px[i - 1] = colours[j + 2];
      px[i] = Math.min(255, a * 1.4);
    }
    ctx.putImageData(image, 0, 0);
  },
});

/** A cluster's icon: its count, coloured by the worst light among its incidents. */
function clusterIcon(cluster) {
  let worst = "none";
  for (const m of cluster.getAllChildMarkers()) {
    if (LIGHT_RANK[m.options.light] > LIGHT_RANK[worst]) worst = m.options.light;
  }
  const n = cluster.getChildCount();
  return L.divIcon({ html: `<div title="${esc(t("cluster.title", { n }))}"><span>${n}</span></div>`,
    className: `marker-cluster spread-cluster light-${worst}`, iconSize: L.point(40, 40) });
}

// clusters need the map's deepest zoom (a basemap layer may set its own; none is needed)
if (map.options.maxZoom === undefined) map.setMaxZoom(20);

const spread = {
  cluster: L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false,
    maxClusterRadius: 50, iconCreateFunction: clusterIcon }),
  heat: new HeatLayer([]),
  key: null,
  at: 0,
  count: 0,
};
layerControl.addOverlay(spread.cluster, t("layer.cluster"));
layerControl.addOverlay(spread.heat, t("layer.heat"));

/** Every incident the board's filters match (all pages, up to SPREAD_MAX). */
async function spreadItems(query) {
  const items = [];
  for (let offset = 0; offset < SPREAD_MAX; offset += SPREAD_PAGE) {
    query.set("offset", String(offset));
    const page = await api(`/incidents?${query}`);
    items.push(...page.items);
    if (offset + SPREAD_PAGE >= page.matched) break;
  }
  return items;
}

/** Read and draw the two layers again when one is shown and the filters changed (or aged). */
async function refreshSpread(force = false) {
  if (!state.me || !(map.hasLayer(spread.cluster) || map.hasLayer(spread.heat))) return;
  const query = boardQuery();
  if (state.lightFilter) query.set("light", state.lightFilter);
  query.set("limit", String(SPREAD_PAGE));
  query.set("sort", "reported_at");
  const key = query.toString();
  if (!force && key === spread.key && Date.now() - spread.at < SPREAD_FRESH_MS) return;
  spread.key = key;
  spread.at = Date.now();
  const items = await spreadItems(query);
  spread.cluster.clearLayers();
  spread.cluster.addLayers(items.map((inc) => L.circleMarker([inc.lat, inc.lon], {
    radius: 6, color: "#222", weight: 1, fillColor: LIGHT_COLOUR[inc.light], fillOpacity: 0.95,
    light: inc.light, incidentId: inc.incident_id, bubblingMouseEvents: false })
    .on("click", guarded(() => openIncident(inc.incident_id)))));
  spread.heat.setPoints(items.map((inc) => [inc.lat, inc.lon]));
  spread.count = items.length;
  map.getContainer().dataset.spread = String(items.length);
}

map.on("overlayadd", (e) => {
  if (e.layer === spread.cluster || e.layer === spread.heat) {
    refreshSpread(true).catch((err) => { $("#board-message").textContent = err.message; });
  }
});
