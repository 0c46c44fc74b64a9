/*
 * The offline basemap: the district's vector tiles (/tiles/{z}/{x}/{y}.mvt, built by
 * `gridgis basemap`) decoded here and drawn on canvas under the console's layers, in the
 * light style of a government map (white roads with grey casing, blue water, Chinese
 * labels in a CJK font); and, when the service names one, an intranet raster tile service
 * (天地图 or a government map server). Nothing is fetched from anywhere but the service and
 * that intranet server.
 *
 * Mapbox Vector Tiles are protocol buffers: a tile holds layers, a layer features, keys and
 * values; a feature's geometry is a list of commands (MoveTo, LineTo, ClosePath) with
 * zig-zag encoded deltas in tile units (0–extent, y down). The reader below decodes just
 * that (vector tile specification 2.1).
 */
"use strict";

const gridBasemap = (() => {
  // -- protocol buffers: varints and length-delimited fields ------------------------------
  class Reader {
    constructor(bytes, start = 0, end = bytes.length) {
      this.b = bytes; this.pos = start; this.end = end;
    }

    varint() {
      let value = 0; let shift = 0; let byte;
      do {
        if (this.pos >= this.end) throw new Error("truncated varint");
        byte = this.b[this.pos++];
        value += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      } while (byte & 0x80);
      return value;
    }

    /** A length-delimited field as a reader of its own bytes. */
    sub() {
      const n = this.varint(); const start = this.pos;
      this.pos += n;
      if (this.pos > this.end) throw new Error("truncated field");
      return new Reader(this.b, start, start + n);
    }

    string() {
      const r = this.sub();
      return new TextDecoder().decode(this.b.subarray(r.pos, r.end));
    }

    packed() {
      const r = this.sub(); const out = [];
      while (r.pos < r.end) out.push(r.varint());
      return out;
    }

    skip(wire) {
      if (wire === 0) this.varint();
      else if (wire === 1) this.pos += 8;
      else if (wire === 2) this.pos += this.varint();
      else if (wire === 5) this.pos += 4;
      else throw new Error(`wire type ${wire}`);
    }

    /** Call ``on(field, wire)`` for each field; ``on`` reads it or returns false to skip it. */
    fields(on) {
      while (this.pos < this.end) {
        const key = this.varint(); const field = Math.floor(key / 8); const wire = key & 7;
        if (on(field, wire) === false) this.skip(wire);
      }
    }
  }

  const zigzag = (n) => (n % 2 ? -(n + 1) / 2 : n / 2);

  function readValue(r) {
    let value = null;
    r.fields((field, wire) => {
      if (field === 1) value = r.string();
      else if (field === 2) { value = new DataView(r.b.buffer, r.b.byteOffset + r.pos, 4).getFloat32(0, true); r.pos += 4; }
      else if (field === 3) { value = new DataView(r.b.buffer, r.b.byteOffset + r.pos, 8).getFloat64(0, true); r.pos += 8; }
      else if (field === 4 || field === 5) value = r.varint();
      else if (field === 6) value = zigzag(r.varint());
      else if (field === 7) value = Boolean(r.varint());
      else return false;
      return true;
    });
    return value;
  }

  /** The rings or lines of a geometry: arrays of [x, y] in tile units. */
  function geometry(commands) {
    const parts = []; let part = null; let x = 0; let y = 0; let i = 0;
    while (i < commands.length) {
      const cmd = commands[i] & 7; const count = commands[i] >> 3; i += 1;
      if (cmd === 7) { if (part && part.length) part.push(part[0]); continue; }
      for (let k = 0; k < count; k++) {
        x += zigzag(commands[i]); y += zigzag(commands[i + 1]); i += 2;
        if (cmd === 1) { part = [[x, y]]; parts.push(part); } else part.push([x, y]);
      }
    }
    return parts;
  }

  function readFeature(r, keys, values) {
    const f = { type: 0, properties: {}, parts: [] };
    r.fields((field) => {
      if (field === 2) {
        const tags = r.packed();
        for (let k = 0; k + 1 < tags.length; k += 2) f.properties[keys[tags[k]]] = values[tags[k + 1]];
      } else if (field === 3) f.type = r.varint();
      else if (field === 4) f.parts = geometry(r.packed());
      else return false;
      return true;
    });
    return f;
  }

  function readLayer(r) {
    const layer = { name: "", extent: 4096, features: [] };
    const keys = []; const values = []; const raw = [];
    r.fields((field) => {
      if (field === 1) layer.name = r.string();
      else if (field === 2) raw.push(r.sub());
      else if (field === 3) keys.push(r.string());
      else if (field === 4) values.push(readValue(r.sub()));
      else if (field === 5) layer.extent = r.varint();
      else return false;
      return true;
    });
    layer.features = raw.map((fr) => readFeature(fr, keys, values));
    return layer;
  }

  /** Decode a vector tile (its bytes, unpacked) into ``{layerName: layer}``. */
  function decode(bytes) {
    const r = new Reader(bytes); const layers = {};
    r.fields((field) => {
      if (field !== 3) return false;
      const layer = readLayer(r.sub());
      layers[layer.name] = layer;
      return true;
    });
    return layers;
  }

  // -- the style: light, as a government map ----------------------------------------------
  const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif';
  const STYLE = {
    background: "#f4f2ec",
    water: { fill: "#a9cbee", line: "#8db5e2" },
    building: { fill: "#e2ddd3", line: "#cfc8bb" },
    // width at zoom 16 in pixels, fill, casing
    roads: {
      expressway: [9, "#fde4a6", "#d9aa55"], arterial: [8, "#ffffff", "#b4b4b4"],
      secondary: [6, "#ffffff", "#bdbdbd"], street: [4, "#ffffff", "#c6c6c6"],
      village: [3.5, "#ffffff", "#c9c4b8"], service: [2.5, "#fbfbfb", "#d2d2d2"],
    },
    order: ["service", "village", "street", "secondary", "arterial", "expressway"],
    boundaries: { township: ["#9d7bb0", 1.6, [6, 3]], community: ["#b9b0c2", 0.9, [3, 3]] },
    labels: {
      township: [15, "bold", "#2f2f2f"], community: [13, "normal", "#4a4a4a"],
      grid: [11, "normal", "#7a7a7a"], road: [11, "normal", "#5b5b5b"],
    },
  };

  function roadWidth(cls, z) {
    const base = (STYLE.roads[cls] || STYLE.roads.street)[0];
    return Math.max(0.6, base * 2 ** ((z - 16) * 0.7));
  }

  function tracePath(ctx, parts, project, close) {
    ctx.beginPath();
    for (const part of parts) {
      part.forEach(([x, y], k) => {
        const [px, py] = project(x, y);
        if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      });
      if (close) ctx.closePath();
    }
  }

  /** Draw a decoded tile on ``ctx`` (size px square); ``project`` maps tile units to px. */
  function draw(ctx, layers, z, size, project, scale, background) {
    if (background) { ctx.fillStyle = STYLE.background; ctx.fillRect(0, 0, size, size); }
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    const water = layers.water ? layers.water.features : [];
    for (const f of water) {
      if (f.type === 3) {
        tracePath(ctx, f.parts, project, true);
        ctx.fillStyle = STYLE.water.fill; ctx.fill("evenodd");
      } else if (f.type === 2) {
        tracePath(ctx, f.parts, project, false);
        ctx.strokeStyle = STYLE.water.line; ctx.lineWidth = Math.max(1, 3 * 2 ** (z - 15)); ctx.stroke();
      }
    }
    const buildings = layers.buildings ? layers.buildings.features : [];
    const side = Math.max(2, 4 * 2 ** ((z - 16) * 0.8));
    ctx.fillStyle = STYLE.building.fill; ctx.strokeStyle = STYLE.building.line; ctx.lineWidth = 0.6;
    for (const f of buildings) {
      if (f.type === 3) { tracePath(ctx, f.parts, project, true); ctx.fill("evenodd"); ctx.stroke(); } else if (f.type === 1) {
        for (const part of f.parts) {
          for (const [x, y] of part) {
            const [px, py] = project(x, y);
            ctx.fillRect(px - side / 2, py - side / 2, side, side);
            ctx.strokeRect(px - side / 2, py - side / 2, side, side);
          }
        }
      }
    }
    const roads = layers.roads ? layers.roads.features : [];
    const byClass = {};
    for (const f of roads) (byClass[f.properties.class] = byClass[f.properties.class] || []).push(f);
    for (const casing of [true, false]) {  // all casings first: junctions join cleanly
      for (const cls of STYLE.order) {
        const [, fill, edge] = STYLE.roads[cls];
        const w = roadWidth(cls, z) * scale;
        ctx.strokeStyle = casing ? edge : fill;
        ctx.lineWidth = casing ? w + 1.6 : w;
        for (const f of byClass[cls] || []) { tracePath(ctx, f.parts, project, false); ctx.stroke(); }
      }
    }
    const bounds = layers.boundaries ? layers.boundaries.features : [];
    for (const f of bounds) {
      const [colour, width, dash] = STYLE.boundaries[f.properties.kind] || STYLE.boundaries.community;
      ctx.setLineDash(dash); ctx.strokeStyle = colour; ctx.lineWidth = width;
      tracePath(ctx, f.parts, project, false); ctx.stroke();
    }
    ctx.setLineDash([]);
    drawLabels(ctx, layers.labels ? layers.labels.features : [], project);
  }

  function drawLabels(ctx, labels, project) {
    const taken = [];
    const rank = { township: 0, community: 1, road: 2, grid: 3 };
    const sorted = labels.filter((f) => f.type === 1 && f.properties.name)
      .sort((a, b) => (rank[a.properties.kind] ?? 9) - (rank[b.properties.kind] ?? 9));
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (const f of sorted) {
      const [size, weight, colour] = STYLE.labels[f.properties.kind] || STYLE.labels.grid;
      ctx.font = `${weight} ${size}px ${FONT}`;
      const text = String(f.properties.name);
      const w = ctx.measureText(text).width;
      for (const part of f.parts) {
        for (const [x, y] of part) {
          const [px, py] = project(x, y);
          const box = [px - w / 2 - 2, py - size / 2 - 2, px + w / 2 + 2, py + size / 2 + 2];
          if (taken.some((t) => box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1])) continue;
          taken.push(box);
          ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.92)";
          ctx.strokeText(text, px, py);
          ctx.fillStyle = colour; ctx.fillText(text, px, py);
        }
      }
    }
  }

  // -- the Leaflet layer ------------------------------------------------------------------
  const decoded = new Map();  // "z/x/y" → Promise of decoded layers (the native tiles)
  const KEEP = 256;

  function fetchTile(template, z, x, y) {
    const key = `${z}/${x}/${y}`;
    if (!decoded.has(key)) {
      if (decoded.size >= KEEP) decoded.delete(decoded.keys().next().value);
      const url = template.replace("{z}", z).replace("{x}", x).replace("{y}", y);
      decoded.set(key, fetch(url).then(async (r) => {
        if (r.status === 204) return {};
        if (!r.ok) throw new Error(`${url}: ${r.status}`);
        return decode(new Uint8Array(await r.arrayBuffer()));
      }));
    }
    return decoded.get(key);
  }

  const VectorBasemap = L.GridLayer.extend({
    options: { maxZoom: 20, background: true, className: "gridgis-basemap" },

    initialize(tilejson, options) {
      L.setOptions(this, options);
      this.tilejson = tilejson;
      this.drawnTiles = 0;  // tiles drawn with features (for tests and the curious)
      const [w, s, e, n] = tilejson.bounds;
      this.options.bounds = L.latLngBounds([s, w], [n, e]);
    },

    createTile(coords, done) {
      const tile = L.DomUtil.create("canvas", "gridgis-basemap-tile");
      const size = this.getTileSize().x;
      const ratio = window.devicePixelRatio || 1;
      tile.width = size * ratio; tile.height = size * ratio;
      const ctx = tile.getContext("2d");
      ctx.scale(ratio, ratio);
      const { minzoom, maxzoom } = this.tilejson;
      const z = coords.z;
      if (z < minzoom) {
        if (this.options.background) { ctx.fillStyle = STYLE.background; ctx.fillRect(0, 0, size, size); }
        setTimeout(() => done(null, tile), 0);
        return tile;
      }
      // above the file's zooms: the native tile above, magnified (drawn crisp at this zoom)
      const dz = Math.max(0, z - maxzoom);
      const nz = z - dz; const nx = coords.x >> dz; const ny = coords.y >> dz;
      const mag = 2 ** dz; const ox = coords.x - nx * mag; const oy = coords.y - ny * mag;
      fetchTile(this.tilejson.tiles[0], nz, nx, ny).then((layers) => {
        const extent = (Object.values(layers)[0] || {}).extent || 4096;
        const k = (size * mag) / extent;
        const project = (x, y) => [x * k - ox * size, y * k - oy * size];
        draw(ctx, layers, z, size, project, 1, this.options.background);
        if (Object.keys(layers).length) { this.drawnTiles += 1; tile.dataset.drawn = "1"; }
        done(null, tile);
      }).catch((error) => done(error, tile));
      return tile;
    },
  });

  // -- an intranet raster service in GCJ-02: shifted onto the WGS84 layers ----------------
  const GCJ_A = 6378245.0; const GCJ_EE = 0.00669342162296594323;

  function outOfChina(lon, lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function gcjLat(x, y) {
    let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
    r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
    r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
    return r;
  }

  function gcjLon(x, y) {
    let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
    r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
    r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
    return r;
  }

  /** WGS84 → GCJ-02 (the public formulas, Krasovsky ellipsoid); unchanged outside China. */
  function wgs84ToGcj02(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    const rad = (lat / 180) * Math.PI;
    let magic = Math.sin(rad); magic = 1 - GCJ_EE * magic * magic;
    const sq = Math.sqrt(magic);
    const dLat = (gcjLat(lon - 105, lat - 35) * 180) / (((GCJ_A * (1 - GCJ_EE)) / (magic * sq)) * Math.PI);
    const dLon = (gcjLon(lon - 105, lat - 35) * 180) / ((GCJ_A / sq) * Math.cos(rad) * Math.PI);
    return [lon + dLon, lat + dLat];
  }

  /**
   * Keep a GCJ-02 raster pane in register with the WGS84 layers: the tiles show the place
   * at WGS84 point c where GCJ-02 puts f(c), so the pane moves by P(c) − P(f(c)), measured
   * at the view's centre each time the view settles (within a district the offset changes
   * by metres across a screen).
   */
  function shiftGcj(map, pane) {
    const update = () => {
      const c = map.getCenter();
      const [glon, glat] = wgs84ToGcj02(c.lng, c.lat);
      const here = map.latLngToLayerPoint(c); const there = map.latLngToLayerPoint([glat, glon]);
      const dx = here.x - there.x; const dy = here.y - there.y;
      pane.style.transform = `translate(${dx.toFixed(1)}px, ${dy.toFixed(1)}px)`;
      pane.dataset.shift = `${dx.toFixed(1)},${dy.toFixed(1)}`;
    };
    map.on("zoomend moveend viewreset resize", update);
    map.whenReady(update);
  }

  // -- the console's hook -----------------------------------------------------------------
  const state = { config: null, vector: null, raster: null };

  /** Add the basemap(s) the service names to ``map`` and its layer ``control``. */
  async function attach(map, control, t) {
    let config;
    try {
      const r = await fetch("/basemap", { headers: { accept: "application/json" } });
      if (!r.ok) return state;
      config = await r.json();
    } catch (error) { return state; }  // the console works without a basemap
    state.config = config;
    if (config.raster) {
      const pane = map.createPane("intranet");
      pane.style.zIndex = 150;  // under the vector basemap's tiles (200) and every overlay
      const raster = config.raster;
      state.raster = L.tileLayer(raster.url, {
        pane: "intranet", subdomains: raster.subdomains || "abc", maxZoom: 20, maxNativeZoom: 18,
        attribution: raster.attribution ? `${raster.attribution}（${raster.crs_name}）` : raster.crs_name,
      }).addTo(map);
      if (raster.crs === "gcj02") shiftGcj(map, pane);
      control.addOverlay(state.raster, t("layer.intranet"));
    }
    if (config.vector) {
      state.vector = new VectorBasemap(config.vector, { background: !config.raster }).addTo(map);
      control.addOverlay(state.vector, t("layer.basemap"));
    }
    return state;
  }

  return { attach, decode, draw, wgs84ToGcj02, state, VectorBasemap };
})();
