import json
import re

import numpy as np
import pytest

from gridgis import GridGisError, maps
from gridgis.crs import wgs84_to_gcj02

EXTERNAL = re.compile(r"<(?:script|link|img)[^>]+(?:src|href)=[\"']https?:", re.I)


def _html(m):
    return m.get_root().render()


def _geojson_layers(html):
    """The GeoJSON objects folium embedded in the page."""
    return [json.loads(s) for s in re.findall(r"_add\((\{.*?\})\);\s*\n", html, re.S)]


def _legends(html):
    return [json.loads(s) for s in re.findall(r"div\.innerHTML = (\".*?\");", html)]


def test_offline_page_has_leaflet_inlined_and_no_external_asset(small_layers, tmp_path):
    m = maps.district_map(small_layers)
    maps.add_grids(m, small_layers.grids)
    maps.add_patrol_zones(m, small_layers.patrol_zones)
    maps.add_units(m, small_layers.units)
    maps.add_incidents(m, small_layers.incidents.assign(light="red"))
    path = maps.save_map(m, tmp_path / "m.html")
    html = path.read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    assert "L.map(" in html and "Leaflet 1.9.3" in html
    assert "L.tileLayer(" not in html  # no basemap by default
    assert "data:image/png;base64," in html  # leaflet's control images are inlined
    assert len(_geojson_layers(html)) == 4


def test_choropleth_classes_and_legend(small_layers):
    m = maps.district_map(small_layers)
    maps.add_grids(m, small_layers.grids, column="households", classes=4)
    html = _html(m)
    (legend,) = _legends(html)
    assert legend.count("<i style='background:") == 4  # one legend row per class
    (layer,) = _geojson_layers(html)
    colours = {f["properties"]["_colour"] for f in layer["features"]}
    assert len(colours) == 4
    # the largest grid by households gets the darkest class
    top = max(layer["features"], key=lambda f: f["properties"]["households"])
    assert top["properties"]["_colour"] == maps.SEQUENTIAL[-1]
    with pytest.raises(GridGisError, match="no numbers"):
        maps.add_grids(m, small_layers.grids, column="name")


def test_amap_basemap_shifts_overlays_into_gcj02(small_layers):
    m = maps.district_map(small_layers, basemap="amap")
    maps.add_units(m, small_layers.units.iloc[:3])
    (layer,) = _geojson_layers(_html(m))
    lon, lat = layer["features"][0]["geometry"]["coordinates"]
    p = small_layers.units.geometry.iloc[0]
    glon, glat = wgs84_to_gcj02(p.x, p.y)
    assert np.allclose([lon, lat], [glon, glat], atol=1e-9)
    assert abs(lon - p.x) > 1e-4  # the shift is real (hundreds of metres)


def test_wgs84_basemap_keeps_coordinates(small_layers):
    m = maps.district_map(small_layers, basemap="osm")
    maps.add_units(m, small_layers.units.iloc[:1])
    (layer,) = _geojson_layers(_html(m))
    p = small_layers.units.geometry.iloc[0]
    assert np.allclose(layer["features"][0]["geometry"]["coordinates"], [p.x, p.y])


def test_basemap_errors():
    with pytest.raises(GridGisError, match="needs a key"):
        maps.district_map(basemap="tianditu")
    with pytest.raises(GridGisError, match="unknown basemap"):
        maps.district_map(basemap="google")
    with pytest.raises(GridGisError, match="custom basemap needs tiles"):
        maps.district_map(basemap="custom")
    html = _html(maps.district_map(basemap="tianditu", tianditu_key="abc123"))
    assert "tk=abc123" in html


def test_large_archives_are_sampled(small_layers):
    m = maps.district_map(small_layers)
    maps.add_incidents(m, small_layers.incidents, colour_by="category", max_points=100)
    html = _html(m)
    (layer,) = _geojson_layers(html)
    assert len(layer["features"]) == 100
    assert f"100 of {len(small_layers.incidents):,} shown" in _legends(html)[0]
