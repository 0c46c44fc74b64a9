"""Maps that work with the network cut: folium with Leaflet inlined from a package.

District networks are often closed to the internet, so a map never loads
anything from a CDN: Leaflet's JavaScript and CSS come from the installed
``xstatic-leaflet`` package and are inlined into the page, markers are drawn
as circles (no marker images), legends are plain HTML, and there is no
basemap unless one is asked for. When the basemap is a GCJ-02 one (Amap/Gaode
tiles), the overlays are shifted into GCJ-02 to line up with it; the data
itself never changes.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gridgis.crs import wgs84_to_gcj02
from gridgis.errors import GridGisError

__all__ = [
    "BASEMAPS",
    "LIGHT_COLOURS",
    "PATROL_COLOURS",
    "add_features",
    "add_grids",
    "add_incidents",
    "add_legend",
    "add_patrol_zones",
    "add_units",
    "district_map",
    "map_frame",
    "save_map",
]

BASEMAPS = ("none", "osm", "tianditu", "amap", "custom")
LIGHT_COLOURS = {"red": "#d7301f", "yellow": "#f2b705", "green": "#2c9f45", "none": "#7f7f7f"}
PATROL_COLOURS = {"high": "#d7301f", "medium": "#fc8d59", "low": "#91cf60"}
SEQUENTIAL = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603", "#7f2704"]
QUALITATIVE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39"]
GCJ_FLAG = "_gridgis_gcj02"


@cache
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS (images inlined as data URIs), from xstatic."""
    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = base / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode()
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[^)]+\.png)\)", inline, css)
    js = js.replace("//# sourceMappingURL=leaflet.js.map", "")
    return js, css


def _tiles(m: folium.Map, basemap: str, tiles: str | None, tianditu_key: str | None,
           tiles_crs: str) -> None:
    if basemap not in BASEMAPS:
        raise GridGisError(f"unknown basemap {basemap!r}; basemaps are {', '.join(BASEMAPS)}")
    if basemap == "none":
        return
    if basemap == "osm":
        folium.TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", name="OpenStreetMap",
                         attr="© OpenStreetMap contributors", max_zoom=19).add_to(m)
    elif basemap == "tianditu":
        if not tianditu_key:
            raise GridGisError("the Tianditu basemap needs a key: pass tianditu_key=… "
                               "(the 'tk' of a Tianditu account)")
        for layer, name in (("vec", "天地图"), ("cva", "天地图注记")):
            url = (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                   f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                   f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={tianditu_key}")
            folium.TileLayer(url, name=name, attr="© 天地图", subdomains="01234567",
                             overlay=layer == "cva").add_to(m)
    elif basemap == "amap":
        folium.TileLayer("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1"
                         "&scale=1&style=8&x={x}&y={y}&z={z}", name="高德地图",
                         attr="© 高德地图", subdomains="1234").add_to(m)
        setattr(m, GCJ_FLAG, True)
    elif basemap == "custom":
        if not tiles:
            raise GridGisError("a custom basemap needs tiles='https://intranet/…/{z}/{x}/{y}.png'")
        folium.TileLayer(tiles, name="basemap", attr="basemap").add_to(m)
        if tiles_crs == "gcj02":
            setattr(m, GCJ_FLAG, True)


def district_map(layers: Any = None, *, bounds: Sequence[float] | None = None,
                 basemap: str = "none", tiles: str | None = None,
                 tianditu_key: str | None = None, tiles_crs: str = "wgs84",
                 height: str = "600px") -> folium.Map:
    """An empty map fitted to a district, with Leaflet inlined (works offline).

    Parameters
    ----------
    layers : Layers, optional
        Fit the map to the townships of this district.
    bounds : (minlon, minlat, maxlon, maxlat), optional
        Fit the map to these bounds instead.
    basemap : {"none", "osm", "tianditu", "amap", "custom"}, default "none"
        Background tiles; "none" keeps the page free of any network request.
    tiles : str, optional
        Tile URL template for ``basemap="custom"`` (an intranet tile server).
    tianditu_key : str, optional
        The Tianditu key (``tk``), required for ``basemap="tianditu"``.
    tiles_crs : {"wgs84", "gcj02"}, default "wgs84"
        Datum of custom tiles; with "gcj02" the overlays are shifted to match.
    height : str, default "600px"

    Returns
    -------
    folium.Map

    Raises
    ------
    GridGisError
        For an unknown basemap or a missing key or URL.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> m = district_map(sample_district(scale=0.05))
    >>> "cdn" in m.get_root().render()
    False
    """
    m = folium.Map(tiles=None, control_scale=True, height=height, prefer_canvas=True)
    m.default_js = []
    m.default_css = []
    js, css = _leaflet_assets()
    root = m.get_root()
    root.header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css")
    root.header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js")
    root.header.add_child(folium.Element(
        "<style>.leaflet-container{background:#f3f3ef;font:13px/1.4 'Noto Sans CJK SC',"
        "'Microsoft YaHei',sans-serif}.gridgis-legend{"
        "background:#fff;padding:6px 10px;border-radius:4px;max-height:40vh;overflow:auto;"
        "box-shadow:0 1px 4px rgba(0,0,0,.3)}.gridgis-legend i{display:inline-block;"
        "width:12px;height:12px;margin-right:6px;vertical-align:middle}</style>"),
        name="gridgis_css")
    _tiles(m, basemap, tiles, tianditu_key, tiles_crs)
    if layers is not None and bounds is None:
        bounds = tuple(layers.townships.total_bounds)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        if getattr(m, GCJ_FLAG, False):
            (minx, maxx), (miny, maxy) = wgs84_to_gcj02([minx, maxx], [miny, maxy])
        m.fit_bounds([[float(miny), float(minx)], [float(maxy), float(maxx)]])
    return m


def map_frame(m: folium.Map, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A layer as map ``m`` draws it, for overlays of one's own (``folium.GeoJson``).

    Parameters
    ----------
    m : folium.Map
        A map made by :func:`district_map`.
    frame : geopandas.GeoDataFrame
        The layer, in any CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        A lon/lat copy with JSON-safe properties (timestamps and text as strings,
        numbers rounded to 3 decimals, missing values empty) and a fresh index,
        shifted into GCJ-02 when the map's basemap is a GCJ-02 one.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.05)
    >>> m = district_map(layers, basemap="amap")
    >>> shown = map_frame(m, layers.grids[["code", "geometry"]])
    >>> shown.crs.to_epsg(), len(shown) == len(layers.grids)
    (4326, True)
    """
    frame = frame.to_crs(4326) if frame.crs is not None and frame.crs.to_epsg() != 4326 \
        else frame.copy()
    if getattr(m, GCJ_FLAG, False):
        def shift(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

        frame = frame.set_geometry(shapely.transform(frame.geometry.values, shift))
    for col in frame.columns:
        if col == frame.geometry.name:
            continue
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            frame[col] = s.dt.strftime("%Y-%m-%d %H:%M").fillna("")
        elif not pd.api.types.is_numeric_dtype(s):
            frame[col] = s.astype(object).where(s.notna(), "").astype(str)
        else:
            frame[col] = s.astype(float).round(3).where(s.notna(), None)
    return frame.reset_index(drop=True)


class _Legend(MacroElement):
    """A Leaflet control holding plain HTML; Leaflet stacks several in a corner."""

    _template = Template("""{% macro script(this, kwargs) %}
    var {{ this.get_name() }} = L.control({position: "bottomright"});
    {{ this.get_name() }}.onAdd = function () {
        var div = L.DomUtil.create("div", "gridgis-legend");
        div.innerHTML = {{ this.body|tojson }};
        return div;
    };
    {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
    {% endmacro %}""")

    def __init__(self, body: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.body = body


def add_legend(m: folium.Map, title: str, items: Sequence[tuple[str, str]]) -> folium.Map:
    """A plain-HTML legend (label, colour) as a map control in the lower right corner."""
    rows = "".join(f"<div><i style='background:{c}'></i>{html.escape(str(lab))}</div>"
                   for lab, c in items)
    _Legend(f"<b>{html.escape(title)}</b>{rows}").add_to(m)
    return m


def add_features(m: folium.Map, frame: gpd.GeoDataFrame, *, name: str,
                 colour: str | pd.Series = "#3366cc", fields: Sequence[str] = (),
                 aliases: Sequence[str] | None = None, fill_opacity: float = 0.45,
                 weight: float = 1.0, radius: float = 5.0, popup: bool = False,
                 show: bool = True) -> folium.Map:
    """Any layer as one GeoJSON overlay; points as circles, colours per row or one colour."""
    data = map_frame(m, frame[[*fields, frame.geometry.name]])
    colours = colour.to_numpy() if isinstance(colour, pd.Series) else np.full(len(data), colour)
    data["_colour"] = [str(c) for c in colours]
    fields = list(fields)
    labels = list(aliases) if aliases else fields
    tooltip = folium.GeoJsonTooltip(fields=fields, aliases=labels) if fields and not popup \
        else None
    pop = folium.GeoJsonPopup(fields=fields, aliases=labels) if fields and popup else None

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        c = feature["properties"]["_colour"]
        return {"color": "#555555" if weight < 1.5 else c, "weight": weight, "fillColor": c,
                "fillOpacity": fill_opacity, "radius": radius}

    points = len(data) and data.geom_type.isin(["Point", "MultiPoint"]).all()
    folium.GeoJson(data, name=name, style_function=style, tooltip=tooltip, popup=pop,
                   marker=folium.CircleMarker(radius=radius, fill=True) if points else None,
                   show=show).add_to(m)
    return m


def add_grids(m: folium.Map, grids: gpd.GeoDataFrame, *, column: str | None = None,
              name: str = "网格 grids", classes: int = 5,
              fields: Sequence[str] = ("code", "name", "households")) -> folium.Map:
    """Grid boundaries, or a choropleth of ``column`` in quantile classes with a legend.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.05)
    >>> m = add_grids(district_map(layers), layers.grids, column="households")
    """
    fields = [f for f in fields if f in grids.columns]
    if column is None:
        return add_features(m, grids, name=name, colour="#9ecae1", fields=fields,
                            fill_opacity=0.15)
    values = pd.to_numeric(grids[column], errors="coerce")
    if values.notna().sum() == 0:
        raise GridGisError(f"column {column!r} holds no numbers to colour by")
    import mapclassify

    k = max(1, min(classes, values.nunique()))
    bins = mapclassify.Quantiles(values.fillna(values.min()), k=k).bins
    palette = SEQUENTIAL[-k:] if k < len(SEQUENTIAL) else SEQUENTIAL
    idx = np.searchsorted(bins, values.fillna(values.min()).to_numpy(), side="left")
    colour = pd.Series([palette[min(i, k - 1)] for i in idx], index=grids.index)
    add_features(m, grids, name=f"{name}: {column}", colour=colour,
                 fields=[*fields, column] if column not in fields else fields, fill_opacity=0.7)
    lower = [values.min(), *bins[:-1]]
    items = [(f"{lo:,.4g} – {hi:,.4g}", c) for lo, hi, c in zip(lower, bins, palette,
                                                               strict=False)]
    return add_legend(m, column, items)


def add_patrol_zones(m: folium.Map, zones: gpd.GeoDataFrame, *,
                     name: str = "巡查区域 patrol zones") -> folium.Map:
    """Patrol-frequency zones coloured high / medium / low."""
    colour = zones["level"].map(PATROL_COLOURS).fillna("#cccccc")
    add_features(m, zones, name=name, colour=colour, fields=["zone_id", "level", "grid_code"],
                 fill_opacity=0.35, weight=0.5)
    return add_legend(m, "patrol", [(k, v) for k, v in PATROL_COLOURS.items()])


def add_units(m: folium.Map, units: gpd.GeoDataFrame, *,
              name: str = "责任单位 units") -> folium.Map:
    """Responsible units as circles coloured by kind."""
    kinds = sorted(units["kind"].unique())
    palette = {k: QUALITATIVE[i % len(QUALITATIVE)] for i, k in enumerate(kinds)}
    return add_features(m, units, name=name, colour=units["kind"].map(palette),
                        fields=["unit_id", "name", "kind"], fill_opacity=0.9, radius=6,
                        weight=2)


def add_incidents(m: folium.Map, incidents: gpd.GeoDataFrame, *,
                  colour_by: str = "light", name: str = "事件 incidents",
                  max_points: int = 20_000, seed: int = 0) -> folium.Map:
    """Incidents as small circles, coloured by their light (or another column), with popups.

    Large archives are sampled down to ``max_points`` (reproducibly) so that
    the page stays light; the legend says so.
    """
    frame = incidents
    if len(frame) > max_points:
        frame = frame.sample(n=max_points, random_state=seed)
    if colour_by == "light" and "light" in frame.columns:
        colour = frame["light"].map(LIGHT_COLOURS).fillna(LIGHT_COLOURS["none"])
        legend = list(LIGHT_COLOURS.items())
    elif colour_by in frame.columns:
        values = sorted(frame[colour_by].astype(str).unique())
        palette = {v: QUALITATIVE[i % len(QUALITATIVE)] for i, v in enumerate(values)}
        colour = frame[colour_by].astype(str).map(palette)
        legend = list(palette.items())[:14]
    else:
        colour = pd.Series("#d7301f", index=frame.index)
        legend = []
    fields = [f for f in ("incident_id", "category", "status", "reported_at", "description")
              if f in frame.columns]
    add_features(m, frame, name=name, colour=colour, fields=fields, popup=True,
                 fill_opacity=0.85, radius=3.5, weight=1)
    if legend:
        title = colour_by if len(frame) == len(incidents) else \
            f"{colour_by} ({len(frame):,} of {len(incidents):,} shown)"
        add_legend(m, title, legend)
    return m


def save_map(m: folium.Map, path: str | Path, *, layer_control: bool = True) -> Path:
    """Write the map as one self-contained HTML file (no network needed to open it)."""
    if layer_control:
        folium.LayerControl(collapsed=False, position="topleft").add_to(m)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    m.save(str(path))
    return path
